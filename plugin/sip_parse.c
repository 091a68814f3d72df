/* sip_parse.c - pure SIP start-line, framing and header checks for TU Me.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "sip_parse.h"

#include <string.h>

static const char SIP_VERSION_SP[] = "SIP/2.0 ";   /* status line prefix */
static const char SP_SIP_VERSION[] = " SIP/2.0";   /* request line suffix */
#define METHOD_MAX 32

static gboolean
ascii_prefix_ci(const guint8 *buf, gsize len, const char *lit, gsize lit_len)
{
    /* TRUE if the first min(len, lit_len) bytes agree with lit (ASCII, case-insensitive). */
    gsize n = MIN(len, lit_len);
    for (gsize i = 0; i < n; i++) {
        if (g_ascii_tolower(buf[i]) != g_ascii_tolower((guint8)lit[i]))
            return FALSE;
    }
    return TRUE;
}

/* The line starting at from: *eol receives where its end-of-line starts,
 * *next where the next line starts.  A line ends with CRLF, LF or CR (as
 * Wireshark's tvb_find_line_end() reads SIP); a CR as the last available
 * byte may be half a CRLF and ends nothing yet.  FALSE if no line end. */
static gboolean
next_line(const guint8 *buf, gsize from, gsize len, gsize *eol, gsize *next)
{
    for (gsize i = from; i < len; i++) {
        if (buf[i] == '\n') {
            *eol = i;
            *next = i + 1;
            return TRUE;
        }
        if (buf[i] == '\r') {
            if (i + 1 >= len)
                return FALSE;
            *eol = i;
            *next = buf[i + 1] == '\n' ? i + 2 : i + 1;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean
is_uri_char(guint8 c)
{
    return c > 0x20 && c != 0x7f;
}

static gboolean
is_reason_char(guint8 c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* The line buf[0..len) (len bounded, CRLF maybe missing) as a status line. */
static tume_sip_start_t
classify_status(const guint8 *buf, gsize len)
{
    gsize i = sizeof SIP_VERSION_SP - 1;     /* 8 */
    if (len <= i)
        return TUME_SIP_START_PREFIX;        /* prefix of "SIP/2.0 " (already compared) */
    for (gsize d = 0; d < 3; d++, i++) {
        if (i >= len)
            return TUME_SIP_START_PREFIX;
        if (!g_ascii_isdigit(buf[i]) || (d == 0 && (buf[i] < '1' || buf[i] > '6')))
            return TUME_SIP_START_NO;
    }
    if (i >= len)
        return TUME_SIP_START_PREFIX;
    if (buf[i] != ' ')
        return TUME_SIP_START_NO;
    for (i++; i < len; i++) {
        if (buf[i] == '\n')
            return TUME_SIP_START_STATUS;        /* a bare LF, as SIP reads lines */
        if (buf[i] == '\r') {
            if (i + 1 >= len)
                return TUME_SIP_START_PREFIX;
            return buf[i + 1] == '\n' ? TUME_SIP_START_STATUS : TUME_SIP_START_NO;
        }
        if (!is_reason_char(buf[i]))
            return TUME_SIP_START_NO;
    }
    return TUME_SIP_START_PREFIX;
}

static tume_sip_start_t
classify_request(const guint8 *buf, gsize len)
{
    static const char *const schemes[] = { "sip:", "sips:", "tel:" };
    gsize i = 0;

    while (i < len && buf[i] >= 'A' && buf[i] <= 'Z') {
        if (++i > METHOD_MAX)
            return TUME_SIP_START_NO;
    }
    if (i == 0)
        return TUME_SIP_START_NO;
    if (i >= len)
        return TUME_SIP_START_PREFIX;
    if (buf[i] != ' ')
        return TUME_SIP_START_NO;
    i++;

    /* Request-URI scheme: the few bytes that tell SIP from HTTP ("/", "*", "http:"). */
    gboolean scheme_ok = FALSE, scheme_partial = FALSE;
    gsize scheme_len = 0;
    for (gsize s = 0; s < G_N_ELEMENTS(schemes); s++) {
        gsize sl = strlen(schemes[s]);
        if (!ascii_prefix_ci(buf + i, len - i, schemes[s], sl))
            continue;
        if (len - i < sl) {
            scheme_partial = TRUE;
        } else {
            scheme_ok = TRUE;
            scheme_len = sl;
            break;
        }
    }
    if (!scheme_ok)
        return scheme_partial ? TUME_SIP_START_PREFIX : TUME_SIP_START_NO;
    i += scheme_len;

    while (i < len && is_uri_char(buf[i]))
        i++;
    if (i >= len)
        return TUME_SIP_START_PREFIX;
    if (buf[i] != ' ')
        return TUME_SIP_START_NO;

    /* " SIP/2.0" then CRLF */
    gsize rest = len - i;
    gsize vl = sizeof SP_SIP_VERSION - 1;
    if (memcmp(buf + i, SP_SIP_VERSION, MIN(rest, vl)) != 0)
        return TUME_SIP_START_NO;
    if (rest > vl && buf[i + vl] == '\n')
        return TUME_SIP_START_REQUEST;           /* a bare LF, as SIP reads lines */
    if (rest < vl + 2) {
        if (rest > vl && buf[i + vl] != '\r')
            return TUME_SIP_START_NO;
        return TUME_SIP_START_PREFIX;
    }
    return (buf[i + vl] == '\r' && buf[i + vl + 1] == '\n')
        ? TUME_SIP_START_REQUEST : TUME_SIP_START_NO;
}

tume_sip_start_t
tume_sip_classify_start(const guint8 *buf, gsize len)
{
    tume_sip_start_t r;

    if (buf == NULL || len == 0)
        return TUME_SIP_START_NO;
    if (buf[0] == '\r') {
        if (len == 1)
            return TUME_SIP_START_PREFIX;
        return buf[1] == '\n' ? TUME_SIP_START_KEEPALIVE : TUME_SIP_START_NO;
    }
    if (buf[0] < 'A' || buf[0] > 'Z')
        return TUME_SIP_START_NO;            /* one compare rejects binary and lower case */

    len = MIN(len, (gsize)TUME_SIP_START_LINE_MAX);
    if (memcmp(buf, SIP_VERSION_SP, MIN(len, sizeof SIP_VERSION_SP - 1)) == 0) {
        r = classify_status(buf, len);
        if (r != TUME_SIP_START_NO)
            goto done;
        /* "S..." may still be SUBSCRIBE; fall through */
    }
    r = classify_request(buf, len);
done:
    if (r == TUME_SIP_START_PREFIX && len >= TUME_SIP_START_LINE_MAX)
        return TUME_SIP_START_NO;            /* an endless start line is not SIP */
    return r;
}

gboolean
tume_http_start(const guint8 *buf, gsize len)
{
    static const char http[] = "HTTP/1.";
    gsize i = 0;

    if (buf == NULL)
        return FALSE;
    if (len >= sizeof http - 1 && memcmp(buf, http, sizeof http - 1) == 0)
        return TRUE;
    len = MIN(len, (gsize)TUME_SIP_START_LINE_MAX);
    while (i < len && ((buf[i] >= 'A' && buf[i] <= 'Z') || buf[i] == '-' || buf[i] == '_'))
        i++;
    if (i == 0 || i > METHOD_MAX || i >= len || buf[i] != ' ')
        return FALSE;
    i++;
    gsize t = i;
    while (i < len && buf[i] > ' ' && buf[i] != 0x7f)
        i++;
    if (i == t || i >= len || buf[i] != ' ')
        return FALSE;
    i++;
    if (len - i < sizeof http - 1 + 2 || memcmp(buf + i, http, sizeof http - 1) != 0)
        return FALSE;
    i += sizeof http - 1;
    return g_ascii_isdigit(buf[i]) && (buf[i + 1] == '\r' || buf[i + 1] == '\n');
}

gboolean
tume_sip_worth_more(const guint8 *buf, gsize len)
{
    if (buf == NULL || len == 0)
        return TRUE;
    len = MIN(len, (gsize)TUME_SIP_START_LINE_MAX);
    if (tume_sip_classify_start(buf, len) != TUME_SIP_START_NO)
        return TRUE;
    /* what could still grow into a start line SIP reads: no space yet (the
     * method or "SIP/2.0" is still coming), no line end after the first
     * byte (a whole line with no space is no start line), and no byte that
     * is neither printable ASCII nor a tab (a method is a token) */
    for (gsize i = 0; i < len; i++) {
        guint8 c = buf[i];
        if (c == ' ')
            return FALSE;
        if (c == '\r' || c == '\n') {
            if (i > 0)
                return FALSE;
            continue;
        }
        if (c != '\t' && (c < 0x21 || c > 0x7e))
            return FALSE;
    }
    return TRUE;
}

/* ---- headers ---- */

static gboolean
span_eq_ci(const guint8 *buf, tume_span_t s, const char *lit)
{
    gsize ll = strlen(lit);
    return s.len == ll && g_ascii_strncasecmp((const char *)buf + s.off, lit, ll) == 0;
}

static void
trim_span(const guint8 *buf, tume_span_t *s)
{
    while (s->len > 0 && (buf[s->off] == ' ' || buf[s->off] == '\t')) {
        s->off++;
        s->len--;
    }
    while (s->len > 0 && (buf[s->off + s->len - 1] == ' ' || buf[s->off + s->len - 1] == '\t'
                          || buf[s->off + s->len - 1] == '\r' || buf[s->off + s->len - 1] == '\n'))
        s->len--;
}

static gboolean
parse_start_line(const guint8 *buf, gsize line_len, tume_sip_msg_t *msg)
{
    gsize vl = sizeof SIP_VERSION_SP - 1;
    if (line_len >= vl + 3 && memcmp(buf, SIP_VERSION_SP, vl) == 0
        && g_ascii_isdigit(buf[vl]) && g_ascii_isdigit(buf[vl + 1]) && g_ascii_isdigit(buf[vl + 2])) {
        msg->is_request = FALSE;
        msg->status_code = (guint)(buf[vl] - '0') * 100 + (guint)(buf[vl + 1] - '0') * 10
                           + (guint)(buf[vl + 2] - '0');
        msg->status.off = vl;
        msg->status.len = line_len - vl;
        trim_span(buf, &msg->status);
        return msg->status_code >= 100 && msg->status_code <= 699;
    }
    /* METHOD SP Request-URI SP SIP/2.0 */
    gsize i = 0;
    while (i < line_len && buf[i] != ' ')
        i++;
    if (i == 0 || i >= line_len)
        return FALSE;
    msg->is_request = TRUE;
    msg->method.off = 0;
    msg->method.len = i;
    gsize u = ++i;
    while (i < line_len && buf[i] != ' ')
        i++;
    if (i == u || i >= line_len)
        return FALSE;
    msg->ruri.off = u;
    msg->ruri.len = i - u;
    return line_len - i == sizeof SP_SIP_VERSION - 1
           && memcmp(buf + i, SP_SIP_VERSION, sizeof SP_SIP_VERSION - 1) == 0;
}

gboolean
tume_sip_parse_message(const guint8 *buf, gsize len, tume_sip_msg_t *msg)
{
    gsize eol, pos;

    memset(msg, 0, sizeof *msg);
    if (buf == NULL)
        return FALSE;
    len = MIN(len, (gsize)TUME_SIP_HEADER_MAX);

    if (!next_line(buf, 0, len, &eol, &pos) || eol == 0 || !parse_start_line(buf, eol, msg))
        return FALSE;

    tume_span_t *cur = NULL;               /* value being continued by folded lines */
    while (pos < len) {
        gsize line_end, next;
        gboolean complete = next_line(buf, pos, len, &line_end, &next);
        if (!complete) {
            line_end = len;                /* the last, unterminated line */
            next = len;
        }
        if (complete && line_end == pos) { /* empty line: end of headers */
            msg->header_len = next;
            return TRUE;
        }
        if (buf[pos] == ' ' || buf[pos] == '\t') {
            /* RFC 3261 7.3.1 line folding: extend the previous value */
            if (cur != NULL) {
                cur->len = line_end - cur->off;
                trim_span(buf, cur);
            }
            pos = next;
            continue;
        }
        cur = NULL;
        gsize colon = pos;
        while (colon < line_end && buf[colon] != ':')
            colon++;
        if (colon < line_end) {
            tume_span_t name = { pos, colon - pos };
            tume_span_t value = { colon + 1, line_end - colon - 1 };
            trim_span(buf, &name);
            trim_span(buf, &value);
            if (span_eq_ci(buf, name, "call-id") || span_eq_ci(buf, name, "i"))
                cur = &msg->call_id;
            else if (span_eq_ci(buf, name, "from") || span_eq_ci(buf, name, "f"))
                cur = &msg->from;
            else if (span_eq_ci(buf, name, "to") || span_eq_ci(buf, name, "t"))
                cur = &msg->to;
            else if (span_eq_ci(buf, name, "user-agent"))
                cur = &msg->user_agent;
            if (cur != NULL) {
                if (cur->len == 0 && cur->off == 0)
                    *cur = value;          /* first occurrence wins */
                else
                    cur = NULL;
            }
        }
        pos = next;
    }
    return TRUE;                           /* start line, headers not terminated */
}

/* ---- framing ---- */

static gboolean
line_has_prefix_ci(const guint8 *buf, gsize pos, gsize line_end, const char *lit)
{
    gsize n = strlen(lit);
    return line_end - pos >= n && g_ascii_strncasecmp((const char *)buf + pos, lit, n) == 0;
}

/* The header name as dissect_sip_common() takes it: everything before the
 * first colon, compared case-insensitively, nothing trimmed. */
static gboolean
line_name_is(const guint8 *buf, gsize pos, gsize line_end, const char *name)
{
    gsize n = strlen(name);
    return line_end - pos > n && buf[pos + n] == ':'
           && g_ascii_strncasecmp((const char *)buf + pos, name, n) == 0;
}

/* "Content-Length:" / "l:", optional SP/HTAB, 1..6 digits, line end: the
 * one form that req_resp_hdrs_do_reassembly() (g_strstrip + ws_strtoi32)
 * and dissect_sip_common() (ws_strtou32 of the value up to the line end)
 * read alike.  FALSE for anything else. */
static gboolean
strict_content_length(const guint8 *buf, gsize pos, gsize line_end, guint32 *value, gboolean *compact)
{
    gsize i = pos;
    *compact = FALSE;
    if (line_name_is(buf, pos, line_end, "content-length")) {
        i += 15;
    } else if (line_name_is(buf, pos, line_end, "l")) {
        i += 2;
        *compact = TRUE;
    } else {
        return FALSE;
    }
    while (i < line_end && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    if (i == line_end || line_end - i > 6)
        return FALSE;
    guint32 v = 0;
    for (; i < line_end; i++) {
        if (!g_ascii_isdigit(buf[i]))
            return FALSE;
        v = v * 10 + (guint32)(buf[i] - '0');
    }
    *value = v;
    return TRUE;
}

/* A CSeq ("digits method") or RAck ("digits digits method") value that
 * dissect_sip_common() reads to its end: it stops the whole message early
 * when the method is missing or longer than 16 characters.  Only plain
 * ASCII digits, blanks and a method of 1..16 letters pass. */
static gboolean
strict_cseq(const guint8 *buf, gsize pos, gsize line_end, guint numbers)
{
    gsize i = pos;
    while (i < line_end && buf[i] != ':')
        i++;
    i++;
    while (i < line_end && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    for (guint n = 0; n < numbers; n++) {
        gsize d = i;
        while (i < line_end && g_ascii_isdigit(buf[i]))
            i++;
        if (i == d || i - d > 10)
            return FALSE;
        gsize b = i;
        while (i < line_end && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        if (i == b)
            return FALSE;
    }
    gsize m = i;
    while (i < line_end && g_ascii_isalpha(buf[i]))
        i++;
    return i == line_end && i > m && i - m <= 16;
}

#define DEFER(reason) do { if (why) *why = (reason); return TUME_SIP_FRAME_DEFER; } while (0)

tume_sip_frame_t
tume_sip_frame(const guint8 *buf, gsize len, gsize *pdu_len, const char **why)
{
    *pdu_len = 0;
    if (why)
        *why = NULL;
    if (buf == NULL || len == 0)
        return TUME_SIP_FRAME_NEED_MORE;

    if (buf[0] == '\r') {
        if (len == 1) {
            *pdu_len = 1;
            return TUME_SIP_FRAME_NEED_MORE;
        }
        if (buf[1] != '\n')
            return TUME_SIP_FRAME_NOT_SIP;
        if (len >= 4 && buf[2] == '\r' && buf[3] == '\n') {
            *pdu_len = 4;
            return TUME_SIP_FRAME_PING;
        }
        if (len == 3 && buf[2] == '\r') {
            *pdu_len = 1;
            return TUME_SIP_FRAME_NEED_MORE;
        }
        *pdu_len = 2;
        return TUME_SIP_FRAME_PONG;
    }

    switch (tume_sip_classify_start(buf, len)) {
    case TUME_SIP_START_REQUEST:
    case TUME_SIP_START_STATUS:
        break;
    case TUME_SIP_START_PREFIX:
        return TUME_SIP_FRAME_NEED_MORE;
    default:
        return TUME_SIP_FRAME_NOT_SIP;
    }

    /* Walk the header block line by line, CRLF only. */
    gsize scan = MIN(len, (gsize)TUME_SIP_HEADER_MAX);
    gsize pos = 0, header_len = 0;
    guint cl_lines = 0;
    guint32 cl = 0;
    gboolean cl_strict = FALSE, cl_compact = FALSE;
    gboolean after_cl = FALSE;   /* the line before was Content-Length, CSeq or RAck */
    while (header_len == 0) {
        gsize e = pos;
        while (e < scan && buf[e] != '\r' && buf[e] != '\n')
            e++;
        if (e >= scan) {
            if (scan >= TUME_SIP_HEADER_MAX)
                DEFER("SIP header block longer than 64 KiB");
            return TUME_SIP_FRAME_NEED_MORE;
        }
        if (buf[e] == '\n')
            DEFER("a SIP line ending in a bare LF");
        if (e + 1 >= scan) {
            if (scan >= TUME_SIP_HEADER_MAX)
                DEFER("SIP header block longer than 64 KiB");
            return TUME_SIP_FRAME_NEED_MORE;     /* CR last: maybe half a CRLF */
        }
        if (buf[e + 1] != '\n')
            DEFER("a SIP line ending in a bare CR");
        if (e == pos) {
            header_len = e + 2;                  /* the empty line */
            break;
        }
        /* SIP reads a header's name as a C string: "CSeq\0x:" is a CSeq
         * to it, and no name the checks below would see */
        if (memchr(buf + pos, '\0', e - pos) != NULL)
            DEFER("a NUL byte in a SIP header line");
        if (pos > 0) {                           /* a header line */
            gboolean folded = buf[pos] == ' ' || buf[pos] == '\t';
            /* SIP joins a folded line to the value before it */
            if (folded && after_cl)
                DEFER("a folded Content-Length, CSeq or RAck header");
            after_cl = FALSE;
            if (!folded) {
                if (line_has_prefix_ci(buf, pos, e, "transfer-encoding:"))
                    DEFER("a Transfer-Encoding header in SIP");
                if (line_name_is(buf, pos, e, "cseq") || line_name_is(buf, pos, e, "rack")) {
                    if (!strict_cseq(buf, pos, e, line_name_is(buf, pos, e, "cseq") ? 1 : 2))
                        DEFER("a CSeq or RAck header that Wireshark's SIP stops at");
                    after_cl = TRUE;
                }
                if (line_name_is(buf, pos, e, "content-length") || line_name_is(buf, pos, e, "l")) {
                    cl_lines++;
                    cl_strict = strict_content_length(buf, pos, e, &cl, &cl_compact);
                    after_cl = TRUE;
                }
            }
        }
        pos = e + 2;
    }
    if (cl_lines == 0)
        DEFER("a SIP message without Content-Length");
    if (cl_lines > 1)
        DEFER("several Content-Length headers");
    if (!cl_strict || cl > TUME_SIP_BODY_MAX)
        DEFER("a Content-Length that is not plain digits below 128 KiB");
    /* a folded line right after Content-Length was caught above; one after
     * the last header cannot exist (the empty line ended the block) */

    gsize total = header_len + cl;
    if (len < total) {
        /* req_resp_hdrs_do_reassembly() reads only "Content-Length:": with
         * the compact form, sip.tcp shows the message cut short and the
         * next record starts afresh.  Reassembling it would take the next
         * record's messages as its body when the length lies. */
        if (cl_compact) {
            if (why)
                *why = "a body cut by the record, with the compact Content-Length (l:) that Wireshark's "
                       "SIP does not reassemble";
            return TUME_SIP_FRAME_CUT;
        }
        *pdu_len = total - len;
        return TUME_SIP_FRAME_NEED_MORE;
    }
    *pdu_len = total;
    return TUME_SIP_FRAME_MESSAGE;
}

#undef DEFER

/* The URI of a SIP URI or name-addr: *i at the first byte after "sip:" or
 * "sips:", *end at the end of the URI (the '>' of a name-addr, or len). */
static gboolean
uri_after_scheme(const guint8 *buf, gsize len, gsize *i_out, gsize *end_out)
{
    gsize start = 0, end = len;

    if (buf == NULL)
        return FALSE;
    /* name-addr: look inside <...> only, so a display name cannot fool us */
    for (gsize i = 0; i < len; i++) {
        if (buf[i] == '<') {
            start = i + 1;
            for (gsize j = start; j < len; j++) {
                if (buf[j] == '>') {
                    end = j;
                    break;
                }
            }
            break;
        }
    }
    gsize i = start;
    while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    if (end - i >= 4 && g_ascii_strncasecmp((const char *)buf + i, "sip:", 4) == 0)
        i += 4;
    else if (end - i >= 5 && g_ascii_strncasecmp((const char *)buf + i, "sips:", 5) == 0)
        i += 5;
    else
        return FALSE;
    *i_out = i;
    *end_out = end;
    return TRUE;
}

/* The end of the userinfo ('@') within [i, end), or end if there is none. */
static gsize
userinfo_end(const guint8 *buf, gsize i, gsize end)
{
    for (gsize j = i; j < end; j++) {
        guint8 c = buf[j];
        if (c == '@')
            return j;
        if (c == ';' || c == '?' || c == '>' || c == ' ' || c == ',')
            break;
    }
    return end;
}

gboolean
tume_sip_uri_user(const guint8 *buf, gsize len, tume_span_t *user)
{
    gsize i, end;

    user->off = user->len = 0;
    if (!uri_after_scheme(buf, len, &i, &end))
        return FALSE;
    gsize at = userinfo_end(buf, i, end);
    if (at >= end)
        return FALSE;
    gsize j = i;
    while (j < at && buf[j] != ':')          /* user:password@ */
        j++;
    if (j == i)
        return FALSE;
    user->off = i;
    user->len = j - i;
    return TRUE;
}

gboolean
tume_sip_uri_host(const guint8 *buf, gsize len, tume_span_t *host)
{
    gsize i, end;

    host->off = host->len = 0;
    if (!uri_after_scheme(buf, len, &i, &end))
        return FALSE;
    /* userinfo ends with '@' if one comes before the end of the hostport */
    gsize at = userinfo_end(buf, i, end);
    gsize h = at < end ? at + 1 : i;
    if (h < end && buf[h] == '[') {
        gsize j = h + 1;
        while (j < end && buf[j] != ']')
            j++;
        if (j >= end || j == h + 1)
            return FALSE;
        host->off = h + 1;
        host->len = j - h - 1;
        return TRUE;
    }
    gsize j = h;
    while (j < end) {
        guint8 c = buf[j];
        if (c == ':' || c == ';' || c == '?' || c == '>' || c == ',' || c == ' ' || c == '\t'
            || c == '\r' || c == '\n')
            break;
        j++;
    }
    if (j == h)
        return FALSE;
    host->off = h;
    host->len = j - h;
    return TRUE;
}
