/* tume-sip.c - TU Me signalling: SIP over TLS on TCP/443.
 *
 * A heuristic on the "tls" list recognises a SIP start line (or an RFC 5626
 * CRLF keep-alive) in decrypted application data and makes the TLS session
 * hand the rest of the stream to dissect_tume_sip_stream().  That function
 * frames the stream with sip_parse.c (Content-Length, keep-alives), asks TLS
 * to reassemble incomplete messages, and hands each complete message to
 * Wireshark's own SIP dissector ("sip.tcp"), so every stock SIP feature keeps
 * working.  On TU Me flows it then adds the TU Me message items.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/exceptions.h>
#include <epan/show_exception.h>

#include "tume.h"
#include "sip_parse.h"

static int hf_tume_msg_type = -1;
static int hf_tume_sip_call_id = -1;
static gint ett_tume_msg = -1;

static dissector_handle_t tume_sip_handle;
static dissector_handle_t sip_tcp_handle;

/* Evidence carried by one parsed SIP message. */
static guint32
sip_message_evidence(const guint8 *p, const tume_sip_msg_t *m)
{
    guint32 ev = 0;
    const tume_span_t *uris[] = { &m->ruri, &m->from, &m->to };
    tume_span_t host;

    for (guint i = 0; i < G_N_ELEMENTS(uris); i++) {
        if (uris[i]->len == 0)
            continue;
        if (tume_sip_uri_host(p + uris[i]->off, uris[i]->len, &host)
            && tume_domain_matches(tume_cfg->signalling_domains, p + uris[i]->off + host.off, host.len))
            ev |= TUME_EV_SIP_DOMAIN;
    }
    if (m->user_agent.len > 0
        && tume_user_agent_matches(tume_cfg->user_agents, p + m->user_agent.off, m->user_agent.len))
        ev |= TUME_EV_SIP_UA;
    return ev;
}

/* Adds the TU Me items of one message (or keep-alive) and names it in Info. */
static void
add_tume_message(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow,
                 int type_off, int type_len, const char *type, int callid_off, int callid_len)
{
    proto_tree *tt = tume_packet_tree(tvb, pinfo, tree, flow);
    proto_tree *mt;
    proto_item *ti;

    mt = proto_tree_add_subtree_format(tt, tvb, type_off, type_len, ett_tume_msg, NULL,
                                       "Signalling message: %s", type);
    ti = proto_tree_add_string(mt, hf_tume_msg_type, tvb, type_off, type_len, type);
    if (callid_len > 0)
        proto_tree_add_item(mt, hf_tume_sip_call_id, tvb, callid_off, callid_len, ENC_UTF_8);
    expert_add_info_format(pinfo, ti, &ei_tume_msg_info, "TU Me signalling: %s", type);
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "TU Me");
}

static void
dissect_keepalive(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow,
                  int offset, int len, gboolean ping)
{
    const char *type = ping ? "keepalive-ping" : "keepalive-pong";

    col_set_str(pinfo->cinfo, COL_PROTOCOL, "SIP");
    if (tume_flow_is_tume(flow, pinfo)) {
        col_append_fstr(pinfo->cinfo, COL_INFO, "TU Me %s", type);
        add_tume_message(tvb, pinfo, tree, flow, offset, len, type, 0, 0);
    } else {
        col_append_str(pinfo->cinfo, COL_INFO,
                       ping ? "SIP keep-alive ping (CRLFCRLF)" : "SIP keep-alive pong (CRLF)");
    }
    /* the same separator SIP puts after each message */
    col_append_str(pinfo->cinfo, COL_INFO, " | ");
    col_set_fence(pinfo->cinfo, COL_INFO);
}

/* One complete SIP message: evidence first, then Wireshark's SIP dissector,
 * then the TU Me items. */
static void
dissect_message(tvbuff_t *msg_tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow)
{
    guint avail = MIN(tvb_captured_length(msg_tvb), (guint)TUME_SIP_HEADER_MAX);
    const guint8 *p = tvb_get_ptr(msg_tvb, 0, avail);
    tume_sip_msg_t m;
    gboolean parsed, is_tume;
    const char *type;
    const tume_span_t *ts;

    parsed = tume_sip_parse_message(p, avail, &m);   /* framing accepted it */
    if (parsed)
        tume_flow_add_evidence(flow, pinfo, sip_message_evidence(p, &m));
    is_tume = parsed && tume_flow_is_tume(flow, pinfo);
    if (is_tume) {
        /* SIP replaces the Info text after the fence: label it before SIP runs */
        col_append_str(pinfo->cinfo, COL_INFO, "TU Me: ");
        col_set_fence(pinfo->cinfo, COL_INFO);
    }
    call_dissector(sip_tcp_handle, msg_tvb, pinfo, tree);
    if (!is_tume || pinfo->desegment_len != 0)
        return;

    ts = m.is_request ? &m.method : &m.status;
    type = (const char *)tvb_get_string_enc(pinfo->pool, msg_tvb, (int)ts->off, (int)ts->len,
                                            ENC_UTF_8);
    add_tume_message(msg_tvb, pinfo, tree, flow, (int)ts->off, (int)ts->len, type,
                     (int)m.call_id.off, (int)m.call_id.len);
}

static void
flag_malformed(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow,
               int offset, const char *why)
{
    if (tume_flow_is_tume(flow, pinfo)) {
        proto_tree *tt = tume_packet_tree(tvb, pinfo, tree, flow);
        proto_tree_add_expert_format(tt, pinfo, &ei_tume_malformed, tvb, offset, -1,
                                     "TU Me signalling: %s at offset %d of the decrypted stream",
                                     why, offset);
    }
}

/* The TLS application-data dissector for a SIP stream. */
static int
dissect_tume_sip_stream(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    /* TLS offers reassembly (can_desegment == 2); the call to us used one
     * level, the call to SIP will use another: give SIP what TLS offered. */
    const guint16 tls_can_desegment = pinfo->saved_can_desegment;
    const gboolean can_desegment = pinfo->can_desegment > 0;
    const int reported = (int)tvb_reported_length(tvb);
    tume_flow_t *flow = tume_flow_get(pinfo, TRUE);
    int offset = 0;

    tume_flow_set_kind(flow, pinfo, TUME_FLOW_SIGNALLING);
    tume_flow_set_decrypted(flow, pinfo);

    /* Our text replaces TLS's "Application Data" (after any fence TLS set). */
    col_clear(pinfo->cinfo, COL_INFO);

    /* Every pass advances offset by at least one byte or leaves the loop. */
    while (offset < reported) {
        int avail = tvb_captured_length_remaining(tvb, offset);
        if (avail <= 0)
            break;
        int peek = MIN(avail, TUME_SIP_HEADER_MAX);
        const guint8 *p = tvb_get_ptr(tvb, offset, peek);
        gsize pdu_len = 0;
        const char *why = NULL;
        tume_sip_frame_t fr = tume_sip_frame(p, (gsize)peek, &pdu_len, &why);

        if (fr == TUME_SIP_FRAME_NEED_MORE && pdu_len > 0 && (gsize)avail >= (gsize)peek + pdu_len) {
            /* header block within the peek window, body beyond it but present */
            fr = TUME_SIP_FRAME_MESSAGE;
            pdu_len += (gsize)peek;
        }
        if (fr == TUME_SIP_FRAME_NEED_MORE) {
            if (can_desegment && avail == reported - offset) {
                /* pdu_len: bytes missing after the peek window, if known */
                pinfo->desegment_offset = offset;
                pinfo->desegment_len = pdu_len > 0 ? (guint32)((gsize)peek + pdu_len - (gsize)avail)
                                                   : DESEGMENT_ONE_MORE_SEGMENT;
                return reported;
            }
            why = "SIP message truncated (reassembly not possible)";
            fr = TUME_SIP_FRAME_BAD;
        }
        if (fr == TUME_SIP_FRAME_NOT_SIP || fr == TUME_SIP_FRAME_BAD) {
            if (fr == TUME_SIP_FRAME_NOT_SIP)
                why = "data that is neither a SIP message nor a keep-alive";
            tvbuff_t *rest = tvb_new_subset_remaining(tvb, offset);
            col_set_str(pinfo->cinfo, COL_PROTOCOL, "SIP");
            col_append_fstr(pinfo->cinfo, COL_INFO, "[Unframed SIP stream data: %s]", why);
            call_data_dissector(rest, pinfo, tree);
            flag_malformed(tvb, pinfo, tree, flow, offset, why);
            return reported;
        }

        if (fr == TUME_SIP_FRAME_PING || fr == TUME_SIP_FRAME_PONG) {
            dissect_keepalive(tvb, pinfo, tree, flow, offset, (int)pdu_len, fr == TUME_SIP_FRAME_PING);
            offset += (int)pdu_len;
            continue;
        }

        tvbuff_t *msg_tvb = tvb_new_subset_length(tvb, offset, (int)pdu_len);
        const char *saved_proto = pinfo->current_proto;
        pinfo->can_desegment = tls_can_desegment;
        /* like tcp_dissect_pdus: a malformed message does not hide the next ones */
        TRY {
            dissect_message(msg_tvb, pinfo, tree, flow);
        }
        CATCH_NONFATAL_ERRORS {
            show_exception(msg_tvb, pinfo, tree, EXCEPT_CODE, GET_MESSAGE);
            pinfo->current_proto = saved_proto;
        }
        ENDTRY;
        if (pinfo->desegment_len != 0) {
            /* SIP wants more than our framing said; let TLS reassemble for it */
            pinfo->desegment_offset += offset;
            return reported;
        }
        offset += (int)pdu_len;
    }
    return offset;
}

/* Heuristic on decrypted TLS data (the session has no application handle yet). */
static gboolean
dissect_tume_sip_heur_tls(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    guint avail, off = 0;
    guint8 c;

    if (!tume_cfg->sip_heuristic || sip_tcp_handle == NULL)
        return FALSE;
    avail = tvb_captured_length(tvb);
    if (avail == 0)
        return FALSE;
    c = tvb_get_guint8(tvb, 0);
    if (c != '\r' && (c < 'A' || c > 'Z'))
        return FALSE;

    /* RFC 5626 keep-alives may come first: look past them (bounded by avail). */
    while (off + 1 < avail && tvb_get_guint8(tvb, off) == '\r' && tvb_get_guint8(tvb, off + 1) == '\n')
        off += 2;
    if (off == avail) {
        /* only keep-alives: claim them, but leave the stream undecided */
        dissect_tume_sip_stream(tvb, pinfo, tree, NULL);
        return TRUE;
    }

    guint peek = MIN(avail - off, (guint)TUME_SIP_START_LINE_MAX);
    switch (tume_sip_classify_start(tvb_get_ptr(tvb, off, peek), peek)) {
    case TUME_SIP_START_REQUEST:
    case TUME_SIP_START_STATUS:
        if (data != NULL)
            *(dissector_handle_t *)data = tume_sip_handle;
        dissect_tume_sip_stream(tvb, pinfo, tree, NULL);
        return TRUE;
    case TUME_SIP_START_PREFIX:
        /* A start line cut by the record boundary: decide once it is whole,
         * rather than letting the port's dissector (HTTP) take the stream. */
        if (pinfo->can_desegment == 0 || avail < tvb_reported_length(tvb))
            return FALSE;
        pinfo->desegment_offset = 0;
        pinfo->desegment_len = DESEGMENT_ONE_MORE_SEGMENT;
        return TRUE;
    default:
        return FALSE;
    }
}

void
tume_sip_register(void)
{
    static hf_register_info hf[] = {
        { &hf_tume_msg_type,
          { "Message type", "tume.msg_type", FT_STRING, BASE_NONE, NULL, 0x0,
            "SIP method, \"code reason\" of a response, keepalive-ping/-pong, or provisioning type",
            HFILL } },
        { &hf_tume_sip_call_id,
          { "Call-ID", "tume.sip.call_id", FT_STRING, BASE_NONE, NULL, 0x0,
            "Call-ID of a TU Me signalling message", HFILL } },
    };
    static gint *ett[] = { &ett_tume_msg };

    proto_register_field_array(proto_tume, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    /* No protocol on the handle: a plain SIP flow must not list "tume" in
     * frame.protocols; the TU Me items are added only on TU Me flows. */
    tume_sip_handle = register_dissector("tume_sip", dissect_tume_sip_stream, -1);
}

void
tume_sip_handoff(void)
{
    sip_tcp_handle = find_dissector_add_dependency("sip.tcp", proto_tume);
    heur_dissector_add("tls", dissect_tume_sip_heur_tls, "TU Me SIP over TLS", "tume_sip_tls",
                       proto_tume, HEURISTIC_ENABLE);
}
