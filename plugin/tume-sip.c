/* tume-sip.c - TU Me signalling: SIP over TLS on TCP/443.
 *
 * A heuristic on the "tls" list recognises a SIP start line in decrypted
 * application data and makes the TLS session hand the rest of the stream to
 * dissect_tume_sip_stream().  That function frames the stream with
 * sip_parse.c and hands each complete message to Wireshark's own SIP
 * dissector ("sip.tcp"), so every stock SIP feature keeps working, and adds
 * the TU Me message items on TU Me flows.
 *
 * The plugin's framing never overrides SIP's: it frames a message itself
 * only where it provably agrees with sip.tcp (sip_parse.h), and otherwise
 * "steps aside", handing the rest of the data to sip.tcp exactly as TLS on
 * port 5061 would, reassembly requests included.  What it adds over stock
 * is RFC 5626 keep-alive handling (sip.tcp rejects a record that starts
 * with CRLF) and the TU Me items.
 *
 * Keep-alives alone do not decide a stream: a lone CRLF may also be the
 * empty line HTTP allows before a request.  They are claimed only on flows
 * already shown to be TU Me signalling; the first real data then decides
 * between SIP and the port's own dissector (HTTP on 443), and both passes
 * make the same decision for every record.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/exceptions.h>
#include <epan/proto_data.h>
#include <epan/show_exception.h>

#include "tume-flow.h"
#include "tume-sip.h"
#include "compat.h"
#include "sip_parse.h"

int hf_tume_msg_type = -1;    /* also tume-api.c's */
static int hf_tume_sip_config_in = -1;
static int hf_tume_sip_call_id = -1;
static int hf_tume_keepalives_more = -1;
static gint ett_tume_msg = -1;
static int proto_tume_sip = -1;

static dissector_handle_t tume_sip_handle;
static dissector_handle_t sip_tcp_handle;
static int proto_sip = -1;          /* Wireshark's SIP: the heuristic steps aside while it is disabled */
static dissector_table_t tls_port_table;
static dissector_handle_t http_tls_handle, tume_http_handle;

/* Keep-alives of one record that get their own items; the rest are counted. */
#define KEEPALIVE_ITEMS_MAX 8
/* Note: a message trickling in tiny records costs a round of TLS
 * reassembly per record, each re-reading everything pending: quadratic, in
 * Wireshark's TLS reassembly as much as in the dissectors, exactly as when
 * Wireshark reads the stream as SIP on port 5061.  Asking TLS for more than
 * one segment at a time cannot avoid it: TLS takes the length asked for as
 * the exact end of the message and cuts the next record there. */
/* Bytes a message pending at the head of a direction may make us re-read
 * through reassembly rounds before we stop asking (a last resort against a
 * header block that never ends). */
#define REASSEMBLY_RESCAN_MAX (1024 * 1024)

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

/* "TU Me: " once per packet, before the first TU Me message's text. */
static void
info_label(packet_info *pinfo)
{
    if (p_get_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_INFO) != NULL)
        return;
    p_add_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_INFO, GINT_TO_POINTER(1));
    col_append_str(pinfo->cinfo, COL_INFO, "TU Me: ");
    col_set_fence(pinfo->cinfo, COL_INFO);
}

/* Adds the TU Me items of one message (or keep-alive). */
/* The subtree points at the whole message (msg_len bytes from msg_off),
 * the type at the method, status or keep-alive bytes. */
static void
add_tume_message(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow,
                 int msg_off, int msg_len, int type_off, int type_len, const char *type,
                 int callid_off, int callid_len, guint32 config_in)
{
    proto_tree *tt = tume_packet_tree(tvb, pinfo, tree, flow);
    proto_tree *mt;
    proto_item *ti;

    mt = proto_tree_add_subtree_format(tt, tvb, msg_off, msg_len, ett_tume_msg, NULL,
                                       "Signalling message: %s", type);
    ti = proto_tree_add_string(mt, hf_tume_msg_type, tvb, type_off, type_len, type);
    if (callid_len > 0)
        proto_tree_add_item(mt, hf_tume_sip_call_id, tvb, callid_off, callid_len, ENC_UTF_8);
    if (config_in != 0)
        proto_item_set_generated(proto_tree_add_uint(mt, hf_tume_sip_config_in, tvb, 0, 0, config_in));
    expert_add_info_format(pinfo, ti, &ei_tume_msg_info, "TU Me signalling: %s", type);
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "TU Me");
    tume_tap_note_message(pinfo, type, TUME_FLOW_SIGNALLING, 0, 1);
}

/* A REGISTER whose From is user@host of a SIP account that a config reply
 * gave out before (the reply's user name, under its domain or proxy): the
 * frame of that reply, else 0. */
static guint32
register_config(tvbuff_t *msg_tvb, packet_info *pinfo, const tume_sip_msg_t *m, const char *type)
{
    tume_span_t user, host;

    if (!m->is_request || strcmp(type, "REGISTER") != 0 || m->from.len == 0
        || m->from.off + m->from.len > tvb_captured_length(msg_tvb))
        return 0;
    const guint8 *from = tvb_get_ptr(msg_tvb, (int)m->from.off, (int)m->from.len);
    if (!tume_sip_uri_user(from, m->from.len, &user) || !tume_sip_uri_host(from, m->from.len, &host))
        return 0;
    gchar *h = g_ascii_strdown((const char *)from + host.off, (gssize)host.len);
    char *key = wmem_strdup_printf(pinfo->pool, "%.*s@%s", (int)user.len, (const char *)from + user.off, h);
    g_free(h);
    const tume_link_t *l = tume_link_use(pinfo, TUME_LINK_SIP_ACCOUNT, key);
    return l != NULL ? l->frame : 0;
}

/* The TU Me items of the SIP message at the start of msg_tvb, from our own
 * parse of its start line and headers (not from what SIP's body dissectors
 * did: they may have thrown). */
/* msg_len: the message's length in msg_tvb, when known (0: its start line
 * and headers). */
static void
add_sip_message_items(tvbuff_t *msg_tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow,
                      const tume_sip_msg_t *m, int msg_len)
{
    const tume_span_t *ts = m->is_request ? &m->method : &m->status;
    const char *type = (const char *)tvb_get_string_enc(pinfo->pool, msg_tvb, (int)ts->off, (int)ts->len,
                                                        ENC_UTF_8);
    int avail = (int)tvb_captured_length(msg_tvb);
    if (msg_len <= 0 || msg_len > avail)
        msg_len = (int)MIN(m->header_len > 0 ? m->header_len : (gsize)avail, (gsize)avail);
    add_tume_message(msg_tvb, pinfo, tree, flow, 0, msg_len, (int)ts->off, (int)ts->len, type,
                     (int)m->call_id.off, (int)m->call_id.len, register_config(msg_tvb, pinfo, m, type));
}

static void
flag_malformed(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow,
               int offset, const char *what)
{
    if (tume_flow_is_tume(flow, pinfo)) {
        proto_tree *tt = tume_packet_tree(tvb, pinfo, tree, flow);
        proto_tree_add_expert_format(tt, pinfo, &ei_tume_malformed, tvb, offset, -1,
                                     "TU Me signalling at offset %d of the decrypted stream: %s",
                                     offset, what);
    }
}

/* Parses the start line and headers at offset (bounded) for evidence and items. */
static gboolean
parse_at(tvbuff_t *tvb, int offset, tume_sip_msg_t *m, const guint8 **p)
{
    int avail = tvb_captured_length_remaining(tvb, offset);
    if (avail <= 0)
        return FALSE;
    avail = MIN(avail, TUME_SIP_HEADER_MAX);
    *p = tvb_get_ptr(tvb, offset, avail);
    return tume_sip_parse_message(*p, (gsize)avail, m);
}

/* Calls sip.tcp on msg_tvb with the reassembly ability TLS offered us, and
 * keeps an exception thrown below SIP (a body dissector, say) inside this
 * message, as tcp_dissect_pdus() does. */
static void
call_sip(tvbuff_t *msg_tvb, packet_info *pinfo, proto_tree *tree, guint16 tls_can_desegment)
{
    const char *saved_proto = pinfo->current_proto;

    pinfo->can_desegment = tls_can_desegment;
    TRY {
        call_dissector(sip_tcp_handle, msg_tvb, pinfo, tree);
    }
    CATCH_NONFATAL_ERRORS {
        show_exception(msg_tvb, pinfo, tree, EXCEPT_CODE, GET_MESSAGE);
        pinfo->current_proto = saved_proto;
    }
    ENDTRY;
}


/* May we ask TLS for more data for the message at the head of this call?
 * FALSE once the rounds for one message have re-read too much; the same
 * answer in later passes. */
static gboolean
may_reassemble(tvbuff_t *tvb, packet_info *pinfo, tume_flow_t *flow)
{
    guint32 mark = tvb_reported_length(tvb) + 1;
    if (PINFO_FD_VISITED(pinfo))
        return GPOINTER_TO_UINT(p_get_proto_data(wmem_file_scope(), pinfo, proto_tume,
                                                 TUME_PKT_KEY_SIP_GIVEUP)) != mark;
    guint d = tume_flow_dir_index(flow, pinfo);
    if (flow->sip_rescanned[d] <= REASSEMBLY_RESCAN_MAX)
        return TRUE;
    p_add_proto_data(wmem_file_scope(), pinfo, proto_tume, TUME_PKT_KEY_SIP_GIVEUP, GUINT_TO_POINTER(mark));
    return FALSE;
}

/* Bookkeeping of reassembly rounds, first pass only (TLS replays the
 * first pass's reassembly later). */
static void
rounds_begin(tvbuff_t *tvb, packet_info *pinfo, tume_flow_t *flow)
{
    if (PINFO_FD_VISITED(pinfo))
        return;
    guint d = tume_flow_dir_index(flow, pinfo);
    if (flow->sip_pending[d])
        flow->sip_rescanned[d] += tvb_reported_length(tvb);
}

static void
rounds_end(packet_info *pinfo, tume_flow_t *flow)
{
    if (PINFO_FD_VISITED(pinfo))
        return;
    guint d = tume_flow_dir_index(flow, pinfo);
    flow->sip_pending[d] = pinfo->desegment_len != 0;
    if (!flow->sip_pending[d] || pinfo->desegment_offset > 0) {
        /* nothing pending, or a new message pending after complete ones */
        flow->sip_rescanned[d] = 0;
    }
}

/* sip.tcp asked for more data at offset: is that worth gluing to the next
 * record?  sip.tcp asks in two cases.  Data under 1500 bytes with no line
 * end yet gets "one more segment" whatever it is: left over after a message,
 * it is worth it only if it could still grow into a start line
 * (tume_sip_worth_more).  Otherwise sip.tcp asks only after reading a
 * request or status line there, one the plugin's strict check may reject
 * (an extension method, a bare CR line end): then it is a message, as on
 * port 5061. */
static gboolean
worth_reassembling(tvbuff_t *tvb, int offset)
{
    int avail = tvb_captured_length_remaining(tvb, offset);
    if (avail <= 0)
        return TRUE;
    if (tvb_reported_length_remaining(tvb, offset) >= 1500
        || tvb_find_line_end(tvb, offset, avail, NULL, TRUE) != -1)
        return TRUE;
    int peek = MIN(avail, TUME_SIP_START_LINE_MAX);
    return tume_sip_worth_more(tvb_get_ptr(tvb, offset, peek), (gsize)peek);
}

/* After a reassembly was given up, the records of that direction are
 * shown as data until one starts with a SIP start line: the rest of the
 * abandoned message must not be read as messages of its own.  The state
 * is the flow's in the first pass; a frame whose first record met it
 * active is marked, so that later passes replay it. */
enum { RESYNC_UNSET = 0, RESYNC_ACTIVE, RESYNC_DONE };

static guint
resync_state(packet_info *pinfo, tume_flow_t *flow)
{
    guint st = GPOINTER_TO_UINT(p_get_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_RESYNC));
    if (st != RESYNC_UNSET)
        return st;
    if (PINFO_FD_VISITED(pinfo)) {
        st = p_get_proto_data(wmem_file_scope(), pinfo, proto_tume, TUME_PKT_KEY_RESYNC) != NULL
             ? RESYNC_ACTIVE : RESYNC_DONE;
    } else {
        st = flow->sip_resync[tume_flow_dir_index(flow, pinfo)] ? RESYNC_ACTIVE : RESYNC_DONE;
        if (st == RESYNC_ACTIVE)
            p_add_proto_data(wmem_file_scope(), pinfo, proto_tume, TUME_PKT_KEY_RESYNC, GINT_TO_POINTER(1));
    }
    p_add_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_RESYNC, GUINT_TO_POINTER(st));
    return st;
}

static void
set_resync(packet_info *pinfo, tume_flow_t *flow, gboolean active)
{
    (void)resync_state(pinfo, flow);      /* the frame's state at entry is kept first */
    p_add_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_RESYNC,
                     GUINT_TO_POINTER(active ? RESYNC_ACTIVE : RESYNC_DONE));
    if (!PINFO_FD_VISITED(pinfo))
        flow->sip_resync[tume_flow_dir_index(flow, pinfo)] = active;
}

/* Reassembly given up (see may_reassemble): the rest is shown as data. */
static void
give_up(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow, int offset)
{
    call_data_dissector(tvb_new_subset_remaining(tvb, offset), pinfo, tree);
    flag_malformed(tvb, pinfo, tree, flow, offset,
                   "a SIP message still incomplete after reassembly rounds re-read 1 MiB; "
                   "shown as data, and so is what follows up to the next SIP start line");
    set_resync(pinfo, flow, TRUE);
}

/* Hands the rest of the data, from offset, to sip.tcp as TLS on 5061 would
 * (it frames and asks for reassembly), and adds the TU Me items of the
 * first message there once it is complete.  why: the malformed note, or NULL. */
static void
step_aside(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow, int offset,
           guint16 tls_can_desegment, const char *why)
{
    tvbuff_t *rest = tvb_new_subset_remaining(tvb, offset);
    tume_sip_msg_t m;
    const guint8 *p = NULL;
    gboolean parsed = parse_at(tvb, offset, &m, &p);

    if (parsed)
        tume_flow_add_evidence(flow, pinfo, sip_message_evidence(p, &m));
    gboolean labelled = parsed && tume_flow_is_tume(flow, pinfo);
    if (labelled)
        info_label(pinfo);
    call_sip(rest, pinfo, tree, tls_can_desegment);
    if (pinfo->desegment_len != 0
        && (tls_can_desegment == 0 || !worth_reassembling(rest, pinfo->desegment_offset))) {
        /* sip.tcp wants the next record glued to bytes that are no SIP
         * start (left over after a message): it would only read them, and
         * the messages of the next record, as a "Continuation".  Show them
         * as data and let the next record start afresh.  So also when it
         * was told it cannot reassemble (behind keep-alives, or where TLS
         * cannot): its "one more segment" for data with no line end does
         * not ask whether it may. */
        int at = offset + pinfo->desegment_offset;
        pinfo->desegment_offset = 0;
        pinfo->desegment_len = 0;
        if (labelled && at > offset)
            add_sip_message_items(rest, pinfo, tree, flow, &m, 0);
        call_data_dissector(tvb_new_subset_remaining(tvb, at), pinfo, tree);
        flag_malformed(tvb, pinfo, tree, flow, at,
                       why != NULL ? why : "bytes after a SIP message that start no message; not "
                                           "reassembled with the next record");
        return;
    }
    /* SIP asks for more from desegment_offset on: what came before is done */
    gboolean first_done = pinfo->desegment_len == 0 || pinfo->desegment_offset > 0;
    if (labelled && first_done)
        add_sip_message_items(rest, pinfo, tree, flow, &m, 0);
    if (why != NULL && first_done)
        flag_malformed(tvb, pinfo, tree, flow, offset, why);
    if (pinfo->desegment_len != 0) {
        if (may_reassemble(tvb, pinfo, flow)) {
            pinfo->desegment_offset += offset;
            return;                /* the rest comes back whole */
        }
        int at = offset + pinfo->desegment_offset;
        pinfo->desegment_offset = 0;
        pinfo->desegment_len = 0;
        give_up(tvb, pinfo, tree, flow, at);
    }
}

/* Hands the rest of the data to the dissector TLS would have used for this
 * port (HTTP on 443): the stream turned out not to be SIP. */
static void
hand_to_port_dissector(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset,
                       guint16 tls_can_desegment)
{
    tvbuff_t *rest = tvb_new_subset_remaining(tvb, offset);
    dissector_handle_t h = NULL;

    if (tls_port_table != NULL) {
        h = dissector_get_uint_handle(tls_port_table, pinfo->srcport);
        if (h == NULL)
            h = dissector_get_uint_handle(tls_port_table, pinfo->destport);
    }
    /* HTTP over TLS goes through the plugin's hand-off (tume-api.c), which
     * reads the provisioning messages of TU Me flows */
    if (h != NULL && h == http_tls_handle && tume_http_handle != NULL)
        h = tume_http_handle;
    pinfo->can_desegment = tls_can_desegment;
    if (h != NULL && h != tume_sip_handle)
        call_dissector(h, rest, pinfo, tree);
    else
        call_data_dissector(rest, pinfo, tree);
    if (pinfo->desegment_len != 0)
        pinfo->desegment_offset += offset;
}

/* Keep-alives: items for the first few of a record, a count for the rest. */
typedef struct {
    guint items;
    guint pings, pongs;     /* beyond the itemised ones */
    int   first_off;
} keepalive_run_t;

static void
keepalive(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow,
          int offset, int len, gboolean ping, keepalive_run_t *run)
{
    const char *type = ping ? "keepalive-ping" : "keepalive-pong";

    col_set_str(pinfo->cinfo, COL_PROTOCOL, "SIP");
    if (run->items >= KEEPALIVE_ITEMS_MAX) {
        if (run->pings + run->pongs == 0)
            run->first_off = offset;
        if (ping)
            run->pings++;
        else
            run->pongs++;
        return;
    }
    run->items++;
    if (tume_flow_is_tume(flow, pinfo)) {
        info_label(pinfo);
        col_append_str(pinfo->cinfo, COL_INFO, type);
        add_tume_message(tvb, pinfo, tree, flow, offset, len, offset, len, type, 0, 0, 0);
    } else {
        col_append_str(pinfo->cinfo, COL_INFO,
                       ping ? "SIP keep-alive ping (CRLFCRLF)" : "SIP keep-alive pong (CRLF)");
    }
    /* the same separator SIP puts after each message */
    col_append_str(pinfo->cinfo, COL_INFO, " | ");
    col_set_fence(pinfo->cinfo, COL_INFO);
}

static void
keepalive_summary(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow,
                  int end, keepalive_run_t *run)
{
    guint n = run->pings + run->pongs;
    if (n == 0)
        return;
    col_append_fstr(pinfo->cinfo, COL_INFO, "%u more keep-alives | ", n);
    col_set_fence(pinfo->cinfo, COL_INFO);
    if (tume_flow_is_tume(flow, pinfo)) {
        proto_tree *tt = tume_packet_tree(tvb, pinfo, tree, flow);
        proto_item *ti = proto_tree_add_uint_format(tt, hf_tume_keepalives_more, tvb, run->first_off,
                                                    end - run->first_off, n,
                                                    "%u more keep-alives in this record (%u pings, %u pongs), "
                                                    "counted, not itemised", n, run->pings, run->pongs);
        proto_item_set_generated(ti);
        if (run->pings > 0)
            tume_tap_note_message(pinfo, "keepalive-ping", TUME_FLOW_SIGNALLING, 0, run->pings);
        if (run->pongs > 0)
            tume_tap_note_message(pinfo, "keepalive-pong", TUME_FLOW_SIGNALLING, 0, run->pongs);
    }
    run->pings = run->pongs = 0;
}

/* Decide the stream (first pass), from the first data that is not a keep-alive. */
static void
decide_stream(packet_info *pinfo, tume_flow_t *flow, guint8 how)
{
    p_add_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_DECISIVE, GINT_TO_POINTER(1));
    if (!PINFO_FD_VISITED(pinfo) && flow->sip_stream == TUME_SIP_STREAM_UNDECIDED) {
        flow->sip_stream = how;
        flow->sip_decided_frame = pinfo->num;
        if (how == TUME_SIP_STREAM_SIP)
            tume_flow_set_kind(flow, pinfo, TUME_FLOW_SIGNALLING);
    }
}

/* Was the flow shown to be TU Me signalling by the time of this packet?
 * (The same answer in every pass: the proof frame and the host lists'
 * role are set once.) */
static gboolean
signalling_by_now(const tume_flow_t *flow, const packet_info *pinfo)
{
    return flow->proof_frame != 0 && flow->proof_frame <= pinfo->num
           && flow->host_kind == TUME_FLOW_SIGNALLING;
}

/* Is this record still before the decision, as it was in the first pass? */
static gboolean
before_decision(packet_info *pinfo, const tume_flow_t *flow)
{
    if (flow->sip_stream == TUME_SIP_STREAM_UNDECIDED)
        return TRUE;
    if (pinfo->num != flow->sip_decided_frame)
        return pinfo->num < flow->sip_decided_frame;
    return p_get_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_DECISIVE) == NULL;
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
    keepalive_run_t run = { 0, 0, 0, 0 };
    int offset = 0;
    gboolean after_keepalives = FALSE;   /* keep-alives, and no message yet, in this data */

    /* Expert infos are filed under pinfo->current_proto, which a call to a
     * name-only protocol's handle leaves as the caller's (TLS): they are TU
     * Me's.  call_dissector_work() restores it when we return. */
    pinfo->current_proto = "TU Me";
    tume_flow_set_decrypted(flow, pinfo);
    if (flow->sip_stream == TUME_SIP_STREAM_OTHER && !before_decision(pinfo, flow)) {
        hand_to_port_dissector(tvb, pinfo, tree, 0, tls_can_desegment);
        return reported;
    }
    if (before_decision(pinfo, flow) && !signalling_by_now(flow, pinfo)) {
        /* Not known to be TU Me signalling, and no SIP yet: a record of
         * CRLFs alone, or one that is not SIP, goes whole to the port's
         * dissector, as without the plugin; HTTP decides for good. */
        int avail = tvb_captured_length(tvb), k = 0;
        while (k + 1 < avail && tvb_get_uint8(tvb, k) == '\r' && tvb_get_uint8(tvb, k + 1) == '\n')
            k += 2;
        if (k == reported) {
            hand_to_port_dissector(tvb, pinfo, tree, 0, tls_can_desegment);
            return reported;
        }
        int peek = MIN(avail - k, TUME_SIP_START_LINE_MAX);
        const guint8 *p = peek > 0 ? tvb_get_ptr(tvb, k, peek) : NULL;
        if (p != NULL && p[0] != '\r'
            && tume_sip_classify_start(p, (gsize)peek) == TUME_SIP_START_NO) {
            if (tume_http_start(p, (gsize)peek))
                decide_stream(pinfo, flow, TUME_SIP_STREAM_OTHER);
            hand_to_port_dissector(tvb, pinfo, tree, 0, tls_can_desegment);
            return reported;
        }
    }
    if (resync_state(pinfo, flow) == RESYNC_ACTIVE) {
        int avail = tvb_captured_length(tvb);
        int peek = MIN(avail, TUME_SIP_START_LINE_MAX);
        tume_sip_start_t st = peek > 0 ? tume_sip_classify_start(tvb_get_ptr(tvb, 0, peek), (gsize)peek)
                                       : TUME_SIP_START_NO;
        if (st != TUME_SIP_START_REQUEST && st != TUME_SIP_START_STATUS) {
            /* no dissector call here: a trickle puts hundreds of records in
             * one frame, and each call of a protocol's dissector adds a layer
             * (Wireshark stops a frame at gui.max_tree_depth layers) */
            flag_malformed(tvb, pinfo, tree, flow, 0,
                           "the rest of a SIP message whose reassembly was given up; skipped");
            return reported;
        }
        set_resync(pinfo, flow, FALSE);
    }
    rounds_begin(tvb, pinfo, flow);

    /* Our text replaces TLS's "Application Data", as SIP's would. */
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

        if (fr == TUME_SIP_FRAME_PING || fr == TUME_SIP_FRAME_PONG) {
            keepalive(tvb, pinfo, tree, flow, offset, (int)pdu_len, fr == TUME_SIP_FRAME_PING, &run);
            offset += (int)pdu_len;
            after_keepalives = TRUE;
            continue;
        }
        keepalive_summary(tvb, pinfo, tree, flow, offset, &run);
        /* Wireshark's SIP, given data that starts with CRLF, takes it all
         * for keep-alives and never reassembles what follows them: neither
         * does what the plugin leaves to it behind keep-alives */
        const guint16 sip_can_desegment = after_keepalives ? 0 : tls_can_desegment;

        if (before_decision(pinfo, flow)) {
            /* The first SIP or HTTP decides the stream.  On a TU Me
             * signalling flow, other data goes to Wireshark's SIP as on
             * port 5061 (it may read an extension method the plugin's
             * strict start-line check does not know) and leaves the stream
             * open; elsewhere to the port's dissector, as without the
             * plugin. */
            if (fr == TUME_SIP_FRAME_NOT_SIP) {
                if (tume_http_start(p, (gsize)peek)) {
                    decide_stream(pinfo, flow, TUME_SIP_STREAM_OTHER);
                    hand_to_port_dissector(tvb, pinfo, tree, offset, tls_can_desegment);
                } else if (signalling_by_now(flow, pinfo)) {
                    step_aside(tvb, pinfo, tree, flow, offset, sip_can_desegment,
                               "data that is neither a SIP start line the plugin knows nor a keep-alive; "
                               "left to Wireshark's SIP");
                } else {
                    hand_to_port_dissector(tvb, pinfo, tree, offset, tls_can_desegment);
                }
                goto done;
            } else if (p[0] != '\r' && (fr != TUME_SIP_FRAME_NEED_MORE
                                        || tume_sip_classify_start(p, (gsize)peek) == TUME_SIP_START_REQUEST
                                        || tume_sip_classify_start(p, (gsize)peek) == TUME_SIP_START_STATUS)) {
                decide_stream(pinfo, flow, TUME_SIP_STREAM_SIP);
            }
        }

        if (fr == TUME_SIP_FRAME_NEED_MORE && pdu_len > 0 && (gsize)avail >= (gsize)peek + pdu_len) {
            /* header block within the peek window, body beyond it but present */
            fr = TUME_SIP_FRAME_MESSAGE;
            pdu_len += (gsize)peek;
        }
        if (fr == TUME_SIP_FRAME_NEED_MORE) {
            if (after_keepalives) {
                /* behind keep-alives: shown cut short, not glued to the next
                 * record (whose messages SIP shows, as without the plugin) */
                step_aside(tvb, pinfo, tree, flow, offset, 0,
                           "a SIP message after keep-alives in the same record runs past the record; "
                           "shown cut short, not reassembled with the next record");
            } else if (!can_desegment || avail < reported - offset) {
                /* TLS cannot reassemble, or the capture is cut: as sip.tcp would show it */
                step_aside(tvb, pinfo, tree, flow, offset, sip_can_desegment, NULL);
            } else if (may_reassemble(tvb, pinfo, flow)) {
                /* pdu_len: bytes missing after the peek window, if known */
                pinfo->desegment_offset = offset;
                pinfo->desegment_len = pdu_len > 0 ? (guint32)((gsize)peek + pdu_len - (gsize)avail)
                                                   : DESEGMENT_ONE_MORE_SEGMENT;
            } else {
                give_up(tvb, pinfo, tree, flow, offset);
            }
            goto done;
        }
        if (fr == TUME_SIP_FRAME_NOT_SIP) {
            step_aside(tvb, pinfo, tree, flow, offset, sip_can_desegment,
                       "data that is neither a SIP start line the plugin knows nor a keep-alive; "
                       "left to Wireshark's SIP");
            goto done;
        }
        if (fr == TUME_SIP_FRAME_CUT) {
            /* as without the plugin: SIP shows it cut short (no note: a
             * real stack may well send such a message) */
            step_aside(tvb, pinfo, tree, flow, offset, sip_can_desegment, NULL);
            goto done;
        }
        if (fr == TUME_SIP_FRAME_DEFER) {
            step_aside(tvb, pinfo, tree, flow, offset, sip_can_desegment,
                       wmem_strdup_printf(pinfo->pool, "%s; framing left to Wireshark's SIP, later "
                                          "messages of this record are not typed", why));
            goto done;
        }

        /* A message framed alike by us and by sip.tcp. */
        tvbuff_t *msg_tvb = tvb_new_subset_length(tvb, offset, (int)pdu_len);
        tume_sip_msg_t m;
        const guint8 *mp = NULL;
        gboolean parsed = parse_at(msg_tvb, 0, &m, &mp);
        if (parsed)
            tume_flow_add_evidence(flow, pinfo, sip_message_evidence(mp, &m));
        gboolean labelled = parsed && tume_flow_is_tume(flow, pinfo);
        if (labelled)
            info_label(pinfo);   /* SIP replaces the Info text after the fence */
        call_sip(msg_tvb, pinfo, tree, tls_can_desegment);
        if (pinfo->desegment_len != 0) {
            /* sip.tcp wants more than we framed: our framing was wrong for
             * this Wireshark; let sip.tcp frame the rest, as without us */
            pinfo->desegment_offset = 0;
            pinfo->desegment_len = 0;
            step_aside(tvb, pinfo, tree, flow, offset, sip_can_desegment,
                       "Wireshark's SIP frames this message differently; framing left to it");
            goto done;
        }
        if (labelled)
            add_sip_message_items(msg_tvb, pinfo, tree, flow, &m, (int)tvb_captured_length(msg_tvb));
        offset += (int)pdu_len;
        after_keepalives = FALSE;
    }
    keepalive_summary(tvb, pinfo, tree, flow, offset, &run);
done:
    rounds_end(pinfo, flow);
    return reported;
}

/* First data that is not SIP: on a flow already shown to be TU Me
 * signalling, keep the session all the same.  The stream dissector gives
 * such records to the port's dissector (HTTP on 443), and SIP after them is
 * still SIP, as it would be on port 5061. */
static gboolean
claim_if_signalling(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    tume_flow_t *flow = tume_flow_get(pinfo, FALSE);
    if (flow == NULL || !signalling_by_now(flow, pinfo))
        return FALSE;
    tume_tls_set_app_handle(data, tume_sip_handle);
    dissect_tume_sip_stream(tvb, pinfo, tree, NULL);
    return TRUE;
}

/* Was this packet's flow shown to be TU Me (any role) by now? */
static gboolean
tume_by_now(packet_info *pinfo)
{
    const tume_flow_t *flow = tume_flow_get(pinfo, FALSE);
    return flow != NULL && flow->proof_frame != 0 && flow->proof_frame <= pinfo->num;
}

/* Heuristic on decrypted TLS data (the session has no application handle yet). */
static tume_heur_ret_t
dissect_tume_sip_heur_tls(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    guint avail, off = 0;
    guint8 c;

    if (sip_tcp_handle == NULL)
        return FALSE;
    /* With SIP disabled (--disable-protocol sip, Enabled Protocols) there is
     * no SIP to hand the stream to: the data stays with whoever stock gives
     * it to (HTTP on 443). */
    if (proto_sip > 0 && !proto_is_protocol_enabled(find_protocol_by_id(proto_sip)))
        return FALSE;
    avail = tvb_captured_length(tvb);
    if (avail == 0)
        return FALSE;
    c = tvb_get_uint8(tvb, 0);
    if (c != '\r' && (c < 'A' || c > 'Z'))
        return claim_if_signalling(tvb, pinfo, tree, data);

    /* RFC 5626 keep-alives may come first: look past them (bounded by avail). */
    while (off + 1 < avail && tvb_get_uint8(tvb, off) == '\r' && tvb_get_uint8(tvb, off + 1) == '\n')
        off += 2;
    if (off == avail) {
        /* Only CRLFs: SIP keep-alives, or the empty line HTTP allows before
         * a request.  On a TU Me flow, keep the session (the stream
         * dissector hands such records to the port's dissector unless the
         * flow is known to be TU Me signalling) and let the first other
         * data decide.  Any other session is not held: this record goes
         * where stock sends it (the port's dissector, through the stream
         * dissector), but TLS is not left to make that dissector the
         * session's for good on a keep-alive, so the next record is tried
         * by the heuristics again (SIP proven only by its content, say a
         * User-Agent, is still found after a leading keep-alive). */
        if (tume_by_now(pinfo))
            tume_tls_set_app_handle(data, tume_sip_handle);
        dissect_tume_sip_stream(tvb, pinfo, tree, NULL);
        return TRUE;
    }

    guint peek = MIN(avail - off, (guint)TUME_SIP_START_LINE_MAX);
    switch (tume_sip_classify_start(tvb_get_ptr(tvb, off, peek), peek)) {
    case TUME_SIP_START_REQUEST:
    case TUME_SIP_START_STATUS:
        tume_tls_set_app_handle(data, tume_sip_handle);
        dissect_tume_sip_stream(tvb, pinfo, tree, NULL);
        return TRUE;
    case TUME_SIP_START_PREFIX:
        /* A start line cut by the record boundary, on a TU Me flow: decide
         * once it is whole, rather than letting the port's dissector (HTTP)
         * take the stream.  Elsewhere only clear SIP is claimed. */
        if (pinfo->can_desegment == 0 || avail < tvb_reported_length(tvb) || !tume_by_now(pinfo))
            return FALSE;
        pinfo->desegment_offset = 0;
        pinfo->desegment_len = DESEGMENT_ONE_MORE_SEGMENT;
        return TRUE;
    default:
        return claim_if_signalling(tvb, pinfo, tree, data);
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
        { &hf_tume_sip_config_in,
          { "Account from config in", "tume.sip.config_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "On a REGISTER: the config reply whose SIP user name and domain or proxy its From uses",
            HFILL } },
        { &hf_tume_keepalives_more,
          { "More keep-alives", "tume.keepalives_more", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Keep-alives of one record beyond the first " G_STRINGIFY(KEEPALIVE_ITEMS_MAX)
            ", counted and not itemised", HFILL } },
    };
    static gint *ett[] = { &ett_tume_msg };

    proto_register_field_array(proto_tume, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    /* The stream handle's protocol is a name only ("pino"): TLS shows it as
     * the application data protocol, but it adds no layer, so a SIP flow
     * that is not TU Me lists no TU Me protocol in frame.protocols.  It is
     * enabled with TU Me.  Analyze > Enabled Protocols lists it by its short
     * name, which must not be Wireshark's SIP's. */
    proto_tume_sip = proto_register_protocol_in_name_only("SIP stream (framed by the TU Me plugin)",
                                                          "TU Me SIP framing", "tume_sip", proto_tume,
                                                          FT_PROTOCOL);
    tume_sip_handle = register_dissector("tume_sip", dissect_tume_sip_stream, proto_tume_sip);
}

void
tume_sip_handoff(void)
{
    sip_tcp_handle = find_dissector_add_dependency("sip.tcp", proto_tume);
    proto_sip = proto_get_id_by_filter_name("sip");
    tls_port_table = find_dissector_table("tls.port");
    http_tls_handle = find_dissector("http-over-tls");
    tume_http_handle = find_dissector("tume_http");
    heur_dissector_add("tls", dissect_tume_sip_heur_tls, "TU Me SIP over TLS", "tume_sip_tls",
                       proto_tume, HEURISTIC_ENABLE);
}
