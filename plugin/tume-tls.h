/* tume-tls.h - who is on the other end: SNI, server certificate, cipher
 * suite and decryption state of a flow (tume-tls.c).  Talks to the flow
 * module and cert_parse.c only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_TLS_H
#define TUME_TLS_H

#include "tume-flow.h"

void tume_tls_register(void);
void tume_tls_handoff(void);
/* Hf ids of the Wireshark fields read (primed by the post-dissector). */
void tume_tls_wanted_hfids(GArray *wanted);
/* First pass: record SNI, server certificate, cipher suite and decryption
 * state of this packet into the flow and pkt. */
void tume_tls_first_pass(packet_info *pinfo, proto_tree *tree, tume_flow_t *flow, tume_pkt_t *pkt);
/* Packet-level expert infos (certificate note and warnings, not decrypted). */
void tume_tls_add_packet_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tt,
                               const tume_flow_t *flow, const tume_pkt_t *pkt);

#endif /* TUME_TLS_H */
