/* tls_parse.c - TLS record and handshake headers, for TU Me's facts only.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tls_parse.h"

static guint
be16(const guint8 *p)
{
    return ((guint)p[0] << 8) | p[1];
}

static guint32
be24(const guint8 *p)
{
    return ((guint32)p[0] << 16) | ((guint32)p[1] << 8) | p[2];
}

tume_tls_record_t
tume_tls_record(const guint8 *buf, gsize len, guint8 *type, guint16 *version, tume_tls_span_t *body,
                gsize *rec_len)
{
    if (buf == NULL || len < 1)
        return TUME_TLS_RECORD_PARTIAL;
    if (buf[0] < TUME_TLS_CT_CHANGE_CIPHER_SPEC || buf[0] > 24)   /* 20..24 (24: heartbeat) */
        return TUME_TLS_RECORD_NOT_TLS;
    if (len >= 2 && buf[1] != 3)                                  /* SSLv3/TLS major version */
        return TUME_TLS_RECORD_NOT_TLS;
    if (len < 5)
        return TUME_TLS_RECORD_PARTIAL;
    guint rlen = be16(buf + 3);
    if (rlen > TUME_TLS_RECORD_MAX)
        return TUME_TLS_RECORD_NOT_TLS;
    *type = buf[0];
    *version = (guint16)be16(buf + 1);
    body->off = 5;
    body->len = rlen;
    *rec_len = 5 + (gsize)rlen;
    return len >= *rec_len ? TUME_TLS_RECORD_OK : TUME_TLS_RECORD_PARTIAL;
}

gboolean
tume_tls_handshake(const guint8 *buf, gsize len, guint8 *type, tume_tls_span_t *body, gsize *msg_len)
{
    if (buf == NULL || len < 4)
        return FALSE;
    guint32 mlen = be24(buf + 1);
    if ((gsize)mlen > len - 4)
        return FALSE;
    *type = buf[0];
    body->off = 4;
    body->len = mlen;
    *msg_len = 4 + (gsize)mlen;
    return TRUE;
}

/* Skips a vector with a length prefix of n bytes at *pos; FALSE if it does
 * not fit in len. */
static gboolean
skip_vector(const guint8 *buf, gsize len, gsize *pos, guint n)
{
    if (*pos + n > len)
        return FALSE;
    gsize vlen = n == 1 ? buf[*pos] : n == 2 ? be16(buf + *pos) : be24(buf + *pos);
    if (vlen > len - *pos - n)
        return FALSE;
    *pos += n + vlen;
    return TRUE;
}

gboolean
tume_tls_client_hello_sni(const guint8 *buf, gsize len, tume_tls_span_t *sni)
{
    gsize pos = 2 + 32;                          /* legacy_version, random */
    if (buf == NULL || len < pos)
        return FALSE;
    if (!skip_vector(buf, len, &pos, 1)          /* legacy_session_id */
        || !skip_vector(buf, len, &pos, 2)       /* cipher_suites */
        || !skip_vector(buf, len, &pos, 1))      /* legacy_compression_methods */
        return FALSE;
    if (pos + 2 > len)
        return FALSE;
    gsize end = pos + 2 + be16(buf + pos);
    if (end > len)
        return FALSE;
    pos += 2;
    while (pos + 4 <= end) {                     /* extensions */
        guint etype = be16(buf + pos), elen = be16(buf + pos + 2);
        pos += 4;
        if (pos + elen > end)
            return FALSE;
        if (etype == 0) {                        /* server_name */
            gsize p = pos, e = pos + elen;
            if (p + 2 > e)
                return FALSE;
            gsize lend = p + 2 + be16(buf + p);
            if (lend > e)
                return FALSE;
            p += 2;
            while (p + 3 <= lend) {              /* ServerName list */
                guint8 ntype = buf[p];
                gsize nlen = be16(buf + p + 1);
                p += 3;
                if (p + nlen > lend)
                    return FALSE;
                if (ntype == 0 && nlen > 0) {    /* host_name */
                    sni->off = p;
                    sni->len = nlen;
                    return TRUE;
                }
                p += nlen;
            }
            return FALSE;
        }
        pos += elen;
    }
    return FALSE;
}

/* The extension of this type in the extensions block whose 2-byte length
 * is at pos: its body in *ext.  FALSE if absent, or the block is cut. */
static gboolean
find_extension(const guint8 *buf, gsize len, gsize pos, guint type, tume_tls_span_t *ext)
{
    if (pos + 2 > len)
        return FALSE;
    gsize end = pos + 2 + be16(buf + pos);
    if (end > len)
        return FALSE;
    pos += 2;
    while (pos + 4 <= end) {                                 /* bounded: >= 4 bytes a round */
        guint etype = be16(buf + pos), elen = be16(buf + pos + 2);
        pos += 4;
        if (pos + elen > end)
            return FALSE;
        if (etype == type) {
            ext->off = pos;
            ext->len = elen;
            return TRUE;
        }
        pos += elen;
    }
    return FALSE;
}

/* Where a ServerHello body's extensions block starts (its length). */
static gboolean
server_hello_extensions(const guint8 *buf, gsize len, gsize *pos)
{
    *pos = 2 + 32;                                           /* legacy_version, random */
    if (buf == NULL || len < *pos || !skip_vector(buf, len, pos, 1) || *pos + 3 > len)
        return FALSE;                                        /* legacy_session_id_echo */
    *pos += 3;                                               /* cipher_suite, compression */
    return TRUE;
}

gboolean
tume_tls_server_hello(const guint8 *buf, gsize len, guint16 *cipher_suite, guint16 *version)
{
    gsize pos;
    tume_tls_span_t ext;
    if (!server_hello_extensions(buf, len, &pos))
        return FALSE;
    *version = (guint16)be16(buf);
    *cipher_suite = (guint16)be16(buf + pos - 3);
    if (find_extension(buf, len, pos, 43, &ext) && ext.len == 2)    /* supported_versions */
        *version = (guint16)be16(buf + ext.off);
    return TRUE;
}

gboolean
tume_tls_certificate_first(const guint8 *buf, gsize len, gboolean tls13, tume_tls_span_t *der)
{
    gsize pos = 0;
    if (buf == NULL)
        return FALSE;
    if (tls13 && !skip_vector(buf, len, &pos, 1))            /* certificate_request_context */
        return FALSE;
    if (pos + 3 > len)
        return FALSE;
    gsize list_end = pos + 3 + be24(buf + pos);
    pos += 3;
    if (pos + 3 > list_end || pos + 3 > len)
        return FALSE;
    gsize clen = be24(buf + pos);
    pos += 3;
    if (clen == 0 || pos + clen > len || pos + clen > list_end)
        return FALSE;
    der->off = pos;
    der->len = clen;
    return TRUE;
}

/* ---- handshake messages across records ---- */

gsize
tume_tls_hs_pending(const tume_tls_hs_stream_t *s)
{
    return s->pending != NULL ? s->pending->len : 0;
}

void
tume_tls_hs_clear(tume_tls_hs_stream_t *s)
{
    if (s->pending != NULL)
        g_byte_array_free(s->pending, TRUE);
    s->pending = NULL;
    s->lost = FALSE;
}

static gboolean
hs_lose(tume_tls_hs_stream_t *s)
{
    if (s->pending != NULL)
        g_byte_array_free(s->pending, TRUE);
    s->pending = NULL;
    s->lost = TRUE;
    return FALSE;
}

static void
hs_hold(tume_tls_hs_stream_t *s, const guint8 *p, gsize len)
{
    if (s->pending == NULL)
        s->pending = g_byte_array_sized_new((guint)MIN(len, (gsize)4096));
    g_byte_array_append(s->pending, p, (guint)len);
}

gboolean
tume_tls_hs_feed(tume_tls_hs_stream_t *s, const guint8 *p, gsize len, gsize max, tume_tls_hs_fn fn,
                 void *user)
{
    guint8 type;
    tume_tls_span_t body;
    gsize ml;

    if (s->lost)
        return FALSE;
    if (p == NULL)
        return TRUE;
    max = MIN(max, (gsize)TUME_TLS_HS_MAX);
    /* first the message begun in earlier records: copy only its own bytes
     * (each round takes at least one byte, or returns) */
    while (tume_tls_hs_pending(s) > 0 && len > 0) {
        gsize have = s->pending->len, take;
        if (have < 4) {
            take = MIN(4 - have, len);
        } else {
            gsize need = 4 + (gsize)be24(s->pending->data + 1);
            if (need > max)
                return hs_lose(s);
            take = MIN(need - have, len);
        }
        hs_hold(s, p, take);
        p += take;
        len -= take;
        if (s->pending->len >= 4) {
            gsize need = 4 + (gsize)be24(s->pending->data + 1);
            if (need > max)
                return hs_lose(s);
            if (s->pending->len == need) {
                fn(s->pending->data[0], s->pending->data + 4, need - 4, user);
                g_byte_array_set_size(s->pending, 0);
            }
        }
    }
    if (len == 0)
        return TRUE;
    /* then whole messages straight from the data; bounded: each moves on
     * by at least its 4-byte header */
    while (tume_tls_handshake(p, len, &type, &body, &ml)) {
        fn(type, p + body.off, body.len, user);
        p += ml;
        len -= ml;
    }
    if (len == 0)
        return TRUE;
    /* the start of a message the next records complete */
    if (len >= 4 && 4 + (gsize)be24(p + 1) > max)
        return hs_lose(s);
    hs_hold(s, p, len);
    return TRUE;
}

gboolean
tume_tls_alpn(const guint8 *buf, gsize len, gboolean server_hello, tume_tls_span_t *proto)
{
    gsize pos = 0;
    tume_tls_span_t ext;
    if (buf == NULL || (server_hello && !server_hello_extensions(buf, len, &pos)))
        return FALSE;
    if (!find_extension(buf, len, pos, 16, &ext))            /* application_layer_protocol_negotiation */
        return FALSE;
    /* the server's list holds exactly one name, not empty */
    const guint8 *e = buf + ext.off;
    if (ext.len < 4 || (gsize)be16(e) != ext.len - 2 || e[2] != ext.len - 3)
        return FALSE;
    proto->off = ext.off + 3;
    proto->len = ext.len - 3;
    return TRUE;
}
