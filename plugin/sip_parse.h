/* sip_parse.h - pure SIP start-line, framing and header checks for TU Me.
 *
 * Nothing here knows about epan: every function takes a byte buffer and a
 * length, never reads past it, and bounds every loop by that length.  The
 * glue in tume-sip.c feeds these functions bytes obtained through tvb
 * accessors; tests/test_sip_parse.c exercises them directly.
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
/* Largest Content-Length we accept as sane. */
#define TUME_SIP_BODY_MAX       (16 * 1024 * 1024)

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

typedef enum {
    TUME_SIP_FRAME_MESSAGE = 0,    /* *pdu_len = whole message (headers + body) */
    TUME_SIP_FRAME_PING,           /* CRLFCRLF, *pdu_len = 4 */
    TUME_SIP_FRAME_PONG,           /* CRLF, *pdu_len = 2 */
    TUME_SIP_FRAME_NEED_MORE,      /* *pdu_len = bytes still missing, 0 if unknown */
    TUME_SIP_FRAME_NOT_SIP,        /* does not start with a SIP start line */
    TUME_SIP_FRAME_BAD             /* SIP, but cannot be framed (see *why) */
} tume_sip_frame_t;

/* Find the extent of the PDU at the start of buf (len bytes available).
 * On BAD, *why (if not NULL) receives a static English reason. */
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
    gboolean    has_content_length;
    guint32     content_length;
    gsize       header_len;    /* start line + headers + final CRLFCRLF */
} tume_sip_msg_t;

/* Parse the start line and the headers TU Me cares about.  buf holds at least
 * the complete header block (as framed by tume_sip_frame).  Returns FALSE if
 * the start line is not SIP or the header block is not terminated. */
gboolean tume_sip_parse_message(const guint8 *buf, gsize len, tume_sip_msg_t *msg);

/* From a SIP URI or name-addr ("Bob" <sip:bob@host:5061;transport=tls>,
 * sip:host, sips:user@[::1]) find the host part.  Returns FALSE if there is
 * no sip:/sips: URI. */
gboolean tume_sip_uri_host(const guint8 *buf, gsize len, tume_span_t *host);

#endif /* TUME_SIP_PARSE_H */
