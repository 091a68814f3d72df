/* tume-flows.c - one row per TU Me flow, read from the "tume" tap that the
 * post-dissector feeds (one record per TU Me packet, tume-flow.h):
 *
 *   - tshark -z tume,flows[,filter]: tab-separated rows, for batch jobs;
 *   - Statistics > TU Me Flows in the GUI (and tshark -z tume,flowtable
 *     [,filter]): the same flows as a Wireshark statistics table, in the
 *     order the flows started;
 *   - the "TU Me" tab of Statistics > Conversations and Endpoints
 *     (-z conv,tume, -z endpoints,tume): Wireshark's own tables, whose rows
 *     give Apply as Filter, Prepare as Filter, Find, Colorize and Follow.
 *
 * The first two share one summary of each flow (flow_rows_t below).  Only
 * the tap's records are read here.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>
#include <epan/conversation_table.h>
#include <epan/to_str.h>

#include "tume-flow.h"
#include "tume-stats.h"
#include "compat.h"

char *
tume_endpoint_str(const address *addr, guint32 port)
{
    char *a = address_to_str(NULL, addr);
    char *s = addr->type == AT_IPv6 ? g_strdup_printf("[%s]:%u", a, port) : g_strdup_printf("%s:%u", a, port);
    wmem_free(NULL, a);
    return s;
}

/* ---- the summary of each flow ---- */

typedef struct {
    guint    number;             /* 1, 2, ...: the order the flows started in */
    guint32  first_frame, last_frame;
    char    *client, *server;    /* "address:port" */
    gboolean endpoints_known;    /* client and server from the ClientHello */
    char    *filter;             /* a display filter for the flow's TCP connection; NULL: none */
    tume_flow_kind_t kind;
    guint32  evidence;           /* TUME_EV_* */
    char    *evidence_str;       /* "sni,cert-subject,..." */
    char    *sni, *issuer;
    gboolean decrypted;
    guint64  frames, bytes, messages;
    guint64  sized[TUME_ENC_GUESS_API_RESPONSE + 1];   /* records read by size, per guess */
    guint64  pings;              /* keep-alive pings, decrypted or read by size */
    nstime_t first_ping, last_ping;
    char     period[32];         /* the mean ping period in s, "-" without two pings */
    char    *proxy;              /* "via proxy (CONNECT host:port)", "bypass (...)", or NULL */
} flow_row_t;

typedef struct {
    GHashTable *rows;            /* const tume_flow_t * -> flow_row_t * */
    GPtrArray  *order;           /* flow_row_t *, by first frame */
} flow_rows_t;

static void
flow_row_free(gpointer p)
{
    flow_row_t *r = (flow_row_t *)p;
    g_free(r->client);
    g_free(r->server);
    g_free(r->filter);
    g_free(r->evidence_str);
    g_free(r->sni);
    g_free(r->issuer);
    g_free(r->proxy);
    g_free(r);
}

static void
flow_rows_init(flow_rows_t *t)
{
    t->rows = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, flow_row_free);
    t->order = g_ptr_array_new();
}

static void
flow_rows_clear(flow_rows_t *t)
{
    g_ptr_array_set_size(t->order, 0);
    g_hash_table_remove_all(t->rows);
}

static void
flow_rows_destroy(flow_rows_t *t)
{
    g_ptr_array_free(t->order, TRUE);
    g_hash_table_destroy(t->rows);
}

/* Replaces *dst by a copy of src when they differ. */
static void
set_copy(char **dst, const char *src)
{
    if (g_strcmp0(*dst, src) != 0) {
        g_free(*dst);
        *dst = g_strdup(src);
    }
}

/* The filter Wireshark's TCP conversation table gives a connection. */
static char *
connection_filter(const address *a, guint32 pa, const address *b, guint32 pb)
{
    const char *field = a->type == AT_IPv4 ? "ip.addr" : a->type == AT_IPv6 ? "ipv6.addr" : NULL;

    if (field == NULL || b->type != a->type)
        return NULL;
    char *sa = address_to_str(NULL, a), *sb = address_to_str(NULL, b);
    char *f = g_strdup_printf("%s==%s && tcp.port==%u && %s==%s && tcp.port==%u", field, sa, pa, field, sb, pb);
    wmem_free(NULL, sa);
    wmem_free(NULL, sb);
    return f;
}

static void
add_pings(flow_row_t *r, const packet_info *pinfo, guint64 n)
{
    if (n == 0)
        return;
    if (r->pings == 0)
        r->first_ping = pinfo->abs_ts;
    r->last_ping = pinfo->abs_ts;
    r->pings += n;
}

/* Adds one tap record to its flow's row; returns the row. */
static flow_row_t *
flow_rows_add(flow_rows_t *t, const packet_info *pinfo, const tume_tap_info_t *ti)
{
    const tume_flow_t *flow = ti->flow;
    flow_row_t *r = (flow_row_t *)g_hash_table_lookup(t->rows, flow);

    if (r == NULL) {
        r = g_new0(flow_row_t, 1);
        r->number = t->order->len + 1;
        r->first_frame = pinfo->num;
        g_hash_table_insert(t->rows, (gpointer)flow, r);
        g_ptr_array_add(t->order, r);
    }
    if (r->client == NULL || (!r->endpoints_known && ti->direction >= 0)) {
        /* from the ClientHello's direction; without one, the first
         * packet's source and destination */
        gboolean back = ti->direction == 0;
        const address *c = back ? &pinfo->dst : &pinfo->src, *s = back ? &pinfo->src : &pinfo->dst;
        guint32 cp = back ? pinfo->destport : pinfo->srcport, sp = back ? pinfo->srcport : pinfo->destport;
        g_free(r->client);
        g_free(r->server);
        g_free(r->filter);
        r->client = tume_endpoint_str(c, cp);
        r->server = tume_endpoint_str(s, sp);
        r->filter = connection_filter(c, cp, s, sp);
        r->endpoints_known = ti->direction >= 0;
    }
    r->last_frame = pinfo->num;
    r->kind = ti->kind;
    if (r->evidence_str == NULL || r->evidence != flow->evidence) {
        GString *ev = g_string_new(NULL);
        for (guint i = 0; i < TUME_EV_COUNT; i++)
            if (flow->evidence & (1u << i))
                g_string_append_printf(ev, "%s%s", ev->len > 0 ? "," : "", tume_evidence_name(i));
        g_free(r->evidence_str);
        r->evidence_str = g_string_free(ev, FALSE);
        r->evidence = flow->evidence;
    }
    set_copy(&r->sni, flow->sni);
    if (flow->proxy_connect != NULL && r->proxy == NULL) {
        char *a = tume_endpoint_str(&flow->server_addr, flow->server_port);
        r->proxy = g_strdup_printf("via %s (CONNECT %s)", a, flow->proxy_connect);
        g_free(a);
    } else if (flow->proxy_connect == NULL && flow->bypass_connect != 0 && r->proxy == NULL) {
        r->proxy = g_strdup_printf("bypass (the client's CONNECT in frame %u)", flow->bypass_connect);
    }
    set_copy(&r->issuer, flow->cert != NULL && flow->cert->parsed ? flow->cert->issuer : NULL);
    r->decrypted = flow->decrypted;
    r->frames++;
    r->bytes += ti->frame_bytes;
    for (guint i = 0; i < ti->nmsgs; i++) {
        r->messages += ti->msgs[i].count;
        if (strcmp(ti->msgs[i].type, "keepalive-ping") == 0)
            add_pings(r, pinfo, ti->msgs[i].count);
    }
    for (guint i = 0; i < ti->nenc; i++) {
        guint g = ti->enc[i].guess;
        if (g < G_N_ELEMENTS(r->sized))
            r->sized[g]++;
        if (g == TUME_ENC_GUESS_PING)
            add_pings(r, pinfo, 1);
    }
    if (r->pings > 1) {
        nstime_t d;
        nstime_delta(&d, &r->last_ping, &r->first_ping);
        snprintf(r->period, sizeof r->period, "%.3f", nstime_to_sec(&d) / (double)(r->pings - 1));
    } else {
        snprintf(r->period, sizeof r->period, "-");
    }
    return r;
}

/* ---- tshark -z tume,flows[,filter]: tab-separated rows ---- */

typedef struct {
    char       *filter;
    flow_rows_t rows;
} flow_text_t;

static void
flow_text_reset(void *tapdata)
{
    flow_rows_clear(&((flow_text_t *)tapdata)->rows);
}

static tap_packet_status
flow_text_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *p,
                 tap_flags_t flags _U_)
{
    const tume_tap_info_t *ti = (const tume_tap_info_t *)p;

    if (ti == NULL || ti->flow == NULL)
        return TAP_PACKET_DONT_REDRAW;
    flow_rows_add(&((flow_text_t *)tapdata)->rows, pinfo, ti);
    return TAP_PACKET_REDRAW;
}

static void
flow_text_draw(void *tapdata)
{
    flow_text_t *t = (flow_text_t *)tapdata;

    printf("\n===================================================================\n");
    printf("TU Me flows: %u\n", t->rows.order->len);
    printf("Filter: %s\n", t->filter != NULL ? t->filter : "");
    printf("Columns, tab-separated: first frame, last frame, client, server, role, decrypted,\n"
           "messages, frames, bytes, SNI, certificate issuer (\"-\": none seen),\n"
           "records not decrypted read by size (guess=count,...), mean keep-alive ping period in s,\n"
           "HTTP proxy (\"via address:port (CONNECT host:port)\", \"bypass (...)\" or \"-\")\n");
    for (guint i = 0; i < t->rows.order->len; i++) {
        const flow_row_t *r = (const flow_row_t *)g_ptr_array_index(t->rows.order, i);
        GString *sized = g_string_new(NULL);
        for (guint g = 0; g < G_N_ELEMENTS(r->sized); g++) {
            if (r->sized[g] > 0)
                g_string_append_printf(sized, "%s%s=%" G_GUINT64_FORMAT, sized->len > 0 ? "," : "",
                                       tume_enc_guess_name((tume_enc_guess_t)g), r->sized[g]);
        }
        printf("%u\t%u\t%s\t%s\t%s\t%s\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT
               "\t%s\t%s\t%s\t%s\t%s\n",
               r->first_frame, r->last_frame, r->client, r->server, tume_flow_kind_name(r->kind),
               r->decrypted ? "yes" : "no", r->messages, r->frames, r->bytes,
               r->sni != NULL ? r->sni : "-", r->issuer != NULL ? r->issuer : "-",
               sized->len > 0 ? sized->str : "-", r->period, r->proxy != NULL ? r->proxy : "-");
        g_string_free(sized, TRUE);
    }
    printf("===================================================================\n");
}

static void
flow_text_finish(void *tapdata)
{
    flow_text_t *t = (flow_text_t *)tapdata;
    flow_rows_destroy(&t->rows);
    g_free(t->filter);
    g_free(t);
}

static TUME_STAT_INIT_RET
flow_text_init(const char *opt_arg, void *userdata _U_)
{
    static const char prefix[] = "tume,flows";
    const char *filter = NULL;

    if (strncmp(opt_arg, prefix, sizeof prefix - 1) == 0 && opt_arg[sizeof prefix - 1] == ',')
        filter = opt_arg + sizeof prefix;
    flow_text_t *t = g_new0(flow_text_t, 1);
    t->filter = g_strdup(filter);
    flow_rows_init(&t->rows);
    GString *err = register_tap_listener("tume", t, filter, TL_REQUIRES_NOTHING, flow_text_reset,
                                         flow_text_packet, flow_text_draw, flow_text_finish);
    if (err != NULL) {
        fprintf(stderr, "tume,flows: %s\n", err->str);
        g_string_free(err, TRUE);
        flow_text_finish(t);
        TUME_STAT_INIT_FAIL;
    }
    TUME_STAT_INIT_OK;
}

static stat_tap_ui flow_text_ui = {
    REGISTER_STAT_GROUP_GENERIC,
    "TU Me flows",
    "tume,flows",
    flow_text_init,
    0,
    NULL
};

/* ---- Statistics > TU Me Flows: a statistics table ----
 *
 * Wireshark keeps one set of tables per registered table UI, shared by
 * every window that shows it, and resets them before each reading of the
 * file; the flows summary behind them is kept the same way.  The table's
 * strings point into that summary: both are cleared together. */

enum {
    FT_COL_NUMBER, FT_COL_CLIENT, FT_COL_SERVER, FT_COL_ROLE, FT_COL_EVIDENCE, FT_COL_ISSUER, FT_COL_SNI, FT_COL_DECRYPTED,
    FT_COL_PROXY, FT_COL_MESSAGES, FT_COL_PINGS, FT_COL_PERIOD, FT_COL_FRAMES, FT_COL_BYTES, FT_COL_FIRST, FT_COL_LAST, FT_COL_FILTER,
    FT_COL_COUNT
};

static stat_tap_table_item flow_table_fields[FT_COL_COUNT] = {
    { TABLE_ITEM_UINT,   TAP_ALIGN_RIGHT, "#",                     "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT,  "Client",                "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT,  "Server",                "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT,  "Role",                  "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT,  "Evidence",              "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT,  "Certificate issuer",    "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT,  "SNI",                   "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT,  "Decrypted",             "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT,  "HTTP proxy",            "%s" },
    { TABLE_ITEM_UINT,   TAP_ALIGN_RIGHT, "Messages",              "%u" },
    { TABLE_ITEM_UINT,   TAP_ALIGN_RIGHT, "Keep-alive pings",      "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_RIGHT, "Keep-alive period (s)", "%s" },
    { TABLE_ITEM_UINT,   TAP_ALIGN_RIGHT, "Frames",                "%u" },
    { TABLE_ITEM_UINT,   TAP_ALIGN_RIGHT, "Bytes",                 "%u" },
    { TABLE_ITEM_UINT,   TAP_ALIGN_RIGHT, "First frame",           "%u" },
    { TABLE_ITEM_UINT,   TAP_ALIGN_RIGHT, "Last frame",            "%u" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT,  "Display filter",        "%s" },
};

static const char flow_table_name[] = "TU Me flows";
static flow_rows_t flow_table_rows;
static gboolean flow_table_rows_ready;

static void
flow_table_reset(stat_tap_table *table)
{
    /* the rows go: their number is the number of flows read */
    for (guint i = 0; i < table->num_elements; i++)
        g_free(table->elements[i]);
    g_free(table->elements);
    table->elements = NULL;
    table->num_elements = 0;
    if (flow_table_rows_ready)
        flow_rows_clear(&flow_table_rows);
}

static void
flow_table_init(stat_tap_table_ui *ui)
{
    stat_tap_table *table = stat_tap_find_table(ui, flow_table_name);

    if (!flow_table_rows_ready) {
        flow_rows_init(&flow_table_rows);
        flow_table_rows_ready = TRUE;
    }
    if (table != NULL) {
        flow_table_reset(table);
        return;
    }
    flow_rows_clear(&flow_table_rows);
    table = stat_tap_init_table(flow_table_name, FT_COL_COUNT, 0, NULL);
    stat_tap_add_table(ui, table);
}

static guint
clamp_uint(guint64 v)
{
    return v > G_MAXUINT ? G_MAXUINT : (guint)v;
}

static tap_packet_status
flow_table_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *p,
                  tap_flags_t flags _U_)
{
    stat_data_t *sd = (stat_data_t *)tapdata;
    const tume_tap_info_t *ti = (const tume_tap_info_t *)p;
    stat_tap_table *table;

    if (ti == NULL || ti->flow == NULL || !flow_table_rows_ready || sd->stat_tap_data->tables == NULL
        || sd->stat_tap_data->tables->len == 0)
        return TAP_PACKET_DONT_REDRAW;
    table = g_array_index(sd->stat_tap_data->tables, stat_tap_table *, 0);

    const flow_row_t *r = flow_rows_add(&flow_table_rows, pinfo, ti);
    stat_tap_table_item_type f[FT_COL_COUNT];
    memset(f, 0, sizeof f);
    for (guint c = 0; c < FT_COL_COUNT; c++)
        f[c].type = flow_table_fields[c].type;
    f[FT_COL_NUMBER].value.uint_value = r->number;
    f[FT_COL_CLIENT].value.string_value = r->client;
    f[FT_COL_SERVER].value.string_value = r->server;
    f[FT_COL_ROLE].value.string_value = tume_flow_kind_name(r->kind);
    f[FT_COL_EVIDENCE].value.string_value = r->evidence_str[0] != '\0' ? r->evidence_str : "-";
    f[FT_COL_ISSUER].value.string_value = r->issuer != NULL ? r->issuer : "-";
    f[FT_COL_SNI].value.string_value = r->sni != NULL ? r->sni : "-";
    f[FT_COL_DECRYPTED].value.string_value = r->decrypted ? "yes" : "no";
    f[FT_COL_PROXY].value.string_value = r->proxy != NULL ? r->proxy : "-";
    f[FT_COL_MESSAGES].value.uint_value = clamp_uint(r->messages);
    f[FT_COL_PINGS].value.uint_value = clamp_uint(r->pings);
    f[FT_COL_PERIOD].value.string_value = r->period;
    f[FT_COL_FRAMES].value.uint_value = clamp_uint(r->frames);
    f[FT_COL_BYTES].value.uint_value = clamp_uint(r->bytes);
    f[FT_COL_FIRST].value.uint_value = r->first_frame;
    f[FT_COL_LAST].value.uint_value = r->last_frame;
    f[FT_COL_FILTER].value.string_value = r->filter != NULL ? r->filter : "-";
    /* the rows are numbered from 1 in the order the flows started */
    stat_tap_init_table_row(table, r->number - 1, FT_COL_COUNT, f);
    return TAP_PACKET_REDRAW;
}

static stat_tap_table_ui flow_table_ui = {
    REGISTER_PACKET_STAT_GROUP_UNSORTED,
    "TU Me Flows",
    "tume",
    "tume,flowtable",
    flow_table_init,
    flow_table_packet,
    flow_table_reset,
    NULL,
    NULL,
    G_N_ELEMENTS(flow_table_fields), flow_table_fields,
    0, NULL,
    NULL,
    0
};

/* ---- Statistics > Conversations and Endpoints, tab "TU Me" ---- */

static const char *
conv_filter_type(conv_item_t *conv, conv_filter_type_e filter)
{
    if (filter == CONV_FT_SRC_PORT)
        return "tcp.srcport";
    if (filter == CONV_FT_DST_PORT)
        return "tcp.dstport";
    if (filter == CONV_FT_ANY_PORT)
        return "tcp.port";
    if (conv == NULL)
        return CONV_FILTER_INVALID;
    const address *a = filter == CONV_FT_DST_ADDRESS ? &conv->dst_address : &conv->src_address;
    gboolean v6 = a->type == AT_IPv6;
    if (a->type != AT_IPv4 && !v6)
        return CONV_FILTER_INVALID;
    switch (filter) {
    case CONV_FT_SRC_ADDRESS: return v6 ? "ipv6.src" : "ip.src";
    case CONV_FT_DST_ADDRESS: return v6 ? "ipv6.dst" : "ip.dst";
    case CONV_FT_ANY_ADDRESS: return v6 ? "ipv6.addr" : "ip.addr";
    default:                  return CONV_FILTER_INVALID;
    }
}

static ct_dissector_info_t conv_info = { &conv_filter_type };

static const char *
endpoint_filter_type(endpoint_item_t *endpoint, conv_filter_type_e filter)
{
    if (filter == CONV_FT_SRC_PORT || filter == CONV_FT_DST_PORT || filter == CONV_FT_ANY_PORT)
        return "tcp.port";
    if (endpoint == NULL || (filter != CONV_FT_SRC_ADDRESS && filter != CONV_FT_DST_ADDRESS
                             && filter != CONV_FT_ANY_ADDRESS))
        return CONV_FILTER_INVALID;
    if (endpoint->myaddress.type == AT_IPv4)
        return "ip.addr";
    if (endpoint->myaddress.type == AT_IPv6)
        return "ipv6.addr";
    return CONV_FILTER_INVALID;
}

static et_dissector_info_t endpoint_info = { &endpoint_filter_type };

static tap_packet_status
conv_packet(void *pct, packet_info *pinfo, epan_dissect_t *edt _U_, const void *p, tap_flags_t flags)
{
    conv_hash_t *hash = (conv_hash_t *)pct;
    const tume_tap_info_t *ti = (const tume_tap_info_t *)p;

    if (ti == NULL || ti->flow == NULL)
        return TAP_PACKET_DONT_REDRAW;
    hash->flags = flags;
    add_conversation_table_data(hash, &pinfo->src, &pinfo->dst, pinfo->srcport, pinfo->destport, 1,
                                (int)MIN(ti->frame_bytes, (guint32)G_MAXINT), &pinfo->rel_ts, &pinfo->abs_ts,
                                &conv_info, CONVERSATION_TCP);
    return TAP_PACKET_REDRAW;
}

static tap_packet_status
endpoint_packet(void *pit, packet_info *pinfo, epan_dissect_t *edt _U_, const void *p, tap_flags_t flags)
{
    conv_hash_t *hash = (conv_hash_t *)pit;
    const tume_tap_info_t *ti = (const tume_tap_info_t *)p;
    int bytes;

    if (ti == NULL || ti->flow == NULL)
        return TAP_PACKET_DONT_REDRAW;
    hash->flags = flags;
    bytes = (int)MIN(ti->frame_bytes, (guint32)G_MAXINT);
    add_endpoint_table_data(hash, &pinfo->src, pinfo->srcport, TRUE, 1, bytes, &endpoint_info, ENDPOINT_TCP);
    add_endpoint_table_data(hash, &pinfo->dst, pinfo->destport, FALSE, 1, bytes, &endpoint_info, ENDPOINT_TCP);
    return TAP_PACKET_REDRAW;
}

void
tume_flows_register(int proto_id)
{
    register_stat_tap_ui(&flow_text_ui, NULL);
    register_stat_tap_table_ui(&flow_table_ui);
    register_conversation_table(proto_id, FALSE, conv_packet, endpoint_packet);
}
