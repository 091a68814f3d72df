/* Unit tests for plugin/cert_parse.c (GnuTLS-backed certificate facts).
 * Reads the throwaway certificates of captures/pki/ (TUME_PKI_DIR).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <glib.h>
#include <gnutls/gnutls.h>

#include "cert_parse.h"

/* PEM file -> DER bytes (GnuTLS decodes the PEM armour) */
static GBytes *
load_der(const char *name)
{
    gchar *path = g_build_filename(TUME_PKI_DIR, name, NULL);
    gchar *pem = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &pem, &len, NULL));
    gnutls_datum_t in = { (unsigned char *)pem, (unsigned int)len }, out = { NULL, 0 };
    g_assert_cmpint(gnutls_pem_base64_decode2("CERTIFICATE", &in, &out), ==, 0);
    GBytes *b = g_bytes_new(out.data, out.size);
    gnutls_free(out.data);
    g_free(pem);
    g_free(path);
    return b;
}

static tume_cert_t *
parse_file(const char *name)
{
    GBytes *b = load_der(name);
    gsize len;
    const guint8 *p = g_bytes_get_data(b, &len);
    const char *err = NULL;
    tume_cert_t *c = tume_cert_parse(p, len, &err);
    g_assert_null(err);
    g_assert_nonnull(c);
    g_bytes_unref(b);
    return c;
}

static void
test_server_cert(void)
{
    tume_cert_t *c = parse_file("sip.tume.jajah.com.crt");
    g_assert_cmpstr(c->subject, ==, "CN=sip.tume.jajah.com,O=Jajah Inc.,C=US");
    g_assert_cmpstr(c->issuer, ==, "CN=TU Me Test Root CA,O=Example Test PKI,C=ES");
    g_assert_cmpstr(c->subject_cn, ==, "sip.tume.jajah.com");
    g_assert_cmpuint(c->san_dns->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(c->san_dns, 0), ==, "sip.tume.jajah.com");
    g_assert_cmpstr(g_ptr_array_index(c->san_dns, 1), ==, "*.tume.jajah.com");
    g_assert_false(c->self_signed);
    g_assert_cmpint(c->not_after - c->not_before, ==, (gint64)3650 * 86400);
    g_assert_true(tume_cert_covers_host(c, "sip.tume.jajah.com"));
    g_assert_true(tume_cert_covers_host(c, "media.tume.jajah.com"));
    g_assert_false(tume_cert_covers_host(c, "tume.jajah.com"));
    g_assert_false(tume_cert_covers_host(c, "a.b.tume.jajah.com"));
    g_assert_false(tume_cert_covers_host(c, "sip.example.org"));
    tume_cert_free(c);
}

static void
test_self_signed_ca(void)
{
    tume_cert_t *c = parse_file("tume-ca.crt");
    g_assert_true(c->self_signed);
    g_assert_cmpstr(c->subject, ==, c->issuer);
    g_assert_cmpuint(c->san_dns->len, ==, 0);
    /* no dNSName SAN: the CN is the name */
    g_assert_true(tume_cert_covers_host(c, "TU Me Test Root CA"));
    tume_cert_free(c);
}

static void
test_bad_input(void)
{
    const char *err = NULL;
    static const guint8 junk[] = { 0x30, 0x82, 0x01, 0x00, 0x01, 0x02, 0x03 };
    g_assert_null(tume_cert_parse(junk, sizeof junk, &err));
    g_assert_nonnull(err);
    g_assert_null(tume_cert_parse(NULL, 0, &err));
    g_assert_null(tume_cert_parse(junk, TUME_CERT_DER_MAX + 1, &err));

    /* every truncation of a real certificate fails cleanly */
    GBytes *b = load_der("sip.tume.jajah.com.crt");
    gsize len;
    const guint8 *p = g_bytes_get_data(b, &len);
    for (gsize n = 0; n < len; n += 7)
        g_assert_null(tume_cert_parse(p, n, NULL));
    /* flipped bytes never crash (they may or may not still parse) */
    guint8 *copy = g_memdup2(p, len);
    for (gsize i = 0; i < len; i += 13) {
        copy[i] ^= 0x5a;
        tume_cert_free(tume_cert_parse(copy, len, NULL));
        copy[i] ^= 0x5a;
    }
    g_free(copy);
    g_bytes_unref(b);
    tume_cert_free(NULL);
}

static void
test_name_covers(void)
{
    g_assert_true(tume_cert_name_covers("*.tume.jajah.com", "SIP.tume.jajah.com."));
    g_assert_true(tume_cert_name_covers("api.tu.com", "API.TU.COM"));
    g_assert_false(tume_cert_name_covers("*.tume.jajah.com", "tume.jajah.com"));
    g_assert_false(tume_cert_name_covers("*.tume.jajah.com", ".tume.jajah.com"));
    g_assert_false(tume_cert_name_covers("*.tume.jajah.com", "a.b.tume.jajah.com"));
    g_assert_false(tume_cert_name_covers("*.", "a."));
    g_assert_false(tume_cert_name_covers("*", "a"));
    g_assert_false(tume_cert_name_covers("", "a"));
    g_assert_false(tume_cert_name_covers(NULL, "a"));
    g_assert_false(tume_cert_name_covers("api.tu.com", "xapi.tu.com"));
}

static void
test_dn_printable(void)
{
    static const char dn[] = "CN=a\tb\nc,O=x\0y,C=ES";
    gchar *p = tume_dn_printable(dn, sizeof dn - 1);
    g_assert_cmpstr(p, ==, "CN=a\\09b\\0Ac,O=x\\00y,C=ES");
    g_free(p);
    /* RFC 4514 escapes and UTF-8 are kept; bytes that are not UTF-8 are replaced */
    p = tume_dn_printable("CN=Telef\xc3\xb3nica\\, S.A.", strlen("CN=Telef\xc3\xb3nica\\, S.A."));
    g_assert_cmpstr(p, ==, "CN=Telef\xc3\xb3nica\\, S.A.");
    g_free(p);
    p = tume_dn_printable("CN=\xff\xfe", 5);
    g_assert_true(g_utf8_validate(p, -1, NULL));
    g_assert_cmpstr(p, ==, "CN=\xef\xbf\xbd\xef\xbf\xbd");
    g_free(p);
    p = tume_dn_printable(NULL, 4);
    g_assert_cmpstr(p, ==, "");
    g_free(p);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cert/server", test_server_cert);
    g_test_add_func("/cert/self-signed-ca", test_self_signed_ca);
    g_test_add_func("/cert/bad-input", test_bad_input);
    g_test_add_func("/cert/name-covers", test_name_covers);
    g_test_add_func("/cert/dn-printable", test_dn_printable);
    return g_test_run();
}
