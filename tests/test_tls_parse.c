/* Unit tests for plugin/tls_parse.c (TLS record and handshake headers).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <glib.h>

#include "tls_parse.h"

/* Appends a big-endian value of n bytes. */
static void
put(GByteArray *a, guint32 v, guint n)
{
    for (guint i = n; i > 0; i--) {
        guint8 b = (guint8)(v >> (8 * (i - 1)));
        g_byte_array_append(a, &b, 1);
    }
}

static void
put_bytes(GByteArray *a, const char *s, gsize n)
{
    g_byte_array_append(a, (const guint8 *)s, (guint)n);
}

/* A ClientHello body: version, random, session id, suites, compression,
 * extensions (a padding one, then server_name). */
static GByteArray *
client_hello(const char *host)
{
    GByteArray *b = g_byte_array_new();
    put(b, 0x0303, 2);
    for (int i = 0; i < 32; i++)
        put(b, (guint32)i, 1);
    put(b, 3, 1); put_bytes(b, "abc", 3);                 /* session id */
    put(b, 4, 2); put(b, 0xc02f, 2); put(b, 0x1301, 2);   /* cipher suites */
    put(b, 1, 1); put(b, 0, 1);                           /* compression */
    GByteArray *ext = g_byte_array_new();
    put(ext, 21, 2); put(ext, 3, 2); put_bytes(ext, "\0\0\0", 3);   /* padding */
    gsize hl = strlen(host);
    put(ext, 0, 2); put(ext, (guint32)(hl + 5), 2);       /* server_name */
    put(ext, (guint32)(hl + 3), 2); put(ext, 0, 1); put(ext, (guint32)hl, 2); put_bytes(ext, host, hl);
    put(b, ext->len, 2);
    g_byte_array_append(b, ext->data, ext->len);
    g_byte_array_free(ext, TRUE);
    return b;
}

static void
test_records(void)
{
    static const guint8 rec[] = { 22, 3, 3, 0, 4, 1, 0, 0, 0, 23, 3, 3 };
    guint8 type;
    guint16 version;
    tume_tls_span_t body;
    gsize rl;

    g_assert_cmpint(tume_tls_record(rec, sizeof rec, &type, &version, &body, &rl), ==, TUME_TLS_RECORD_OK);
    g_assert_cmpuint(type, ==, 22);
    g_assert_cmpuint(version, ==, 0x0303);
    g_assert_cmpuint(body.off, ==, 5);
    g_assert_cmpuint(body.len, ==, 4);
    g_assert_cmpuint(rl, ==, 9);
    /* the next one is cut */
    g_assert_cmpint(tume_tls_record(rec + 9, 3, &type, &version, &body, &rl), ==, TUME_TLS_RECORD_PARTIAL);
    g_assert_cmpint(tume_tls_record(rec, 7, &type, &version, &body, &rl), ==, TUME_TLS_RECORD_PARTIAL);
    g_assert_cmpuint(rl, ==, 9);
    /* not TLS */
    g_assert_cmpint(tume_tls_record((const guint8 *)"GET / HTTP/1.1", 14, &type, &version, &body, &rl), ==,
                    TUME_TLS_RECORD_NOT_TLS);
    static const guint8 bad_major[] = { 22, 4, 3, 0, 1, 0 };
    g_assert_cmpint(tume_tls_record(bad_major, sizeof bad_major, &type, &version, &body, &rl), ==,
                    TUME_TLS_RECORD_NOT_TLS);
    static const guint8 too_long[] = { 23, 3, 3, 0x48, 0x01 };
    g_assert_cmpint(tume_tls_record(too_long, sizeof too_long, &type, &version, &body, &rl), ==,
                    TUME_TLS_RECORD_NOT_TLS);
    g_assert_cmpint(tume_tls_record(NULL, 0, &type, &version, &body, &rl), ==, TUME_TLS_RECORD_PARTIAL);
}

static void
test_handshake_and_sni(void)
{
    GByteArray *ch = client_hello("sip.tume.jajah.com");
    GByteArray *msg = g_byte_array_new();
    put(msg, TUME_TLS_HS_CLIENT_HELLO, 1);
    put(msg, ch->len, 3);
    g_byte_array_append(msg, ch->data, ch->len);

    guint8 type;
    tume_tls_span_t body, sni;
    gsize ml;
    g_assert_true(tume_tls_handshake(msg->data, msg->len, &type, &body, &ml));
    g_assert_cmpuint(type, ==, 1);
    g_assert_cmpuint(ml, ==, msg->len);
    g_assert_true(tume_tls_client_hello_sni(msg->data + body.off, body.len, &sni));
    g_assert_cmpint(memcmp(msg->data + body.off + sni.off, "sip.tume.jajah.com", 18), ==, 0);
    g_assert_cmpuint(sni.len, ==, 18);
    /* every prefix of the body: no crash, and no SNI until it is all there */
    for (gsize n = 0; n < body.len; n++)
        g_assert_false(tume_tls_client_hello_sni(msg->data + body.off, n, &sni) && body.off + sni.off + sni.len > body.off + n);
    /* a message cut short is not whole */
    g_assert_false(tume_tls_handshake(msg->data, msg->len - 1, &type, &body, &ml));
    g_byte_array_free(msg, TRUE);
    g_byte_array_free(ch, TRUE);

    /* no server_name extension */
    GByteArray *b = g_byte_array_new();
    put(b, 0x0303, 2);
    for (int i = 0; i < 32; i++)
        put(b, 0, 1);
    put(b, 0, 1); put(b, 2, 2); put(b, 0x002f, 2); put(b, 1, 1); put(b, 0, 1); put(b, 0, 2);
    g_assert_false(tume_tls_client_hello_sni(b->data, b->len, &sni));
    g_byte_array_free(b, TRUE);
}

static void
test_server_hello(void)
{
    GByteArray *b = g_byte_array_new();
    put(b, 0x0303, 2);
    for (int i = 0; i < 32; i++)
        put(b, 7, 1);
    put(b, 0, 1);                               /* session id */
    put(b, 0xc02f, 2); put(b, 0, 1);            /* suite, compression */
    guint16 suite = 0, version = 0;
    g_assert_true(tume_tls_server_hello(b->data, b->len, &suite, &version));
    g_assert_cmpuint(suite, ==, 0xc02f);
    g_assert_cmpuint(version, ==, 0x0303);
    put(b, 6, 2); put(b, 43, 2); put(b, 2, 2); put(b, 0x0304, 2);   /* supported_versions */
    g_assert_true(tume_tls_server_hello(b->data, b->len, &suite, &version));
    g_assert_cmpuint(version, ==, TUME_TLS_VERSION_1_3);
    g_assert_false(tume_tls_server_hello(b->data, 20, &suite, &version));
    g_byte_array_free(b, TRUE);
}

static void
test_certificate(void)
{
    static const char der1[] = "0123456789", der2[] = "ABCDEF";
    for (int tls13 = 0; tls13 <= 1; tls13++) {
        GByteArray *b = g_byte_array_new();
        if (tls13) {
            put(b, 0, 1);                       /* empty request context */
        }
        GByteArray *list = g_byte_array_new();
        put(list, 10, 3); put_bytes(list, der1, 10);
        if (tls13)
            put(list, 0, 2);                    /* extensions */
        put(list, 6, 3); put_bytes(list, der2, 6);
        if (tls13)
            put(list, 0, 2);
        put(b, list->len, 3);
        g_byte_array_append(b, list->data, list->len);
        tume_tls_span_t der;
        g_assert_true(tume_tls_certificate_first(b->data, b->len, tls13, &der));
        g_assert_cmpuint(der.len, ==, 10);
        g_assert_cmpint(memcmp(b->data + der.off, der1, 10), ==, 0);
        /* the first certificate cut: not whole */
        g_assert_false(tume_tls_certificate_first(b->data, (gsize)(tls13 ? 1 : 0) + 3 + 3 + 5, tls13, &der));
        g_byte_array_free(list, TRUE);
        g_byte_array_free(b, TRUE);
    }
    /* an empty list */
    static const guint8 empty[] = { 0, 0, 0 };
    tume_tls_span_t der;
    g_assert_false(tume_tls_certificate_first(empty, sizeof empty, FALSE, &der));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tls/records", test_records);
    g_test_add_func("/tls/handshake-sni", test_handshake_and_sni);
    g_test_add_func("/tls/server-hello", test_server_hello);
    g_test_add_func("/tls/certificate", test_certificate);
    return g_test_run();
}
