/* tume-tls.c - who is on the other end: SNI, the server certificate and
 * whether the payload was decrypted, as TU Me flow evidence.
 *
 * A front dissector, set on a TLS conversation's first packet, reads those
 * facts from the handshake records (tls_parse.c) before handing every byte
 * to Wireshark's TLS, and retires once the handshake is over: no protocol
 * tree is needed.  Certificates are parsed by GnuTLS (cert_parse.c) once per
 * distinct DER per capture file: TLS 1.0-1.2 in clear, TLS 1.3 once keys
 * decrypt the handshake.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/to_str.h>
#include <epan/conversation.h>
#include <epan/prefs.h>
#include <wsutil/wmem/wmem_map.h>

#include "tume-tls.h"
#include "compat.h"
#include "cert_parse.h"
#include "tls_parse.h"
#include "enc_size.h"
#include "tume-api.h"

static expert_field ei_tume_cert_info = EI_INIT;
static expert_field ei_tume_cert_unparsable = EI_INIT;
static expert_field ei_tume_cert_expired = EI_INIT;
static expert_field ei_tume_cert_not_yet_valid = EI_INIT;
static expert_field ei_tume_cert_self_signed = EI_INIT;
static expert_field ei_tume_cert_sni_mismatch = EI_INIT;
static expert_field ei_tume_cert_intercepted = EI_INIT;
static expert_field ei_tume_cert_issuer_differs = EI_INIT;
static expert_field ei_tume_not_decrypted = EI_INIT;
static expert_field ei_tume_enc_info = EI_INIT;

static int hf_tume_enc_plaintext_len = -1;
static int hf_tume_enc_plaintext_len_max = -1;
static int hf_tume_enc_guess = -1;
static int hf_tume_enc_ping_in = -1;
static gint ett_tume_enc = -1;

/* TLS's cipher suite names, to tell RSA key exchange */
static int hf_ws_cipher_suite = -1;

/* DER -> parsed certificate, per capture file */
static wmem_map_t *cert_cache;
/* TCP port -> PORT_* (below), per capture file: 65536 entries, made on first use */
static guint8 *port_state;

typedef struct {
    guint         len;
    const guint8 *der;
} der_key_t;

static guint
der_hash(gconstpointer k)
{
    const der_key_t *key = (const der_key_t *)k;
    guint h = 2166136261u;                 /* FNV-1a */
    for (guint i = 0; i < key->len; i++)
        h = (h ^ key->der[i]) * 16777619u;
    return h;
}

static gboolean
der_equal(gconstpointer a, gconstpointer b)
{
    const der_key_t *x = (const der_key_t *)a, *y = (const der_key_t *)b;
    return x->len == y->len && memcmp(x->der, y->der, x->len) == 0;
}

static void
free_gnutls_views(gpointer key _U_, gpointer value, gpointer user_data _U_)
{
    tume_cert_info_t *ci = (tume_cert_info_t *)value;
    tume_cert_free((tume_cert_t *)ci->gnutls_view);
    ci->gnutls_view = NULL;
}

typedef struct tume_hs_streams tume_hs_streams_t;
static void hs_free_all(void);
static gboolean read_tcp_heuristics_first(void);
static gboolean tcp_heur_first;

static void
tume_tls_init(void)
{
    cert_cache = wmem_map_new(wmem_file_scope(), der_hash, der_equal);
    port_state = NULL;
    tcp_heur_first = read_tcp_heuristics_first();
}

static void
tume_tls_cleanup(void)
{
    if (cert_cache != NULL)
        wmem_map_foreach(cert_cache, free_gnutls_views, NULL);
    cert_cache = NULL;       /* the map itself goes with the file scope */
    port_state = NULL;
    hs_free_all();
}

/* Parse (or find) the certificate of these DER bytes. */
static const tume_cert_info_t *
cert_lookup(const guint8 *der, guint len)
{
    der_key_t probe = { len, der };
    tume_cert_info_t *ci;

    if (cert_cache == NULL)
        return NULL;
    ci = (tume_cert_info_t *)wmem_map_lookup(cert_cache, &probe);
    if (ci != NULL)
        return ci;

    der_key_t *key = wmem_new(wmem_file_scope(), der_key_t);
    key->len = len;
    key->der = (const guint8 *)wmem_memdup(wmem_file_scope(), der, len);
    ci = wmem_new0(wmem_file_scope(), tume_cert_info_t);
    tume_cert_t *c = tume_cert_parse(der, len, &ci->error);
    if (c != NULL) {
        ci->parsed = TRUE;
        ci->subject = wmem_strdup(wmem_file_scope(), c->subject);
        ci->issuer = wmem_strdup(wmem_file_scope(), c->issuer);
        ci->subject_cn = c->subject_cn ? wmem_strdup(wmem_file_scope(), c->subject_cn) : NULL;
        ci->san_count = c->san_dns->len;
        ci->san = wmem_alloc0_array(wmem_file_scope(), const gchar *, MAX(ci->san_count, 1));
        for (guint i = 0; i < ci->san_count; i++)
            ci->san[i] = wmem_strdup(wmem_file_scope(), (const gchar *)g_ptr_array_index(c->san_dns, i));
        ci->not_before = c->not_before;
        ci->not_after = c->not_after;
        ci->self_signed = c->self_signed;
        ci->gnutls_view = c;             /* freed by tume_tls_cleanup */
    }
    wmem_map_insert(cert_cache, key, ci);
    return ci;
}

static const char *
role_name(tume_flow_kind_t k)
{
    return k == TUME_FLOW_SIGNALLING ? "signalling" : k == TUME_FLOW_PROVISIONING ? "provisioning" : "TU Me";
}

/* ---- the front: TLS handshake facts without a protocol tree ----
 *
 * On the first packet of a TCP conversation on a port that Wireshark gives
 * to TLS, the post-dissector sets this front as the conversation's
 * dissector (TCP tries conversation dissectors first).  The front reads
 * the ClientHello's server_name, the ServerHello's cipher suite and version
 * and the server's first certificate from the complete TLS records TCP
 * hands it (and, for TLS 1.3, from what TLS decrypted), then calls
 * Wireshark's TLS with the same data, reassembly ability and port, so TLS
 * does exactly what it would have done.  Once the server has sent
 * application data it retires: TCP calls TLS directly from then on.  It
 * steps aside (is never set) when the user changed what the TCP port
 * decodes as, or asked TCP to try heuristics first. */

static dissector_handle_t tume_front_handle;
static dissector_handle_t tls_handle;
static dissector_table_t tcp_port_table;

/* What TCP does with a port, per file (a preference or Decode As change
 * makes Wireshark dissect the file again, from a new file scope): */
enum { PORT_UNKNOWN = 0, PORT_TLS, PORT_OTHER, PORT_CHANGED };

static guint8
port_kind(guint32 port)
{
    if (port > G_MAXUINT16)
        return PORT_OTHER;
    if (port_state == NULL)
        port_state = (guint8 *)wmem_alloc0(wmem_file_scope(), G_MAXUINT16 + 1);
    guint8 k = port_state[port];
    if (k == PORT_UNKNOWN) {
        gboolean tls = dissector_get_uint_handle(tcp_port_table, port) == tls_handle;
        if (dissector_is_uint_changed(tcp_port_table, port) && !tls)
            k = PORT_CHANGED;     /* Decode As to something else: the user decides, not us */
        else
            k = tls ? PORT_TLS : PORT_OTHER;   /* Decode As TLS: the front is TLS to TCP */
        port_state[port] = k;
    }
    return k;
}

/* TLS on this conversation's port, as TCP would choose it, or 0. */
static guint32
tls_port(packet_info *pinfo)
{
    guint32 lo = MIN(pinfo->srcport, pinfo->destport), hi = MAX(pinfo->srcport, pinfo->destport);
    guint8 klo = port_kind(lo), khi = port_kind(hi);
    if (klo == PORT_CHANGED || khi == PORT_CHANGED)
        return 0;
    return klo == PORT_TLS ? lo : khi == PORT_TLS ? hi : 0;
}

guint32
tume_tls_port_of(packet_info *pinfo)
{
    return tls_handle != NULL && tcp_port_table != NULL ? tls_port(pinfo) : 0;
}

gboolean
tume_tls_port_pair(packet_info *pinfo)
{
    return tls_handle != NULL && tcp_port_table != NULL && tls_port(pinfo) != 0;
}

/* TCP's "Try heuristic sub-dissectors first", read once per file (in
 * tume_tls_init) through the public preferences API (a change makes
 * Wireshark read the file again). */

static gboolean
read_tcp_heuristics_first(void)
{
    module_t *tcp = prefs_find_module("tcp");
    pref_t *p = tcp != NULL ? prefs_find_preference(tcp, "try_heuristic_first") : NULL;
    if (p == NULL)
        return FALSE;
    char *v = prefs_pref_to_str(p, pref_current);
    gboolean on = v != NULL && g_ascii_strcasecmp(v, "TRUE") == 0;
    g_free(v);
    return on;
}

static gboolean
tcp_tries_heuristics_first(void)
{
    return tcp_heur_first;
}

static void read_records(tume_flow_t *flow, packet_info *pinfo, tvbuff_t *tvb, gboolean *app_data,
                         gboolean *retire, wmem_array_t **app_records);

void
tume_tls_watch(packet_info *pinfo, conversation_t *conv, gboolean unseen, tvbuff_t *payload)
{
    if (PINFO_FD_VISITED(pinfo) || tls_handle == NULL || tcp_port_table == NULL)
        return;
    /* only on a conversation's first packet, or on the first that reaches
     * here (one the front never saw, when the capture began with bare ACKs) */
    if (conv == NULL || (conv->setup_frame != pinfo->num && !unseen))
        return;
    if (tcp_tries_heuristics_first())
        return;
    /* TLS on a port that is not TLS's, found by TLS's own heuristic on TCP:
     * TLS made itself the conversation's dissector; the front stands in
     * for it (it calls TLS the same way) and gives it back when it retires */
    dissector_handle_t current = conversation_get_dissector(conv, pinfo->num);
    const gboolean heur_tls = current == tls_handle && payload != NULL && unseen;
    /* a conversation some other dissector claimed stays its own */
    if (!heur_tls && (tls_port(pinfo) == 0 || current != NULL))
        return;
    if (heur_tls) {
        /* from this frame, where TLS took the conversation (4.6 records it
         * from that frame on, 4.0 from the start) */
        conversation_set_dissector_from_frame_number(conv, pinfo->num, tume_front_handle);
        tume_flow_get(pinfo, TRUE)->front_over_tls = TRUE;
    } else {
        conversation_set_dissector(conv, tume_front_handle);
    }
    if (payload != NULL && unseen) {
        /* TCP gave this packet to TLS before the front was there: read its
         * complete records (a ClientHello in one segment gives the SNI) */
        gboolean app_data = FALSE, retire = FALSE;
        read_records(tume_flow_get(pinfo, TRUE), pinfo, payload, &app_data, &retire, NULL);
    }
}

void
tume_tls_watch_tunnel(packet_info *pinfo, conversation_t *tunnel, guint32 port)
{
    if (PINFO_FD_VISITED(pinfo) || tls_handle == NULL || tcp_port_table == NULL)
        return;
    /* what TCP's port table gives HTTP for the CONNECT's port */
    if (port_kind(port) != PORT_TLS || tcp_tries_heuristics_first())
        return;
    if (conversation_get_dissector(tunnel, pinfo->num) != NULL)
        return;
    conversation_set_dissector(tunnel, tume_front_handle);
}

static void
take_certificate(tume_flow_t *flow, packet_info *pinfo, const guint8 *der, gsize len)
{
    guint32 ev = 0;

    if (len == 0 || len > TUME_CERT_DER_MAX)
        return;
    flow->cert = cert_lookup(der, (guint)len);
    flow->cert_frame = pinfo->num;
    tume_flow_note_certificate(flow);
    if (flow->cert != NULL && flow->cert->parsed) {
        ev |= tume_host_evidence(flow->cert->subject_cn, TUME_EV_CERT_SUBJECT, &flow->host_kind);
        for (guint i = 0; i < flow->cert->san_count; i++) {
            /* "*.tume.jajah.com" is under jajah.com like its names are */
            const char *san = flow->cert->san[i];
            if (san[0] == '*' && san[1] == '.')
                san += 2;
            ev |= tume_host_evidence(san, TUME_EV_CERT_SAN, &flow->host_kind);
        }
    }
    if (ev)
        tume_flow_add_evidence(flow, pinfo, ev);
}

/* ---- handshake messages, gathered per direction across records ----
 *
 * TLS lets a handshake message span records (a ClientHello in 1-byte
 * records, a certificate chain over 16 KB), and Wireshark's TLS
 * reassembles them.  The front does too, per direction, only while it
 * still wants a message from that side: the client's ClientHello, the
 * server's ServerHello and certificate.  It holds only bytes that have
 * arrived (at most TLS's 16 MB message), and lets them go as soon as the
 * message is complete or nothing more is wanted. */
struct tume_hs_streams {
    tume_tls_hs_stream_t dir[2];     /* 0: from the client, 1: from the server */
    gboolean client_hello_done;
    guint32  dec_frame;              /* TLS 1.3: decrypted sources of this frame ... */
    guint    dec_read;               /* ... already read */
};

/* Every flow's streams, to free what they hold when the file closes. */
static wmem_list_t *hs_all;

static tume_hs_streams_t *
hs_streams(tume_flow_t *flow)
{
    if (flow->hs == NULL) {
        flow->hs = wmem_new0(wmem_file_scope(), tume_hs_streams_t);
        if (hs_all == NULL)
            hs_all = wmem_list_new(wmem_file_scope());
        wmem_list_prepend(hs_all, flow->hs);
    }
    return flow->hs;
}

static void
hs_free_all(void)
{
    if (hs_all == NULL)
        return;
    for (wmem_list_frame_t *f = wmem_list_head(hs_all); f != NULL; f = wmem_list_frame_next(f)) {
        tume_hs_streams_t *s = (tume_hs_streams_t *)wmem_list_frame_data(f);
        tume_tls_hs_clear(&s->dir[0]);
        tume_tls_hs_clear(&s->dir[1]);
    }
    hs_all = NULL;          /* the list goes with the file scope */
}

typedef struct {
    tume_flow_t *flow;
    packet_info *pinfo;
    tume_hs_streams_t *hs;
    gboolean     from_client;
} hs_msg_ctx_t;

static guint8
alpn_kind(const guint8 *name, gsize len)
{
    return len == 8 && memcmp(name, "http/1.1", 8) == 0 ? TUME_ALPN_HTTP11 : TUME_ALPN_OTHER;
}

/* One complete handshake message. */
static void
hs_message(guint8 type, const guint8 *b, gsize len, void *user)
{
    hs_msg_ctx_t *x = (hs_msg_ctx_t *)user;
    tume_flow_t *flow = x->flow;
    packet_info *pinfo = x->pinfo;
    tume_tls_span_t sp;

    if (type == TUME_TLS_HS_CLIENT_HELLO && x->from_client && !x->hs->client_hello_done) {
        x->hs->client_hello_done = TRUE;
        if (flow->sni == NULL && tume_tls_client_hello_sni(b, len, &sp)) {
            /* shown as given, every byte told (a NUL, tab or line end in
             * it can neither cut the name nor forge output); evidence
             * only if it is a host name at all */
            gchar *shown = tume_printable(b + sp.off, sp.len, TUME_HOST_MAX);
            flow->sni = (const gchar *)wmem_strdup(wmem_file_scope(), shown);
            g_free(shown);
            if (tume_host_name_valid(b + sp.off, sp.len)) {
                guint32 ev = tume_host_evidence(flow->sni, TUME_EV_SNI, &flow->host_kind);
                if (ev)
                    tume_flow_add_evidence(flow, pinfo, ev);
            }
        }
    } else if (type == TUME_TLS_HS_SERVER_HELLO && flow->cipher_suite == 0 && !x->from_client) {
        guint16 suite, version;
        if (tume_tls_server_hello(b, len, &suite, &version)) {
            flow->cipher_suite = suite;
            flow->tls_version = version;
            flow->tls13 = version == TUME_TLS_VERSION_1_3;
            if (tume_tls_alpn(b, len, TRUE, &sp))
                flow->alpn = alpn_kind(b + sp.off, sp.len);
        }
    } else if (type == TUME_TLS_HS_ENCRYPTED_EXTENSIONS && !x->from_client && flow->tls13) {
        /* TLS 1.3: the server's ALPN choice, decrypted */
        if (tume_tls_alpn(b, len, FALSE, &sp))
            flow->alpn = alpn_kind(b + sp.off, sp.len);
    } else if (type == TUME_TLS_HS_CERTIFICATE && flow->cert == NULL && !x->from_client) {
        /* the first certificate of the server's chain is its own */
        if (tume_tls_certificate_first(b, len, flow->tls13, &sp))
            take_certificate(flow, pinfo, b + sp.off, sp.len);
    }
}

/* The next handshake bytes of one side (a record body, or decrypted
 * handshake data). */
static void
read_handshake(tume_flow_t *flow, packet_info *pinfo, const guint8 *p, gsize len)
{
    tume_hs_streams_t *hs = hs_streams(flow);

    if (len == 0)
        return;
    /* the server: who receives the ClientHello (in a tunnel the proxy,
     * known since the CONNECT); known from its first byte, so that the
     * rest of a ClientHello split over records is the client's too */
    if (flow->server_addr.type == AT_NONE && p[0] == TUME_TLS_HS_CLIENT_HELLO &&
        tume_tls_hs_pending(&hs->dir[0]) == 0 && !hs->client_hello_done) {
        copy_address_wmem(wmem_file_scope(), &flow->server_addr, &pinfo->dst);
        flow->server_port = pinfo->destport;
    }
    const gboolean from_client = !tume_flow_from_server(flow, pinfo);
    tume_tls_hs_stream_t *s = &hs->dir[from_client ? 0 : 1];
    /* what is still wanted from this side */
    if (from_client ? hs->client_hello_done : flow->cert != NULL) {
        tume_tls_hs_clear(s);
        return;
    }
    hs_msg_ctx_t x = { flow, pinfo, hs, from_client };
    tume_tls_hs_feed(s, p, len, TUME_TLS_HS_MAX, hs_message, &x);
    if (from_client ? hs->client_hello_done : flow->cert != NULL)
        tume_tls_hs_clear(s);
}

typedef struct {
    tume_flow_t *flow;
    packet_info *pinfo;
    gboolean     any;
    guint        walked;     /* decrypted sources walked so far */
} decrypted_walk_t;

static void
decrypted_source(tvbuff_t *tvb, void *user)
{
    decrypted_walk_t *w = (decrypted_walk_t *)user;
    w->any = TRUE;
    w->walked++;
    /* TLS 1.3: the server's certificate is in its encrypted handshake */
    if (w->flow->tls13 && w->flow->cert == NULL && tume_flow_from_server(w->flow, w->pinfo)) {
        /* a frame's sources are walked again by each front call in it:
         * each is read once, in order */
        tume_hs_streams_t *hs = hs_streams(w->flow);
        if (hs->dec_frame != w->pinfo->num) {
            hs->dec_frame = w->pinfo->num;
            hs->dec_read = 0;
        }
        if (w->walked <= hs->dec_read)
            return;
        hs->dec_read = w->walked;
        guint len = tvb_captured_length(tvb);
        read_handshake(w->flow, w->pinfo, tvb_get_ptr(tvb, 0, len), len);
    }
}

/* An application-data record of one front call: where it is in the tvb. */
typedef struct {
    guint32 off;
    guint32 len;      /* the record's body, after the 5-byte header */
    gboolean renegotiated;   /* after a renegotiation began */
} app_record_t;

/* The records of this call: handshake facts before TLS runs; whether any
 * application data (in TLS 1.3 also the encrypted handshake) came, and
 * from whom; the application-data records, in *app_records (made on the
 * first) if app_records is given. */
static void
read_records(tume_flow_t *flow, packet_info *pinfo, tvbuff_t *tvb, gboolean *app_data, gboolean *retire,
             wmem_array_t **app_records)
{
    gsize off = 0, len = tvb_captured_length(tvb);
    const guint8 *p = tvb_get_ptr(tvb, 0, (gint)len);

    *app_data = FALSE;
    /* bounded: each record moves on by at least its 5-byte header */
    while (off < len) {
        guint8 type;
        guint16 version;
        tume_tls_span_t body;
        gsize rl;
        tume_tls_record_t r = tume_tls_record(p + off, len - off, &type, &version, &body, &rl);
        if (r == TUME_TLS_RECORD_NOT_TLS) {
            /* Reading record sizes, the rest of this data is skipped, as
             * TLS skips it ("Ignored Unknown Record"): the next segment
             * starts afresh.  Otherwise, not TLS (or lost in it): nothing
             * more to learn. */
            if (flow->enc_on)
                return;
            *retire = TRUE;
            flow->enc_lost = TRUE;
            return;
        }
        if (r == TUME_TLS_RECORD_PARTIAL)
            return;               /* TLS will have TCP reassemble it, and we see it again */
        const int side = tume_flow_from_server(flow, pinfo) && flow->server_addr.type != AT_NONE ? 1 : 0;
        if (type == TUME_TLS_CT_CHANGE_CIPHER_SPEC && !flow->tls13) {
            flow->ccs_sent[side] = TRUE;
        } else if (type == TUME_TLS_CT_HANDSHAKE && flow->ccs_sent[side]) {
            /* encrypted: the side's Finished, then only a renegotiation's
             * messages (a HelloRequest, a ClientHello), whose new cipher
             * suite is hidden: record sizes are no longer read after it */
            if (flow->enc_handshakes[side] < G_MAXUINT8)
                flow->enc_handshakes[side]++;
            if (flow->enc_handshakes[side] >= 2 && flow->renegotiated_frame == 0)
                flow->renegotiated_frame = pinfo->num;
        } else if (type == TUME_TLS_CT_HANDSHAKE)
            read_handshake(flow, pinfo, p + off + body.off, body.len);
        else if (type == TUME_TLS_CT_APPLICATION_DATA) {
            *app_data = TRUE;
            if (app_records != NULL) {
                app_record_t ar = { (guint32)off, (guint32)body.len, flow->renegotiated_frame != 0 };
                if (*app_records == NULL)
                    *app_records = wmem_array_new(pinfo->pool, sizeof(app_record_t));
                wmem_array_append_one(*app_records, ar);
            }
            /* The handshake is behind us once the server sends application
             * data; in TLS 1.3 its certificate is still coming then, in its
             * encrypted flight, which ends before the client's first
             * encrypted record (its Finished). */
            gboolean server = tume_flow_from_server(flow, pinfo) && flow->server_addr.type != AT_NONE;
            if (flow->tls13 ? !server && flow->server_addr.type != AT_NONE : server)
                *retire = TRUE;
        }
        off += rl;
    }
}

/* ---- encrypted records read by their sizes ----
 *
 * On a TU Me flow whose application data is not decrypted, each encrypted
 * application-data record's plaintext length follows from its size and the
 * cipher suite (enc_size.c); on a signalling flow, keep-alives have sizes
 * of their own.  The front stays on such a flow to the end and notes every
 * record, first pass, in the packet's file-scope record.
 *
 * TLS 1.3 hides the content type: every encrypted record looks like
 * application data.  The server's records before the client's Finished are
 * its encrypted handshake, and the client's first record is its Finished.
 * Then the server may send NewSessionTickets at once (at the end of its
 * handshake, before it reads any request): its records from then until
 * the client sends again are named only when their size is a keep-alive's,
 * which no ticket can have, and are otherwise "unknown".  An encrypted alert (a
 * close_notify) has a pong's size: a 2-byte plaintext is a pong only when a
 * ping is waiting for one, and a ping waits only until the client sends
 * something else. */

static void
enc_read(tume_flow_t *flow, packet_info *pinfo, tvbuff_t *tvb, wmem_array_t *app_records)
{
    tume_enc_suite_t suite;
    guint n = app_records != NULL ? wmem_array_get_count(app_records) : 0;

    if (n == 0 || !tume_flow_is_tume(flow, pinfo)
        || !tume_enc_suite((guint16)flow->cipher_suite, flow->tls_version, &suite))
        return;
    int dir = tume_flow_direction(flow, pinfo);
    tume_flow_kind_t kind = tume_flow_kind(flow);
    int role = kind == TUME_FLOW_SIGNALLING ? 1 : kind == TUME_FLOW_PROVISIONING ? 2 : 0;
    if (dir < 0 || role == 0)
        return;
    /* the front stays, unless it lost the record boundaries in this call
     * (the records before that point are still read) */
    flow->enc_on = !flow->enc_lost;
    tume_pkt_t *pkt = NULL;
    for (guint i = 0; i < n; i++) {
        const app_record_t *ar = (const app_record_t *)wmem_array_index(app_records, i);
        if (suite.tls13) {
            if (flow->enc_client_finished == 0) {
                if (dir == 1)
                    flow->enc_client_finished = pinfo->num;   /* the client's Finished */
                continue;                 /* or the server's encrypted handshake */
            }
            if (dir == 0 && flow->enc_tickets == TUME_ENC_TICKETS_PENDING)
                flow->enc_tickets = TUME_ENC_TICKETS_OPEN;
            else if (dir == 1 && flow->enc_tickets == TUME_ENC_TICKETS_OPEN)
                flow->enc_tickets = TUME_ENC_TICKETS_CLOSED;
        }
        guint32 min, max;
        if (!tume_enc_plaintext(&suite, ar->len, &min, &max))
            continue;                     /* too short to be a record of this suite */
        tume_enc_rec_t rec;
        memset(&rec, 0, sizeof(rec));
        rec.min = min;
        rec.max = max;
        rec.at_most = suite.tls13;
        rec.to_server = (gint8)dir;
        tume_enc_guess_t g = tume_enc_guess(min, max, suite.tls13, role, dir);
        guint32 len = suite.tls13 ? max : min;
        gboolean exact = suite.tls13 || min == max;
        if (ar->renegotiated) {
            /* the sizes are the first handshake's suite's, which may no
             * longer be the session's */
            g = TUME_ENC_GUESS_UNKNOWN;
            rec.note = TUME_ENC_NOTE_RENEGOTIATED;
            flow->enc_ping = 0;
        } else if (g == TUME_ENC_GUESS_PONG || (suite.tls13 && exact && len == 2)) {
            if (dir == 0 && flow->enc_ping != 0 && role == 1) {
                g = TUME_ENC_GUESS_PONG;
                rec.ping_in = flow->enc_ping;
                flow->enc_ping = 0;
            } else if (suite.tls13) {
                g = TUME_ENC_GUESS_UNKNOWN;
                rec.note = TUME_ENC_NOTE_ALERT_SIZE;
            }
        } else if (g == TUME_ENC_GUESS_PING) {
            if (dir == 1)
                flow->enc_ping = pinfo->num;
        } else {
            /* more from the client before a pong: what had a ping's size was
             * not waiting for one (a message cut into records, say) */
            if (dir == 1)
                flow->enc_ping = 0;
            if (suite.tls13 && dir == 0 && flow->enc_tickets == TUME_ENC_TICKETS_OPEN) {
                g = TUME_ENC_GUESS_UNKNOWN;
                rec.note = TUME_ENC_NOTE_TICKET;
            } else if (g == TUME_ENC_GUESS_UNKNOWN) {
                rec.note = exact ? TUME_ENC_NOTE_SHORT : TUME_ENC_NOTE_RANGE;
            }
        }
        rec.guess = (guint8)g;
        tume_src_span_of_any(pinfo, tvb, (gint)ar->off, (gint)ar->len + 5, &rec.at);
        if (pkt == NULL) {
            pkt = tume_pkt_get(pinfo, TRUE);
            if (pkt->enc == NULL)
                pkt->enc = wmem_array_new(wmem_file_scope(), sizeof(tume_enc_rec_t));
        }
        wmem_array_append_one(pkt->enc, rec);
    }
}

static const char *
enc_note_text(guint8 note)
{
    switch (note) {
    case TUME_ENC_NOTE_TICKET:
        return "; the server's first records after a TLS 1.3 handshake, until the client sends again, "
               "may be NewSessionTickets";
    case TUME_ENC_NOTE_ALERT_SIZE:
        return "; the size of an encrypted TLS 1.3 alert (close_notify), and no ping waits for a pong";
    case TUME_ENC_NOTE_RANGE:
        return "; the cipher's padding leaves a range that fits more than one kind";
    case TUME_ENC_NOTE_SHORT:
        return "; not a keep-alive's size, and too short to be sure of a SIP message";
    case TUME_ENC_NOTE_RENEGOTIATED:
        return "; after the session was renegotiated (encrypted handshake records after the first "
               "handshake), whose cipher suite is not known without keys";
    default:
        return "";
    }
}

void
tume_tls_add_enc_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tt, const tume_flow_t *flow,
                       const tume_pkt_t *pkt)
{
    guint n = wmem_array_get_count(pkt->enc);
    const char *role = role_name(tume_flow_kind(flow));
    wmem_strbuf_t *info = wmem_strbuf_new(pinfo->pool, "");

    for (guint i = 0; i < n; i++) {
        const tume_enc_rec_t *r = (const tume_enc_rec_t *)wmem_array_index(pkt->enc, i);
        const char *name = tume_enc_guess_name((tume_enc_guess_t)r->guess);
        gint start, len;
        tvbuff_t *t = tume_src_span_tvb(pinfo, &r->at, tvb, &start, &len);
        gchar *size;
        if (r->at_most)
            size = wmem_strdup_printf(pinfo->pool, "at most %u bytes", r->max);
        else if (r->min == r->max)
            size = wmem_strdup_printf(pinfo->pool, "%u bytes", r->min);
        else
            size = wmem_strdup_printf(pinfo->pool, "%u to %u bytes", r->min, r->max);
        proto_item *ti;
        proto_tree *et = proto_tree_add_subtree_format(tt, t, start, len, ett_tume_enc, &ti,
                                                       "Encrypted record, read by its size: %s (%s of plaintext)",
                                                       name, size);
        ti = proto_tree_add_uint_format_value(et, hf_tume_enc_plaintext_len, t, start, len,
                                              r->at_most ? r->max : r->min, "%s", size);
        proto_item_set_generated(ti);
        if (!r->at_most && r->min != r->max)
            proto_item_set_generated(proto_tree_add_uint(et, hf_tume_enc_plaintext_len_max, t, start, len, r->max));
        ti = proto_tree_add_string(et, hf_tume_enc_guess, t, start, len, name);
        proto_item_set_generated(ti);
        expert_add_info_format(pinfo, ti, &ei_tume_enc_info,
                               "TU Me %s record not decrypted, read by its size as %s (an estimate%s)",
                               role, name, enc_note_text(r->note));
        if (r->ping_in != 0)
            proto_item_set_generated(proto_tree_add_uint(et, hf_tume_enc_ping_in, t, start, len, r->ping_in));
        if (i < 4)
            wmem_strbuf_append_printf(info, "%s%s", i > 0 ? ", " : "", name);
        else if (i == 4)
            wmem_strbuf_append_printf(info, ", %u more", n - 4);
    }
    if (n > 0)
        col_append_sep_fstr(pinfo->cinfo, COL_INFO, " ", "[TU Me by size: %s]", wmem_strbuf_get_str(info));
}

/* A flow known from its handshake (SNI, certificate) to be TU Me's
 * provisioning API: before the first application data TLS reads of it,
 * TLS is told to hand the session's decrypted data to the plugin's HTTP
 * reader (tume-api.c says why).  Not while the server's TLS 1.3 flight is
 * still coming (its EncryptedExtensions may choose ALPN, which TLS applies
 * when it reads them), and never when ALPN chose something other than
 * HTTP/1.1 (HTTP/2 stays HTTP/2's). */
static void
api_session(tume_flow_t *flow, packet_info *pinfo)
{
    if (flow->app_handle_set || flow->alpn == TUME_ALPN_OTHER || flow->host_kind != TUME_FLOW_PROVISIONING ||
        flow->sip_stream == TUME_SIP_STREAM_SIP || !tume_flow_is_tume(flow, pinfo))
        return;
    if (flow->tls13 && tume_flow_from_server(flow, pinfo))
        return;
    dissector_handle_t h = tume_api_session_handle(pinfo);
    if (h == NULL)
        return;
    tls_set_appdata_dissector(tls_handle, pinfo, h);
    flow->app_handle_set = TRUE;
}

static int
dissect_tume_front(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    const guint16 tcp_can_desegment = pinfo->saved_can_desegment;
    const guint32 saved_match = pinfo->match_uint;
    tume_flow_t *flow = NULL;
    gboolean app_data = FALSE, retire = FALSE;
    int ret;

    wmem_array_t *app_records = NULL;

    if (!PINFO_FD_VISITED(pinfo)) {
        flow = tume_flow_get(pinfo, TRUE);
        read_records(flow, pinfo, tvb, &app_data, &retire, &app_records);
        if (app_data)
            api_session(flow, pinfo);
    }
    /* TLS as TCP would have called it for this port */
    pinfo->can_desegment = tcp_can_desegment;
    const guint32 port = tls_port(pinfo);
    if (port != 0)
        pinfo->match_uint = port;     /* (TLS's heuristic flows: as TCP left it) */
    ret = call_dissector_only(tls_handle, tvb, pinfo, tree, data);
    pinfo->match_uint = saved_match;

    if (flow != NULL) {
        decrypted_walk_t w = { flow, pinfo, FALSE, 0 };
        /* the frame's decrypted sources (a walk over all its data sources
         * by name): wanted only until the flow is known to be decrypted,
         * and in TLS 1.3 until the server's certificate is read */
        if ((app_data && !flow->decrypted) ||
            (flow->tls13 && flow->cert == NULL && tume_flow_from_server(flow, pinfo)))
            tume_each_data_source(pinfo, "Decrypted TLS", decrypted_source, &w);
        if (app_data) {
            if (w.any)
                flow->decrypted = TRUE;
            else if (!flow->decrypted && flow->not_decrypted_frame == 0)
                flow->not_decrypted_frame = pinfo->num;
            if (!w.any && !flow->decrypted)
                enc_read(flow, pinfo, tvb, app_records);
        }
        /* a TU Me flow read by its record sizes keeps the front to the end */
        if (retire && flow->hs != NULL) {
            /* the handshake is over: what it still held is not wanted */
            tume_tls_hs_clear(&flow->hs->dir[0]);
            tume_tls_hs_clear(&flow->hs->dir[1]);
        }
        if (retire && !flow->enc_on) {
            conversation_t *conv = find_conversation_pinfo(pinfo, 0);
            if (conv != NULL && flow->front_over_tls)
                conversation_set_dissector_from_frame_number(conv, pinfo->num, tls_handle);
            else if (conv != NULL)
                conversation_set_dissector(conv, NULL);
            /* handshake over, not TU Me, and its data cannot be read: it
             * can never prove to be TU Me, so nothing is kept for it */
            if (flow->proof_frame == 0 && !flow->decrypted && flow->not_decrypted_frame != 0)
                tume_flow_settle(flow, pinfo);
        }
    }
    return ret;
}

static gboolean
is_rsa_key_exchange(guint32 suite)
{
    header_field_info *hfi;
    const char *name;

    if (suite == 0 || hf_ws_cipher_suite <= 0)
        return FALSE;
    hfi = proto_registrar_get_nth(hf_ws_cipher_suite);
    if (hfi == NULL || hfi->strings == NULL || !(hfi->display & BASE_EXT_STRING))
        return FALSE;
    name = val_to_str_ext_const(suite, (value_string_ext *)hfi->strings, "");
    return g_str_has_prefix(name, "TLS_RSA_WITH_") || g_str_has_prefix(name, "SSL_RSA_WITH_");
}

static gchar *
utc_string(wmem_allocator_t *scope, gint64 secs)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(secs);
    gchar *s;
    if (dt == NULL)
        return wmem_strdup(scope, "?");
    gchar *g = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC");
    s = wmem_strdup(scope, g);
    g_free(g);
    g_date_time_unref(dt);
    return s;
}

void
tume_tls_add_packet_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tt, const tume_flow_t *flow)
{
    const char *role = role_name(tume_flow_kind(flow));

    if (flow->cert_frame == pinfo->num && flow->cert != NULL) {
        const tume_cert_info_t *c = flow->cert;
        if (!c->parsed) {
            proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_unparsable, tvb, 0, 0,
                                         "TU Me server certificate could not be read: %s", c->error);
        } else {
            gint64 now = (gint64)pinfo->abs_ts.secs;
            proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_info, tvb, 0, 0,
                                         "TU Me %s server certificate issued by %s to %s",
                                         role, c->issuer, c->subject);
            if (c->not_after != G_MININT64 && now > c->not_after)
                proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_expired, tvb, 0, 0,
                    "TU Me server certificate expired on %s, before the capture (%s)",
                    utc_string(pinfo->pool, c->not_after), utc_string(pinfo->pool, now));
            if (c->not_before != G_MININT64 && now < c->not_before)
                proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_not_yet_valid, tvb, 0, 0,
                    "TU Me server certificate not valid before %s, after the capture (%s)",
                    utc_string(pinfo->pool, c->not_before), utc_string(pinfo->pool, now));
            if (c->self_signed)
                proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_self_signed, tvb, 0, 0,
                    "TU Me server certificate is self-signed (%s)", c->subject);
            const gchar *name = tume_flow_server_name(flow);
            if (flow->intercepted_by != NULL)
                proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_intercepted, tvb, 0, 0,
                    "TLS to %s intercepted by %s: the certificate is the proxy's, issued by %s",
                    name != NULL ? name : "the server", flow->intercepted_by, c->issuer);
            guint32 other_in = 0;
            const gchar *other = tume_flow_other_issuer(flow, &other_in);
            if (other != NULL)
                proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_issuer_differs, tvb, 0, 0,
                    "%s: this certificate was issued by %s, the one in frame %u by %s",
                    name != NULL ? name : "The server", c->issuer, other_in, other);
            if (flow->sni != NULL && !tume_cert_covers_host((const tume_cert_t *)c->gnutls_view, flow->sni))
                proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_sni_mismatch, tvb, 0, 0,
                    "TU Me server certificate does not cover the SNI %s", flow->sni);
        }
    }
    if (flow->not_decrypted_frame == pinfo->num) {
        if (is_rsa_key_exchange(flow->cipher_suite))
            proto_tree_add_expert_format(tt, pinfo, &ei_tume_not_decrypted, tvb, 0, 0,
                "TU Me %s flow not decrypted: give its TLS key log (tls.keylog_file or a pcapng "
                "Decryption Secrets Block) or, as its cipher suite uses RSA key exchange, the "
                "server's RSA private key (uat:rsa_keys)", role);
        else
            proto_tree_add_expert_format(tt, pinfo, &ei_tume_not_decrypted, tvb, 0, 0,
                "TU Me %s flow not decrypted: give its TLS key log (tls.keylog_file or a pcapng "
                "Decryption Secrets Block); an RSA key cannot help, the key exchange is not RSA",
                role);
    }
}

void
tume_tls_register(expert_module_t *em)
{
    static ei_register_info ei[] = {
        { &ei_tume_cert_info,
          { "tume.cert.info", PI_SECURITY, PI_NOTE, "TU Me server certificate", EXPFILL } },
        { &ei_tume_cert_unparsable,
          { "tume.cert.unparsable", PI_UNDECODED, PI_WARN, "TU Me server certificate unreadable", EXPFILL } },
        { &ei_tume_cert_expired,
          { "tume.cert.expired", PI_SECURITY, PI_WARN, "TU Me server certificate expired", EXPFILL } },
        { &ei_tume_cert_not_yet_valid,
          { "tume.cert.not_yet_valid", PI_SECURITY, PI_WARN, "TU Me server certificate not yet valid", EXPFILL } },
        { &ei_tume_cert_self_signed,
          { "tume.cert.is_self_signed", PI_SECURITY, PI_WARN, "TU Me server certificate self-signed", EXPFILL } },
        { &ei_tume_cert_sni_mismatch,
          { "tume.cert.sni_mismatch", PI_SECURITY, PI_WARN, "TU Me server certificate does not cover the SNI", EXPFILL } },
        { &ei_tume_cert_intercepted,
          { "tume.cert.intercepted", PI_SECURITY, PI_WARN,
            "TU Me TLS intercepted: the certificate was issued by an interception proxy's CA", EXPFILL } },
        { &ei_tume_cert_issuer_differs,
          { "tume.cert.issuer_differs", PI_SECURITY, PI_WARN,
            "TU Me server name certified by different issuers in one capture", EXPFILL } },
        { &ei_tume_not_decrypted,
          { "tume.not_decrypted", PI_UNDECODED, PI_NOTE, "TU Me flow not decrypted", EXPFILL } },
        { &ei_tume_enc_info,
          { "tume.enc.info", PI_SEQUENCE, PI_CHAT, "TU Me record not decrypted, read by its size (an estimate)",
            EXPFILL } },
    };
    static hf_register_info hf[] = {
        { &hf_tume_enc_plaintext_len,
          { "Plaintext length", "tume.enc.plaintext_len", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Plaintext length of an encrypted record, from its size and the cipher suite: exact "
            "(AEAD, TLS 1.3 at most), or the lower bound of a CBC range", HFILL } },
        { &hf_tume_enc_plaintext_len_max,
          { "Plaintext length, at most", "tume.enc.plaintext_len_max", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Upper bound of the plaintext length (CBC suites, whose padding hides it)", HFILL } },
        { &hf_tume_enc_guess,
          { "Guess", "tume.enc.guess", FT_STRING, BASE_NONE, NULL, 0x0,
            "What the record is, by its size: keepalive-ping, keepalive-pong, sip-message, "
            "api-request, api-response or unknown", HFILL } },
        { &hf_tume_enc_ping_in,
          { "Answers the ping in", "tume.enc.ping_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "The frame of the keep-alive ping this pong answers", HFILL } },
    };
    static gint *ett[] = { &ett_tume_enc };
    proto_register_field_array(proto_tume, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));

    expert_register_field_array(em, ei, array_length(ei));
    tume_front_handle = create_dissector_handle(dissect_tume_front, -1);
    register_init_routine(tume_tls_init);
    register_cleanup_routine(tume_tls_cleanup);
}

void
tume_tls_handoff(void)
{
    hf_ws_cipher_suite = proto_registrar_get_id_byname("tls.handshake.ciphersuite");
    tls_handle = find_dissector("tls");
    tcp_port_table = find_dissector_table("tcp.port");
}
