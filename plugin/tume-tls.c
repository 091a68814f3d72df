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
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/to_str.h>
#include <epan/conversation.h>
#include <epan/prefs.h>
#include <epan/prefs-int.h>
#include <wsutil/wmem/wmem_map.h>

#include "tume-tls.h"
#include "compat.h"
#include "cert_parse.h"
#include "tls_parse.h"

static expert_field ei_tume_cert_info = EI_INIT;
static expert_field ei_tume_cert_unparsable = EI_INIT;
static expert_field ei_tume_cert_expired = EI_INIT;
static expert_field ei_tume_cert_not_yet_valid = EI_INIT;
static expert_field ei_tume_cert_self_signed = EI_INIT;
static expert_field ei_tume_cert_sni_mismatch = EI_INIT;
static expert_field ei_tume_not_decrypted = EI_INIT;

/* TLS's cipher suite names, to tell RSA key exchange */
static int hf_ws_cipher_suite = -1;

/* DER -> parsed certificate, per capture file */
static wmem_map_t *cert_cache;

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

static void
tume_tls_init(void)
{
    cert_cache = wmem_map_new(wmem_file_scope(), der_hash, der_equal);
}

static void
tume_tls_cleanup(void)
{
    if (cert_cache != NULL)
        wmem_map_foreach(cert_cache, free_gnutls_views, NULL);
    cert_cache = NULL;       /* the map itself goes with the file scope */
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

/* TLS on this conversation's port, as TCP would choose it, or 0. */
static guint32
tls_port(packet_info *pinfo)
{
    guint32 ports[2] = { MIN(pinfo->srcport, pinfo->destport), MAX(pinfo->srcport, pinfo->destport) };
    for (guint i = 0; i < 2; i++) {
        if (dissector_is_uint_changed(tcp_port_table, ports[i]))
            return 0;             /* Decode As: the user decides, not us */
    }
    for (guint i = 0; i < 2; i++) {
        if (dissector_get_uint_handle(tcp_port_table, ports[i]) == tls_handle)
            return ports[i];
    }
    return 0;
}

static gboolean
tcp_tries_heuristics_first(void)
{
    module_t *tcp = prefs_find_module("tcp");
    pref_t *p = tcp != NULL ? prefs_find_preference(tcp, "try_heuristic_first") : NULL;
    return p != NULL && prefs_get_bool_value(p, pref_current);
}

static void read_records(tume_flow_t *flow, packet_info *pinfo, tvbuff_t *tvb, gboolean *app_data,
                         gboolean *retire);

void
tume_tls_watch(packet_info *pinfo, conversation_t *conv, gboolean unseen, tvbuff_t *payload)
{
    if (PINFO_FD_VISITED(pinfo) || tls_handle == NULL || tcp_port_table == NULL)
        return;
    /* only on a conversation's first packet, or on the first that reaches
     * here (one the front never saw, when the capture began with bare ACKs) */
    if (conv == NULL || (conv->setup_frame != pinfo->num && !unseen))
        return;
    if (tls_port(pinfo) == 0 || tcp_tries_heuristics_first())
        return;
    /* a conversation some dissector already claimed stays its own */
    if (conversation_get_dissector(conv, pinfo->num) != NULL)
        return;
    conversation_set_dissector(conv, tume_front_handle);
    if (payload != NULL && unseen) {
        /* TCP gave this packet to TLS before the front was there: read its
         * complete records (a ClientHello in one segment gives the SNI) */
        gboolean app_data = FALSE, retire = FALSE;
        read_records(tume_flow_get(pinfo, TRUE), pinfo, payload, &app_data, &retire);
    }
}

static gboolean
from_server(packet_info *pinfo, const tume_flow_t *flow)
{
    if (flow->server_addr.type == AT_NONE)
        return TRUE;             /* no ClientHello seen: trust the certificate's sender */
    return pinfo->srcport == flow->server_port && addresses_equal(&pinfo->src, &flow->server_addr);
}

static void
take_certificate(tume_flow_t *flow, packet_info *pinfo, const guint8 *der, gsize len)
{
    guint32 ev = 0;

    if (len == 0 || len > TUME_CERT_DER_MAX)
        return;
    flow->cert = cert_lookup(der, (guint)len);
    flow->cert_frame = pinfo->num;
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

/* The handshake messages of one record body (or of decrypted handshake
 * data), whole messages only. */
static void
read_handshake(tume_flow_t *flow, packet_info *pinfo, const guint8 *p, gsize len)
{
    gsize off = 0;
    guint8 type;
    tume_tls_span_t body, sp;
    gsize ml;

    while (off < len && tume_tls_handshake(p + off, len - off, &type, &body, &ml)) {
        const guint8 *b = p + off + body.off;
        if (type == TUME_TLS_HS_CLIENT_HELLO && flow->server_addr.type == AT_NONE) {
            copy_address_wmem(wmem_file_scope(), &flow->server_addr, &pinfo->dst);
            flow->server_port = pinfo->destport;
            if (flow->sni == NULL && tume_tls_client_hello_sni(b, body.len, &sp)) {
                flow->sni = (const gchar *)wmem_strndup(wmem_file_scope(), (const gchar *)b + sp.off,
                                                         MIN(sp.len, (gsize)TUME_HOST_MAX));
                guint32 ev = tume_host_evidence(flow->sni, TUME_EV_SNI, &flow->host_kind);
                if (ev)
                    tume_flow_add_evidence(flow, pinfo, ev);
            }
        } else if (type == TUME_TLS_HS_SERVER_HELLO && flow->cipher_suite == 0 && from_server(pinfo, flow)) {
            guint16 suite, version;
            if (tume_tls_server_hello(b, body.len, &suite, &version)) {
                flow->cipher_suite = suite;
                flow->tls13 = version == TUME_TLS_VERSION_1_3;
            }
        } else if (type == TUME_TLS_HS_CERTIFICATE && flow->cert == NULL && from_server(pinfo, flow)) {
            /* the first certificate of the server's chain is its own */
            if (tume_tls_certificate_first(b, body.len, flow->tls13, &sp))
                take_certificate(flow, pinfo, b + sp.off, sp.len);
        }
        off += ml;
    }
}

typedef struct {
    tume_flow_t *flow;
    packet_info *pinfo;
    gboolean     any;
} decrypted_walk_t;

static void
decrypted_source(tvbuff_t *tvb, void *user)
{
    decrypted_walk_t *w = (decrypted_walk_t *)user;
    w->any = TRUE;
    /* TLS 1.3: the server's certificate is in its encrypted handshake */
    if (w->flow->tls13 && w->flow->cert == NULL && from_server(w->pinfo, w->flow)) {
        guint len = tvb_captured_length(tvb);
        read_handshake(w->flow, w->pinfo, tvb_get_ptr(tvb, 0, len), len);
    }
}

/* The records of this call: handshake facts before TLS runs; whether any
 * application data (in TLS 1.3 also the encrypted handshake) came, and
 * from whom. */
static void
read_records(tume_flow_t *flow, packet_info *pinfo, tvbuff_t *tvb, gboolean *app_data, gboolean *retire)
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
            *retire = TRUE;       /* not TLS (or lost in it): nothing more to learn */
            return;
        }
        if (r == TUME_TLS_RECORD_PARTIAL)
            return;               /* TLS will have TCP reassemble it, and we see it again */
        if (type == TUME_TLS_CT_HANDSHAKE)
            read_handshake(flow, pinfo, p + off + body.off, body.len);
        else if (type == TUME_TLS_CT_APPLICATION_DATA) {
            *app_data = TRUE;
            /* The handshake is behind us once the server sends application
             * data; in TLS 1.3 its certificate is still coming then, in its
             * encrypted flight, which ends before the client's first
             * encrypted record (its Finished). */
            gboolean server = from_server(pinfo, flow) && flow->server_addr.type != AT_NONE;
            if (flow->tls13 ? !server && flow->server_addr.type != AT_NONE : server)
                *retire = TRUE;
        }
        off += rl;
    }
}

static int
dissect_tume_front(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    const guint16 tcp_can_desegment = pinfo->saved_can_desegment;
    const guint32 saved_match = pinfo->match_uint;
    tume_flow_t *flow = NULL;
    gboolean app_data = FALSE, retire = FALSE;
    int ret;

    if (!PINFO_FD_VISITED(pinfo)) {
        flow = tume_flow_get(pinfo, TRUE);
        read_records(flow, pinfo, tvb, &app_data, &retire);
    }
    /* TLS as TCP would have called it for this port */
    pinfo->can_desegment = tcp_can_desegment;
    pinfo->match_uint = tls_port(pinfo);
    ret = call_dissector_only(tls_handle, tvb, pinfo, tree, data);
    pinfo->match_uint = saved_match;

    if (flow != NULL) {
        decrypted_walk_t w = { flow, pinfo, FALSE };
        tume_each_data_source(pinfo, "Decrypted TLS", decrypted_source, &w);
        if (app_data) {
            if (w.any)
                flow->decrypted = TRUE;
            else if (!flow->decrypted && flow->not_decrypted_frame == 0)
                flow->not_decrypted_frame = pinfo->num;
        }
        if (retire) {
            conversation_t *conv = find_conversation_pinfo(pinfo, 0);
            if (conv != NULL)
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
tume_tls_register(void)
{
    static ei_register_info ei[] = {
        { &ei_tume_cert_info,
          { "tume.cert.info", PI_SECURITY, PI_NOTE, "TU Me server certificate", EXPFILL } },
        { &ei_tume_cert_unparsable,
          { "tume.cert.unparsable", PI_MALFORMED, PI_WARN, "TU Me server certificate unreadable", EXPFILL } },
        { &ei_tume_cert_expired,
          { "tume.cert.warn.expired", PI_SECURITY, PI_WARN, "TU Me server certificate expired", EXPFILL } },
        { &ei_tume_cert_not_yet_valid,
          { "tume.cert.warn.not_yet_valid", PI_SECURITY, PI_WARN, "TU Me server certificate not yet valid", EXPFILL } },
        { &ei_tume_cert_self_signed,
          { "tume.cert.warn.self_signed", PI_SECURITY, PI_WARN, "TU Me server certificate self-signed", EXPFILL } },
        { &ei_tume_cert_sni_mismatch,
          { "tume.cert.warn.sni_mismatch", PI_SECURITY, PI_WARN, "TU Me server certificate does not cover the SNI", EXPFILL } },
        { &ei_tume_not_decrypted,
          { "tume.not_decrypted", PI_UNDECODED, PI_NOTE, "TU Me flow not decrypted", EXPFILL } },
    };
    expert_module_t *em;

    em = expert_register_protocol(proto_tume);
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
