/* tume-api.h - the TU Me provisioning API: HTTP messages of a TU Me flow,
 * typed by the message table (tume-api.c).  Talks to the flow module and
 * api_parse.c only.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_API_H
#define TUME_API_H

#include "tume-flow.h"

void tume_api_register(module_t *module, expert_module_t *em);
/* Registers the "tume_api_tls" heuristic on TLS: call before the SIP
 * handoff, so that SIP's heuristic is tried first. */
void tume_api_handoff(void);
void tume_api_shutdown(void);
/* The dissector TLS is to hand a TU Me provisioning session's decrypted
 * data to (the plugin's HTTP reader), or NULL where Wireshark would not
 * read the session as HTTP. */
dissector_handle_t tume_api_session_handle(packet_info *pinfo);
/* The TU Me items of the packet's provisioning messages. */
void tume_api_add_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tt, const tume_pkt_t *pkt);

#endif /* TUME_API_H */
