/* sip_parse.h - pure SIP start-line, framing and header checks for TU Me.
 *
 * Nothing here knows about epan: every function takes a byte buffer and a
 * length, never reads past it, and bounds every loop by that length.  The
 * glue in tume-sip.c feeds these functions bytes obtained through tvb
 * accessors; tests/test_sip_parse.c exercises them directly.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_SIP_PARSE_H
#define TUME_SIP_PARSE_H

#include <glib.h>

/* Longest start line we look at before giving up on the heuristic. */
#define TUME_SIP_START_LINE_MAX 1024
/* Longest header block (start line + headers + CRLFCRLF) we frame. */
#define TUME_SIP_HEADER_MAX     (64 * 1024)
/* Largest Content-Length we frame ourselves: from 128 KiB on, Wireshark's
 * req_resp_hdrs_do_reassembly() has special cases (MS-RPCH). */
#define TUME_SIP_BODY_MAX       (128 * 1024 - 1)

typedef enum {
    TUME_SIP_START_NO = 0,     /* not SIP: reject in the heuristic */
    TUME_SIP_START_REQUEST,    /* complete request line */
    TUME_SIP_START_STATUS,     /* complete status line */
    TUME_SIP_START_KEEPALIVE,  /* the data starts with CRLF (RFC 5626) */
    TUME_SIP_START_PREFIX      /* a valid beginning of a start line, no CRLF yet */
} tume_sip_start_t;

/* Classify the beginning of a stream or PDU.  Rejects non-SIP data within the
 * first few bytes.  A start line longer than TUME_SIP_START_LINE_MAX is NO. */
tume_sip_start_t tume_sip_classify_start(const guint8 *buf, gsize len);

/* Does buf start like an HTTP/1.x message: "HTTP/1." (a response), or a
 * request line "METHOD target HTTP/1.x" complete up to its line end?  Used
 * to tell HTTP from other data that is not SIP on a stream not decided yet. */
gboolean tume_http_start(const guint8 *buf, gsize len);

/* Bytes left over at the end of a record, with no line end: could gluing
 * them to the next record make a start line that Wireshark's SIP reads
 * (its sip_parse_line() takes any first token up to a space)?  TRUE for a
 * prefix of a start line the plugin knows, or of a keep-alive, and for bytes
 * without a space (the first token may still be growing); FALSE for other
 * bytes with a space in them, e.g. the rest of a body whose Content-Length
 * was too short, which would only turn the next record into a
 * "Continuation". */
gboolean tume_sip_worth_more(const guint8 *buf, gsize len);

typedef enum {
    TUME_SIP_FRAME_MESSAGE = 0,    /* *pdu_len = whole message (headers + body) */
    TUME_SIP_FRAME_PING,           /* CRLFCRLF, *pdu_len = 4 */
    TUME_SIP_FRAME_PONG,           /* CRLF, *pdu_len = 2 */
    TUME_SIP_FRAME_NEED_MORE,      /* *pdu_len = bytes still missing, 0 if unknown */
    TUME_SIP_FRAME_NOT_SIP,        /* does not start with a SIP start line or keep-alive */
    TUME_SIP_FRAME_DEFER,          /* SIP, but only Wireshark's SIP knows where it ends (*why) */
    TUME_SIP_FRAME_CUT             /* a body cut by the end of buf with the compact "l", which
                                    * sip.tcp shows cut short without reassembling (*why) */
} tume_sip_frame_t;

/* Find the extent of the PDU at the start of buf (len bytes available).
 *
 * MESSAGE is returned only where this framing provably agrees with
 * Wireshark's "sip.tcp" (req_resp_hdrs_do_reassembly() for what it asks
 * TCP/TLS to reassemble, dissect_sip_common() for where the message ends):
 * CRLF line ends only, a header block within TUME_SIP_HEADER_MAX, exactly
 * one Content-Length header (or "l") of plain digits up to
 * TUME_SIP_BODY_MAX, not followed by a folded line, CSeq and RAck values
 * SIP reads to their end, and no Transfer-Encoding; NEED_MORE (a body cut
 * by the end of buf) only for "Content-Length", which sip.tcp reassembles,
 * not for the compact "l".  Anything else that starts like SIP is DEFER: the
 * caller hands the rest of the stream to sip.tcp and lets it frame (and
 * reassemble) exactly as it would without the plugin.  *why (if not NULL)
 * receives a static English reason for DEFER. */
tume_sip_frame_t tume_sip_frame(const guint8 *buf, gsize len, gsize *pdu_len,
                                const char **why);

/* A (start, length) view into the buffer given to tume_sip_parse_message. */
typedef struct {
    gsize off;
    gsize len;
} tume_span_t;

typedef struct {
    gboolean    is_request;
    tume_span_t method;        /* request: method token */
    tume_span_t ruri;          /* request: Request-URI */
    tume_span_t status;        /* response: "code reason" (after "SIP/2.0 ") */
    guint       status_code;   /* response: 100..699 */
    tume_span_t call_id;       /* Call-ID / i */
    tume_span_t from;          /* From / f (whole value) */
    tume_span_t to;            /* To / t (whole value) */
    tume_span_t user_agent;    /* User-Agent */
    gsize       header_len;    /* start line + headers + empty line; 0: not terminated */
} tume_sip_msg_t;

/* Parse the start line and the headers TU Me cares about, up to the end of
 * the header block or of buf.  Lines may end in CRLF, LF or CR (as
 * Wireshark's SIP reads them).  Returns FALSE if the start line is not SIP;
 * msg->header_len is 0 when the header block is not terminated within buf. */
gboolean tume_sip_parse_message(const guint8 *buf, gsize len, tume_sip_msg_t *msg);

/* From a SIP URI or name-addr ("Bob" <sip:bob@host:5061;transport=tls>,
 * sip:host, sips:user@[::1]) find the host part.  Returns FALSE if there is
 * no sip:/sips: URI. */
gboolean tume_sip_uri_host(const guint8 *buf, gsize len, tume_span_t *host);

/* The same URIs' user part (before '@', without a ":password").  FALSE if
 * there is no sip:/sips: URI or it has no user part. */
gboolean tume_sip_uri_user(const guint8 *buf, gsize len, tume_span_t *user);

#endif /* TUME_SIP_PARSE_H */
