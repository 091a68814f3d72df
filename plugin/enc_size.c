/* enc_size.c - plaintext sizes of encrypted TLS records, from the cipher
 * suite (IANA TLS Cipher Suites registry; RFC 5246 6.2.3, RFC 5288, RFC
 * 6655, RFC 7905, RFC 8446 5.2).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "enc_size.h"

/* AEAD suites of TLS 1.2: an 8-byte explicit nonce and a 16-byte tag
 * (GCM, CCM; CCM_8: an 8-byte tag), ChaCha20-Poly1305 a tag only. */
typedef struct {
    guint16 lo, hi;          /* an inclusive range of suite numbers */
    guint8  overhead;
} aead_range_t;

static const aead_range_t aead12[] = {
    { 0x009C, 0x00AD, 24 },  /* RSA, DH(E), PSK ... AES-GCM */
    { 0xC02B, 0xC032, 24 },  /* ECDH(E) AES-GCM */
    { 0xC050, 0xC05F, 24 },  /* ARIA-GCM */
    { 0xC06A, 0xC06F, 24 },  /* PSK ARIA-GCM */
    { 0xC07A, 0xC093, 24 },  /* Camellia-GCM */
    { 0xC09C, 0xC09F, 24 },  /* AES-CCM */
    { 0xC0A0, 0xC0A3, 16 },  /* AES-CCM_8 */
    { 0xC0A4, 0xC0A7, 24 },  /* PSK AES-CCM */
    { 0xC0A8, 0xC0AB, 16 },  /* PSK AES-CCM_8 */
    { 0xC0AC, 0xC0AD, 24 },  /* ECDHE-ECDSA AES-CCM */
    { 0xC0AE, 0xC0AF, 16 },  /* ECDHE-ECDSA AES-CCM_8 */
    { 0xCCA8, 0xCCAE, 16 },  /* ChaCha20-Poly1305 (RFC 7905): no explicit nonce */
    { 0xD001, 0xD002, 24 },  /* ECDHE-PSK AES-GCM */
    { 0xD003, 0xD003, 16 },  /* ECDHE-PSK AES-CCM_8 */
    { 0xD005, 0xD005, 24 },  /* ECDHE-PSK AES-CCM */
};

/* Block and stream suites with an HMAC. */
typedef struct {
    guint16 suite;
    guint8  block;           /* 0: a stream cipher or NULL encryption */
    guint8  mac;
} mac_suite_t;

static const mac_suite_t mac_suites[] = {
    /* NULL encryption */
    { 0x0001, 0, 16 }, { 0x0002, 0, 20 }, { 0x003B, 0, 32 }, { 0xC006, 0, 20 }, { 0xC010, 0, 20 },
    { 0x002C, 0, 20 }, { 0x002D, 0, 20 }, { 0x002E, 0, 20 }, { 0x00B0, 0, 32 }, { 0x00B1, 0, 48 },
    /* RC4 */
    { 0x0004, 0, 16 }, { 0x0005, 0, 20 }, { 0x0018, 0, 16 }, { 0xC002, 0, 20 }, { 0xC007, 0, 20 },
    { 0xC00C, 0, 20 }, { 0xC011, 0, 20 }, { 0x008A, 0, 20 }, { 0x008E, 0, 20 }, { 0x0092, 0, 20 },
    /* 3DES-EDE-CBC-SHA */
    { 0x000A, 8, 20 }, { 0x0013, 8, 20 }, { 0x0016, 8, 20 }, { 0xC003, 8, 20 }, { 0xC008, 8, 20 },
    { 0xC00D, 8, 20 }, { 0xC012, 8, 20 }, { 0xC017, 8, 20 }, { 0x008B, 8, 20 }, { 0x008F, 8, 20 },
    { 0x0093, 8, 20 }, { 0xC034, 8, 20 },
    /* AES-CBC-SHA */
    { 0x002F, 16, 20 }, { 0x0030, 16, 20 }, { 0x0031, 16, 20 }, { 0x0032, 16, 20 }, { 0x0033, 16, 20 },
    { 0x0034, 16, 20 }, { 0x0035, 16, 20 }, { 0x0036, 16, 20 }, { 0x0037, 16, 20 }, { 0x0038, 16, 20 },
    { 0x0039, 16, 20 }, { 0x003A, 16, 20 }, { 0xC004, 16, 20 }, { 0xC005, 16, 20 }, { 0xC009, 16, 20 },
    { 0xC00A, 16, 20 }, { 0xC00E, 16, 20 }, { 0xC00F, 16, 20 }, { 0xC013, 16, 20 }, { 0xC014, 16, 20 },
    { 0xC018, 16, 20 }, { 0xC019, 16, 20 }, { 0x008C, 16, 20 }, { 0x008D, 16, 20 }, { 0x0090, 16, 20 },
    { 0x0091, 16, 20 }, { 0x0094, 16, 20 }, { 0x0095, 16, 20 }, { 0xC035, 16, 20 }, { 0xC036, 16, 20 },
    /* AES-CBC-SHA256 */
    { 0x003C, 16, 32 }, { 0x003D, 16, 32 }, { 0x003E, 16, 32 }, { 0x003F, 16, 32 }, { 0x0040, 16, 32 },
    { 0x0067, 16, 32 }, { 0x0068, 16, 32 }, { 0x0069, 16, 32 }, { 0x006A, 16, 32 }, { 0x006B, 16, 32 },
    { 0x006C, 16, 32 }, { 0x006D, 16, 32 }, { 0xC023, 16, 32 }, { 0xC025, 16, 32 }, { 0xC027, 16, 32 },
    { 0xC029, 16, 32 }, { 0x00AE, 16, 32 }, { 0x00B2, 16, 32 }, { 0x00B6, 16, 32 }, { 0xC037, 16, 32 },
    /* AES-CBC-SHA384 */
    { 0xC024, 16, 48 }, { 0xC026, 16, 48 }, { 0xC028, 16, 48 }, { 0xC02A, 16, 48 }, { 0x00AF, 16, 48 },
    { 0x00B3, 16, 48 }, { 0x00B7, 16, 48 }, { 0xC038, 16, 48 },
    /* Camellia-CBC-SHA */
    { 0x0041, 16, 20 }, { 0x0042, 16, 20 }, { 0x0043, 16, 20 }, { 0x0044, 16, 20 }, { 0x0045, 16, 20 },
    { 0x0046, 16, 20 }, { 0x0084, 16, 20 }, { 0x0085, 16, 20 }, { 0x0086, 16, 20 }, { 0x0087, 16, 20 },
    { 0x0088, 16, 20 }, { 0x0089, 16, 20 },
};

gboolean
tume_enc_suite(guint16 cipher_suite, guint16 version, tume_enc_suite_t *out)
{
    out->kind = TUME_ENC_UNKNOWN;
    out->overhead = 0;
    out->block = 0;
    out->tls13 = FALSE;

    if (version >= 0x0304 || (cipher_suite >= 0x1301 && cipher_suite <= 0x1305)) {
        /* TLS 1.3: the tag, and the inner content type byte (RFC 8446 5.2) */
        guint tag;
        switch (cipher_suite) {
        case 0x1301: case 0x1302: case 0x1303: case 0x1304: tag = 16; break;
        case 0x1305: tag = 8; break;                   /* AES-128-CCM-8 */
        default: return FALSE;
        }
        out->kind = TUME_ENC_AEAD;
        out->overhead = tag + 1;
        out->tls13 = TRUE;
        return TRUE;
    }
    for (guint i = 0; i < G_N_ELEMENTS(aead12); i++) {
        if (cipher_suite >= aead12[i].lo && cipher_suite <= aead12[i].hi) {
            out->kind = TUME_ENC_AEAD;
            out->overhead = aead12[i].overhead;
            return TRUE;
        }
    }
    for (guint i = 0; i < G_N_ELEMENTS(mac_suites); i++) {
        if (mac_suites[i].suite != cipher_suite)
            continue;
        if (mac_suites[i].block == 0) {
            out->kind = TUME_ENC_STREAM;
            out->overhead = mac_suites[i].mac;
        } else {
            out->kind = TUME_ENC_CBC;
            out->block = mac_suites[i].block;
            /* TLS 1.1 and later send an explicit IV of one block */
            out->overhead = mac_suites[i].mac + (version >= 0x0302 ? mac_suites[i].block : 0);
        }
        return TRUE;
    }
    return FALSE;
}

gboolean
tume_enc_plaintext(const tume_enc_suite_t *s, guint32 record_len, guint32 *min, guint32 *max)
{
    *min = *max = 0;
    switch (s->kind) {
    case TUME_ENC_AEAD:
    case TUME_ENC_STREAM:
        if (record_len < s->overhead)
            return FALSE;
        *max = record_len - s->overhead;
        *min = s->tls13 ? 0 : *max;       /* TLS 1.3: padding may hide bytes */
        return TRUE;
    case TUME_ENC_CBC: {
        /* the encrypted part (all but an explicit IV) is whole blocks and
         * holds plaintext, MAC, and 1..256 bytes of padding */
        if (s->block == 0 || record_len < s->overhead + 1 || record_len % s->block != 0)
            return FALSE;
        guint32 room = record_len - s->overhead;     /* plaintext + padding */
        *max = room - 1;
        *min = room > 256 ? room - 256 : 0;
        return TRUE;
    }
    default:
        return FALSE;
    }
}

tume_enc_guess_t
tume_enc_guess(guint32 min, guint32 max, gboolean at_most, int role, int to_server)
{
    if (min > max)
        return TUME_ENC_GUESS_UNKNOWN;
    /* TLS 1.3 "at most": padding is allowed but practically unused, so
     * the unpadded length is taken as the length */
    if (at_most)
        min = max;
    if (role == 1) {
        if (min == max && max == 4)
            return TUME_ENC_GUESS_PING;
        if (min == max && max == 2)
            return TUME_ENC_GUESS_PONG;
        if (min >= TUME_ENC_SIP_MIN)
            return TUME_ENC_GUESS_SIP;
        return TUME_ENC_GUESS_UNKNOWN;
    }
    if (role == 2 && min > 0 && to_server >= 0)
        return to_server ? TUME_ENC_GUESS_API_REQUEST : TUME_ENC_GUESS_API_RESPONSE;
    return TUME_ENC_GUESS_UNKNOWN;
}

const char *
tume_enc_guess_name(tume_enc_guess_t g)
{
    switch (g) {
    case TUME_ENC_GUESS_PING:         return "keepalive-ping";
    case TUME_ENC_GUESS_PONG:         return "keepalive-pong";
    case TUME_ENC_GUESS_SIP:          return "sip-message";
    case TUME_ENC_GUESS_API_REQUEST:  return "api-request";
    case TUME_ENC_GUESS_API_RESPONSE: return "api-response";
    default:                          return "unknown";
    }
}
