/* Unit tests for plugin/enc_size.c (plaintext sizes of encrypted records).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>

#include "enc_size.h"

static void
expect_plain(guint16 suite, guint16 version, guint32 record_len, gboolean ok, guint32 min, guint32 max)
{
    tume_enc_suite_t s;
    guint32 lo = 99, hi = 99;
    g_assert_true(tume_enc_suite(suite, version, &s));
    g_assert_cmpint(tume_enc_plaintext(&s, record_len, &lo, &hi), ==, ok);
    if (ok) {
        g_assert_cmpuint(lo, ==, min);
        g_assert_cmpuint(hi, ==, max);
    }
}

static void
test_suites(void)
{
    tume_enc_suite_t s;
    /* TLS 1.2 AES-GCM: 8-byte nonce + 16-byte tag */
    g_assert_true(tume_enc_suite(0xC02F, 0x0303, &s));
    g_assert_cmpint(s.kind, ==, TUME_ENC_AEAD);
    g_assert_cmpuint(s.overhead, ==, 24);
    g_assert_false(s.tls13);
    /* ChaCha20-Poly1305: the tag only */
    g_assert_true(tume_enc_suite(0xCCA8, 0x0303, &s));
    g_assert_cmpuint(s.overhead, ==, 16);
    /* AES-CCM_8 */
    g_assert_true(tume_enc_suite(0xC0AE, 0x0303, &s));
    g_assert_cmpuint(s.overhead, ==, 16);
    /* TLS 1.3: tag + content type; CCM_8's tag is 8 */
    g_assert_true(tume_enc_suite(0x1301, 0x0304, &s));
    g_assert_cmpuint(s.overhead, ==, 17);
    g_assert_true(s.tls13);
    g_assert_true(tume_enc_suite(0x1305, 0x0304, &s));
    g_assert_cmpuint(s.overhead, ==, 9);
    g_assert_false(tume_enc_suite(0xC02F, 0x0304, &s));      /* no TLS 1.2 suite in 1.3 */
    /* CBC: MAC + explicit IV from TLS 1.1 on */
    g_assert_true(tume_enc_suite(0x002F, 0x0303, &s));
    g_assert_cmpint(s.kind, ==, TUME_ENC_CBC);
    g_assert_cmpuint(s.overhead, ==, 36);
    g_assert_cmpuint(s.block, ==, 16);
    g_assert_true(tume_enc_suite(0x002F, 0x0301, &s));       /* TLS 1.0: implicit IV */
    g_assert_cmpuint(s.overhead, ==, 20);
    g_assert_true(tume_enc_suite(0xC028, 0x0303, &s));       /* SHA384 */
    g_assert_cmpuint(s.overhead, ==, 64);
    g_assert_true(tume_enc_suite(0x000A, 0x0303, &s));       /* 3DES: 8-byte blocks */
    g_assert_cmpuint(s.block, ==, 8);
    g_assert_cmpuint(s.overhead, ==, 28);
    /* RC4 and NULL: the MAC */
    g_assert_true(tume_enc_suite(0x0005, 0x0301, &s));
    g_assert_cmpint(s.kind, ==, TUME_ENC_STREAM);
    g_assert_cmpuint(s.overhead, ==, 20);
    /* unknown */
    g_assert_false(tume_enc_suite(0x1234, 0x0303, &s));
    g_assert_cmpint(s.kind, ==, TUME_ENC_UNKNOWN);
    g_assert_false(tume_enc_suite(0, 0, &s));
}

static void
test_plaintext(void)
{
    expect_plain(0xC02F, 0x0303, 28, TRUE, 4, 4);            /* a ping under AES-GCM */
    expect_plain(0xC02F, 0x0303, 26, TRUE, 2, 2);            /* a pong */
    expect_plain(0xC02F, 0x0303, 23, FALSE, 0, 0);           /* shorter than nonce + tag */
    expect_plain(0xCCA8, 0x0303, 20, TRUE, 4, 4);
    expect_plain(0x1301, 0x0304, 21, TRUE, 0, 4);            /* TLS 1.3: at most 4 */
    expect_plain(0x1305, 0x0304, 13, TRUE, 0, 4);
    expect_plain(0x0005, 0x0301, 24, TRUE, 4, 4);            /* RC4-SHA */
    /* AES-CBC-SHA, TLS 1.2: a ping is 16 IV + (4 + 20 MAC + 8 padding) = 48 */
    expect_plain(0x002F, 0x0303, 48, TRUE, 0, 11);
    /* a 400-byte message: 16 + 400 + 20 + 12 = 448 */
    expect_plain(0x002F, 0x0303, 448, TRUE, 448 - 36 - 256, 448 - 36 - 1);
    expect_plain(0x002F, 0x0303, 50, FALSE, 0, 0);           /* not whole blocks */
    expect_plain(0x002F, 0x0303, 32, FALSE, 0, 0);           /* no room for MAC and padding */
    expect_plain(0x002F, 0x0301, 32, TRUE, 0, 11);           /* TLS 1.0: no IV */
}

static void
test_guess(void)
{
    /* signalling (role 1): keep-alives exactly, SIP from 100 bytes on */
    g_assert_cmpint(tume_enc_guess(4, 4, FALSE, 1, 1), ==, TUME_ENC_GUESS_PING);
    g_assert_cmpint(tume_enc_guess(2, 2, FALSE, 1, 0), ==, TUME_ENC_GUESS_PONG);
    g_assert_cmpint(tume_enc_guess(0, 4, TRUE, 1, 1), ==, TUME_ENC_GUESS_PING);   /* TLS 1.3 at most 4 */
    g_assert_cmpint(tume_enc_guess(0, 4, FALSE, 1, 1), ==, TUME_ENC_GUESS_UNKNOWN); /* a CBC range */
    g_assert_cmpint(tume_enc_guess(350, 350, FALSE, 1, 1), ==, TUME_ENC_GUESS_SIP);
    g_assert_cmpint(tume_enc_guess(100, 100, FALSE, 1, 0), ==, TUME_ENC_GUESS_SIP);
    g_assert_cmpint(tume_enc_guess(99, 99, FALSE, 1, 0), ==, TUME_ENC_GUESS_UNKNOWN);
    g_assert_cmpint(tume_enc_guess(156, 411, FALSE, 1, 1), ==, TUME_ENC_GUESS_SIP);   /* a CBC range, all SIP */
    g_assert_cmpint(tume_enc_guess(0, 411, FALSE, 1, 1), ==, TUME_ENC_GUESS_UNKNOWN); /* covers both */
    g_assert_cmpint(tume_enc_guess(4, 4, FALSE, 2, 1), ==, TUME_ENC_GUESS_API_REQUEST); /* no keep-alives there */
    /* provisioning (role 2): by direction */
    g_assert_cmpint(tume_enc_guess(250, 250, FALSE, 2, 1), ==, TUME_ENC_GUESS_API_REQUEST);
    g_assert_cmpint(tume_enc_guess(250, 250, FALSE, 2, 0), ==, TUME_ENC_GUESS_API_RESPONSE);
    g_assert_cmpint(tume_enc_guess(250, 250, FALSE, 2, -1), ==, TUME_ENC_GUESS_UNKNOWN);
    g_assert_cmpint(tume_enc_guess(0, 0, FALSE, 2, 1), ==, TUME_ENC_GUESS_UNKNOWN);
    /* unknown role, or an impossible range */
    g_assert_cmpint(tume_enc_guess(4, 4, FALSE, 0, 1), ==, TUME_ENC_GUESS_UNKNOWN);
    g_assert_cmpint(tume_enc_guess(5, 4, FALSE, 1, 1), ==, TUME_ENC_GUESS_UNKNOWN);
    g_assert_cmpstr(tume_enc_guess_name(TUME_ENC_GUESS_PING), ==, "keepalive-ping");
    g_assert_cmpstr(tume_enc_guess_name(TUME_ENC_GUESS_PONG), ==, "keepalive-pong");
    g_assert_cmpstr(tume_enc_guess_name(TUME_ENC_GUESS_SIP), ==, "sip-message");
    g_assert_cmpstr(tume_enc_guess_name(TUME_ENC_GUESS_API_REQUEST), ==, "api-request");
    g_assert_cmpstr(tume_enc_guess_name(TUME_ENC_GUESS_API_RESPONSE), ==, "api-response");
    g_assert_cmpstr(tume_enc_guess_name(TUME_ENC_GUESS_UNKNOWN), ==, "unknown");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/enc/suites", test_suites);
    g_test_add_func("/enc/plaintext", test_plaintext);
    g_test_add_func("/enc/guess", test_guess);
    return g_test_run();
}
