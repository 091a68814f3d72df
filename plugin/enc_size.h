/* enc_size.h - what the size of an encrypted TLS application-data record
 * says about its plaintext, without keys (issue 11): the length the cipher
 * suite adds, the plaintext length or range that follows, and the class of
 * TU Me message a plaintext of that size can be.
 *
 * Pure: numbers in, numbers and static strings out.  Unit-tested in
 * tests/test_enc_size.c.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_ENC_SIZE_H
#define TUME_ENC_SIZE_H

#include <glib.h>

typedef enum {
    TUME_ENC_UNKNOWN = 0,   /* a suite this table does not know: no estimate */
    TUME_ENC_AEAD,          /* TLS 1.2 AES/ARIA/Camellia-GCM, AES-CCM, ChaCha20-Poly1305; TLS 1.3 */
    TUME_ENC_CBC,           /* block cipher with HMAC and padding: a range */
    TUME_ENC_STREAM         /* RC4 or NULL encryption with HMAC: exact */
} tume_enc_kind_t;

typedef struct {
    tume_enc_kind_t kind;
    guint  overhead;        /* AEAD: explicit nonce + tag (+ 1 content type byte in TLS 1.3);
                             * STREAM: the MAC; CBC: explicit IV + MAC */
    guint  block;           /* CBC: the cipher's block size */
    gboolean tls13;         /* TLS 1.3: the plaintext may be padded (rarely is) */
} tume_enc_suite_t;

/* What a record of this suite adds to its plaintext.  version: the
 * negotiated version (0x0301 TLS 1.0 .. 0x0304 TLS 1.3; TLS 1.0 CBC has no
 * explicit IV).  FALSE (kind UNKNOWN) for a suite not in the table. */
gboolean tume_enc_suite(guint16 cipher_suite, guint16 version, tume_enc_suite_t *out);

/* The plaintext length of a record whose body (after the 5-byte header)
 * is record_len bytes: *min == *max when exact (AEAD without padding, a
 * stream cipher); a range for CBC (the padding is 1 to 256 bytes and the
 * padded length is a multiple of the block).  For TLS 1.3 *max is the
 * length without padding and *min is 0 (padding is allowed but rarely
 * used; callers say "at most").  FALSE when the record is too short for
 * the suite (not a valid record of it) or the suite is unknown. */
gboolean tume_enc_plaintext(const tume_enc_suite_t *s, guint32 record_len, guint32 *min, guint32 *max);

typedef enum {
    TUME_ENC_GUESS_UNKNOWN = 0,
    TUME_ENC_GUESS_PING,          /* RFC 5626 keep-alive ping: CRLFCRLF, 4 bytes */
    TUME_ENC_GUESS_PONG,          /* its pong: CRLF, 2 bytes */
    TUME_ENC_GUESS_SIP,           /* too long for a keep-alive: a SIP message */
    TUME_ENC_GUESS_API_REQUEST,   /* provisioning flow, towards the server */
    TUME_ENC_GUESS_API_RESPONSE   /* provisioning flow, towards the client */
} tume_enc_guess_t;

/* The shortest SIP message the guess accepts as one (well below any real
 * request or response: a start line and the mandatory headers alone are
 * longer). */
#define TUME_ENC_SIP_MIN 100

/* The class of a plaintext of [min, max] bytes (exact: min == max, or a
 * TLS 1.3 "at most max").  role: 1 signalling, 2 provisioning, 0 unknown;
 * to_server: 1, 0, or -1 unknown.  Keep-alives only on signalling flows and
 * only for an exact (or TLS 1.3 at-most) size; a range that covers two
 * classes is UNKNOWN. */
tume_enc_guess_t tume_enc_guess(guint32 min, guint32 max, gboolean at_most, int role, int to_server);

/* FIELDS-style name of a guess: keepalive-ping, keepalive-pong,
 * sip-message, api-request, api-response, unknown. */
const char *tume_enc_guess_name(tume_enc_guess_t g);

#endif /* TUME_ENC_SIZE_H */
