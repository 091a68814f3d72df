/* cert_parse.c - X.509 facts TU Me reports, parsed by GnuTLS.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "cert_parse.h"

#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

gchar *
tume_dn_printable(const char *s, gsize len)
{
    GString *out;

    if (s == NULL)
        return g_strdup("");
    out = g_string_sized_new(len + 1);
    for (gsize i = 0; i < len; i++) {
        guint8 c = (guint8)s[i];
        if (c < 0x20 || c == 0x7f)
            g_string_append_printf(out, "\\%02X", c);
        else
            g_string_append_c(out, (gchar)c);
    }
    gchar *valid = g_utf8_make_valid(out->str, (gssize)out->len);
    g_string_free(out, TRUE);
    return valid;
}

static gchar *
dn_string(gnutls_x509_crt_t crt, gboolean issuer)
{
    gnutls_datum_t d = { NULL, 0 };
    int rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0)
                    : gnutls_x509_crt_get_dn3(crt, &d, 0);
    if (rc < 0 || d.data == NULL)
        return g_strdup("");
    gchar *s = tume_dn_printable((const char *)d.data, d.size);
    gnutls_free(d.data);
    return s;
}

static gchar *
subject_cn(gnutls_x509_crt_t crt)
{
    char buf[256];
    size_t size = sizeof buf;
    if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &size) < 0)
        return NULL;
    if (size >= sizeof buf || memchr(buf, '\0', size) != NULL)
        return NULL;                 /* a NUL inside: no name (see collect_sans) */
    return g_strndup(buf, size);
}

static void
collect_sans(gnutls_x509_crt_t crt, GPtrArray *out)
{
    for (unsigned seq = 0; seq < TUME_CERT_SAN_MAX; seq++) {
        char buf[256];
        size_t size = sizeof buf;
        unsigned int critical = 0;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &size, &critical);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
            continue;            /* a name longer than any host name: skip it */
        if (type < 0)
            break;
        /* a dNSName with a NUL inside is no name: never compared (the NUL
         * would cut "jajah.com\\0.evil.example" to a TU Me name) */
        if (type == GNUTLS_SAN_DNSNAME && size < sizeof buf && memchr(buf, '\0', size) == NULL)
            g_ptr_array_add(out, g_strndup(buf, size));
    }
}

tume_cert_t *
tume_cert_parse(const guint8 *der, gsize len, const char **err)
{
    gnutls_x509_crt_t crt;
    gnutls_datum_t d;
    tume_cert_t *c;

    if (err)
        *err = NULL;
    if (der == NULL || len == 0 || len > TUME_CERT_DER_MAX) {
        if (err)
            *err = "certificate empty or larger than 64 KiB";
        return NULL;
    }
    if (gnutls_x509_crt_init(&crt) < 0) {
        if (err)
            *err = "GnuTLS could not allocate a certificate";
        return NULL;
    }
    d.data = (unsigned char *)der;
    d.size = (unsigned int)len;
    if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
        gnutls_x509_crt_deinit(crt);
        if (err)
            *err = "not a DER X.509 certificate GnuTLS can read";
        return NULL;
    }
    c = g_new0(tume_cert_t, 1);
    c->subject = dn_string(crt, FALSE);
    c->issuer = dn_string(crt, TRUE);
    c->subject_cn = subject_cn(crt);
    c->san_dns = g_ptr_array_new_with_free_func(g_free);
    collect_sans(crt, c->san_dns);
    time_t t = gnutls_x509_crt_get_activation_time(crt);
    c->not_before = t == (time_t)-1 ? G_MININT64 : (gint64)t;
    t = gnutls_x509_crt_get_expiration_time(crt);
    c->not_after = t == (time_t)-1 ? G_MININT64 : (gint64)t;
    c->self_signed = c->subject[0] != '\0' && strcmp(c->subject, c->issuer) == 0;
    gnutls_x509_crt_deinit(crt);
    return c;
}

void
tume_cert_free(tume_cert_t *cert)
{
    if (cert == NULL)
        return;
    g_free(cert->subject);
    g_free(cert->issuer);
    g_free(cert->subject_cn);
    g_ptr_array_free(cert->san_dns, TRUE);
    g_free(cert);
}

static gsize
strip_dot_len(const char *s)
{
    gsize n = strlen(s);
    while (n > 0 && s[n - 1] == '.')
        n--;
    return n;
}

gboolean
tume_cert_name_covers(const char *pattern, const char *host)
{
    if (pattern == NULL || host == NULL)
        return FALSE;
    gsize pl = strip_dot_len(pattern), hl = strip_dot_len(host);
    if (pl == 0 || hl == 0)
        return FALSE;
    if (pl > 2 && pattern[0] == '*' && pattern[1] == '.') {
        /* "*.x.y" covers "a.x.y": one label, not empty, no dot, and not x.y itself */
        const char *first_dot = memchr(host, '.', hl);
        if (first_dot == NULL || first_dot == host)
            return FALSE;
        gsize rest = hl - (gsize)(first_dot - host);          /* ".x.y" */
        return rest == pl - 1 && g_ascii_strncasecmp(first_dot, pattern + 1, rest) == 0;
    }
    return pl == hl && g_ascii_strncasecmp(pattern, host, hl) == 0;
}

gboolean
tume_cert_covers_host(const tume_cert_t *cert, const char *host)
{
    if (cert == NULL || host == NULL)
        return FALSE;
    if (cert->san_dns->len > 0) {
        for (guint i = 0; i < cert->san_dns->len; i++) {
            if (tume_cert_name_covers((const char *)g_ptr_array_index(cert->san_dns, i), host))
                return TRUE;
        }
        return FALSE;
    }
    return tume_cert_name_covers(cert->subject_cn, host);
}
