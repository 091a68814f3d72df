/* tume-flow.c - the flow module: per-flow facts and evidence, the
 * configuration, and the packet's "tume" tree with the flow-level fields.
 * It calls nothing of the plugin above it (see tume-flow.h).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/proto_data.h>
#include <epan/conversation.h>
#include <epan/expert.h>
#include <epan/tap.h>
#include <epan/to_str.h>

#include "tume-flow.h"

int proto_tume = -1;
static int tume_tap = -1;

static int hf_tume_flow = -1;
static int hf_tume_evidence = -1;
static int hf_tume_sni = -1;
static int hf_tume_proxy_connect = -1;
static int hf_tume_cert_intercepted_by = -1;
static int hf_tume_cert_other_issuer = -1;
static int hf_tume_cert_other_issuer_in = -1;
static int hf_tume_proxy_address = -1;
static int hf_tume_cert_subject = -1;
static int hf_tume_cert_issuer = -1;
static int hf_tume_cert_san = -1;
static int hf_tume_cert_not_after = -1;
static int hf_tume_cert_self_signed = -1;
static int hf_tume_decrypted = -1;
static gint ett_tume = -1;

expert_field ei_tume_msg_info = EI_INIT;
expert_field ei_tume_malformed = EI_INIT;

/* ---- configuration ---- */

static tume_config_t tume_config;
const tume_config_t *tume_cfg = &tume_config;

void
tume_config_free(void)
{
    tume_strlist_free(tume_config.signalling_domains);
    tume_strlist_free(tume_config.provisioning_domains);
    tume_strlist_free(tume_config.user_agents);
    tume_strlist_free(tume_config.interceptors);
    memset(&tume_config, 0, sizeof tume_config);
}

void
tume_config_apply(const char *signalling, const char *provisioning,
                  const char *user_agents, const char *interceptors)
{
    tume_config_free();
    tume_config.signalling_domains = tume_domain_list_new(signalling);
    tume_config.provisioning_domains = tume_domain_list_new(provisioning);
    tume_config.user_agents = tume_product_list_new(user_agents);
    tume_config.interceptors = tume_interceptor_list_new(interceptors);
}

/* ---- flows ---- */

/* What a conversation holds once its flow is settled as not TU Me (see
 * tume_flow_settle): a marker, never read or written through. */
static const guint8 settled_marker;
#define SETTLED ((void *)&settled_marker)

tume_flow_t *
tume_flow_of(conversation_t *conv, gboolean *settled)
{
    void *data = conv != NULL ? conversation_get_proto_data(conv, proto_tume) : NULL;

    if (settled != NULL)
        *settled = data == SETTLED;
    return data == SETTLED ? NULL : (tume_flow_t *)data;
}

tume_flow_t *
tume_flow_get(packet_info *pinfo, gboolean create)
{
    conversation_t *conv;
    tume_flow_t *flow;

    if (create)
        conv = find_or_create_conversation(pinfo);
    else
        conv = find_conversation_pinfo(pinfo, 0);
    if (conv == NULL)
        return NULL;
    flow = (tume_flow_t *)conversation_get_proto_data(conv, proto_tume);
    if ((void *)flow == SETTLED) {
        if (!create)
            return NULL;
        /* something new came after all (decrypted data): start again */
        conversation_delete_proto_data(conv, proto_tume);
        flow = NULL;
    }
    if (flow == NULL && create) {
        flow = wmem_new0(wmem_file_scope(), tume_flow_t);
        conversation_add_proto_data(conv, proto_tume, flow);
    }
    return flow;
}

void
tume_flow_settle(tume_flow_t *flow, packet_info *pinfo)
{
    conversation_t *conv;

    if (flow == NULL || PINFO_FD_VISITED(pinfo) || flow->proof_frame != 0)
        return;
    conv = find_conversation_pinfo(pinfo, 0);
    if (conv == NULL || conversation_get_proto_data(conv, proto_tume) != flow)
        return;
    conversation_delete_proto_data(conv, proto_tume);
    conversation_add_proto_data(conv, proto_tume, SETTLED);
    /* a tunnel's flow is held by two conversations: neither may keep it */
    conversation_t *others[3] = { flow->tunnel_conv, flow->outer_conv, flow->tunnel_conv_named };
    for (guint i = 0; i < G_N_ELEMENTS(others); i++) {
        if (others[i] != NULL && others[i] != conv && conversation_get_proto_data(others[i], proto_tume) == flow) {
            conversation_delete_proto_data(others[i], proto_tume);
            conversation_add_proto_data(others[i], proto_tume, SETTLED);
        }
    }
    free_address_wmem(wmem_file_scope(), &flow->server_addr);
    wmem_free(wmem_file_scope(), (void *)flow->sni);
    wmem_free(wmem_file_scope(), (void *)flow->proxy_connect);
    wmem_free(wmem_file_scope(), flow);
}

void
tume_flow_add_evidence(tume_flow_t *flow, packet_info *pinfo, guint32 evidence)
{
    if (flow == NULL || PINFO_FD_VISITED(pinfo))
        return;
    flow->evidence |= evidence;
    if (flow->proof_frame == 0 && (evidence & TUME_EV_STRONG))
        flow->proof_frame = pinfo->num;
}

void
tume_flow_set_kind(tume_flow_t *flow, packet_info *pinfo, tume_flow_kind_t kind)
{
    if (flow != NULL && !PINFO_FD_VISITED(pinfo) && flow->kind == TUME_FLOW_UNKNOWN)
        flow->kind = kind;
}

void
tume_flow_set_decrypted(tume_flow_t *flow, packet_info *pinfo)
{
    if (flow != NULL && !PINFO_FD_VISITED(pinfo))
        flow->decrypted = TRUE;
}

guint32
tume_host_evidence(const char *host, guint32 bit, tume_flow_kind_t *kind)
{
    if (host == NULL)
        return 0;
    switch (tume_host_role(tume_cfg->signalling_domains, tume_cfg->provisioning_domains,
                           (const guint8 *)host, strlen(host))) {
    case TUME_ROLE_SIGNALLING:
        if (*kind == TUME_FLOW_UNKNOWN)
            *kind = TUME_FLOW_SIGNALLING;
        return bit;
    case TUME_ROLE_PROVISIONING:
        if (*kind == TUME_FLOW_UNKNOWN)
            *kind = TUME_FLOW_PROVISIONING;
        return bit;
    default:
        return 0;
    }
}

tume_flow_kind_t
tume_flow_kind(const tume_flow_t *flow)
{
    return flow->kind != TUME_FLOW_UNKNOWN ? flow->kind : flow->host_kind;
}

const char *
tume_flow_kind_name(tume_flow_kind_t kind)
{
    switch (kind) {
    case TUME_FLOW_SIGNALLING:   return "signalling";
    case TUME_FLOW_PROVISIONING: return "provisioning";
    default:                     return "unknown";
    }
}

gboolean
tume_flow_is_tume(const tume_flow_t *flow, const packet_info *pinfo)
{
    if (flow == NULL || flow->proof_frame == 0)
        return FALSE;
    if (PINFO_FD_VISITED(pinfo))
        return TRUE;
    return flow->proof_frame <= pinfo->num;
}

/* ---- the packet's tume tree ---- */

static const char *const evidence_names[] = {
    "cert-subject", "cert-san", "sni", "http-host", "sip-domain", "sip-user-agent",
    "api-signature", "connect-host"
};

const char *
tume_evidence_name(guint i)
{
    return i < G_N_ELEMENTS(evidence_names) ? evidence_names[i] : "?";
}

static void
add_generated_string(proto_tree *tt, int hf, tvbuff_t *tvb, const char *v)
{
    proto_item_set_generated(proto_tree_add_string(tt, hf, tvb, 0, 0, v));
}

/* SNI, certificate and decryption facts of the flow. */
static void
add_tls_items(tvbuff_t *tvb, proto_tree *tt, const tume_flow_t *flow)
{
    if (flow->sni != NULL)
        add_generated_string(tt, hf_tume_sni, tvb, flow->sni);
    if (flow->cert != NULL && flow->cert->parsed) {
        const tume_cert_info_t *c = flow->cert;
        add_generated_string(tt, hf_tume_cert_subject, tvb, c->subject);
        proto_item *ii = proto_tree_add_string(tt, hf_tume_cert_issuer, tvb, 0, 0, c->issuer);
        proto_item_set_generated(ii);
        if (flow->intercepted_by != NULL) {
            /* the issuer shown is the proxy's, not the server's */
            proto_item_append_text(ii, " (the CA of an interception proxy: %s)", flow->intercepted_by);
            add_generated_string(tt, hf_tume_cert_intercepted_by, tvb, flow->intercepted_by);
        }
        guint32 other_in = 0;
        const gchar *other = tume_flow_other_issuer(flow, &other_in);
        if (other != NULL) {
            add_generated_string(tt, hf_tume_cert_other_issuer, tvb, other);
            proto_item_set_generated(proto_tree_add_uint(tt, hf_tume_cert_other_issuer_in, tvb, 0, 0, other_in));
        }
        for (guint i = 0; i < c->san_count; i++)
            add_generated_string(tt, hf_tume_cert_san, tvb, c->san[i]);
        if (c->not_after != G_MININT64) {
            nstime_t t = { (time_t)c->not_after, 0 };
            proto_item_set_generated(proto_tree_add_time(tt, hf_tume_cert_not_after, tvb, 0, 0, &t));
        }
        proto_item_set_generated(proto_tree_add_boolean(tt, hf_tume_cert_self_signed, tvb, 0, 0,
                                                        c->self_signed));
    }
    proto_item_set_generated(proto_tree_add_boolean(tt, hf_tume_decrypted, tvb, 0, 0, flow->decrypted));
}

/* ---- certificates by server name ---- */

/* lower-cased server name -> wmem_array_t of issuer_seen_t, each issuer
 * once, in the order first seen; emptied with the file scope */
static wmem_map_t *issuers_by_name;

typedef struct {
    const gchar *issuer;     /* file scope (the certificate cache's) */
    guint32      frame;      /* its first certificate for the name */
} issuer_seen_t;

const gchar *
tume_flow_server_name(const tume_flow_t *flow)
{
    if (flow->sni != NULL && tume_host_name_valid((const guint8 *)flow->sni, strlen(flow->sni)))
        return flow->sni;
    return flow->cert != NULL && flow->cert->parsed ? flow->cert->subject_cn : NULL;
}

void
tume_flow_note_certificate(tume_flow_t *flow)
{
    const tume_cert_info_t *c = flow->cert;

    if (c == NULL || !c->parsed || c->issuer == NULL)
        return;
    const char *label = tume_interceptor_match(tume_cfg->interceptors, c->issuer);
    flow->intercepted_by = label != NULL ? wmem_strdup(wmem_file_scope(), label) : NULL;
    const gchar *name = tume_flow_server_name(flow);
    if (name == NULL)
        return;
    gchar *key = g_ascii_strdown(name, -1);
    wmem_array_t *seen = (wmem_array_t *)wmem_map_lookup(issuers_by_name, key);
    if (seen == NULL) {
        seen = wmem_array_new(wmem_file_scope(), sizeof(issuer_seen_t));
        wmem_map_insert(issuers_by_name, wmem_strdup(wmem_file_scope(), key), seen);
    }
    g_free(key);
    guint n = wmem_array_get_count(seen);
    gboolean known = FALSE;
    for (guint i = 0; i < n && !known; i++)
        known = strcmp(((issuer_seen_t *)wmem_array_index(seen, i))->issuer, c->issuer) == 0;
    if (!known && n < 64) {       /* a bound: one name, at most 64 issuers kept */
        issuer_seen_t e = { c->issuer, flow->cert_frame };
        wmem_array_append_one(seen, e);
    }
    flow->issuers_seen = seen;
}

const gchar *
tume_flow_other_issuer(const tume_flow_t *flow, guint32 *frame)
{
    if (flow->issuers_seen == NULL || flow->cert == NULL || flow->cert->issuer == NULL)
        return NULL;
    for (guint i = 0; i < wmem_array_get_count(flow->issuers_seen); i++) {
        const issuer_seen_t *e = (const issuer_seen_t *)wmem_array_index(flow->issuers_seen, i);
        if (strcmp(e->issuer, flow->cert->issuer) != 0) {
            *frame = e->frame;
            return e->issuer;
        }
    }
    return NULL;
}

/* The HTTP proxy the flow goes through. */
static void
add_proxy_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tt, const tume_flow_t *flow)
{
    if (flow->proxy_connect == NULL)
        return;
    add_generated_string(tt, hf_tume_proxy_connect, tvb, flow->proxy_connect);
    char *a = address_to_str(pinfo->pool, &flow->server_addr);
    add_generated_string(tt, hf_tume_proxy_address, tvb,
                         flow->server_addr.type == AT_IPv6
                             ? wmem_strdup_printf(pinfo->pool, "[%s]:%u", a, flow->server_port)
                             : wmem_strdup_printf(pinfo->pool, "%s:%u", a, flow->server_port));
}

proto_tree *
tume_packet_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow)
{
    proto_tree *tt = (proto_tree *)p_get_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_TREE);
    if (tt != NULL || tree == NULL)
        return tt;

    /* the decrypted payload says what the flow is; else the host lists */
    tume_flow_kind_t kind = tume_flow_kind(flow);
    proto_item *ti = proto_tree_add_item(tree, proto_tume, tvb, 0, -1, ENC_NA);
    tt = proto_item_add_subtree(ti, ett_tume);
    add_generated_string(tt, hf_tume_flow, tvb, tume_flow_kind_name(kind));
    for (guint i = 0; i < G_N_ELEMENTS(evidence_names); i++) {
        if (flow->evidence & (1u << i))
            add_generated_string(tt, hf_tume_evidence, tvb, evidence_names[i]);
    }
    add_tls_items(tvb, tt, flow);
    add_proxy_items(tvb, pinfo, tt, flow);
    proto_item_append_text(ti, ", %s flow", tume_flow_kind_name(kind));
    if (flow->proxy_connect != NULL)
        proto_item_append_text(ti, " through an HTTP proxy");
    p_add_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_TREE, tt);
    return tt;
}

int
tume_flow_direction(const tume_flow_t *flow, const packet_info *pinfo)
{
    if (flow->server_addr.type == AT_NONE)
        return -1;
    /* in a tunnel HTTP shows TLS the CONNECT's port for the proxy's */
    if ((pinfo->destport == flow->server_port || (flow->tunnel_port != 0 && pinfo->destport == flow->tunnel_port))
        && addresses_equal(&pinfo->dst, &flow->server_addr))
        return 1;
    if ((pinfo->srcport == flow->server_port || (flow->tunnel_port != 0 && pinfo->srcport == flow->tunnel_port))
        && addresses_equal(&pinfo->src, &flow->server_addr))
        return 0;
    return -1;
}

guint
tume_flow_dir_index(const tume_flow_t *flow, const packet_info *pinfo)
{
    int d = tume_flow_direction(flow, pinfo);
    if (d >= 0 || flow->server_addr.type != AT_NONE)
        return d == 0 ? 1 : 0;
    int c = cmp_address(&pinfo->src, &pinfo->dst);
    return (c > 0 || (c == 0 && pinfo->srcport > pinfo->destport)) ? 1 : 0;
}

gboolean
tume_flow_from_server(const tume_flow_t *flow, const packet_info *pinfo)
{
    return flow->server_addr.type == AT_NONE || tume_flow_direction(flow, pinfo) == 0;
}

/* ---- cross-flow links ---- */

/* kind + key -> wmem_array_t of tume_link_t *, in frame order; emptied
 * with the file scope. */
static wmem_map_t *links;

static const char *
link_key(packet_info *pinfo, tume_link_kind_t kind, const char *key)
{
    return wmem_strdup_printf(pinfo->pool, "%d:%s", (int)kind, key);
}

tume_link_t *
tume_link_offer(packet_info *pinfo, tume_link_kind_t kind, const char *key, tume_link_t *same)
{
    if (key == NULL || *key == '\0' || PINFO_FD_VISITED(pinfo))
        return same;
    const char *k = link_key(pinfo, kind, key);
    wmem_array_t *offers = (wmem_array_t *)wmem_map_lookup(links, k);
    if (offers == NULL) {
        offers = wmem_array_new(wmem_file_scope(), sizeof(tume_link_t *));
        wmem_map_insert(links, wmem_strdup(wmem_file_scope(), k), offers);
    }
    tume_link_t *l = same;
    if (l == NULL) {
        l = wmem_new0(wmem_file_scope(), tume_link_t);
        l->frame = pinfo->num;
    }
    wmem_array_append_one(offers, l);
    return l;
}

const tume_link_t *
tume_link_use(packet_info *pinfo, tume_link_kind_t kind, const char *key)
{
    if (key == NULL || *key == '\0')
        return NULL;
    wmem_array_t *offers = (wmem_array_t *)wmem_map_lookup(links, link_key(pinfo, kind, key));
    if (offers == NULL)
        return NULL;
    /* offers are in frame order: the last one before this frame (binary
     * search: a capture may repeat one token many times) */
    guint lo = 0, hi = wmem_array_get_count(offers);
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if ((*(tume_link_t **)wmem_array_index(offers, mid))->frame < pinfo->num)
            lo = mid + 1;
        else
            hi = mid;
    }
    tume_link_t *found = lo > 0 ? *(tume_link_t **)wmem_array_index(offers, lo - 1) : NULL;
    if (found != NULL && !PINFO_FD_VISITED(pinfo)) {
        if (found->uses == NULL)
            found->uses = wmem_array_new(wmem_file_scope(), sizeof(guint32));
        guint n = wmem_array_get_count(found->uses);
        if (n == 0 || *(guint32 *)wmem_array_index(found->uses, n - 1) != pinfo->num)
            wmem_array_append_one(found->uses, pinfo->num);
    }
    return found;
}

/* ---- the tap ---- */

void
tume_tap_note_message(packet_info *pinfo, const char *type, tume_flow_kind_t role,
                      guint32 sensitive, guint count)
{
    if (!have_tap_listener(tume_tap))
        return;
    wmem_array_t *msgs = (wmem_array_t *)p_get_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_TAP_MSGS);
    if (msgs == NULL) {
        msgs = wmem_array_new(pinfo->pool, sizeof(tume_tap_msg_t));
        p_add_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_TAP_MSGS, msgs);
    }
    tume_tap_msg_t m = { type, role, sensitive, count };
    wmem_array_append_one(msgs, m);
}

void
tume_tap_queue(packet_info *pinfo, const tume_flow_t *flow, const tume_pkt_t *pkt)
{
    if (!have_tap_listener(tume_tap))
        return;
    wmem_array_t *msgs = (wmem_array_t *)p_get_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_TAP_MSGS);
    tume_tap_info_t *ti = wmem_new0(pinfo->pool, tume_tap_info_t);
    ti->flow = flow;
    ti->kind = tume_flow_kind(flow);
    ti->direction = tume_flow_direction(flow, pinfo);
    ti->frame_bytes = pinfo->fd->pkt_len;
    if (msgs != NULL) {
        ti->msgs = (const tume_tap_msg_t *)wmem_array_get_raw(msgs);
        ti->nmsgs = wmem_array_get_count(msgs);
    }
    if (pkt != NULL && pkt->enc != NULL) {
        ti->enc = (const tume_enc_rec_t *)wmem_array_get_raw(pkt->enc);
        ti->nenc = wmem_array_get_count(pkt->enc);
    }
    tap_queue_packet(tume_tap, pinfo, ti);
}

void
tume_flow_register(expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_tume_flow,
          { "Flow", "tume.flow", FT_STRING, BASE_NONE, NULL, 0x0,
            "signalling (SIP/TLS), provisioning (JSON/HTTPS) or unknown", HFILL } },
        { &hf_tume_evidence,
          { "Evidence", "tume.evidence", FT_STRING, BASE_NONE, NULL, 0x0,
            "Why this flow is TU Me", HFILL } },
        { &hf_tume_cert_subject,
          { "Certificate subject", "tume.cert.subject", FT_STRING, BASE_NONE, NULL, 0x0,
            "Server certificate subject DN (RFC 4514)", HFILL } },
        { &hf_tume_cert_issuer,
          { "Certificate issuer", "tume.cert.issuer", FT_STRING, BASE_NONE, NULL, 0x0,
            "Server certificate issuer DN (RFC 4514)", HFILL } },
        { &hf_tume_cert_san,
          { "Certificate SAN", "tume.cert.san", FT_STRING, BASE_NONE, NULL, 0x0,
            "Server certificate subjectAltName dNSName", HFILL } },
        { &hf_tume_cert_not_after,
          { "Certificate not after", "tume.cert.not_after", FT_ABSOLUTE_TIME, ABSOLUTE_TIME_UTC, NULL, 0x0,
            "End of the server certificate's validity", HFILL } },
        { &hf_tume_cert_self_signed,
          { "Certificate self-signed", "tume.cert.self_signed", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Issuer equals subject", HFILL } },
        { &hf_tume_sni,
          { "Server name (SNI)", "tume.sni", FT_STRING, BASE_NONE, NULL, 0x0,
            "server_name of the ClientHello", HFILL } },
        { &hf_tume_cert_intercepted_by,
          { "Intercepted by", "tume.cert.intercepted_by", FT_STRING, BASE_NONE, NULL, 0x0,
            "The interception proxy whose CA issued the server certificate (tume.interception_issuers): "
            "the certificate and its issuer are the proxy's, not the server's", HFILL } },
        { &hf_tume_cert_other_issuer,
          { "Other issuer for this server name", "tume.cert.other_issuer", FT_STRING, BASE_NONE, NULL, 0x0,
            "Another issuer (RFC 4514) whose certificate for the same server name (SNI, else subject CN) "
            "is in this capture (in one pass: seen so far)", HFILL } },
        { &hf_tume_cert_other_issuer_in,
          { "Other issuer's certificate in", "tume.cert.other_issuer_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "The frame of that other issuer's first certificate for the name", HFILL } },
        { &hf_tume_proxy_connect,
          { "Proxy CONNECT", "tume.proxy.connect", FT_STRING, BASE_NONE, NULL, 0x0,
            "The authority (host:port) of the HTTP CONNECT request that opened this flow's tunnel "
            "through an HTTP proxy", HFILL } },
        { &hf_tume_proxy_address,
          { "Proxy", "tume.proxy.address", FT_STRING, BASE_NONE, NULL, 0x0,
            "The HTTP proxy's address and port (address:port) this flow's tunnel goes through", HFILL } },
        { &hf_tume_decrypted,
          { "Decrypted", "tume.decrypted", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Whether the TLS payload of this flow could be decrypted", HFILL } },
    };
    static gint *ett[] = { &ett_tume };
    static ei_register_info ei[] = {
        { &ei_tume_msg_info,
          { "tume.msg.info", PI_SEQUENCE, PI_CHAT, "TU Me message", EXPFILL } },
        { &ei_tume_malformed,
          { "tume.malformed", PI_MALFORMED, PI_ERROR, "Malformed TU Me message", EXPFILL } },
    };

    proto_register_field_array(proto_tume, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
    tume_tap = register_tap("tume");
    links = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_str_hash, g_str_equal);
    issuers_by_name = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_str_hash, g_str_equal);
}

/* ---- where bytes are, across passes ---- */

/* tvb must be a data source itself, else at->ds is -1 */
static void
src_span_of(packet_info *pinfo, tvbuff_t *tvb, gint start, gint len, tume_src_span_t *at)
{
    gint i = 0;

    at->ds = -1;
    if (tvb == NULL || start < 0 || len < 0)
        return;
    for (GSList *l = pinfo->data_src; l != NULL && i < G_MAXINT16; l = l->next, i++) {
        if (get_data_source_tvb((const struct data_source *)l->data) == tvb) {
            at->ds = i;
            at->ds_len = tvb_captured_length(tvb);
            at->start = start;
            at->len = len;
            return;
        }
    }
}

void
tume_src_span_of_any(packet_info *pinfo, tvbuff_t *tvb, gint start, gint len, tume_src_span_t *at)
{
    at->ds = -1;
    if (tvb == NULL || start < 0)
        return;
    tvbuff_t *ds = tvb_get_ds_tvb(tvb);
    gint base = ds == tvb ? 0 : tvb_raw_offset(tvb) - tvb_raw_offset(ds);
    if (ds == NULL || base < 0)
        return;
    src_span_of(pinfo, ds, base + start, len, at);
}

tvbuff_t *
tume_src_span_tvb(packet_info *pinfo, const tume_src_span_t *at, tvbuff_t *fallback, gint *start, gint *len)
{
    *start = *len = 0;
    if (at->ds < 0)
        return fallback;
    GSList *l = g_slist_nth(pinfo->data_src, (guint)at->ds);
    tvbuff_t *t = l != NULL ? get_data_source_tvb((const struct data_source *)l->data) : NULL;
    if (t == NULL || tvb_captured_length(t) != at->ds_len || (guint)at->start + (guint)at->len > at->ds_len)
        return fallback;
    *start = at->start;
    *len = at->len;
    return t;
}

tume_pkt_t *
tume_pkt_get(packet_info *pinfo, gboolean create)
{
    tume_pkt_t *pkt = (tume_pkt_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_tume, TUME_PKT_KEY_FILE);
    if (pkt == NULL && create && !PINFO_FD_VISITED(pinfo)) {
        pkt = wmem_new0(wmem_file_scope(), tume_pkt_t);
        p_add_proto_data(wmem_file_scope(), pinfo, proto_tume, TUME_PKT_KEY_FILE, pkt);
    }
    return pkt;
}
