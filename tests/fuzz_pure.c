/* libFuzzer harness for the pure parsers (SIP framing and headers, URI host,
 * JSON facts and message typing, certificate facts, domain matching).
 * Build: cmake -DTUME_FUZZ=ON -DCMAKE_C_COMPILER=clang ..; run:
 *     ./tests/fuzz_pure -max_total_time=60 corpus/
 * The first input byte selects the parser.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "sip_parse.h"
#include "api_parse.h"
#include "cert_parse.h"
#include "domain_match.h"
#include "tls_parse.h"
#include "enc_size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_hs_message(guint8 type, const guint8 *body, gsize len, void *user G_GNUC_UNUSED)
{
    tume_tls_span_t sp;
    guint16 suite, version;
    (void)tume_tls_client_hello_sni(body, len, &sp);
    (void)tume_tls_server_hello(body, len, &suite, &version);
    (void)tume_tls_certificate_first(body, len, type & 1, &sp);
    (void)tume_tls_alpn(body, len, type & 1, &sp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const guint8 *p = data + 1;
    gsize n = size - 1;
    switch (data[0] % 6) {
    case 0: {
        gsize len;
        const char *why;
        tume_sip_msg_t m;
        (void)tume_sip_classify_start(p, n);
        if (tume_sip_frame(p, n, &len, &why) == TUME_SIP_FRAME_MESSAGE && tume_sip_parse_message(p, len, &m)) {
            tume_span_t host, user;
            if (m.from.len) {
                (void)tume_sip_uri_host(p + m.from.off, m.from.len, &host);
                (void)tume_sip_uri_user(p + m.from.off, m.from.len, &user);
            }
        }
        break;
    }
    case 1: {
        tume_json_info_t info;
        tume_json_inspect(p, n, &info);
        (void)tume_api_classify(tume_api_builtin_rules, tume_api_builtin_rule_count, FALSE, "POST",
                                "/tume/v1/register", info.keys, NULL);
        tume_json_info_clear(&info);
        break;
    }
    case 2:
        tume_cert_free(tume_cert_parse(p, n, NULL));
        break;
    case 3: {
        gchar *s = g_strndup((const gchar *)p, n);
        gchar *path = tume_uri_path(s);
        tume_strlist_t *l = tume_domain_list_new(s);
        (void)tume_domain_matches(l, p, n);
        (void)tume_authorization_sensitive(s);
        g_free(tume_bearer_token(s));
        if (n >= 6) {
            /* record sizes: any suite, version and length */
            tume_enc_suite_t es;
            guint32 lo, hi;
            guint16 suite = (guint16)(p[0] << 8 | p[1]), ver = (guint16)(p[2] << 8 | p[3]);
            if (tume_enc_suite(suite, ver, &es) && tume_enc_plaintext(&es, (guint32)(p[4] << 8 | p[5]), &lo, &hi)) {
                g_assert(lo <= hi);
                (void)tume_enc_guess_name(tume_enc_guess(lo, hi, es.tls13, p[0] % 3, (int)(p[1] % 3) - 1));
            }
        }
        (void)tume_cert_name_covers(s, "sip.tume.jajah.com");
        {
            /* HTTP CONNECT request lines; interception-CA lists and issuers */
            gsize aoff, alen, hlen;
            guint32 port;
            if (tume_http_connect_request(p, n, &aoff, &alen, &hlen, &port))
                g_assert(aoff + alen <= n && hlen < alen && port >= 1 && port <= 65535);
            tume_strlist_t *il = tume_interceptor_list_new(s);
            (void)tume_interceptor_match(il, s);
            tume_strlist_free(il);
        }
        {
            /* HTTP/1.x messages one after the other, as the API reader walks them */
            gsize off = 0;
            for (guint i = 0; i < 64 && off < n; i++) {
                tume_http_msg_t hm;
                off += tume_http_skip_empty_lines(p + off, n - off);
                if (off >= n || !tume_http_message(p + off, n - off, (i & 1) != 0, &hm))
                    break;
                g_assert(hm.line_len < hm.head_len && hm.head_len <= hm.msg_len && hm.msg_len <= n - off);
                g_assert(hm.host == NULL || (hm.host >= p + off && hm.host + hm.host_len <= p + off + hm.head_len));
                g_assert(hm.uri == NULL || hm.uri + hm.uri_len <= p + off + hm.line_len);
                off += hm.msg_len;
            }
        }
        tume_strlist_free(l);
        g_free(path);
        g_free(s);
        break;
    }
    case 5: {
        /* TLS records and the handshake facts in them */
        gsize off = 0;
        tume_tls_hs_stream_t hs = { NULL, FALSE };
        for (guint i = 0; i < 64 && off < n; i++) {
            guint8 type;
            guint16 version, suite;
            tume_tls_span_t body, sp;
            gsize rl, ml;
            if (tume_tls_record(p + off, n - off, &type, &version, &body, &rl) != TUME_TLS_RECORD_OK)
                break;
            const guint8 *b = p + off + body.off;
            gsize bl = body.len, hoff = 0;
            while (hoff < bl && tume_tls_handshake(b + hoff, bl - hoff, &type, &sp, &ml)) {
                (void)tume_tls_client_hello_sni(b + hoff + sp.off, sp.len, &sp);
                (void)tume_tls_server_hello(b + hoff + 4, ml - 4, &suite, &version);
                (void)tume_tls_certificate_first(b + hoff + 4, ml - 4, type & 1, &sp);
                hoff += ml;
            }
            /* the same bodies as one handshake stream, across records */
            (void)tume_tls_hs_feed(&hs, b, bl, 1 << 16, fuzz_hs_message, NULL);
            off += rl;
        }
        tume_tls_hs_clear(&hs);
        break;
    }
    default: {
        tume_span_t host, user;
        tume_strlist_t *ua = tume_product_list_new("TU Me, TUMe");
        (void)tume_sip_uri_host(p, n, &host);
        if (tume_sip_uri_user(p, n, &user))
            g_assert(user.len > 0 && user.off + user.len <= n);
        (void)tume_user_agent_matches(ua, p, n);
        tume_strlist_free(ua);
        break;
    }
    }
    return 0;
}
