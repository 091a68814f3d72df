/* packet-tume.c - the TU Me protocol on top: registration, preferences,
 * and the post-dissector that marks every packet of a TU Me flow.
 *
 * The data path: the glue files (tume-tls.c: handshake; tume-sip.c: the SIP
 * stream; tume-api.c: HTTP messages) record facts in the flow module
 * (tume-flow.c), which owns the flows and the "tume" tree; pure logic sits
 * in the *_parse.c and domain_match.c files below them.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto_data.h>
#include <epan/conversation.h>
#include <epan/expert.h>

#include "tume-flow.h"
#include "tume-sip.h"
#include "tume-tls.h"
#include "tume-api.h"
#include "tume-stats.h"
#include "tume-proxy.h"
#include "compat.h"

void proto_register_tume(void);
void proto_reg_handoff_tume(void);

static dissector_handle_t tume_post_handle;
static int proto_tls_id = -1;

/* Per file: has a flow been found on a conversation whose ports TCP does
 * not give to TLS (Decode As, a TLS heuristic)?  Until one has, a packet
 * with no TLS in it on such ports cannot belong to a flow, and needs no
 * conversation lookup. */
static gboolean offport_flows;

static void
tume_post_init(void)
{
    offport_flows = FALSE;
}


/* ---- preferences ---- */

#define TUME_DEFAULT_SIGNALLING_DOMAINS "jajah.com"
#define TUME_DEFAULT_PROVISIONING_DOMAINS "tu.com, jajah.com"
#define TUME_DEFAULT_USER_AGENTS        "TU Me, TUMe"
#define TUME_DEFAULT_INTERCEPTORS       "mitmproxy=mitmproxy, Burp Suite=PortSwigger, " \
                                        "Charles=Charles Proxy, Fiddler=DO_NOT_TRUST_FiddlerRoot, " \
                                        "OWASP ZAP=OWASP Zed Attack Proxy"

static const char *pref_signalling_domains = TUME_DEFAULT_SIGNALLING_DOMAINS;
static const char *pref_provisioning_domains = TUME_DEFAULT_PROVISIONING_DOMAINS;
static const char *pref_user_agents = TUME_DEFAULT_USER_AGENTS;
static const char *pref_interceptors = TUME_DEFAULT_INTERCEPTORS;

static void
tume_prefs_apply(void)
{
    tume_config_apply(pref_signalling_domains, pref_provisioning_domains,
                      pref_user_agents, pref_interceptors);
}

static void
tume_shutdown(void)
{
    tume_config_free();
    tume_api_shutdown();
}

/* ---- post-dissector: mark every payload packet of a TU Me flow ---- */

static gboolean
frame_has_tls(packet_info *pinfo)
{
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
        if (GPOINTER_TO_INT(wmem_list_frame_data(f)) == proto_tls_id)
            return TRUE;
    }
    return FALSE;
}

/* What this TCP segment is, read from the packet's own IP and TCP headers,
 * found through the network source address (which points into the frame's
 * bytes): no protocol tree needed.  UNKNOWN when the headers are not plain
 * IPv4/IPv6 + TCP.  An IP fragment's bytes are not a TCP header: for the
 * fragment that completed a datagram, the segment is read from the
 * datagram IP reassembled (the "Reassembled IPv4/IPv6" data source); any
 * other fragment is UNKNOWN.  *seg_tvb: the tvb the payload offsets are in. */
typedef enum {
    SEG_UNKNOWN = 0,
    SEG_EMPTY,          /* no payload, no SYN: a bare ACK, FIN or RST */
    SEG_SYN,            /* no payload, SYN */
    SEG_PAYLOAD
} tcp_seg_t;

/* The TCP segment at the start of t (total bytes reported), if its ports
 * are this packet's. */
static tcp_seg_t
tcp_header_kind(tvbuff_t *t, guint at, guint total, packet_info *pinfo, guint *payload_off, guint *payload_len)
{
    /* one bounds check for the 14 bytes read: this runs on every TCP packet */
    if (at + 14 > total || !tvb_bytes_exist(t, (gint)at, 14))
        return SEG_UNKNOWN;
    const guint8 *h = tvb_get_ptr(t, (gint)at, 14);
    if (((guint)h[0] << 8 | h[1]) != pinfo->srcport || ((guint)h[2] << 8 | h[3]) != pinfo->destport)
        return SEG_UNKNOWN;
    guint doff = (h[12] >> 4) * 4u;
    if (total > at + doff) {
        *payload_off = at + doff;
        *payload_len = total - at - doff;
        return SEG_PAYLOAD;
    }
    return (h[13] & 0x02) ? SEG_SYN : SEG_EMPTY;
}

static tcp_seg_t
reassembled_segment(packet_info *pinfo, const char *source, tvbuff_t **seg_tvb, guint *payload_off,
                    guint *payload_len)
{
    tvbuff_t *t = tume_data_source_tvb(pinfo, source);
    if (t == NULL)
        return SEG_UNKNOWN;                   /* a fragment that completed nothing */
    *seg_tvb = t;
    return tcp_header_kind(t, 0, tvb_reported_length(t), pinfo, payload_off, payload_len);
}

static tcp_seg_t
tcp_segment_kind(tvbuff_t *tvb, packet_info *pinfo, tvbuff_t **seg_tvb, guint *payload_off, guint *payload_len)
{
    guint len = tvb_captured_length(tvb);
    const guint8 *base = tvb_get_ptr(tvb, 0, (gint)len);
    const guint8 *src = (const guint8 *)pinfo->net_src.data;
    guint ip, total = 0, hdr;

    *seg_tvb = tvb;
    if (src == NULL || src < base || src >= base + len)
        return SEG_UNKNOWN;
    guint at = (guint)(src - base);
    if (pinfo->net_src.type == AT_IPv4 && at >= 12) {
        ip = at - 12;
        if (ip + 20 > len || (base[ip] >> 4) != 4 || base[ip + 9] != 6)
            return SEG_UNKNOWN;
        if ((((guint)base[ip + 6] << 8 | base[ip + 7]) & 0x3fff) != 0)    /* MF or a fragment offset */
            return reassembled_segment(pinfo, "Reassembled IPv4", seg_tvb, payload_off, payload_len);
        hdr = (base[ip] & 0x0f) * 4u;
        total = ((guint)base[ip + 2] << 8 | base[ip + 3]);
        if (total == 0)                       /* TSO / GSO: the capture's own length */
            total = tvb_reported_length(tvb) - ip;
    } else if (pinfo->net_src.type == AT_IPv6 && at >= 8) {
        ip = at - 8;
        if (ip + 40 > len || (base[ip] >> 4) != 6)
            return SEG_UNKNOWN;
        if (base[ip + 6] == 44)               /* a fragment header first */
            return reassembled_segment(pinfo, "Reassembled IPv6", seg_tvb, payload_off, payload_len);
        if (base[ip + 6] != 6)
            return SEG_UNKNOWN;               /* other extension headers: not worth walking here */
        hdr = 40;
        total = 40u + ((guint)base[ip + 4] << 8 | base[ip + 5]);
    } else {
        return SEG_UNKNOWN;
    }
    if (total < hdr)
        return SEG_UNKNOWN;
    return tcp_header_kind(tvb, ip + hdr, ip + total, pinfo, payload_off, payload_len);
}

/* SIP ends each message's Info text with " | " (a separator for the next
 * message of the frame); on the frame's last message, and on keep-alives,
 * that leaves a stray "|".  Trim it on TU Me packets, once every
 * dissector has written. */
static void
trim_info_separator(packet_info *pinfo)
{
    if (pinfo->cinfo == NULL || !col_get_writable(pinfo->cinfo, COL_INFO))
        return;
    const char *t = col_get_text(pinfo->cinfo, COL_INFO);
    if (t == NULL)
        return;
    size_t e = strlen(t);
    while (e > 0 && t[e - 1] == ' ')
        e--;
    if (e == 0 || t[e - 1] != '|')
        return;
    e--;
    while (e > 0 && t[e - 1] == ' ')
        e--;
    char *c = wmem_strndup(pinfo->pool, t, e);
    col_clear_fence(pinfo->cinfo, COL_INFO);
    col_add_str(pinfo->cinfo, COL_INFO, c);
}

static int
dissect_tume_post(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    tume_pkt_t *pkt = NULL;
    tume_flow_t *flow;
    gboolean settled;

    if (pinfo->ptype != PT_TCP)
        return 0;
    /* A bare ACK, FIN or RST gets no mark (no payload) and needs no watch
     * (a TLS conversation is watched from its SYN, or else from its first
     * payload): no conversation lookup for it, the plugin's main cost on
     * traffic that is not TU Me. */
    guint poff = 0, plen = 0;
    tvbuff_t *seg_tvb = tvb;
    const tcp_seg_t seg = tcp_segment_kind(tvb, pinfo, &seg_tvb, &poff, &plen);
    if (seg == SEG_EMPTY)
        return 0;
    /* An HTTP CONNECT (a phone behind a proxy): a few byte compares on
     * every segment with payload, the tunnel set up on a match. */
    if (seg == SEG_PAYLOAD && plen >= 8 && !PINFO_FD_VISITED(pinfo)
        && tvb_captured_length_remaining(seg_tvb, (gint)poff) >= 8 && tvb_get_uint8(seg_tvb, poff) == 'C'
        && tvb_memeql(seg_tvb, (gint)poff, (const guint8 *)"CONNECT ", 8) == 0
        && tume_proxy_connect(pinfo, seg_tvb, poff, plen) != NULL)
        offport_flows = TRUE;     /* the tunnel's segments are on the proxy's port */
    /* Nor for a packet of ports that are not TLS's, with no TLS in it,
     * while no flow of the file sits on such ports. */
    const gboolean has_tls = frame_has_tls(pinfo);
    if (!offport_flows && !has_tls && !tume_tls_port_pair(pinfo))
        return 0;
    /* one conversation lookup per packet, for both */
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    flow = tume_flow_of(conv, &settled);
    if (!PINFO_FD_VISITED(pinfo)) {
        tvbuff_t *payload = NULL;
        if (seg == SEG_PAYLOAD && flow == NULL && !settled && poff < tvb_captured_length(seg_tvb)) {
            plen = MIN(plen, tvb_reported_length(seg_tvb) - poff);   /* an IP length that lies */
            payload = tvb_new_subset_length_caplen(seg_tvb, (gint)poff,
                                                   (gint)MIN(plen, tvb_captured_length(seg_tvb) - poff),
                                                   (gint)plen);
        }
        tume_tls_watch(pinfo, conv, flow == NULL && !settled, payload);
        if (payload != NULL)
            flow = tume_flow_of(conv, &settled);  /* the watch may have made it */
    }
    /* A direct TLS flow of a client that sends other traffic through an
     * HTTP proxy bypasses it (TU Me's signalling did): marked whether or
     * not it is TU Me.  Nothing to do without a CONNECT in the file. */
    guint32 bypass = 0;
    if (tume_proxy_in_use() && seg == SEG_PAYLOAD && tume_tls_port_pair(pinfo)
        && (settled || has_tls || (flow != NULL && flow->server_addr.type != AT_NONE))) {
        bypass = tume_proxy_bypass(pinfo, flow);
        if (bypass != 0 && flow != NULL)
            flow->bypass_connect = bypass;    /* a fact of the flow: -2 knows it from the start */
    }
    if (!PINFO_FD_VISITED(pinfo) && flow == NULL && !settled && has_tls)
        flow = tume_flow_get(pinfo, TRUE);        /* TLS that no front saw */
    if (flow == NULL) {
        if (bypass != 0 && tree != NULL)
            tume_proxy_add_bypass_items(tvb, tree, bypass);   /* not TU Me: no tume item */
        return 0;
    }
    if (!PINFO_FD_VISITED(pinfo) && !flow->ports_checked) {   /* once per flow */
        flow->ports_checked = TRUE;
        if (!tume_tls_port_pair(pinfo))
            offport_flows = TRUE;
    }
    /* the provisioning messages tume-api.c read from HTTP (first pass) */
    pkt = (tume_pkt_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_tume, TUME_PKT_KEY_FILE);
    if (!tume_flow_is_tume(flow, pinfo) || seg == SEG_SYN || (seg == SEG_UNKNOWN && !has_tls)) {
        if (bypass != 0 && tree != NULL)
            tume_proxy_add_bypass_items(tvb, tree, bypass);
        return 0;
    }
    proto_tree *tt = tume_packet_tree(tvb, pinfo, tree, flow);
    if (bypass != 0 && tt != NULL)
        tume_proxy_add_bypass_items(tvb, tt, bypass);
    tume_tls_add_packet_items(tvb, pinfo, tt, flow);
    if (pkt != NULL && pkt->enc != NULL)
        tume_tls_add_enc_items(tvb, pinfo, tt, flow, pkt);
    if (pkt != NULL)
        tume_api_add_items(tvb, pinfo, tt, pkt);
    tume_tap_queue(pinfo, flow, pkt);
    trim_info_separator(pinfo);
    return 0;
}

/* ---- registration ---- */

void
proto_register_tume(void)
{
    module_t *module;
    expert_module_t *em;

    proto_tume = proto_register_protocol("TU Me (Telefonica Digital text/talk app)", "TU Me", "tume");
    em = expert_register_protocol(proto_tume);
    tume_flow_register(em);
    tume_proxy_register();
    tume_stats_register();
    tume_flows_register(proto_tume);

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
    prefs_register_string_preference(module, "interception_issuers",
        "Interception proxy CAs",
        "Issuers of the certificates that intercepting proxies forge, separated by commas: "
        "\"Label=text\" (or just \"text\"), where an issuer DN containing text "
        "(case-insensitively) is that proxy's. A TU Me flow whose server certificate one of "
        "them issued is shown as intercepted (tume.cert.intercepted_by).",
        &pref_interceptors);
    /* The SIP heuristic is switched as every heuristic is: Analyze >
     * Enabled Protocols, --disable-heuristic tume_sip_tls. */
    prefs_register_obsolete_preference(module, "sip_heuristic");

    tume_sip_register();
    tume_tls_register(em);
    tume_api_register(module, em);

    tume_post_handle = create_dissector_handle(dissect_tume_post, proto_tume);
    register_init_routine(tume_post_init);
    tume_prefs_apply();
    register_shutdown_routine(tume_shutdown);
}

void
proto_reg_handoff_tume(void)
{
    proto_tls_id = proto_get_id_by_filter_name("tls");
    /* TLS tries the heuristic registered last first: SIP, then the API */
    tume_api_handoff();
    tume_sip_handoff();
    tume_tls_handoff();

    /* No wanted fields: asking tshark for any makes it build a protocol tree
     * for every packet of every capture (tests/benchmark.py measures it). */
    register_postdissector(tume_post_handle);
}
