/* packet-tume.c - the TU Me protocol: registration, preferences, per-flow
 * evidence and the post-dissector that marks every packet of a TU Me flow.
 *
 * Message-level dissection lives in the glue files (tume-sip.c); pure logic
 * in sip_parse.c and domain_match.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto_data.h>
#include <epan/conversation.h>
#include <epan/expert.h>

#include "tume.h"
#include "compat.h"

void proto_register_tume(void);
void proto_reg_handoff_tume(void);

int proto_tume = -1;

static int hf_tume_flow = -1;
static int hf_tume_evidence = -1;

static gint ett_tume = -1;

expert_field ei_tume_msg_info = EI_INIT;
expert_field ei_tume_malformed = EI_INIT;

static dissector_handle_t tume_post_handle;
static int proto_tls_id = -1;
static int hf_tcp_len_id = -1;


/* ---- preferences ---- */

#define TUME_DEFAULT_SIGNALLING_DOMAINS "jajah.com"
#define TUME_DEFAULT_PROVISIONING_DOMAINS "tu.com, jajah.com"
#define TUME_DEFAULT_USER_AGENTS        "TU Me, TUMe"

static tume_pref_bool_t pref_sip_heuristic = TRUE;
static const char *pref_signalling_domains = TUME_DEFAULT_SIGNALLING_DOMAINS;
static const char *pref_provisioning_domains = TUME_DEFAULT_PROVISIONING_DOMAINS;
static const char *pref_user_agents = TUME_DEFAULT_USER_AGENTS;

static tume_config_t tume_config;
const tume_config_t *tume_cfg = &tume_config;

static void
tume_prefs_apply(void)
{
    tume_strlist_free(tume_config.signalling_domains);
    tume_strlist_free(tume_config.provisioning_domains);
    tume_strlist_free(tume_config.user_agents);
    tume_config.sip_heuristic = pref_sip_heuristic;
    tume_config.signalling_domains = tume_domain_list_new(pref_signalling_domains);
    tume_config.provisioning_domains = tume_domain_list_new(pref_provisioning_domains);
    tume_config.user_agents = tume_product_list_new(pref_user_agents);
}

static void
tume_shutdown(void)
{
    tume_strlist_free(tume_config.signalling_domains);
    tume_strlist_free(tume_config.provisioning_domains);
    tume_strlist_free(tume_config.user_agents);
    memset(&tume_config, 0, sizeof tume_config);
    tume_api_shutdown();
}

/* ---- flows ---- */

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
    if (flow == NULL && create) {
        flow = wmem_new0(wmem_file_scope(), tume_flow_t);
        conversation_add_proto_data(conv, proto_tume, flow);
    }
    return flow;
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

tume_flow_kind_t
tume_flow_kind(const tume_flow_t *flow)
{
    return flow->kind != TUME_FLOW_UNKNOWN ? flow->kind : flow->host_kind;
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

static const char *
flow_kind_name(tume_flow_kind_t kind)
{
    switch (kind) {
    case TUME_FLOW_SIGNALLING:   return "signalling";
    case TUME_FLOW_PROVISIONING: return "provisioning";
    default:                     return "unknown";
    }
}

static const char *const evidence_names[] = {
    "cert-subject", "cert-san", "sni", "http-host", "sip-domain", "sip-user-agent",
    "api-signature"
};

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
    proto_item *it = proto_tree_add_string(tt, hf_tume_flow, tvb, 0, 0, flow_kind_name(kind));
    proto_item_set_generated(it);
    for (guint i = 0; i < G_N_ELEMENTS(evidence_names); i++) {
        if (flow->evidence & (1u << i)) {
            it = proto_tree_add_string(tt, hf_tume_evidence, tvb, 0, 0, evidence_names[i]);
            proto_item_set_generated(it);
        }
    }
    tume_tls_add_flow_items(tvb, tt, flow);
    proto_item_append_text(ti, ", %s flow", flow_kind_name(kind));
    p_add_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_TREE, tt);
    return tt;
}

/* ---- post-dissector: mark every payload packet of a TU Me flow ---- */

void
tume_want_hfids(GArray *wanted, const int *ids, guint n)
{
    for (guint i = 0; i < n; i++) {
        if (ids[i] > 0)
            g_array_append_val(wanted, ids[i]);
    }
}

static gboolean
frame_has_tls(packet_info *pinfo)
{
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
        if (GPOINTER_TO_INT(wmem_list_frame_data(f)) == proto_tls_id)
            return TRUE;
    }
    return FALSE;
}

/* TCP payload length of this packet from the primed tcp.len field; when no
 * tree was built (nothing primed), fall back to "TLS saw data". */
static gboolean
frame_has_tcp_payload(packet_info *pinfo, proto_tree *tree)
{
    if (tree != NULL && hf_tcp_len_id > 0) {
        GPtrArray *arr = proto_get_finfo_ptr_array(tree, hf_tcp_len_id);
        if (arr != NULL && arr->len > 0) {
            field_info *fi = (field_info *)g_ptr_array_index(arr, arr->len - 1);
            return tume_fvalue_uint(fi) > 0;
        }
    }
    return frame_has_tls(pinfo);
}

static int
dissect_tume_post(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    tume_pkt_t *pkt;
    tume_flow_t *flow;

    if (pinfo->ptype != PT_TCP)
        return 0;

    if (!PINFO_FD_VISITED(pinfo)) {
        flow = tume_flow_get(pinfo, FALSE);
        if (flow == NULL) {
            if (!frame_has_tls(pinfo))
                return 0;
            flow = tume_flow_get(pinfo, TRUE);
        }
        pkt = wmem_new0(wmem_file_scope(), tume_pkt_t);
        pkt->has_payload = frame_has_tcp_payload(pinfo, tree);
        tume_tls_first_pass(pinfo, tree, flow, pkt);
        tume_api_first_pass(pinfo, tree, flow, pkt);
        if (!pkt->has_payload)
            return 0;           /* nothing to mark, nothing to keep */
        p_add_proto_data(wmem_file_scope(), pinfo, proto_tume, TUME_PKT_KEY_FILE, pkt);
    } else {
        pkt = (tume_pkt_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_tume, TUME_PKT_KEY_FILE);
        if (pkt == NULL)
            return 0;
        flow = tume_flow_get(pinfo, FALSE);
    }
    if (tume_flow_is_tume(flow, pinfo)) {
        proto_tree *tt = tume_packet_tree(tvb, pinfo, tree, flow);
        tume_tls_add_packet_items(tvb, pinfo, tt, flow, pkt);
        tume_api_add_items(tvb, pinfo, tt, pkt);
    }
    return 0;
}

/* ---- registration ---- */

void
proto_register_tume(void)
{
    static hf_register_info hf[] = {
        { &hf_tume_flow,
          { "Flow", "tume.flow", FT_STRING, BASE_NONE, NULL, 0x0,
            "signalling (SIP/TLS), provisioning (JSON/HTTPS) or unknown", HFILL } },
        { &hf_tume_evidence,
          { "Evidence", "tume.evidence", FT_STRING, BASE_NONE, NULL, 0x0,
            "Why this flow is TU Me", HFILL } },
    };
    static gint *ett[] = { &ett_tume };
    static ei_register_info ei[] = {
        { &ei_tume_msg_info,
          { "tume.msg.info", PI_SEQUENCE, PI_CHAT, "TU Me message", EXPFILL } },
        { &ei_tume_malformed,
          { "tume.malformed", PI_MALFORMED, PI_ERROR, "Malformed TU Me message", EXPFILL } },
    };
    module_t *module;
    expert_module_t *expert_tume;

    proto_tume = proto_register_protocol("TU Me (Telefonica Digital text/talk app)", "TU Me", "tume");
    proto_register_field_array(proto_tume, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_tume = expert_register_protocol(proto_tume);
    expert_register_field_array(expert_tume, ei, array_length(ei));

    module = prefs_register_protocol(proto_tume, tume_prefs_apply);
    prefs_register_string_preference(module, "signalling_domains",
        "Signalling domains",
        "Domains of the TU Me signalling (SIP/TLS) service, separated by commas or spaces. "
        "\"jajah.com\" (or \"*.jajah.com\") matches jajah.com and every name under it. "
        "A SIP Request-URI, From or To under one of them is TU Me evidence (sip-domain).",
        &pref_signalling_domains);
    prefs_register_string_preference(module, "provisioning_domains",
        "Provisioning API domains",
        "Domains of the TU Me provisioning API (JSON over HTTPS), same syntax. A server "
        "certificate or SNI under a signalling or provisioning domain is TU Me evidence; "
        "the list with the more specific match names the flow's role (a tie: signalling).",
        &pref_provisioning_domains);
    prefs_register_string_preference(module, "user_agents",
        "TU Me User-Agent names",
        "Product names, separated by commas, that mark a SIP User-Agent as the TU Me app "
        "(case-insensitive, matched as a whole word). Evidence: sip-user-agent.",
        &pref_user_agents);
    prefs_register_bool_preference(module, "sip_heuristic",
        "Detect SIP inside TLS",
        "Try the SIP-over-TLS heuristic on decrypted TLS application data before the "
        "port-based dissector (HTTP on 443) takes the stream. Can also be switched with "
        "--disable-heuristic tume_sip_tls.",
        &pref_sip_heuristic);

    tume_sip_register();
    tume_tls_register();
    tume_api_register(module);

    tume_post_handle = create_dissector_handle(dissect_tume_post, proto_tume);
    tume_prefs_apply();
    register_shutdown_routine(tume_shutdown);
}

void
proto_reg_handoff_tume(void)
{
    GArray *wanted;

    proto_tls_id = proto_get_id_by_filter_name("tls");
    hf_tcp_len_id = proto_registrar_get_id_byname("tcp.len");
    tume_sip_handoff();
    tume_tls_handoff();
    tume_api_handoff();

    /* Fields the post-dissector reads.  Asking for them makes tshark build a
     * protocol tree for every packet (tests/benchmark.py measures the cost). */
    register_postdissector(tume_post_handle);
    wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    tume_want_hfids(wanted, &hf_tcp_len_id, 1);
    tume_tls_wanted_hfids(wanted);
    tume_api_wanted_hfids(wanted);
    set_postdissector_wanted_hfids(tume_post_handle, wanted);
}
