/* tume-sip.h - TU Me signalling: the SIP-over-TLS heuristic and stream
 * dissector (tume-sip.c).  Talks to the flow module and sip_parse.c only.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_SIP_H
#define TUME_SIP_H

void tume_sip_register(void);
void tume_sip_handoff(void);

#endif /* TUME_SIP_H */
