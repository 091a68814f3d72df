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
/* Called for every TCP packet with its conversation (NULL: none): on a TLS
 * conversation's first packet (first pass), sets the front that reads the
 * handshake facts into the flow. */
void tume_tls_watch(packet_info *pinfo, conversation_t *conv);
/* Packet-level expert infos (certificate note and warnings, not decrypted). */
void tume_tls_add_packet_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tt, const tume_flow_t *flow);

#endif /* TUME_TLS_H */
