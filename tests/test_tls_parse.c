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

static void
test_alpn(void)
{
    tume_tls_span_t proto;
    /* a ServerHello with supported_versions and ALPN "http/1.1" */
    GByteArray *b = g_byte_array_new();
    put(b, 0x0303, 2);
    for (int i = 0; i < 32; i++)
        put(b, 7, 1);
    put(b, 0, 1);
    put(b, 0xc02f, 2); put(b, 0, 1);
    g_assert_false(tume_tls_alpn(b->data, b->len, TRUE, &proto));         /* no extensions */
    put(b, 6 + 4 + 11, 2);
    put(b, 43, 2); put(b, 2, 2); put(b, 0x0304, 2);
    put(b, 16, 2); put(b, 11, 2); put(b, 9, 2); put(b, 8, 1); put_bytes(b, "http/1.1", 8);
    g_assert_true(tume_tls_alpn(b->data, b->len, TRUE, &proto));
    g_assert_cmpuint(proto.len, ==, 8);
    g_assert_cmpint(memcmp(b->data + proto.off, "http/1.1", 8), ==, 0);
    /* every cut: no crash, no name past the end */
    for (guint n = 0; n < b->len; n++)
        g_assert_false(tume_tls_alpn(b->data, n, TRUE, &proto));
    /* a name length that disagrees with the list's: none */
    b->data[b->len - 9] = 9;
    g_assert_false(tume_tls_alpn(b->data, b->len, TRUE, &proto));
    g_byte_array_free(b, TRUE);

    /* EncryptedExtensions (TLS 1.3): "h2" */
    GByteArray *ee = g_byte_array_new();
    put(ee, 4 + 5, 2);
    put(ee, 16, 2); put(ee, 5, 2); put(ee, 3, 2); put(ee, 2, 1); put_bytes(ee, "h2", 2);
    g_assert_true(tume_tls_alpn(ee->data, ee->len, FALSE, &proto));
    g_assert_cmpuint(proto.len, ==, 2);
    g_assert_false(tume_tls_alpn(ee->data, ee->len, TRUE, &proto));        /* not a ServerHello */
    g_assert_false(tume_tls_alpn(NULL, 0, FALSE, &proto));
    g_byte_array_free(ee, TRUE);
}

/* ---- handshake messages across records ---- */

typedef struct {
    GString *seen;     /* "type:len;" per message */
    GByteArray *last;  /* the last message's body */
} hs_seen_t;

static void
hs_note(guint8 type, const guint8 *body, gsize len, void *user)
{
    hs_seen_t *s = (hs_seen_t *)user;
    g_string_append_printf(s->seen, "%u:%" G_GSIZE_FORMAT ";", type, len);
    g_byte_array_set_size(s->last, 0);
    g_byte_array_append(s->last, body, (guint)len);
}

static GByteArray *
hs_message(guint8 type, gsize body_len, guint8 fill)
{
    GByteArray *m = g_byte_array_new();
    put(m, type, 1);
    put(m, (guint32)body_len, 3);
    for (gsize i = 0; i < body_len; i++)
        g_byte_array_append(m, &fill, 1);
    return m;
}

static void
test_hs_stream(void)
{
    hs_seen_t s = { g_string_new(""), g_byte_array_new() };
    char want[64];
    tume_tls_hs_stream_t st = { NULL, FALSE };
    GByteArray *ch = client_hello("sip.tume.jajah.com");
    GByteArray *a = g_byte_array_new();
    put(a, TUME_TLS_HS_CLIENT_HELLO, 1);
    put(a, ch->len, 3);
    g_byte_array_append(a, ch->data, ch->len);
    GByteArray *b = hs_message(TUME_TLS_HS_CERTIFICATE, 40000, 0x30);
    GByteArray *all = g_byte_array_new();
    g_byte_array_append(all, a->data, a->len);
    g_byte_array_append(all, b->data, b->len);

    /* one byte per record: each message once, whole, when its last byte comes */
    for (guint i = 0; i < all->len; i++) {
        g_assert_true(tume_tls_hs_feed(&st, all->data + i, 1, TUME_TLS_HS_MAX, hs_note, &s));
        if (i + 1 == a->len) {
            g_assert_cmpuint(s.last->len, ==, ch->len);
            g_assert_cmpint(memcmp(s.last->data, ch->data, ch->len), ==, 0);
        }
    }
    g_snprintf(want, sizeof want, "1:%u;11:40000;", ch->len);
    g_assert_cmpstr(s.seen->str, ==, want);
    g_assert_cmpuint(tume_tls_hs_pending(&st), ==, 0);

    /* every cut into two records, and three */
    for (guint cut = 1; cut < all->len; cut += 97) {
        g_string_truncate(s.seen, 0);
        guint cut2 = MIN(all->len, cut + 16384);
        g_assert_true(tume_tls_hs_feed(&st, all->data, cut, TUME_TLS_HS_MAX, hs_note, &s));
        g_assert_true(tume_tls_hs_feed(&st, all->data + cut, cut2 - cut, TUME_TLS_HS_MAX, hs_note, &s));
        g_assert_true(tume_tls_hs_feed(&st, all->data + cut2, all->len - cut2, TUME_TLS_HS_MAX, hs_note, &s));
        g_assert_cmpstr(s.seen->str, ==, want);
        g_assert_cmpuint(tume_tls_hs_pending(&st), ==, 0);
    }

    /* held: only what came, never the declared length ahead of it */
    g_assert_true(tume_tls_hs_feed(&st, b->data, 10, TUME_TLS_HS_MAX, hs_note, &s));
    g_assert_cmpuint(tume_tls_hs_pending(&st), ==, 10);
    tume_tls_hs_clear(&st);
    g_assert_cmpuint(tume_tls_hs_pending(&st), ==, 0);

    /* a message over the bound: the stream is lost, whatever follows */
    g_string_truncate(s.seen, 0);
    g_assert_false(tume_tls_hs_feed(&st, b->data, 100, 1000, hs_note, &s));
    g_assert_false(tume_tls_hs_feed(&st, a->data, a->len, 1000, hs_note, &s));
    g_assert_cmpstr(s.seen->str, ==, "");
    g_assert_cmpuint(tume_tls_hs_pending(&st), ==, 0);
    tume_tls_hs_clear(&st);
    /* ... also when its header is cut over records */
    g_assert_true(tume_tls_hs_feed(&st, b->data, 2, 1000, hs_note, &s));
    g_assert_false(tume_tls_hs_feed(&st, b->data + 2, 2, 1000, hs_note, &s));
    tume_tls_hs_clear(&st);

    /* TLS's longest message (2^24 - 1 bytes of body), in 16 KiB records */
    GByteArray *big = hs_message(TUME_TLS_HS_CERTIFICATE, 0xFFFFFF, 0x31);
    g_string_truncate(s.seen, 0);
    for (guint off = 0; off < big->len; off += 16384)
        g_assert_true(tume_tls_hs_feed(&st, big->data + off, MIN(16384u, big->len - off), TUME_TLS_HS_MAX,
                                       hs_note, &s));
    g_assert_cmpstr(s.seen->str, ==, "11:16777215;");
    g_assert_cmpuint(tume_tls_hs_pending(&st), ==, 0);
    tume_tls_hs_clear(&st);

    g_byte_array_free(big, TRUE);
    g_byte_array_free(all, TRUE);
    g_byte_array_free(a, TRUE);
    g_byte_array_free(b, TRUE);
    g_byte_array_free(ch, TRUE);
    g_byte_array_free(s.last, TRUE);
    g_string_free(s.seen, TRUE);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tls/records", test_records);
    g_test_add_func("/tls/handshake-sni", test_handshake_and_sni);
    g_test_add_func("/tls/server-hello", test_server_hello);
    g_test_add_func("/tls/certificate", test_certificate);
    g_test_add_func("/tls/handshake-across-records", test_hs_stream);
    g_test_add_func("/tls/alpn", test_alpn);
    return g_test_run();
}
