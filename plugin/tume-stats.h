/* tume-stats.h - statistics of TU Me traffic from the "tume" tap:
 * the stats tree (tume-stats.c: -z tume,tree, Statistics > TU Me) and the
 * per-flow tables (tume-flows.c: -z tume,flows, Statistics > TU Me Flows,
 * the "TU Me" tab of Statistics > Conversations and Endpoints).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_STATS_H
#define TUME_STATS_H

#include <epan/address.h>

/* Call after the tap is registered (tume_flow_register). */
void tume_stats_register(void);
/* proto_id: the "tume" protocol, whose tap the conversation table reads. */
void tume_flows_register(int proto_id);

/* "address:port" ("[address]:port" for IPv6); g_free it. */
char *tume_endpoint_str(const address *addr, guint32 port);

#endif /* TUME_STATS_H */
