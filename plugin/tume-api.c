/* tume-api.c - the TU Me provisioning API: JSON over HTTPS, message by message.
 *
 * Wireshark's HTTP dissector does the work of reading the API: reassembly,
 * de-chunking, decompression, the hand-off of each body to JSON.  On a TU
 * Me flow's first pass this file reads beside it: each JSON body HTTP hands
 * on (through a handle in front of JSON's in the media_type table), and
 * each message's start line and its Host, Authorization and Content-Type
 * from the bytes HTTP took; the result is cached per packet.  HTTP's and
 * JSON's own trees are left exactly as they are; the TU Me items go into
 * the packet's tume tree.
 *
 * Message types come from a table (built-in rows from the reference model,
 * plus the user's rows from the "TU Me API messages" UAT, tried first):
 * method and JSON content first, URL path second; a reply is typed through
 * the request it answers.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/epan.h>
#include <epan/exceptions.h>
#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/expert.h>
#include <epan/uat.h>
#include <wsutil/wmem/wmem_map.h>

#include "tume-api.h"
#include "compat.h"
#include "api_parse.h"

struct tume_api_msg {
    gboolean      request;
    const char   *type;          /* FIELDS.md tume.msg_type */
    const char   *method;        /* request: method */
    const char   *path;          /* request: URL path; reply: the request's */
    guint         code;          /* reply: status code */
    const char   *answers;       /* reply: type of the request it answers, or NULL */
    const char   *msisdn, *user_id, *screen_name, *locale, *sip_proxy;
    gint64        contacts;      /* -1: no contacts array */
    const char  **keys;
    guint         nkeys;
    guint32       sensitive;     /* TUME_SENS_* */
    const char   *malformed;     /* why the body could not be read, or NULL */
    guint32       frame;         /* where the message ends (the frame that shows it) */
    guint32       peer_frame;    /* request: its reply; reply: its request (0: none seen) */
    const tume_link_t *offer;    /* config reply: its SIP account; token reply: its token */
    tume_link_kind_t offer_kind;
    guint32       token_from;    /* a request carrying a token: the token reply that issued it */
    tume_src_span_t    at_msg, at_line, at_body;   /* the HTTP message, its first line, its body */
};

static int hf_tume_api_msisdn = -1;
static int hf_tume_api_user_id = -1;
static int hf_tume_api_screen_name = -1;
static int hf_tume_api_locale = -1;
static int hf_tume_api_contacts = -1;
static int hf_tume_api_sip_proxy = -1;
static int hf_tume_api_keys = -1;
static int hf_tume_api_request_in = -1;
static int hf_tume_api_response_in = -1;
static int hf_tume_api_register_in = -1;
static int hf_tume_api_token_in = -1;
static int hf_tume_api_token_used_in = -1;
static gint ett_tume_api = -1;
static expert_field ei_tume_sensitive = EI_INIT;

static int proto_http_id = -1;
static dissector_handle_t http_tls_handle;   /* Wireshark's "http-over-tls" */
static heur_dtbl_entry_t *http_tls_heur;      /* Wireshark's http_tls heuristic */
static dissector_table_t tls_port_table, tls_alpn_table;
static int proto_tume_http = -1;
static dissector_handle_t tume_http_handle;
static dissector_handle_t tume_http_app_handle;   /* the same reader, as HTTP: for TLS sessions */

/* ---- the message table: the user's rows (UAT) first, then the built-ins ---- */

typedef struct {
    char *method;
    char *path;
    char *keys;
    char *type;
    guint direction;     /* API_DIR_* */
} api_uat_rec_t;

enum { API_DIR_REQUEST = 0, API_DIR_RESPONSE = 1 };

static const value_string api_directions[] = {
    { API_DIR_REQUEST,  "request" },
    { API_DIR_RESPONSE, "response" },
    { 0, NULL }
};

static api_uat_rec_t *api_uat_recs;
static guint api_uat_count;
static GArray *api_rules;      /* tume_api_rule_t; strings owned by the UAT or static */

UAT_CSTRING_CB_DEF(tume_api_msgs, method, api_uat_rec_t)
UAT_CSTRING_CB_DEF(tume_api_msgs, path, api_uat_rec_t)
UAT_CSTRING_CB_DEF(tume_api_msgs, keys, api_uat_rec_t)
UAT_CSTRING_CB_DEF(tume_api_msgs, type, api_uat_rec_t)
UAT_VS_DEF(tume_api_msgs, direction, api_uat_rec_t, guint, API_DIR_REQUEST, "request")

static void *
api_uat_copy(void *dest, const void *source, size_t len _U_)
{
    api_uat_rec_t *d = (api_uat_rec_t *)dest;
    const api_uat_rec_t *s = (const api_uat_rec_t *)source;
    d->method = g_strdup(s->method);
    d->path = g_strdup(s->path);
    d->keys = g_strdup(s->keys);
    d->type = g_strdup(s->type);
    d->direction = s->direction;
    return d;
}

static tume_uat_ret_t
api_uat_update(void *record, char **error)
{
    api_uat_rec_t *r = (api_uat_rec_t *)record;
    if (r->type == NULL || r->type[0] == '\0') {
        *error = g_strdup("a message type name is required");
        return FALSE;
    }
    if (r->method == NULL || r->method[0] == '\0') {
        *error = g_strdup("a method is required (\"*\" for any)");
        return FALSE;
    }
    if (r->direction != API_DIR_REQUEST && r->direction != API_DIR_RESPONSE) {
        *error = g_strdup("direction must be \"request\" or \"response\"");
        return FALSE;
    }
    return TRUE;
}

static void
api_uat_free(void *record)
{
    api_uat_rec_t *r = (api_uat_rec_t *)record;
    g_free(r->method);
    g_free(r->path);
    g_free(r->keys);
    g_free(r->type);
}

static void
api_rules_rebuild(void)
{
    if (api_rules == NULL)
        api_rules = g_array_new(FALSE, FALSE, sizeof(tume_api_rule_t));
    g_array_set_size(api_rules, 0);
    for (guint i = 0; i < api_uat_count; i++) {
        const api_uat_rec_t *r = &api_uat_recs[i];
        tume_api_rule_t rule = { r->method, r->path ? r->path : "*", r->keys ? r->keys : "", r->type,
                                 r->direction == API_DIR_RESPONSE };
        /* A row equal to a built-in one is the shipped copy of the built-ins
         * (the profile's table, or Wireshark's global copy of it): it is
         * tried where the built-ins are, after the user's own rows, so a row
         * the user adds below the shipped ones still comes first. */
        if (tume_api_rule_is_builtin(&rule))
            continue;
        g_array_append_val(api_rules, rule);
    }
    g_array_append_vals(api_rules, tume_api_builtin_rules, tume_api_builtin_rule_count);
}

/* ---- reading the API beside Wireshark's HTTP, one message at a time ----
 *
 * On a TU Me flow's first pass the plugin calls Wireshark's HTTP as TLS
 * would, into the packet's own tree (or none), and reads two things beside
 * it:
 *  - each JSON body HTTP hands on (de-chunked, decompressed), through the
 *    plugin's handle standing in front of Wireshark's JSON in the
 *    media_type table: it inspects the body when a read of the plugin's is
 *    under way in this packet, then calls JSON unchanged;
 *  - each message's start line and the headers it needs, from the bytes
 *    HTTP took (tume_http_message: where HTTP's messages start and end).
 * The bodies are matched to the messages in order.  No tree is built for
 * the plugin, no field of HTTP's is marked, no other dissector is run
 * twice. */

#define TUME_PKT_KEY_READER 20     /* pinfo->pool: the reader_t of the HTTP call under way */
#define API_BODIES_MAX      256    /* bodies kept per call (HTTP hands on one per message) */
#define API_MSGS_MAX        1024   /* messages read per call */

typedef struct {
    gboolean         request;
    tume_json_info_t js;
    tume_src_span_t  at;
} body_rec_t;

typedef struct {
    GArray *bodies;      /* body_rec_t, in the order HTTP handed them on */
} reader_t;

static dissector_handle_t json_handle;            /* Wireshark's JSON */
static dissector_table_t json_table;              /* "tume.json": JSON's media types -> Wireshark's JSON */
static gchar *json_any_type;                      /* one of them */
static dissector_handle_t tume_json_front_handle;  /* in front of it in media_type */

/* JSON's place in the media_type table: a body HTTP hands on while the
 * plugin reads the packet is inspected, then JSON gets it unchanged. */
static int
dissect_tume_json_front(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    reader_t *r = (reader_t *)p_get_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_READER);
    const tume_media_info_t *mi = (const tume_media_info_t *)data;

    /* only what HTTP/1.x hands on with its header map (not, say, a part of
     * a multipart body) */
    if (r != NULL && mi != NULL && mi->data != NULL && r->bodies->len < API_BODIES_MAX &&
        (mi->type == TUME_MEDIA_HTTP_REQUEST || mi->type == TUME_MEDIA_HTTP_RESPONSE)) {
        body_rec_t b;
        guint len = tvb_captured_length(tvb);
        memset(&b, 0, sizeof b);
        b.request = mi->type == TUME_MEDIA_HTTP_REQUEST;
        /* a body over the limit is refused by length, never flattened */
        tume_json_inspect(len > 0 && len <= TUME_JSON_MAX_BYTES ? tvb_get_ptr(tvb, 0, (gint)len) : NULL,
                          len, &b.js);
        tume_src_span_of_any(pinfo, tvb, 0, (gint)len, &b.at);
        g_array_append_val(r->bodies, b);
    }
    /* JSON, as HTTP would have called it: this handle is already JSON's
     * layer, so through the plugin's table (JSON's media types) without
     * adding it again; the lookup leaves pinfo->match_string, which JSON
     * shows, as it was */
    if (json_table == NULL)
        return 0;
    const char *type = pinfo->match_string;
    if (type == NULL || dissector_get_string_handle(json_table, type) == NULL)
        type = json_any_type;
    return tume_try_string(json_table, type, tvb, pinfo, tree, FALSE, data);
}

typedef struct {
    gboolean    request;
    const char *method, *uri, *host, *auth, *ctype;
    guint       code;
    tume_json_info_t *js;      /* its body's facts, or NULL */
} http_msg_t;

static gboolean
is_json(const char *ctype)
{
    return ctype != NULL && strstr(ctype, "json") != NULL;
}

static const char *
fs_strdup(const char *s)
{
    return s ? wmem_strdup(wmem_file_scope(), s) : NULL;
}

static const char *
pool_strndup(packet_info *pinfo, const guint8 *p, gsize n)
{
    return p != NULL ? wmem_strndup(pinfo->pool, (const char *)p, n) : NULL;
}

/* The request a reply answers: HTTP/1.1 answers requests in order, so the
 * oldest unanswered request is the one, pipelined or not.  Interim 1xx
 * replies never get here. */
static tume_api_msg_t *
answered_request(tume_flow_t *flow)
{
    if (wmem_list_count(flow->api_pending) == 0)
        return NULL;
    wmem_list_frame_t *head = wmem_list_head(flow->api_pending);
    tume_api_msg_t *req = (tume_api_msg_t *)wmem_list_frame_data(head);
    wmem_list_remove_frame(flow->api_pending, head);
    return req;
}

/* Does the oldest unanswered request have the method HEAD (its reply has
 * no body)? */
static gboolean
pending_head(const tume_flow_t *flow)
{
    if (flow->api_pending == NULL || wmem_list_count(flow->api_pending) == 0)
        return FALSE;
    const tume_api_msg_t *req = (const tume_api_msg_t *)wmem_list_frame_data(wmem_list_head(flow->api_pending));
    return req->method != NULL && strcmp(req->method, "HEAD") == 0;
}

static tume_api_msg_t *
classify_message(packet_info *pinfo, tume_flow_t *flow, const http_msg_t *h, guint32 *evidence)
{
    tume_api_msg_t *msg = wmem_new0(wmem_file_scope(), tume_api_msg_t);
    tume_json_info_t none;
    const tume_json_info_t *js = h->js;
    gboolean by_content = FALSE;

    if (js == NULL) {
        memset(&none, 0, sizeof none);
        none.contacts = -1;
        js = &none;
    }
    msg->request = h->request;
    msg->contacts = -1;
    if (js->error != NULL)
        msg->malformed = wmem_strdup(wmem_file_scope(), js->error);
    if (js->keys != NULL && js->keys->len > 0) {
        msg->nkeys = js->keys->len;
        msg->keys = wmem_alloc_array(wmem_file_scope(), const char *, msg->nkeys);
        for (guint i = 0; i < msg->nkeys; i++)
            msg->keys[i] = fs_strdup((const char *)g_ptr_array_index(js->keys, i));
    }
    msg->msisdn = fs_strdup(js->msisdn);
    msg->user_id = fs_strdup(js->user_id);
    msg->screen_name = fs_strdup(js->screen_name);
    msg->locale = fs_strdup(js->locale);
    msg->sip_proxy = fs_strdup(js->sip_proxy);
    msg->contacts = js->contacts;
    msg->sensitive = js->sensitive;
    msg->frame = pinfo->num;

    if (h->request) {
        gchar *path = tume_uri_path(h->uri);
        msg->method = fs_strdup(h->method);
        msg->path = fs_strdup(path);
        msg->sensitive |= tume_authorization_sensitive(h->auth);
        /* file-scope copies: the table's strings belong to the UAT, which
         * the user may edit (and free) before the redissection */
        msg->type = fs_strdup(tume_api_classify((const tume_api_rule_t *)(void *)api_rules->data,
                                                api_rules->len, FALSE, h->method, path, js->keys,
                                                &by_content));
        g_free(path);
        if (msg->type == NULL)
            msg->type = "unknown";
        /* a token carried by the request: Authorization: Bearer, or a body's accessToken */
        gchar *bearer = tume_bearer_token(h->auth);
        const tume_link_t *tl = tume_link_use(pinfo, TUME_LINK_TOKEN, bearer != NULL ? bearer : js->access_token);
        g_free(bearer);
        if (tl != NULL)
            msg->token_from = tl->frame;
        wmem_list_append(flow->api_pending, msg);
    } else {
        tume_api_msg_t *req = answered_request(flow);
        msg->code = h->code;
        if (req != NULL) {
            msg->answers = req->type;
            msg->path = req->path;
            msg->peer_frame = req->frame;
            if (req->peer_frame == 0)
                req->peer_frame = pinfo->num;
        }
        msg->type = tume_api_reply_type(req ? req->type : NULL, h->code);
        if (msg->type == NULL && req != NULL && strcmp(req->type, "unknown") != 0)
            msg->type = wmem_strdup_printf(wmem_file_scope(), "%s_reply", req->type);
        if (msg->type == NULL)
            msg->type = fs_strdup(tume_api_classify((const tume_api_rule_t *)(void *)api_rules->data,
                                                    api_rules->len, TRUE, NULL, NULL, js->keys, &by_content));
        if (msg->type == NULL)
            msg->type = "unknown";
    }
    if (!h->request && h->code >= 200 && h->code <= 299) {
        /* what later messages may use: a config reply's SIP account, a token */
        if (js->sip_username != NULL && (js->sip_domain != NULL || js->sip_proxy != NULL)) {
            /* one offer, under user@domain and user@proxy (a REGISTER's
             * From may name either) */
            tume_link_t *offer = NULL;
            const char *hosts[] = { js->sip_domain, js->sip_proxy };
            for (guint i = 0; i < G_N_ELEMENTS(hosts); i++) {
                if (hosts[i] == NULL || (i == 1 && g_ascii_strcasecmp(hosts[0] ? hosts[0] : "", hosts[1]) == 0))
                    continue;
                gchar *host = g_ascii_strdown(hosts[i], -1);
                gchar *key = g_strdup_printf("%s@%s", js->sip_username, host);
                offer = tume_link_offer(pinfo, TUME_LINK_SIP_ACCOUNT, key, offer);
                g_free(key);
                g_free(host);
            }
            msg->offer = offer;
            msg->offer_kind = TUME_LINK_SIP_ACCOUNT;
        } else if (js->access_token != NULL) {
            msg->offer = tume_link_offer(pinfo, TUME_LINK_TOKEN, js->access_token, NULL);
            msg->offer_kind = TUME_LINK_TOKEN;
        }
    }
    if (by_content)
        *evidence |= TUME_EV_API_SIGNATURE;
    return msg;
}

/* The messages HTTP read from tvb's first `taken` bytes (first pass, a TU
 * Me flow): Host evidence, then each message typed into the packet's
 * record, with the bodies HTTP handed on. */
static void
read_http_messages(packet_info *pinfo, tume_flow_t *flow, tvbuff_t *tvb, guint taken, reader_t *r)
{
    tume_pkt_t *pkt = NULL;
    guint off = 0, next_body = 0;

    for (guint n = 0; off < taken && n < API_MSGS_MAX; n++) {
        const guint avail = taken - off;
        const guint8 *p = tvb_get_ptr(tvb, (gint)off, (gint)avail);
        gsize skip = tume_http_skip_empty_lines(p, avail);
        if (skip >= avail)
            break;
        tume_http_msg_t hm;
        if (!tume_http_message(p + skip, avail - skip, flow->api_pending != NULL && pending_head(flow), &hm))
            break;          /* what HTTP took is no message we can read on: stop */
        const guint at = off + (guint)skip;
        off = at + (guint)MIN(hm.msg_len, (gsize)(avail - skip));

        /* the body HTTP handed on for this message, if it has one */
        body_rec_t *body = NULL;
        const char *ctype = pool_strndup(pinfo, hm.ctype, hm.ctype_len);
        if (hm.has_body && is_json(ctype)) {
            while (next_body < r->bodies->len) {
                body_rec_t *b = &g_array_index(r->bodies, body_rec_t, next_body++);
                if (b->request == hm.request) {
                    body = b;
                    break;
                }
            }
        }
        /* SIP read by HTTP (the SIP heuristic switched off): not the API */
        if (!hm.http)
            continue;
        /* an interim reply (100 Continue, 102, 103) answers nothing yet and
         * is not an API message; 101 ends the exchange and is one */
        if (!hm.request && hm.code >= 100 && hm.code <= 199 && hm.code != 101)
            continue;

        http_msg_t h;
        memset(&h, 0, sizeof h);
        h.request = hm.request;
        h.method = pool_strndup(pinfo, hm.method, hm.method_len);
        h.uri = pool_strndup(pinfo, hm.uri, hm.uri_len);
        h.host = pool_strndup(pinfo, hm.host, hm.host_len);
        h.auth = pool_strndup(pinfo, hm.auth, hm.auth_len);
        h.ctype = ctype;
        h.code = hm.code;
        h.js = body != NULL ? &body->js : NULL;

        tume_flow_set_kind(flow, pinfo, TUME_FLOW_PROVISIONING);
        guint32 ev = 0;
        if (h.request && hm.host != NULL) {
            /* Host may carry a port */
            const guint8 *colon = (const guint8 *)memchr(hm.host, ':', hm.host_len);
            gsize hl = colon != NULL ? (gsize)(colon - hm.host) : hm.host_len;
            if (tume_host_role(tume_cfg->signalling_domains, tume_cfg->provisioning_domains, hm.host, hl)
                != TUME_ROLE_NONE)
                ev |= TUME_EV_HTTP_HOST;
        }
        if (ev)
            tume_flow_add_evidence(flow, pinfo, ev);

        if (flow->api_pending == NULL)
            flow->api_pending = wmem_list_new(wmem_file_scope());
        tume_api_msg_t *msg = classify_message(pinfo, flow, &h, &ev);
        tume_src_span_of_any(pinfo, tvb, (gint)at, (gint)(off - at), &msg->at_msg);
        tume_src_span_of_any(pinfo, tvb, (gint)at, (gint)hm.line_len, &msg->at_line);
        if (body != NULL)
            msg->at_body = body->at;
        else
            msg->at_body.ds = -1;
        if (ev & TUME_EV_API_SIGNATURE)
            tume_flow_add_evidence(flow, pinfo, TUME_EV_API_SIGNATURE);
        if (pkt == NULL)
            pkt = tume_pkt_get(pinfo, TRUE);
        if (pkt->api_msgs == NULL)
            pkt->api_msgs = wmem_list_new(wmem_file_scope());
        wmem_list_append(pkt->api_msgs, msg);
    }
}

/* Calls Wireshark's HTTP over TLS.  From the heuristic (registered for
 * HTTP, so that TLS lists HTTP as the layer, as with its own http_tls)
 * without a second HTTP layer: through TLS's ALPN table, whose "http/1.1"
 * entry is HTTP over TLS (checked by the heuristic). */
static int
http_call(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, gboolean add_layer)
{
    const guint16 can_desegment = pinfo->can_desegment;
    int ret;

    /* HTTP is to see the reassembly TLS offered whoever it called (the
     * http_tls heuristic, or the port's dissector); the call to it takes
     * one level off, so add it back */
    if (can_desegment > 0)
        pinfo->can_desegment = can_desegment + 1;
    if (add_layer)
        ret = call_dissector_only(http_tls_handle, tvb, pinfo, tree, data);
    else
        ret = tume_try_string(tls_alpn_table, "http/1.1", tvb, pinfo, tree, FALSE, data);
    pinfo->can_desegment = can_desegment;
    return ret;
}

/* After HTTP's call (also when it threw): the messages are read, the
 * bodies' facts freed, and the packet's reader put back as it was. */
static void
read_after_http(packet_info *pinfo, tume_flow_t *flow, tvbuff_t *tvb, gboolean done, reader_t *r,
                reader_t *outer)
{
    p_set_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_READER, outer);
    /* what HTTP took: up to where it asked for more, else all of it */
    guint taken = tvb_captured_length(tvb);
    if (done && pinfo->desegment_len > 0 && pinfo->desegment_offset >= 0)
        taken = MIN(taken, (guint)pinfo->desegment_offset);
    TRY {
        read_http_messages(pinfo, flow, tvb, taken, r);
    }
    FINALLY {
        for (guint i = 0; i < r->bodies->len; i++)
            tume_json_info_clear(&g_array_index(r->bodies, body_rec_t, i).js);
        g_array_free(r->bodies, TRUE);
    }
    ENDTRY;
}

/* HTTP on a TU Me flow, first pass: Wireshark's HTTP reads the data, into
 * the packet's own tree or none, and the plugin reads beside it (see
 * above).  The cost over stock is the plugin's own reading: the start lines
 * and the JSON bodies of TU Me's provisioning messages. */
static int
read_http(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, tume_flow_t *flow,
          gboolean add_layer)
{
    reader_t r;
    reader_t *outer = (reader_t *)p_get_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_READER);
    volatile int ret = 0;

    r.bodies = g_array_new(FALSE, FALSE, sizeof(body_rec_t));
    p_set_proto_data(pinfo->pool, pinfo, proto_tume, TUME_PKT_KEY_READER, &r);
    TRY {
        ret = http_call(tvb, pinfo, tree, data, add_layer);
    }
    CATCH_ALL {
        /* HTTP threw: the messages it read before are kept, then its
         * exception goes on */
        read_after_http(pinfo, flow, tvb, FALSE, &r, outer);
        RETHROW;
    }
    ENDTRY;
    read_after_http(pinfo, flow, tvb, TRUE, &r, outer);
    return ret;
}

static void
add_string_item(proto_tree *t, int hf, tvbuff_t *tvb, gint start, gint len, const char *v)
{
    if (v != NULL)
        proto_item_set_generated(proto_tree_add_string(t, hf, tvb, start, len, v));
}

static void
add_frame_item(proto_tree *t, int hf, tvbuff_t *tvb, guint32 frame)
{
    if (frame != 0)
        proto_item_set_generated(proto_tree_add_uint(t, hf, tvb, 0, 0, frame));
}

/* Request <-> reply, token reply <-> requests that carry its token, config
 * reply -> the REGISTERs that use its SIP account (the way back is in
 * tume-sip.c). */
static void
add_links(proto_tree *mt, tvbuff_t *tvb, const tume_api_msg_t *m)
{
    add_frame_item(mt, m->request ? hf_tume_api_response_in : hf_tume_api_request_in, tvb, m->peer_frame);
    add_frame_item(mt, hf_tume_api_token_in, tvb, m->token_from);
    if (m->offer != NULL && m->offer->uses != NULL) {
        int hf = m->offer_kind == TUME_LINK_TOKEN ? hf_tume_api_token_used_in : hf_tume_api_register_in;
        for (guint i = 0; i < wmem_array_get_count(m->offer->uses) && i < TUME_LINK_USES_SHOWN; i++)
            add_frame_item(mt, hf, tvb, *(const guint32 *)wmem_array_index(m->offer->uses, i));
    }
}

void
tume_api_add_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tt, const tume_pkt_t *pkt)
{
    if (pkt->api_msgs == NULL)
        return;
    wmem_strbuf_t *label = wmem_strbuf_new(pinfo->pool, "");
    guint i = 0;
    for (wmem_list_frame_t *f = wmem_list_head(pkt->api_msgs); f != NULL; f = wmem_list_frame_next(f), i++) {
        const tume_api_msg_t *m = (const tume_api_msg_t *)wmem_list_frame_data(f);
        /* the items point at the message's own bytes: the subtree at the
         * HTTP message, the type at its first line, the JSON facts at the body */
        gint ms, ml, ls, ll, bs, bl;
        tvbuff_t *mtvb = tume_src_span_tvb(pinfo, &m->at_msg, tvb, &ms, &ml);
        tvbuff_t *ltvb = tume_src_span_tvb(pinfo, &m->at_line, tvb, &ls, &ll);
        tvbuff_t *btvb = tume_src_span_tvb(pinfo, &m->at_body, mtvb, &bs, &bl);
        if (btvb == mtvb && bl == 0) {
            bs = ms;
            bl = ml;
        }
        proto_tree *mt = proto_tree_add_subtree_format(tt, mtvb, ms, ml, ett_tume_api, NULL,
                                                       "Provisioning %s: %s", m->request ? "request" : "reply",
                                                       m->type);
        proto_item *ti = proto_tree_add_string(mt, hf_tume_msg_type, ltvb, ls, ll, m->type);
        proto_item_set_generated(ti);
        tume_tap_note_message(pinfo, m->type, TUME_FLOW_PROVISIONING, m->sensitive, 1);
        if (m->request)
            expert_add_info_format(pinfo, ti, &ei_tume_msg_info, "TU Me provisioning: %s (%s %s)",
                                   m->type, m->method ? m->method : "?", m->path ? m->path : "?");
        else
            expert_add_info_format(pinfo, ti, &ei_tume_msg_info, "TU Me provisioning: %s (%u reply to %s)",
                                   m->type, m->code, m->answers ? m->answers : "an unseen request");
        add_string_item(mt, hf_tume_api_msisdn, btvb, bs, bl, m->msisdn);
        add_string_item(mt, hf_tume_api_user_id, btvb, bs, bl, m->user_id);
        add_string_item(mt, hf_tume_api_screen_name, btvb, bs, bl, m->screen_name);
        add_string_item(mt, hf_tume_api_locale, btvb, bs, bl, m->locale);
        if (m->contacts >= 0)
            proto_item_set_generated(proto_tree_add_uint(mt, hf_tume_api_contacts, btvb, bs, bl,
                                                         (guint32)MIN(m->contacts, (gint64)G_MAXUINT32)));
        add_string_item(mt, hf_tume_api_sip_proxy, btvb, bs, bl, m->sip_proxy);
        add_links(mt, tvb, m);
        for (guint k = 0; k < m->nkeys; k++)
            add_string_item(mt, hf_tume_api_keys, btvb, bs, bl, m->keys[k]);
        for (guint b = 0; b < TUME_SENS_COUNT; b++) {
            if (m->sensitive & (1u << b))
                proto_tree_add_expert_format(mt, pinfo, &ei_tume_sensitive, mtvb, ms, ml,
                                             "TU Me %s carries the %s", m->type, tume_sensitive_name(b));
        }
        if (m->malformed != NULL)
            proto_tree_add_expert_format(mt, pinfo, &ei_tume_malformed, btvb, bs, bl,
                                         "TU Me provisioning %s: %s", m->type, m->malformed);
        wmem_strbuf_append_printf(label, "%s%s", i ? ", " : "TU Me ", m->type);
    }
    col_prepend_fstr(pinfo->cinfo, COL_INFO, "%s: ", wmem_strbuf_get_str(label));
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "TU Me");
}

/* ---- where the plugin sits: HTTP over TLS on TU Me flows ---- */

/* HTTP over TLS, as TLS would call it.  On a TU Me flow's first pass the
 * plugin reads the messages HTTP finds; anywhere else it only calls HTTP. */
static int
tume_http(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data, gboolean add_layer)
{
    tume_flow_t *flow = NULL;

    if (!PINFO_FD_VISITED(pinfo) && proto_is_protocol_enabled(find_protocol_by_id(proto_tume)))
        flow = tume_flow_get(pinfo, FALSE);
    if (flow == NULL || !tume_flow_is_tume(flow, pinfo))
        return http_call(tvb, pinfo, tree, data, add_layer);
    return read_http(tvb, pinfo, tree, data, flow, add_layer);
}

/* The hand-off the SIP stream dissector uses for data that is not SIP. */
static int
dissect_tume_http(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (http_tls_handle == NULL)
        return 0;
    return tume_http(tvb, pinfo, tree, data, TRUE);
}

/* The TLS application-data dissector of a TU Me provisioning session: a
 * handle of HTTP's protocol (TLS shows "Application Data Protocol:
 * Hypertext Transfer Protocol" and adds the HTTP layer, as for the port's
 * HTTP), which reads through the plugin. */
static int
dissect_tume_http_app(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (http_tls_handle == NULL || tls_alpn_table == NULL)
        return 0;
    return tume_http(tvb, pinfo, tree, data, FALSE);
}

/* Would TLS give this session to HTTP if no heuristic took the data? */
static gboolean
port_is_http(packet_info *pinfo)
{
    dissector_handle_t h = NULL;
    if (tls_port_table != NULL) {
        h = dissector_get_uint_handle(tls_port_table, pinfo->srcport);
        if (h == NULL)
            h = dissector_get_uint_handle(tls_port_table, pinfo->destport);
    }
    return h != NULL && h == http_tls_handle;
}

/* Has HTTP read this conversation before (what http_tls checks first)? */
static gboolean
http_conversation(conversation_t *conv)
{
    return conv != NULL && proto_http_id > 0 && conversation_get_proto_data(conv, proto_http_id) != NULL;
}

/* First pass, a flow not (yet) TU Me: an HTTP request whose Host is under
 * a configured domain proves it.  A few compares for anything else. */
static gboolean
request_host_proves(packet_info *pinfo, tume_flow_t *flow, const guint8 *p, guint avail)
{
    gsize skip, off, len;

    if (PINFO_FD_VISITED(pinfo))
        return FALSE;
    skip = tume_http_skip_empty_lines(p, avail);
    if (skip >= avail || p[skip] < 'A' || p[skip] > 'Z')
        return FALSE;
    if (!tume_http_request_host(p + skip, avail - skip, &off, &len))
        return FALSE;
    const guint8 *colon = (const guint8 *)memchr(p + skip + off, ':', len);   /* a port */
    if (colon != NULL)
        len = (gsize)(colon - (p + skip + off));
    if (tume_host_role(tume_cfg->signalling_domains, tume_cfg->provisioning_domains,
                       p + skip + off, len) == TUME_ROLE_NONE)
        return FALSE;
    tume_flow_add_evidence(flow, pinfo, TUME_EV_HTTP_HOST);
    return tume_flow_is_tume(flow, pinfo);
}

/* Heuristic on decrypted TLS data (tried after the SIP one): on a TU Me
 * flow, take the data HTTP would take, and read it through HTTP.  It claims
 * what Wireshark's http_tls heuristic claims (a first line that starts or
 * ends with HTTP/1.x, or a conversation HTTP already reads), plus a
 * request after empty lines, which http_tls refuses and TLS then gives to
 * HTTP as the port's dissector.  Like http_tls it sets no application
 * handle.  Other flows: a flow lookup, and for HTTP requests a bounded
 * look for Host. */
static gboolean
api_claims(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    tume_flow_t *flow;
    const guint8 *p;
    guint avail;

    if (http_tls_handle == NULL || tls_alpn_table == NULL ||
        !proto_is_protocol_enabled(find_protocol_by_id(proto_tume)))
        return FALSE;
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    flow = tume_flow_of(conv, NULL);
    if (flow == NULL || flow->sip_stream == TUME_SIP_STREAM_SIP)
        return FALSE;
    avail = MIN(tvb_captured_length(tvb), (guint)TUME_HTTP_HEAD_MAX);
    if (avail == 0)
        return FALSE;
    p = tvb_get_ptr(tvb, 0, (gint)avail);
    if (!tume_flow_is_tume(flow, pinfo) && !request_host_proves(pinfo, flow, p, avail))
        return FALSE;
    /* what http_tls would claim, while the user has it enabled; else what
     * TLS gives HTTP as the port's dissector when no heuristic takes it
     * (a request after empty lines, which http_tls refuses) */
    if (http_tls_heur == NULL || !http_tls_heur->enabled ||
        (!tume_http_first_line(p, avail) && !http_conversation(conv))) {
        gsize skip = tume_http_skip_empty_lines(p, avail);
        if (skip >= avail || !tume_http_first_line(p + skip, avail - skip) || !port_is_http(pinfo))
            return FALSE;
    }
    if (dissector_get_string_handle(tls_alpn_table, "http/1.1") != http_tls_handle)
        return FALSE;
    tume_http(tvb, pinfo, tree, data, FALSE);
    /* the session's data from now on: to the reader straight away (as
     * TLS's heuristics may set), so that no other heuristic takes it */
    if (tume_http_app_handle != NULL)
        tume_tls_set_app_handle(data, tume_http_app_handle);
    return TRUE;
}

static tume_heur_ret_t
dissect_tume_api_heur_tls(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    return api_claims(tvb, pinfo, tree, data);
}

/* Wireshark moves the heuristic that took a record to the head of TLS's
 * list ("bubbling", epan/packet.c dissector_try_heuristic).  Once http_tls
 * took a record of any other HTTPS flow it is tried before tume_api_tls,
 * for the rest of the file, and would read TU Me's provisioning API as
 * plain HTTP.  So a flow known to be TU Me's provisioning API from its
 * handshake (SNI, certificate) does not go through the heuristics at all:
 * the TLS front tells TLS, before its first application data, to hand the
 * session's data to the plugin's HTTP reader (tls_set_appdata_dissector,
 * for protocols that carry TLS), as ALPN "http/1.1" would hand it to HTTP.
 * This is the handle; NULL where Wireshark would not read the session as
 * HTTP (HTTP over TLS missing or disabled, neither the http_tls heuristic
 * nor the port's dissector being HTTP, ALPN's "http/1.1" taken by another
 * dissector). */
dissector_handle_t
tume_api_session_handle(packet_info *pinfo)
{
    if (http_tls_handle == NULL || tls_alpn_table == NULL || tume_http_app_handle == NULL ||
        !proto_is_protocol_enabled(find_protocol_by_id(proto_tume)) ||
        !proto_is_protocol_enabled(find_protocol_by_id(proto_http_id)))
        return NULL;
    if (dissector_get_string_handle(tls_alpn_table, "http/1.1") != http_tls_handle)
        return NULL;
    if ((http_tls_heur == NULL || !http_tls_heur->enabled) && !port_is_http(pinfo))
        return NULL;
    return tume_http_app_handle;
}

void
tume_api_register(module_t *module, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_tume_api_msisdn,
          { "MSISDN", "tume.api.msisdn", FT_STRING, BASE_NONE, NULL, 0x0,
            "Phone number in a provisioning message", HFILL } },
        { &hf_tume_api_user_id,
          { "User id", "tume.api.user_id", FT_STRING, BASE_NONE, NULL, 0x0, "userId", HFILL } },
        { &hf_tume_api_screen_name,
          { "Screen name", "tume.api.screen_name", FT_STRING, BASE_NONE, NULL, 0x0, "screenName", HFILL } },
        { &hf_tume_api_locale,
          { "Locale", "tume.api.locale", FT_STRING, BASE_NONE, NULL, 0x0,
            "The locale of a register request (language_COUNTRY)", HFILL } },
        { &hf_tume_api_contacts,
          { "Contacts", "tume.api.contacts", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Number of entries in a contacts array", HFILL } },
        { &hf_tume_api_sip_proxy,
          { "SIP proxy", "tume.api.sip_proxy", FT_STRING, BASE_NONE, NULL, 0x0,
            "sip.proxy of a config reply", HFILL } },
        { &hf_tume_api_request_in,
          { "Request in", "tume.api.request_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "On a reply: the frame of the request it answers", HFILL } },
        { &hf_tume_api_response_in,
          { "Response in", "tume.api.response_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "On a request: the frame of its reply", HFILL } },
        { &hf_tume_api_register_in,
          { "Used by REGISTER in", "tume.api.register_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "On a config reply: a SIP REGISTER whose From uses its SIP user name and domain or proxy", HFILL } },
        { &hf_tume_api_token_in,
          { "Token issued in", "tume.api.token_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "On a request carrying an access token: the token reply that issued it", HFILL } },
        { &hf_tume_api_token_used_in,
          { "Token used in", "tume.api.token_used_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "On a token reply: a later request that carries its access token", HFILL } },
        { &hf_tume_api_keys,
          { "JSON key", "tume.api.keys", FT_STRING, BASE_NONE, NULL, 0x0,
            "Top-level JSON keys of the message", HFILL } },
    };
    static gint *ett[] = { &ett_tume_api };
    static ei_register_info ei[] = {
        { &ei_tume_sensitive,
          { "tume.sensitive", PI_SECURITY, PI_WARN, "TU Me message carries sensitive content", EXPFILL } },
    };
    static uat_field_t fields[] = {
        UAT_FLD_CSTRING(tume_api_msgs, method, "Method", "HTTP method, or * for any"),
        UAT_FLD_CSTRING(tume_api_msgs, path, "Path pattern", "Glob on the URL path (* matches anything), e.g. */register"),
        UAT_FLD_CSTRING(tume_api_msgs, keys, "Required keys", "Top-level JSON keys that must all be present, comma-separated; empty: decide by path"),
        UAT_FLD_CSTRING(tume_api_msgs, type, "Type name", "The tume.msg_type to give"),
        UAT_FLD_VS(tume_api_msgs, direction, "Direction", api_directions,
                   "request, or response (used for replies whose request was not seen)"),
        UAT_END_FIELDS
    };
    uat_t *uat;

    proto_register_field_array(proto_tume, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));

    uat = uat_new("TU Me API messages", sizeof(api_uat_rec_t), "tume_api_messages", TRUE,
                  &api_uat_recs, &api_uat_count, UAT_AFFECTS_DISSECTION, NULL,
                  api_uat_copy, api_uat_update, api_uat_free, api_rules_rebuild,
                  api_rules_rebuild /* reset: the rules point into the rows' strings */, fields);
    prefs_register_uat_preference(module, "api_messages", "Provisioning API message table",
        "Rows tried before the built-in ones (the reference model): method, path pattern, "
        "required JSON keys, message type, direction. Content (keys) decides first, the path second.",
        uat);
    api_rules_rebuild();

    /* The HTTP hand-off's protocol is a name only ("pino"): it adds no layer
     * and no filter field of its own.  Its short name (Analyze > Enabled
     * Protocols) must not be Wireshark's HTTP's. */
    proto_tume_http = proto_register_protocol_in_name_only("HTTP on a TU Me flow (read by the TU Me plugin)",
                                                           "TU Me HTTP reader", "tume_http", proto_tume,
                                                           FT_PROTOCOL);
    tume_http_handle = register_dissector("tume_http", dissect_tume_http, proto_tume_http);
    /* Wireshark's JSON, for the handle in front of it (a table, so that it
     * can be called without adding JSON's layer a second time) */
    register_dissector_table("tume.json", "JSON behind the TU Me plugin's reader", proto_tume_http, FT_STRING,
                             0 /* case-sensitive (STRING_CASE_SENSITIVE from 4.2) */);
}

/* The media types whose dissector is Wireshark's JSON. */
static void
collect_json_types(const gchar *table_name _U_, ftenum_t selector_type _U_, gpointer key, gpointer value,
                   gpointer user_data)
{
    if (key != NULL && dtbl_entry_get_handle((dtbl_entry_t *)value) == json_handle)
        *(GSList **)user_data = g_slist_prepend(*(GSList **)user_data, g_strdup((const gchar *)key));
}

void
tume_api_handoff(void)
{
    http_tls_handle = find_dissector_add_dependency("http-over-tls", proto_tume);
    tls_port_table = find_dissector_table("tls.port");
    tls_alpn_table = find_dissector_table("tls.alpn");
    /* read, never changed: whether the user has it enabled */
    http_tls_heur = find_heur_dissector_by_unique_short_name("http_tls");
    /* Listed under HTTP, the protocol it gives the data to (as http_tls
     * is); it works only while TU Me is enabled too. */
    proto_http_id = proto_get_id_by_filter_name("http");
    if (proto_http_id > 0)
        tume_http_app_handle = create_dissector_handle(dissect_tume_http_app, proto_http_id);
    if (proto_http_id > 0)
        heur_dissector_add("tls", dissect_tume_api_heur_tls, "HTTP over TLS on TU Me flows (TU Me plugin)",
                           "tume_api_tls", proto_http_id, HEURISTIC_ENABLE);
    /* in front of Wireshark's JSON in the media_type table (see
     * dissect_tume_json_front); a handle of JSON's protocol, so that the
     * packet's layers and Decode As's protocol still say JSON */
    json_handle = find_dissector_add_dependency("json", proto_tume);
    if (json_handle != NULL && tume_json_front_handle == NULL) {
        /* a name and a description of its own: Wireshark 4.6 checks that
         * the handles of a table have distinct descriptions */
        tume_json_front_handle = create_dissector_handle_with_name_and_description(
            dissect_tume_json_front, dissector_handle_get_protocol_index(json_handle), "tume_json",
            "JSON (read by the TU Me plugin on TU Me flows)");
        json_table = find_dissector_table("tume.json");
        GSList *types = NULL;
        dissector_table_foreach("media_type", collect_json_types, &types);
        for (GSList *t = types; t != NULL; t = t->next) {
            dissector_add_string("tume.json", (const gchar *)t->data, json_handle);
            dissector_add_string("media_type", (const gchar *)t->data, tume_json_front_handle);
            if (json_any_type == NULL || strcmp((const gchar *)t->data, "application/json") == 0) {
                g_free(json_any_type);
                json_any_type = g_strdup((const gchar *)t->data);
            }
        }
        g_slist_free_full(types, g_free);
    }
}

void
tume_api_shutdown(void)
{
    g_free(json_any_type);
    json_any_type = NULL;
    if (api_rules != NULL)
        g_array_free(api_rules, TRUE);
    api_rules = NULL;
}
