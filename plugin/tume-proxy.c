/* tume-proxy.c - TU Me through an HTTP proxy: the CONNECT tunnel.
 *
 * A phone whose system HTTP proxy is set sends "CONNECT host:port" to the
 * proxy and then speaks TLS to host, through the proxy, on the same TCP
 * connection.  Wireshark's HTTP reads the CONNECT and its 200 and hands
 * what follows to TCP's port table (packet-http.c, http_payload_subdissector)
 * with the CONNECT's port in place of the proxy's, so TLS sees a
 * conversation of its own: client address and port, proxy address,
 * CONNECT port.
 *
 * On the CONNECT (first pass) this file records the tunnel on the TCP
 * connection's flow, takes the CONNECT host as evidence when it is under a
 * configured domain (connect-host), and gives HTTP's tunnel conversation
 * the same flow, and the TLS front (tume-tls.c) when TLS is what that port
 * decodes as.  The front then reads SNI, certificate and record sizes in
 * the tunnel as it does on a direct flow, and the plugin's TLS heuristics
 * find the flow there: one flow, two conversations.  Nothing is registered
 * and no other dissector's state is read.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/conversation.h>

#include "tume-proxy.h"
#include "compat.h"
#include "tume-tls.h"
#include "api_parse.h"
#include "domain_match.h"

static int hf_tume_proxy_bypass = -1;
static int hf_tume_proxy_bypass_connect_in = -1;

/* The clients that sent a CONNECT: address -> guint32 frame of the first,
 * per file.  Empty on captures without a proxy, where the bypass check
 * costs one test of proxy_clients_n. */
static wmem_map_t *proxy_clients;
static guint proxy_clients_n;

static guint
address_hash(gconstpointer k)
{
    return add_address_to_hash(0, (const address *)k);
}

static gboolean
address_equal(gconstpointer a, gconstpointer b)
{
    return addresses_equal((const address *)a, (const address *)b);
}

static void
tume_proxy_init(void)
{
    proxy_clients_n = 0;
}

gboolean
tume_proxy_in_use(void)
{
    return proxy_clients_n > 0;
}

/* The frame of client's first CONNECT, if that client uses a proxy in this
 * file (first pass: at or before this packet); 0 otherwise. */
static guint32
tume_proxy_client_connect(const packet_info *pinfo, const address *client)
{
    if (proxy_clients_n == 0)
        return 0;
    guint32 f = GPOINTER_TO_UINT(wmem_map_lookup(proxy_clients, client));
    if (f == 0 || (!PINFO_FD_VISITED(pinfo) && f > pinfo->num))
        return 0;
    return f;
}

guint32
tume_proxy_bypass(packet_info *pinfo, const tume_flow_t *flow)
{
    const address *client;

    if (proxy_clients_n == 0 || (flow != NULL && flow->proxy_connect != NULL))
        return 0;
    if (flow != NULL && flow->server_addr.type != AT_NONE) {
        int d = tume_flow_direction(flow, pinfo);
        if (d < 0)
            return 0;
        client = d == 1 ? &pinfo->src : &pinfo->dst;
    } else {
        /* who is on the TLS port is the server */
        client = tume_tls_port_of(pinfo) == pinfo->destport ? &pinfo->src : &pinfo->dst;
    }
    return tume_proxy_client_connect(pinfo, client);
}

void
tume_proxy_add_bypass_items(tvbuff_t *tvb, proto_tree *tree, guint32 connect_frame)
{
    proto_item_set_generated(proto_tree_add_boolean(tree, hf_tume_proxy_bypass, tvb, 0, 0, TRUE));
    proto_item_set_generated(proto_tree_add_uint(tree, hf_tume_proxy_bypass_connect_in, tvb, 0, 0, connect_frame));
}

/* The tunnel's conversation as the dissectors inside it find it (client
 * side as given, the proxy's port replaced by the CONNECT's), holding the
 * flow and the TLS front; NULL if a real connection holds those ports. */
static conversation_t *
tunnel_conversation(packet_info *pinfo, tume_flow_t *flow, const address *client, guint32 port)
{
    conversation_t *tunnel = find_conversation(pinfo->num, client, &pinfo->dst, CONVERSATION_TCP,
                                               pinfo->srcport, port, 0);
    if (tunnel == NULL)
        tunnel = conversation_new(pinfo->num, client, &pinfo->dst, CONVERSATION_TCP, pinfo->srcport, port, 0);
    if (conversation_get_proto_data(tunnel, proto_tume) != NULL)
        return NULL;
    conversation_add_proto_data(tunnel, proto_tume, flow);
    tume_tls_watch_tunnel(pinfo, tunnel, port);
    return tunnel;
}

tume_flow_t *
tume_proxy_connect(packet_info *pinfo, tvbuff_t *tvb, guint off, guint len)
{
    gint avail = tvb_captured_length_remaining(tvb, (gint)off);
    gsize aoff, alen, hlen;
    guint32 port;

    if (PINFO_FD_VISITED(pinfo) || avail <= 0)
        return NULL;
    guint n = MIN(MIN(len, (guint)avail), (guint)TUME_HTTP_CONNECT_LINE_MAX);
    const guint8 *p = tvb_get_ptr(tvb, (gint)off, (gint)n);
    if (!tume_http_connect_request(p, n, &aoff, &alen, &hlen, &port))
        return NULL;

    conversation_t *outer = find_or_create_conversation(pinfo);
    tume_flow_t *flow = tume_flow_get(pinfo, TRUE);
    if (flow == NULL || flow->proxy_connect != NULL)
        return flow;      /* a second CONNECT on the connection (after a 407, say): the first stands */
    gchar *shown = tume_printable(p + aoff, alen, TUME_HOST_MAX + 8);
    flow->proxy_connect = wmem_strdup(wmem_file_scope(), shown);
    g_free(shown);
    flow->proxy_connect_frame = pinfo->num;
    if (wmem_map_lookup(proxy_clients, &pinfo->src) == NULL) {
        address *a = wmem_new0(wmem_file_scope(), address);
        copy_address_wmem(wmem_file_scope(), a, &pinfo->src);
        wmem_map_insert(proxy_clients, a, GUINT_TO_POINTER(pinfo->num));
        proxy_clients_n++;
    }
    flow->tunnel_port = port;
    flow->outer_conv = outer;
    if (flow->server_addr.type == AT_NONE) {
        copy_address_wmem(wmem_file_scope(), &flow->server_addr, &pinfo->dst);   /* the proxy */
        flow->server_port = pinfo->destport;
    }
    /* the host is evidence when it is a name under a configured domain */
    if (p[aoff] != '[' && tume_host_name_valid(p + aoff, hlen)) {
        gchar *host = g_strndup((const gchar *)p + aoff, hlen);
        guint32 ev = tume_host_evidence(host, TUME_EV_CONNECT_HOST, &flow->host_kind);
        g_free(host);
        if (ev)
            tume_flow_add_evidence(flow, pinfo, ev);
    }

    /* HTTP's view of the tunnel: the proxy's port replaced by the CONNECT's */
    if (port == pinfo->destport)
        return flow;      /* the same conversation as the connection's */
    flow->tunnel_conv = tunnel_conversation(pinfo, flow, &pinfo->src, port);
    /* Wireshark 4.6's HTTP also puts the CONNECT's host (a string address)
     * in place of the client's address */
    if (p[aoff] != '[') {
        address named;
        gchar *host = wmem_strndup(pinfo->pool, (const gchar *)p + aoff, hlen);
        set_address(&named, AT_STRINGZ, (int)hlen + 1, host);
        flow->tunnel_conv_named = tunnel_conversation(pinfo, flow, &named, port);
    }
    return flow;
}

void
tume_proxy_register(void)
{
    static hf_register_info hf[] = {
        { &hf_tume_proxy_bypass,
          { "Bypasses the HTTP proxy", "tume.proxy.bypass", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "A direct TLS flow of a client that sends other traffic through an HTTP proxy (CONNECT) "
            "in this capture: it bypasses the proxy, as TU Me's signalling did in 2012. Set on such "
            "flows whether or not they are TU Me (in one pass from the client's first CONNECT on)",
            HFILL } },
        { &hf_tume_proxy_bypass_connect_in,
          { "Client's first CONNECT in", "tume.proxy.bypass_connect_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "The frame of this flow's client's first HTTP CONNECT to a proxy", HFILL } },
    };
    proto_register_field_array(proto_tume, hf, array_length(hf));
    proxy_clients = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), address_hash, address_equal);
    register_init_routine(tume_proxy_init);
}
