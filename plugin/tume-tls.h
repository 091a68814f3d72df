/* tume-tls.h - who is on the other end: SNI, server certificate, cipher
 * suite and decryption state of a flow (tume-tls.c).  Talks to the flow
 * module and cert_parse.c only.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_TLS_H
#define TUME_TLS_H

#include "tume-flow.h"

void tume_tls_register(expert_module_t *em);
void tume_tls_handoff(void);
/* Called for TCP packets with their conversation (NULL: none), except bare
 * ACKs, FINs and RSTs: on a TLS conversation's first packet, or on the
 * first one here of a conversation with no flow yet (unseen: the capture
 * began with bare ACKs, or with this packet), sets (first pass) the front
 * that reads the handshake facts into the flow.  payload: the packet's TCP
 * payload (NULL: unknown); for an unseen conversation, its complete TLS
 * records are read at once, since TCP has already given them to TLS. */
void tume_tls_watch(packet_info *pinfo, conversation_t *conv, gboolean unseen, tvbuff_t *payload);
/* Sets the front on HTTP's conversation of a CONNECT tunnel (tume-proxy.c)
 * when TCP's port table gives the CONNECT's port to TLS. */
void tume_tls_watch_tunnel(packet_info *pinfo, conversation_t *tunnel, guint32 port);
/* The port of the packet's pair that TCP gives to TLS (as tume_tls_port_pair); 0 none. */
guint32 tume_tls_port_of(packet_info *pinfo);
/* Does TCP give this packet's port pair to TLS (as the front's watch
 * checks it: no Decode As on either port)? */
gboolean tume_tls_port_pair(packet_info *pinfo);
/* Packet-level expert infos (certificate note and warnings, not decrypted). */
void tume_tls_add_packet_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tt, const tume_flow_t *flow);

/* The encrypted records of the packet read by their sizes (pkt->enc set). */
void tume_tls_add_enc_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tt, const tume_flow_t *flow,
                            const tume_pkt_t *pkt);

#endif /* TUME_TLS_H */
