/* tume-stats.c - statistics of TU Me traffic, read from the "tume" tap
 * that the post-dissector feeds (one record per TU Me packet, tume-flow.h):
 *
 *   - the stats tree "tume": tshark -z tume,tree[,filter], and
 *     Statistics > TU Me in the GUI.
 *
 * The per-flow tables are in tume-flows.c.
 *
 * Only the tap's records are read here; nothing below calls this file.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stats_tree.h>

#include "tume-flow.h"
#include "tume-stats.h"
#include "api_parse.h"
#include "compat.h"

/* ---- the stats tree ----
 *
 * Packet counts (messages, bytes, sensitive items) are ticked as packets
 * come.  Flow counts are kept per tree and set on the nodes: a flow's role,
 * evidence and certificate can become known after its first packets, so
 * a flow is counted where it stands at its latest packet. */

static const char *const st_flows_role = "Flows by role";
static const char *const st_flows_evidence = "Flows by evidence";
static const char *const st_flows_decrypted = "Flows by decryption";
static const char *const st_flows_issuer = "Flows by certificate issuer";
static const char *const st_flows_subject = "Flows by certificate subject";
static const char *const st_flows_proxy = "Flows by HTTP proxy use";
static const char *const st_proxy_names[3] = {
    "no proxy in use by the client", "through an HTTP proxy (CONNECT)", "bypassing the client's HTTP proxy"
};
static const char *const st_messages = "Messages by type and direction";
static const char *const st_bytes = "Frame bytes by flow role";
static const char *const st_sensitive = "Sensitive items by kind";
static const char *const st_sized = "Records not decrypted, read by size";
static const char *const st_ping_interval = "Keep-alive ping interval read by size (ms)";

/* What was last counted for one flow. */
typedef struct {
    tume_flow_kind_t kind;
    guint32          evidence;
    gboolean         decrypted;
    guint8           proxy;      /* index in st_proxy_names */
    char            *issuer;     /* copies (NULL: no certificate) */
    char            *subject;
} st_flow_seen_t;

typedef struct {
    guint32     last_num;        /* a lower frame number: the file is being read again */
    GHashTable *flows;           /* const tume_flow_t * -> st_flow_seen_t * */
    guint       nflows;
    int         with_cert;       /* flows with a certificate (issuer) counted */
    int         by_role[3];
    int         by_evidence[TUME_EV_COUNT];
    int         decrypted[2];
    int         by_proxy[3];
    GHashTable *issuers;         /* DN -> count */
    GHashTable *subjects;
    GHashTable *last_ping;       /* const tume_flow_t * -> nstime_t *: its latest ping read by size */
    int         n_proxy;
    int         n_role, n_evidence, n_decrypted, n_issuer, n_subject, n_messages, n_bytes, n_sensitive,
                n_sized, n_ping_interval;
} st_state_t;

/* One state per open tree (tshark -z may name the tree twice; the GUI may
 * keep several windows).  Only the tap's thread touches it. */
static GHashTable *st_states;    /* stats_tree * -> st_state_t * */

static void
st_flow_seen_free(gpointer p)
{
    st_flow_seen_t *s = (st_flow_seen_t *)p;
    g_free(s->issuer);
    g_free(s->subject);
    g_free(s);
}

static void
st_state_clear(st_state_t *s)
{
    g_hash_table_remove_all(s->flows);
    g_hash_table_remove_all(s->issuers);
    g_hash_table_remove_all(s->subjects);
    g_hash_table_remove_all(s->last_ping);
    s->nflows = 0;
    s->with_cert = 0;
    s->last_num = 0;
    memset(s->by_role, 0, sizeof s->by_role);
    memset(s->by_evidence, 0, sizeof s->by_evidence);
    memset(s->decrypted, 0, sizeof s->decrypted);
    memset(s->by_proxy, 0, sizeof s->by_proxy);
}

static void
tume_st_init(stats_tree *st)
{
    st_state_t *s = g_new0(st_state_t, 1);

    s->flows = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, st_flow_seen_free);
    s->issuers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s->subjects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s->last_ping = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    s->n_role = stats_tree_create_node(st, st_flows_role, 0, STAT_DT_INT, TRUE);
    s->n_evidence = stats_tree_create_node(st, st_flows_evidence, 0, STAT_DT_INT, TRUE);
    s->n_decrypted = stats_tree_create_node(st, st_flows_decrypted, 0, STAT_DT_INT, TRUE);
    s->n_proxy = stats_tree_create_node(st, st_flows_proxy, 0, STAT_DT_INT, TRUE);
    s->n_issuer = stats_tree_create_node(st, st_flows_issuer, 0, STAT_DT_INT, TRUE);
    s->n_subject = stats_tree_create_node(st, st_flows_subject, 0, STAT_DT_INT, TRUE);
    s->n_messages = stats_tree_create_node(st, st_messages, 0, STAT_DT_INT, TRUE);
    s->n_bytes = stats_tree_create_node(st, st_bytes, 0, STAT_DT_INT, TRUE);
    s->n_sensitive = stats_tree_create_node(st, st_sensitive, 0, STAT_DT_INT, TRUE);
    s->n_sized = stats_tree_create_node(st, st_sized, 0, STAT_DT_INT, TRUE);
    s->n_ping_interval = stats_tree_create_node(st, st_ping_interval, 0, STAT_DT_INT, TRUE);
    /* Wireshark's GUI opens every stats tree sorted by name, Z to A, and
     * ignores a tree's own sort order; only "keep on top" is honoured there
     * (tshark prints the top level in the order above).  Messages and flows
     * on top read in a sensible order both ways: messages, flows by role,
     * evidence, decryption, certificate subject and issuer; then sensitive
     * items, records read by size, ping intervals and frame bytes. */
    static const char *const on_top[] = {
        st_messages, st_flows_role, st_flows_evidence, st_flows_decrypted, st_flows_proxy, st_flows_issuer,
        st_flows_subject
    };
    for (guint i = 0; i < G_N_ELEMENTS(on_top); i++)
        stat_node_set_flags(st, on_top[i], 0, TRUE, ST_FLG_SORT_TOP);
    if (st_states == NULL)
        st_states = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_insert(st_states, st, s);
}

static void
tume_st_cleanup(stats_tree *st)
{
    st_state_t *s = st_states != NULL ? (st_state_t *)g_hash_table_lookup(st_states, st) : NULL;

    if (s == NULL)
        return;
    g_hash_table_remove(st_states, st);
    g_hash_table_destroy(s->flows);
    g_hash_table_destroy(s->issuers);
    g_hash_table_destroy(s->subjects);
    g_hash_table_destroy(s->last_ping);
    g_free(s);
    if (g_hash_table_size(st_states) == 0) {
        g_hash_table_destroy(st_states);
        st_states = NULL;
    }
}

/* Adds delta to the count of name in a DN table and sets its node. */
static void
st_dn_count(stats_tree *st, GHashTable *table, int node, const char *dn, int delta)
{
    gpointer key, val;
    int n = 0;

    if (dn == NULL)
        return;
    if (g_hash_table_lookup_extended(table, dn, &key, &val))
        n = GPOINTER_TO_INT(val);
    n += delta;
    g_hash_table_replace(table, g_strdup(dn), GINT_TO_POINTER(n));
    set_stat_node(st, dn, node, FALSE, n);
}

static const char *
st_dn(const tume_flow_t *flow, gboolean issuer)
{
    if (flow->cert == NULL || !flow->cert->parsed)
        return NULL;
    return issuer ? flow->cert->issuer : flow->cert->subject;
}

/* Counts the flow where it stands now, taking back what was counted for it before. */
static void
st_count_flow(stats_tree *st, st_state_t *s, const tume_tap_info_t *ti)
{
    const tume_flow_t *flow = ti->flow;
    st_flow_seen_t *seen = (st_flow_seen_t *)g_hash_table_lookup(s->flows, flow);
    const char *issuer = st_dn(flow, TRUE), *subject = st_dn(flow, FALSE);
    const guint kind = (guint)ti->kind < 3 ? (guint)ti->kind : 0;
    const int dec = flow->decrypted ? 1 : 0;
    const guint8 proxy = flow->proxy_connect != NULL ? 1 : flow->bypass_connect != 0 ? 2 : 0;

    if (seen != NULL && seen->kind == (tume_flow_kind_t)kind && seen->evidence == flow->evidence
        && seen->decrypted == dec && seen->proxy == proxy && g_strcmp0(seen->issuer, issuer) == 0
        && g_strcmp0(seen->subject, subject) == 0)
        return;     /* nothing new about this flow: the usual case */
    if (seen == NULL) {
        seen = g_new0(st_flow_seen_t, 1);
        g_hash_table_insert(s->flows, (gpointer)flow, seen);
        s->nflows++;
    } else {
        s->by_role[seen->kind]--;
        for (guint i = 0; i < TUME_EV_COUNT; i++)
            if (seen->evidence & (1u << i))
                s->by_evidence[i]--;
        s->decrypted[seen->decrypted ? 1 : 0]--;
        s->by_proxy[seen->proxy]--;
        st_dn_count(st, s->issuers, s->n_issuer, seen->issuer, -1);
        if (seen->issuer != NULL)
            s->with_cert--;
        st_dn_count(st, s->subjects, s->n_subject, seen->subject, -1);
        g_free(seen->issuer);
        g_free(seen->subject);
    }
    seen->kind = (tume_flow_kind_t)kind;
    seen->evidence = flow->evidence;
    seen->decrypted = dec;
    seen->proxy = proxy;
    s->by_proxy[proxy]++;
    seen->issuer = g_strdup(issuer);
    seen->subject = g_strdup(subject);
    s->by_role[kind]++;
    for (guint i = 0; i < TUME_EV_COUNT; i++)
        if (flow->evidence & (1u << i))
            s->by_evidence[i]++;
    s->decrypted[dec]++;
    st_dn_count(st, s->issuers, s->n_issuer, issuer, 1);
    st_dn_count(st, s->subjects, s->n_subject, subject, 1);
    if (issuer != NULL)
        s->with_cert++;

    set_stat_node(st, st_flows_role, 0, TRUE, (int)s->nflows);
    for (guint k = 0; k < 3; k++)
        if (s->by_role[k] > 0 || k == kind)
            set_stat_node(st, tume_flow_kind_name((tume_flow_kind_t)k), s->n_role, FALSE, s->by_role[k]);
    set_stat_node(st, st_flows_evidence, 0, TRUE, (int)s->nflows);
    for (guint i = 0; i < TUME_EV_COUNT; i++)
        if (s->by_evidence[i] > 0 || (flow->evidence & (1u << i)))
            set_stat_node(st, tume_evidence_name(i), s->n_evidence, FALSE, s->by_evidence[i]);
    set_stat_node(st, st_flows_decrypted, 0, TRUE, (int)s->nflows);
    set_stat_node(st, "decrypted", s->n_decrypted, FALSE, s->decrypted[1]);
    set_stat_node(st, "not decrypted", s->n_decrypted, FALSE, s->decrypted[0]);
    set_stat_node(st, st_flows_proxy, 0, TRUE, (int)s->nflows);
    for (guint k = 0; k < 3; k++)
        set_stat_node(st, st_proxy_names[k], s->n_proxy, FALSE, s->by_proxy[k]);
    set_stat_node(st, st_flows_issuer, 0, TRUE, s->with_cert);
    set_stat_node(st, st_flows_subject, 0, TRUE, s->with_cert);
}

static const char *
direction_name(int direction)
{
    return direction == 1 ? "to server" : direction == 0 ? "to client" : "direction unknown";
}

static tap_packet_status
tume_st_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt _U_, const void *p,
               tap_flags_t flags _U_)
{
    const tume_tap_info_t *ti = (const tume_tap_info_t *)p;
    st_state_t *s = st_states != NULL ? (st_state_t *)g_hash_table_lookup(st_states, st) : NULL;

    if (s == NULL || ti == NULL || ti->flow == NULL)
        return TAP_PACKET_DONT_REDRAW;
    /* The GUI reads the file again (a new filter, a reload) after zeroing
     * the nodes, without telling the tree: frame numbers start over. */
    if (pinfo->num < s->last_num)
        st_state_clear(s);
    s->last_num = pinfo->num;

    st_count_flow(st, s, ti);

    const char *role = tume_flow_kind_name(ti->kind);
    increase_stat_node(st, st_bytes, 0, TRUE, (int)MIN(ti->frame_bytes, (guint32)G_MAXINT));
    increase_stat_node(st, role, s->n_bytes, FALSE, (int)MIN(ti->frame_bytes, (guint32)G_MAXINT));

    for (guint i = 0; i < ti->nmsgs; i++) {
        const tume_tap_msg_t *m = &ti->msgs[i];
        const int n = (int)MIN(m->count, (guint)G_MAXINT);
        increase_stat_node(st, st_messages, 0, TRUE, n);
        int rn = increase_stat_node(st, tume_flow_kind_name(m->role), s->n_messages, TRUE, n);
        int tn = increase_stat_node(st, m->type, rn, TRUE, n);
        increase_stat_node(st, direction_name(ti->direction), tn, FALSE, n);
        for (guint b = 0; b < TUME_SENS_COUNT; b++) {
            if (m->sensitive & (1u << b)) {
                tick_stat_node(st, st_sensitive, 0, TRUE);
                tick_stat_node(st, tume_sensitive_name(b), s->n_sensitive, FALSE);
            }
        }
    }
    for (guint i = 0; i < ti->nenc; i++) {
        const tume_enc_rec_t *r = &ti->enc[i];
        increase_stat_node(st, st_sized, 0, TRUE, 1);
        int rn = increase_stat_node(st, role, s->n_sized, TRUE, 1);
        int gn = increase_stat_node(st, tume_enc_guess_name((tume_enc_guess_t)r->guess), rn, TRUE, 1);
        increase_stat_node(st, direction_name(r->to_server), gn, FALSE, 1);
        if (r->guess == TUME_ENC_GUESS_PING) {
            nstime_t *last = (nstime_t *)g_hash_table_lookup(s->last_ping, ti->flow);
            if (last != NULL) {
                nstime_t d;
                nstime_delta(&d, &pinfo->abs_ts, last);
                gint64 ms = (gint64)d.secs * 1000 + (d.nsecs + 500000) / 1000000;   /* rounded */
                gint v = (gint)CLAMP(ms, 0, G_MAXINT);
                avg_stat_node_add_value_int(st, st_ping_interval, 0, TRUE, v);
                /* and per flow: "client -> server" */
                gboolean back = ti->direction == 0;
                char *c = tume_endpoint_str(back ? &pinfo->dst : &pinfo->src, back ? pinfo->destport : pinfo->srcport);
                char *sv = tume_endpoint_str(back ? &pinfo->src : &pinfo->dst, back ? pinfo->srcport : pinfo->destport);
                char *name = g_strdup_printf("%s -> %s", c, sv);
                avg_stat_node_add_value_int(st, name, s->n_ping_interval, FALSE, v);
                g_free(name);
                g_free(sv);
                g_free(c);
            } else {
                last = g_new(nstime_t, 1);
                g_hash_table_insert(s->last_ping, (gpointer)ti->flow, last);
            }
            *last = pinfo->abs_ts;
        }
    }
    return TAP_PACKET_REDRAW;
}

void
tume_stats_register(void)
{
    /* "-z tume,tree"; the GUI's Statistics > TU Me */
    stats_tree_register_plugin("tume", "tume", "TU Me", 0, tume_st_packet, tume_st_init, tume_st_cleanup);
}
