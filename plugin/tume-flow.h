/* tume-flow.h - the flow module: what is known about each TCP flow (its
 * evidence, its role, its TLS facts), the plugin's configuration, and the
 * packet's single "tume" tree with the flow-level fields.
 *
 * It calls nobody above it: the glue files (tume-tls.c, tume-sip.c,
 * tume-api.c) record facts here, and packet-tume.c (registration and the
 * post-dissector) reads them.  Data path: TLS handshake / SIP stream / HTTP
 * messages -> glue -> flow module -> tree.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_FLOW_H
#define TUME_FLOW_H

#include <epan/packet.h>
#include <epan/address.h>
#include <epan/conversation.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <wsutil/wmem/wmem.h>

#include "domain_match.h"
#include "enc_size.h"

extern int proto_tume;      /* registered by packet-tume.c */

/* Expert infos shared by every glue file (FIELDS.md). */
extern int hf_tume_msg_type;              /* tume.msg_type (tume-sip.c), also for API messages */
extern expert_field ei_tume_msg_info;     /* tume.msg.info, chat */
extern expert_field ei_tume_malformed;    /* tume.malformed, error */

/* Preferences, parsed when preferences are applied. */
typedef struct {
    tume_strlist_t *signalling_domains;   /* tume.signalling_domains */
    tume_strlist_t *provisioning_domains; /* tume.provisioning_domains */
    tume_strlist_t *user_agents;          /* tume.user_agents */
    tume_strlist_t *interceptors;         /* tume.interception_issuers */
} tume_config_t;

extern const tume_config_t *tume_cfg;

/* (Re)builds the configuration from the preference strings; frees it with NULLs. */
void tume_config_apply(const char *signalling, const char *provisioning,
                       const char *user_agents, const char *interceptors);
void tume_config_free(void);

typedef enum {
    TUME_FLOW_UNKNOWN = 0,
    TUME_FLOW_SIGNALLING,
    TUME_FLOW_PROVISIONING
} tume_flow_kind_t;

/* Evidence bits (FIELDS.md tume.evidence); order = display order. */
enum {
    TUME_EV_CERT_SUBJECT  = 1u << 0,
    TUME_EV_CERT_SAN      = 1u << 1,
    TUME_EV_SNI           = 1u << 2,
    TUME_EV_HTTP_HOST     = 1u << 3,
    TUME_EV_SIP_DOMAIN    = 1u << 4,
    TUME_EV_SIP_UA        = 1u << 5,
    TUME_EV_API_SIGNATURE = 1u << 6,
    TUME_EV_CONNECT_HOST  = 1u << 7
};
#define TUME_EV_COUNT 8
/* The FIELDS.md name of evidence bit i (0..TUME_EV_COUNT-1). */
const char *tume_evidence_name(guint i);

/* Evidence that is enough on its own to call a flow TU Me. */
#define TUME_EV_STRONG (TUME_EV_CERT_SUBJECT | TUME_EV_CERT_SAN | TUME_EV_SNI | \
                        TUME_EV_HTTP_HOST | TUME_EV_SIP_DOMAIN | TUME_EV_SIP_UA | \
                        TUME_EV_CONNECT_HOST)

/* The facts of a server certificate (parsed by tume-tls.c once per
 * distinct DER per file). */
typedef struct {
    gboolean      parsed;
    const char   *error;        /* why GnuTLS refused it (static) */
    const gchar  *subject;
    const gchar  *issuer;
    const gchar  *subject_cn;
    const gchar **san;          /* san_count entries */
    guint         san_count;
    gint64        not_before;
    gint64        not_after;
    gboolean      self_signed;
    void         *gnutls_view;  /* tume_cert_t, for name coverage checks */
} tume_cert_info_t;

/* The application protocol the server chose by ALPN. */
enum { TUME_ALPN_NONE = 0, TUME_ALPN_HTTP11, TUME_ALPN_OTHER };

/* Per TCP conversation, wmem_file_scope().  Written on the first pass only;
 * later passes (tshark -2, the GUI) read the final state. */
typedef struct tume_flow {
    guint32          proof_frame;    /* frame whose evidence made it TU Me; 0: not (yet) */
    guint32          evidence;       /* TUME_EV_* seen so far */
    tume_flow_kind_t kind;           /* from the decrypted payload */
    tume_flow_kind_t host_kind;      /* from the host lists (SNI, certificate) */
    gboolean         decrypted;      /* some application data was decrypted */
    guint32          not_decrypted_frame; /* first application data that was not */
    const gchar     *sni;            /* server_name of the ClientHello */
    const tume_cert_info_t *cert;    /* the server's leaf certificate */
    guint32          cert_frame;     /* the packet that carried it */
    const char      *intercepted_by; /* the interception proxy whose CA issued it (a config label); NULL */
    guint32          issuer_differs_in; /* the first frame where the same server name had a
                                         * certificate from another issuer; 0: none seen */
    const gchar     *issuer_differs; /* that other issuer */
    wmem_array_t    *issuers_seen;   /* the issuers seen for the flow's server name (tume-flow.c) */
    address          server_addr;    /* who received the ClientHello */
    guint32          server_port;
    guint32          cipher_suite;   /* from the ServerHello; 0 unknown */
    gboolean         tls13;          /* the ServerHello chose TLS 1.3 */
    guint16          tls_version;    /* the version the ServerHello chose; 0 unknown */
    gboolean         ports_checked;  /* packet-tume.c: whether TCP gives its ports to TLS, checked */
    gboolean         front_over_tls; /* the front stands in for TLS's heuristic's conversation dissector */
    struct tume_hs_streams *hs;      /* tume-tls.c: handshake messages across records, per side */
    guint8           alpn;           /* TUME_ALPN_*: what the server chose */
    gboolean         app_handle_set; /* tume-tls.c: TLS hands this session's data to the API reader */
    /* TLS 1.2 and older, per side (0: client, 1: server): the side sent its
     * ChangeCipherSpec; its encrypted handshake records since (its
     * Finished is the first; any later one is a renegotiation's) */
    gboolean         ccs_sent[2];
    guint8           enc_handshakes[2];
    guint32          renegotiated_frame; /* the first renegotiation's record; 0: none */
    /* Encrypted records read by their sizes (tume-tls.c), first pass, on a
     * TU Me flow whose data is not decrypted: */
    gboolean         enc_on;         /* the front stays on to read them */
    gboolean         enc_lost;       /* the front lost the record boundaries: no more sizes */
    guint32          enc_client_finished; /* TLS 1.3: frame of the client's Finished (0: not yet) */
    guint8           enc_tickets;    /* TLS 1.3: TUME_ENC_TICKETS_*, the window of NewSessionTickets */
    guint32          enc_ping;       /* a ping no pong answered yet: its frame (0: none) */
    wmem_list_t     *api_pending;    /* requests not answered yet, oldest first */
    /* The TLS session's application data as the SIP stream dissector sees
     * it (tume-sip.c): undecided while only keep-alives came, then SIP, or
     * other (handed to the port's dissector, HTTP on 443). */
    guint8           sip_stream;     /* TUME_SIP_STREAM_* */
    guint32          sip_decided_frame;
    /* Per direction: bytes re-read by rounds of "one more segment"
     * reassembly of the message pending at the head of the stream. */
    gboolean         sip_pending[2];
    guint32          sip_rescanned[2];
    gboolean         sip_resync[2];  /* a reassembly was given up: skip to a start line */
    /* An HTTP CONNECT tunnel (tume-proxy.c): server_addr and server_port
     * are the proxy's.  Inside the tunnel HTTP hands TLS the CONNECT's port
     * in place of the proxy's (tunnel_port), on a conversation of its own
     * (tunnel_conv) that shares this flow with the TCP connection's
     * (outer_conv). */
    const gchar     *proxy_connect;  /* the CONNECT authority, printable; NULL: no tunnel */
    guint32          proxy_connect_frame;
    guint32          tunnel_port;
    struct conversation *tunnel_conv, *outer_conv;
    struct conversation *tunnel_conv_named;  /* Wireshark 4.6's view of the tunnel (tume-proxy.c) */
    guint32          bypass_connect; /* a direct flow of a client that uses a proxy: the frame
                                      * of the client's first CONNECT (latest known); 0 none */
} tume_flow_t;

/* TLS 1.3: after the client's Finished the server may send NewSessionTickets
 * at once; they are taken to end when the client sends again after them. */
enum {
    TUME_ENC_TICKETS_PENDING = 0,   /* no server record since the client's Finished */
    TUME_ENC_TICKETS_OPEN,          /* the server's records since: may be tickets */
    TUME_ENC_TICKETS_CLOSED         /* the client sent again: no more tickets expected */
};

enum {
    TUME_SIP_STREAM_UNDECIDED = 0,
    TUME_SIP_STREAM_SIP,
    TUME_SIP_STREAM_OTHER
};

/* ---- where bytes are, across passes ----
 * A place in one of the frame's data sources (decrypted TLS, reassembled
 * TCP or TLS, a de-chunked or decompressed body), found again on every
 * pass by its position in pinfo->data_src (the list only grows, in
 * dissection order). */
typedef struct {
    gint    ds;          /* index in pinfo->data_src; -1: none */
    guint   ds_len;      /* that source's length, checked before use */
    gint    start, len;
} tume_src_span_t;

/* Records where [start, start+len) of tvb is (at->ds is -1 when it is in
 * none of the packet's data sources): a subset is traced back to its data
 * source. */
void tume_src_span_of_any(packet_info *pinfo, tvbuff_t *tvb, gint start, gint len, tume_src_span_t *at);
/* The data source of a span in this dissection of the frame, *start and
 * *len set; else fallback with 0, 0 (the sources differ from the first pass). */
tvbuff_t *tume_src_span_tvb(packet_info *pinfo, const tume_src_span_t *at, tvbuff_t *fallback,
                            gint *start, gint *len);

/* Per packet, wmem_file_scope(), made on the first pass for packets that
 * carry provisioning messages of a TU Me flow (the second pass of tshark
 * primes no fields: everything it needs about the packet is here). */
typedef struct tume_api_msg tume_api_msg_t;

/* One encrypted application-data record of a TU Me flow that was not
 * decrypted, read by its size (tume-tls.c). */
typedef enum {
    TUME_ENC_NOTE_NONE = 0,
    TUME_ENC_NOTE_TICKET,     /* TLS 1.3: the server's first records after the handshake, which may
                               * be NewSessionTickets */
    TUME_ENC_NOTE_ALERT_SIZE, /* TLS 1.3: the size of an encrypted alert (close_notify), no ping waiting */
    TUME_ENC_NOTE_RANGE,      /* CBC: the range covers more than one class */
    TUME_ENC_NOTE_SHORT,      /* not a keep-alive's size, too short to be sure of a message */
    TUME_ENC_NOTE_RENEGOTIATED /* TLS 1.2: after a renegotiation, whose cipher suite is not known */
} tume_enc_note_t;

typedef struct {
    tume_src_span_t at;       /* the record, header and body */
    guint32  min, max;        /* plaintext length: exact (min == max), CBC range, TLS 1.3 at most max */
    guint8   guess;           /* tume_enc_guess_t */
    guint8   note;            /* tume_enc_note_t */
    guint8   at_most;         /* TLS 1.3: padding could hide bytes, max is an upper bound */
    gint8    to_server;       /* 1, 0, -1 unknown */
    guint32  ping_in;         /* a pong: the frame of the ping it answers (0: none) */
} tume_enc_rec_t;

typedef struct {
    wmem_list_t  *api_msgs;   /* tume_api_msg_t*: provisioning messages, in order */
    wmem_array_t *enc;        /* tume_enc_rec_t: encrypted records read by size, in order */
} tume_pkt_t;

/* The packet's file-scope record, created (first pass) if create. */
tume_pkt_t *tume_pkt_get(packet_info *pinfo, gboolean create);

/* Per-packet keys for p_add_proto_data(proto_tume, ...) */
#define TUME_PKT_KEY_FILE        0   /* wmem_file_scope(): tume_pkt_t */
#define TUME_PKT_KEY_TREE        1   /* pinfo->pool: this packet's tume subtree */
#define TUME_PKT_KEY_INFO        2   /* pinfo->pool: "TU Me: " is in the Info column */
#define TUME_PKT_KEY_DECISIVE    3   /* pinfo->pool: the record that decided the stream was seen */
#define TUME_PKT_KEY_SIP_GIVEUP  4   /* file scope: reassembly given up (tvb length + 1) */
#define TUME_PKT_KEY_RESYNC      5   /* file scope: the frame began skipping; pool: the state now */
#define TUME_PKT_KEY_TAP_MSGS    6   /* pinfo->pool: wmem_array_t of tume_tap_msg_t, for the tap */

/* Registers the flow-level fields, subtree and shared expert infos. */
void tume_flow_register(expert_module_t *em);

/* The flow of pinfo's TCP conversation; created if create is TRUE (also
 * over a settled flow).  NULL for a settled flow when create is FALSE. */
tume_flow_t *tume_flow_get(packet_info *pinfo, gboolean create);

/* The flow of a conversation found by the caller (NULL: none), never
 * created; *settled (if given) says whether it was settled as not TU Me.
 * For callers that need the conversation too: one lookup, not two. */
tume_flow_t *tume_flow_of(conversation_t *conv, gboolean *settled);

/* First pass: the flow can no longer prove to be TU Me (its handshake is
 * over, nothing in it was TU Me, and its data cannot be decrypted).  Frees
 * the flow's memory; the conversation keeps only a marker, so nothing is
 * kept for it (tume_flow_get(..., FALSE) returns NULL from then on). */
void tume_flow_settle(tume_flow_t *flow, packet_info *pinfo);

/* Record evidence (first pass only; later passes keep the first pass's result). */
void tume_flow_add_evidence(tume_flow_t *flow, packet_info *pinfo, guint32 evidence);
void tume_flow_set_kind(tume_flow_t *flow, packet_info *pinfo, tume_flow_kind_t kind);
void tume_flow_set_decrypted(tume_flow_t *flow, packet_info *pinfo);

/* The evidence bit a host name gives (0: none): a signalling or
 * provisioning domain; sets *kind to that list's role if still unknown. */
guint32 tume_host_evidence(const char *host, guint32 bit, tume_flow_kind_t *kind);

/* What the flow is: from its decrypted payload, else from the host lists. */
tume_flow_kind_t tume_flow_kind(const tume_flow_t *flow);
const char *tume_flow_kind_name(tume_flow_kind_t kind);

/* Is this packet of the flow TU Me?  First pass: from the proving frame on;
 * later passes (tshark -2, GUI): every packet of a flow that was proved. */
gboolean tume_flow_is_tume(const tume_flow_t *flow, const packet_info *pinfo);

/* The packet's single "tume" subtree (created with the flow-level fields on
 * first use in this packet).  Call only when tume_flow_is_tume() is TRUE. */
proto_tree *tume_packet_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, tume_flow_t *flow);

/* Direction of this packet in the flow: 1 towards the server (who received
 * the ClientHello), 0 towards the client, -1 unknown (no ClientHello seen). */
int tume_flow_direction(const tume_flow_t *flow, const packet_info *pinfo);
/* A stable index for per-direction state: 1 from the server, 0 towards it;
 * with no ClientHello seen, by the order of the two endpoints. */
guint tume_flow_dir_index(const tume_flow_t *flow, const packet_info *pinfo);
/* Sent by the server?  With no ClientHello seen, TRUE (the sender of a
 * certificate is taken to be the server). */
gboolean tume_flow_from_server(const tume_flow_t *flow, const packet_info *pinfo);

/* ---- cross-flow links (file scope) ----
 * A config reply offers its SIP user name under its domain and proxy; a
 * token reply offers its access token.  A later message that uses one finds
 * the latest offer made before its own frame (the same answer in every
 * pass) and, on the first pass, is listed among the offer's uses. */
typedef enum {
    TUME_LINK_SIP_ACCOUNT = 0,   /* key: "user@host" (host lower-cased) */
    TUME_LINK_TOKEN              /* key: the access token */
} tume_link_kind_t;

/* Most uses listed on an offer's packet (the rest are still linked back). */
#define TUME_LINK_USES_SHOWN 64

typedef struct {
    guint32       frame;   /* the frame of the offer */
    wmem_array_t *uses;    /* guint32 frames that used it, in order (first pass) */
} tume_link_t;

/* First pass: records an offer at pinfo->num under key and returns it;
 * with same, records that offer under key as well (one offer, several
 * keys).  NULL key, or a later pass: nothing, returns same. */
tume_link_t *tume_link_offer(packet_info *pinfo, tume_link_kind_t kind, const char *key, tume_link_t *same);
/* The latest offer before pinfo->num under key, or NULL; on the first pass
 * pinfo->num is added to its uses. */
const tume_link_t *tume_link_use(packet_info *pinfo, tume_link_kind_t kind, const char *key);

/* ---- certificates by server name ----
 * Call once the flow's certificate is known (first pass): notes whether an
 * interception proxy's CA issued it (flow->intercepted_by) and which issuers
 * gave certificates to the same server name (the SNI, else the subject CN)
 * in this file. */
void tume_flow_note_certificate(tume_flow_t *flow);
/* Another issuer that certified the flow's server name in this file (in
 * one pass: so far), and the frame of its first certificate; NULL if none. */
const gchar *tume_flow_other_issuer(const tume_flow_t *flow, guint32 *frame);
/* The server name the certificate facts are about: the SNI, else the
 * subject CN; NULL if neither. */
const gchar *tume_flow_server_name(const tume_flow_t *flow);

/* ---- the "tume" tap (read by tume-stats.c) ----
 * One tume_tap_info_t per TU Me packet with payload, queued by the
 * post-dissector after every message of the packet was dissected, in every
 * pass that runs taps.  Nothing is collected while no listener is attached. */

typedef struct {
    const char      *type;       /* tume.msg_type (pinfo->pool or static) */
    tume_flow_kind_t role;       /* signalling or provisioning */
    guint32          sensitive;  /* TUME_SENS_* bits (provisioning messages) */
    guint            count;      /* 1; keep-alives counted, not itemised: their number */
} tume_tap_msg_t;

typedef struct {
    const tume_flow_t *flow;     /* file scope: valid while the file is open */
    tume_flow_kind_t   kind;     /* the flow's role as known at this packet */
    int                direction;/* tume_flow_direction() */
    guint32            frame_bytes;
    const tume_tap_msg_t *msgs;  /* nmsgs messages, in the order dissected */
    guint              nmsgs;
    const tume_enc_rec_t *enc;   /* nenc encrypted records read by size */
    guint              nenc;
} tume_tap_info_t;

/* Notes one TU Me message of this packet for the tap (a no-op without listeners). */
void tume_tap_note_message(packet_info *pinfo, const char *type, tume_flow_kind_t role,
                           guint32 sensitive, guint count);
/* Queues the packet's tap record (post-dissector; a no-op without listeners). */
void tume_tap_queue(packet_info *pinfo, const tume_flow_t *flow, const tume_pkt_t *pkt);

#endif /* TUME_FLOW_H */
