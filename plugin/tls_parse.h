/* tls_parse.h - the few TLS handshake facts TU Me needs, read from record
 * and handshake headers: the ClientHello's server_name, the ServerHello's
 * cipher suite and version, the first certificate of a Certificate
 * message.  Nothing is decrypted or verified here: Wireshark's TLS
 * dissector does all real TLS work; these walkers only look at the bytes
 * it is about to be given (or has decrypted), to learn those facts without
 * a protocol tree.
 *
 * Pure: byte buffers in, spans out; every length is checked against the
 * buffer and every loop is bounded by it.  Unit-tested in
 * tests/test_tls_parse.c, fuzzed by tests/fuzz_pure.c.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_TLS_PARSE_H
#define TUME_TLS_PARSE_H

#include <glib.h>

#define TUME_TLS_CT_CHANGE_CIPHER_SPEC 20
#define TUME_TLS_CT_ALERT              21
#define TUME_TLS_CT_HANDSHAKE          22
#define TUME_TLS_CT_APPLICATION_DATA   23

#define TUME_TLS_HS_CLIENT_HELLO 1
#define TUME_TLS_HS_SERVER_HELLO 2
#define TUME_TLS_HS_ENCRYPTED_EXTENSIONS 8
#define TUME_TLS_HS_CERTIFICATE  11

#define TUME_TLS_VERSION_1_3 0x0304

/* Longest TLS record body (2^14 + 2048 for TLS 1.2 ciphertext expansion). */
#define TUME_TLS_RECORD_MAX (16384 + 2048)

typedef struct {
    gsize off;
    gsize len;
} tume_tls_span_t;

typedef enum {
    TUME_TLS_RECORD_OK = 0,     /* a complete record: *type, *version, *body */
    TUME_TLS_RECORD_PARTIAL,    /* a plausible header, the body not all here */
    TUME_TLS_RECORD_NOT_TLS     /* not a TLS record header */
} tume_tls_record_t;

/* The record at the start of buf.  *rec_len receives the whole record's
 * length (header + body) for OK and PARTIAL. */
tume_tls_record_t tume_tls_record(const guint8 *buf, gsize len, guint8 *type, guint16 *version,
                                  tume_tls_span_t *body, gsize *rec_len);

/* The complete handshake message at the start of buf (a record body, or
 * decrypted handshake data): FALSE if buf holds no whole message. */
gboolean tume_tls_handshake(const guint8 *buf, gsize len, guint8 *type, tume_tls_span_t *body,
                            gsize *msg_len);

/* ClientHello body: the host_name of its server_name extension. */
gboolean tume_tls_client_hello_sni(const guint8 *buf, gsize len, tume_tls_span_t *sni);

/* ServerHello body: the cipher suite, and the version (from the
 * supported_versions extension when present, TLS 1.3; else legacy_version). */
gboolean tume_tls_server_hello(const guint8 *buf, gsize len, guint16 *cipher_suite, guint16 *version);

/* Certificate body: the first certificate's DER (TLS 1.3 has a request
 * context before the list).  FALSE if it is not all in buf. */
gboolean tume_tls_certificate_first(const guint8 *buf, gsize len, gboolean tls13, tume_tls_span_t *der);

/* The protocol the server chose by ALPN (RFC 7301): in a ServerHello body
 * (TLS 1.2; server_hello TRUE) or an EncryptedExtensions body (TLS 1.3).
 * FALSE if there is none. */
gboolean tume_tls_alpn(const guint8 *buf, gsize len, gboolean server_hello, tume_tls_span_t *proto);

/* Longest handshake message: its length field has 3 bytes. */
#define TUME_TLS_HS_MAX (4 + 0xFFFFFF)

/* One direction's handshake messages, gathered across records: a message
 * may span records (a ClientHello sent in 1-byte records, a Certificate
 * over 16 KB), and a record may hold several messages or their parts.
 * Only a message's bytes that have arrived are held (never its declared
 * length ahead of them), and never more than max. */
typedef struct {
    GByteArray *pending;     /* the start of a message not yet complete; NULL: none */
    gboolean    lost;        /* a message over max: the rest of the stream is not read */
} tume_tls_hs_stream_t;

typedef void (*tume_tls_hs_fn)(guint8 type, const guint8 *body, gsize len, void *user);

/* Feeds the next handshake bytes of the stream (a record body, or
 * decrypted handshake data): calls fn for every message they complete, in
 * order, and keeps the start of an incomplete one.  FALSE once the stream
 * is lost (a message declared longer than max). */
gboolean tume_tls_hs_feed(tume_tls_hs_stream_t *s, const guint8 *p, gsize len, gsize max,
                          tume_tls_hs_fn fn, void *user);

/* Bytes held for an incomplete message. */
gsize tume_tls_hs_pending(const tume_tls_hs_stream_t *s);

/* Frees what the stream holds (it can be fed again, afresh). */
void tume_tls_hs_clear(tume_tls_hs_stream_t *s);

#endif /* TUME_TLS_PARSE_H */
