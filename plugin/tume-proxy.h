/* tume-proxy.h - TU Me through an HTTP proxy (tume-proxy.c).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_PROXY_H
#define TUME_PROXY_H

#include <epan/packet.h>

#include "tume-flow.h"

/* The segment's payload (off, len in tvb) starts with "CONNECT ": if it is
 * an HTTP CONNECT request, records the tunnel on the connection's flow
 * (made if needed) and returns it; NULL otherwise.  First pass only. */
tume_flow_t *tume_proxy_connect(packet_info *pinfo, tvbuff_t *tvb, guint off, guint len);

/* Whether any client of this file sent a CONNECT (first pass: so far). */
gboolean tume_proxy_in_use(void);

/* A packet of a direct TLS flow (on a port TCP gives TLS, not a tunnel):
 * if its client uses an HTTP proxy, the frame of that client's first
 * CONNECT (it bypasses the proxy); 0 otherwise.  flow may be NULL (a flow
 * that is not TU Me, settled). */
guint32 tume_proxy_bypass(packet_info *pinfo, const tume_flow_t *flow);

/* Adds tume.proxy.bypass and tume.proxy.bypass_connect_in under tree. */
void tume_proxy_add_bypass_items(tvbuff_t *tvb, proto_tree *tree, guint32 connect_frame);

void tume_proxy_register(void);

#endif /* TUME_PROXY_H */
