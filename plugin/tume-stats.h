/* tume-stats.h - statistics of TU Me traffic from the "tume" tap
 * (tume-stats.c): the stats tree (-z tume,tree) and the flow table
 * (-z tume,flows).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_STATS_H
#define TUME_STATS_H

/* Call after the tap is registered (tume_flow_register). */
void tume_stats_register(void);

#endif /* TUME_STATS_H */
