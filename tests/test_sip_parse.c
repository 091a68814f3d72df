/* Unit tests for plugin/sip_parse.c (pure SIP start line, framing, headers).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <glib.h>

#include "sip_parse.h"

#define B(s) ((const guint8 *)(s)), (sizeof(s) - 1)

static void
test_classify_requests(void)
{
    g_assert_cmpint(tume_sip_classify_start(B("REGISTER sip:tume.jajah.com SIP/2.0\r\n")), ==, TUME_SIP_START_REQUEST);
    g_assert_cmpint(tume_sip_classify_start(B("INVITE sips:bob@x.jajah.com;transport=tls SIP/2.0\r\nVia: x\r\n")), ==, TUME_SIP_START_REQUEST);
    g_assert_cmpint(tume_sip_classify_start(B("MESSAGE tel:+34600123456 SIP/2.0\r\n")), ==, TUME_SIP_START_REQUEST);
    g_assert_cmpint(tume_sip_classify_start(B("OPTIONS SIP:host SIP/2.0\r\n")), ==, TUME_SIP_START_REQUEST);
}

static void
test_classify_status(void)
{
    g_assert_cmpint(tume_sip_classify_start(B("SIP/2.0 401 Unauthorized\r\n")), ==, TUME_SIP_START_STATUS);
    g_assert_cmpint(tume_sip_classify_start(B("SIP/2.0 200 OK\r\nVia: x\r\n")), ==, TUME_SIP_START_STATUS);
    g_assert_cmpint(tume_sip_classify_start(B("SIP/2.0 180 \r\n")), ==, TUME_SIP_START_STATUS);
    g_assert_cmpint(tume_sip_classify_start(B("SIP/2.0 700 Nope\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("SIP/2.0 20 OK\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("SIP/2.0 200OK\r\n")), ==, TUME_SIP_START_NO);
    /* SUBSCRIBE starts with 'S' too */
    g_assert_cmpint(tume_sip_classify_start(B("SUBSCRIBE sip:a@b SIP/2.0\r\n")), ==, TUME_SIP_START_REQUEST);
}

static void
test_classify_rejects(void)
{
    g_assert_cmpint(tume_sip_classify_start(B("GET / HTTP/1.1\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("POST /v1/items HTTP/1.1\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("OPTIONS * HTTP/1.1\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("OPTIONS http://x/ HTTP/1.1\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("HTTP/1.1 200 OK\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("PRI * HTTP/2.0\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("\x16\x03\x01\x02\x00")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("{\"a\":1}")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("register sip:a SIP/2.0\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("REGISTER sip:a SIP/3.0\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("REGISTER sip:a SIP/2.0X\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("REGISTER  sip:a SIP/2.0\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ sip:a SIP/2.0\r\n")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("\rX")), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(NULL, 0), ==, TUME_SIP_START_NO);
    g_assert_cmpint(tume_sip_classify_start(B("")), ==, TUME_SIP_START_NO);
}

static void
test_classify_prefix_and_keepalive(void)
{
    g_assert_cmpint(tume_sip_classify_start(B("\r\n\r\n")), ==, TUME_SIP_START_KEEPALIVE);
    g_assert_cmpint(tume_sip_classify_start(B("\r\n")), ==, TUME_SIP_START_KEEPALIVE);
    g_assert_cmpint(tume_sip_classify_start(B("\r")), ==, TUME_SIP_START_PREFIX);
    g_assert_cmpint(tume_sip_classify_start(B("REGI")), ==, TUME_SIP_START_PREFIX);
    g_assert_cmpint(tume_sip_classify_start(B("REGISTER ")), ==, TUME_SIP_START_PREFIX);
    g_assert_cmpint(tume_sip_classify_start(B("REGISTER si")), ==, TUME_SIP_START_PREFIX);
    g_assert_cmpint(tume_sip_classify_start(B("REGISTER sip:tume.jajah.com SI")), ==, TUME_SIP_START_PREFIX);
    g_assert_cmpint(tume_sip_classify_start(B("REGISTER sip:tume.jajah.com SIP/2.0\r")), ==, TUME_SIP_START_PREFIX);
    g_assert_cmpint(tume_sip_classify_start(B("SIP/2")), ==, TUME_SIP_START_PREFIX);
    g_assert_cmpint(tume_sip_classify_start(B("SIP/2.0 40")), ==, TUME_SIP_START_PREFIX);
    g_assert_cmpint(tume_sip_classify_start(B("SIP/2.0 401 Unauth")), ==, TUME_SIP_START_PREFIX);
    /* a start line that never ends is not SIP */
    GString *s = g_string_new("INVITE sip:");
    while (s->len < TUME_SIP_START_LINE_MAX + 10)
        g_string_append_c(s, 'a');
    g_assert_cmpint(tume_sip_classify_start((const guint8 *)s->str, s->len), ==, TUME_SIP_START_NO);
    g_string_free(s, TRUE);
}

static const char REG[] =
    "REGISTER sip:tume.jajah.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 127.0.0.1:50600;branch=z9hG4bK-1\r\n"
    "From: <sip:34600123456@tume.jajah.com>;tag=a1\r\n"
    "To: <sip:34600123456@tume.jajah.com>\r\n"
    "Call-ID: reg-0001@tume-iphone\r\n"
    "CSeq: 1 REGISTER\r\n"
    "User-Agent: TU Me/1.0 (iPhone; iOS 5.1)\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static const char MSG_COMPACT[] =
    "MESSAGE sip:b@tume.jajah.com SIP/2.0\r\n"
    "v: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK-2\r\n"
    "f: <sip:a@tume.jajah.com>;tag=x\r\n"
    "t: <sip:b@tume.jajah.com>\r\n"
    "i: msg-0002@tume-iphone\r\n"
    "c: text/plain\r\n"
    "l: 7\r\n"
    "\r\n"
    "compact";

static void
test_http_start(void)
{
    g_assert_true(tume_http_start(B("GET / HTTP/1.1\r\n")));
    g_assert_true(tume_http_start(B("POST /tume/v1/register HTTP/1.0\n")));
    g_assert_true(tume_http_start(B("HTTP/1.1 200 OK\r\n")));
    g_assert_true(tume_http_start(B("HTTP/1.")));
    g_assert_false(tume_http_start(B("GET / HTTP/1.1")));          /* line not complete */
    g_assert_false(tume_http_start(B("OPTIONS sip:a SIP/2.0\r\n")));
    g_assert_false(tume_http_start(B("get / HTTP/1.1\r\n")));
    g_assert_false(tume_http_start(B("GET  / HTTP/1.1\r\n")));
    g_assert_false(tume_http_start(B("PRI * HTTP/2.0\r\n")));
    g_assert_false(tume_http_start(B("\r\n")));
    g_assert_false(tume_http_start(NULL, 0));
}

static void
test_worth_more(void)
{
    g_assert_true(tume_sip_worth_more(B("OPTI")));
    g_assert_true(tume_sip_worth_more(B("O*To")));            /* an extension method SIP reads */
    g_assert_true(tume_sip_worth_more(B("QM\t1")));
    g_assert_true(tume_sip_worth_more(B("REGISTER sip:tume.ja")));
    g_assert_true(tume_sip_worth_more(B("SIP/2.0 40")));
    g_assert_true(tume_sip_worth_more(B("\r")));
    g_assert_false(tume_sip_worth_more(B("ing first")));      /* the rest of a body */
    g_assert_false(tume_sip_worth_more(B("\x9a\x9a \x01")));
    g_assert_true(tume_sip_worth_more(NULL, 0));
    /* a whole line with no space, or bytes no method has: no start line can
     * come of them (a mutated keep-alive run: "\xff\n\r\n..." made sip.tcp
     * hand it to SigComp, which glued every later record to it) */
    g_assert_false(tume_sip_worth_more(B("\xff\n\r\n\r\n")));
    g_assert_false(tume_sip_worth_more(B("J\n\r\n\r\n")));
    g_assert_false(tume_sip_worth_more(B("OPTIONS\r\n")));
    g_assert_false(tume_sip_worth_more(B("OPT\x01")));
    g_assert_true(tume_sip_worth_more(B("\r\n")));
}

static void
test_frame_messages(void)
{
    gsize n;
    const char *why;

    g_assert_cmpint(tume_sip_frame(B(REG), &n, &why), ==, TUME_SIP_FRAME_MESSAGE);
    g_assert_cmpuint(n, ==, sizeof REG - 1);
    g_assert_cmpint(tume_sip_frame(B(MSG_COMPACT), &n, &why), ==, TUME_SIP_FRAME_MESSAGE);
    g_assert_cmpuint(n, ==, sizeof MSG_COMPACT - 1);

    /* two messages back to back: the first is framed alone */
    gchar *two = g_strconcat(REG, MSG_COMPACT, NULL);
    g_assert_cmpint(tume_sip_frame((const guint8 *)two, strlen(two), &n, &why), ==, TUME_SIP_FRAME_MESSAGE);
    g_assert_cmpuint(n, ==, sizeof REG - 1);
    g_assert_cmpint(tume_sip_frame((const guint8 *)two + n, strlen(two) - n, &n, &why), ==, TUME_SIP_FRAME_MESSAGE);
    g_assert_cmpuint(n, ==, sizeof MSG_COMPACT - 1);
    g_free(two);

    /* body cut short: says how much is missing (Content-Length) */
    static const char MSG_FULL[] = "MESSAGE sip:b@tume.jajah.com SIP/2.0\r\nContent-Length: 7\r\n\r\ncomplete";
    g_assert_cmpint(tume_sip_frame((const guint8 *)MSG_FULL, sizeof MSG_FULL - 1 - 4, &n, &why), ==, TUME_SIP_FRAME_NEED_MORE);
    g_assert_cmpuint(n, ==, 3);
    /* ...but not for the compact form, which Wireshark's SIP does not reassemble */
    g_assert_cmpint(tume_sip_frame((const guint8 *)MSG_COMPACT, sizeof MSG_COMPACT - 1 - 3, &n, &why), ==, TUME_SIP_FRAME_CUT);
    g_assert_nonnull(strstr(why, "compact"));
    /* headers cut short: unknown amount missing */
    g_assert_cmpint(tume_sip_frame((const guint8 *)REG, 60, &n, &why), ==, TUME_SIP_FRAME_NEED_MORE);
    g_assert_cmpuint(n, ==, 0);
    /* start line cut short */
    g_assert_cmpint(tume_sip_frame(B("INVITE sip:a@b"), &n, &why), ==, TUME_SIP_FRAME_NEED_MORE);
}

static void
test_frame_keepalives_and_bad(void)
{
    gsize n;
    const char *why;

    g_assert_cmpint(tume_sip_frame(B("\r\n\r\n"), &n, &why), ==, TUME_SIP_FRAME_PING);
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmpint(tume_sip_frame(B("\r\n"), &n, &why), ==, TUME_SIP_FRAME_PONG);
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmpint(tume_sip_frame(B("\r\nSIP/2.0 200 OK\r\n"), &n, &why), ==, TUME_SIP_FRAME_PONG);
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmpint(tume_sip_frame(B("\r\n\r"), &n, &why), ==, TUME_SIP_FRAME_NEED_MORE);
    g_assert_cmpint(tume_sip_frame(B("\r"), &n, &why), ==, TUME_SIP_FRAME_NEED_MORE);
    g_assert_cmpint(tume_sip_frame(B("\rx"), &n, &why), ==, TUME_SIP_FRAME_NOT_SIP);
    g_assert_cmpint(tume_sip_frame(B("GET / HTTP/1.1\r\n\r\n"), &n, &why), ==, TUME_SIP_FRAME_NOT_SIP);
    g_assert_cmpint(tume_sip_frame(B("\x17\x03\x03\x00\x10"), &n, &why), ==, TUME_SIP_FRAME_NOT_SIP);

    /* a header block that never ends: Wireshark's SIP decides */
    gsize big = TUME_SIP_HEADER_MAX + 100;
    guint8 *buf = g_malloc(big);
    memset(buf, 'a', big);
    memcpy(buf, "SIP/2.0 200 OK\r\nX: ", 19);
    g_assert_cmpint(tume_sip_frame(buf, big, &n, &why), ==, TUME_SIP_FRAME_DEFER);
    g_assert_cmpstr(why, ==, "SIP header block longer than 64 KiB");
    g_assert_cmpint(tume_sip_frame(buf, 1000, &n, &why), ==, TUME_SIP_FRAME_NEED_MORE);
    g_free(buf);
}

/* Issue 7 defect 3: where sip.tcp (req_resp_hdrs_do_reassembly and
 * dissect_sip_common) could frame differently, the plugin does not frame. */
static void
test_frame_defers(void)
{
    static const struct { const char *msg; const char *why; } cases[] = {
        { "SIP/2.0 200 OK\r\nContent-Length: 0\r\nContent-Length: 1000\r\n\r\n", "several Content-Length headers" },
        { "SIP/2.0 200 OK\r\nl: 0\r\nContent-Length: 5\r\n\r\nhello", "several Content-Length headers" },
        { "SIP/2.0 200 OK\r\nContent-length: 5\r\nL: 5\r\n\r\nhello", "several Content-Length headers" },
        { "MESSAGE sip:a@b SIP/2.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n",
          "a Transfer-Encoding header in SIP" },
        { "MESSAGE sip:a@b SIP/2.0\r\ntransfer-encoding:chunked\r\n\r\n", "a Transfer-Encoding header in SIP" },
        { "SIP/2.0 200 OK\r\nVia: x\r\n\r\nNEXT", "a SIP message without Content-Length" },
        { "SIP/2.0 200 OK\nContent-Length: 0\n\n", "a SIP line ending in a bare LF" },
        { "SIP/2.0 200 OK\r\nContent-Length: 0\n\r\n", "a SIP line ending in a bare LF" },
        { "SIP/2.0 200 OK\r\nVia: x\rContent-Length: 0\r\n\r\n", "a SIP line ending in a bare CR" },
        { "SIP/2.0 200 OK\r\nContent-Length: 12x\r\n\r\n", "a Content-Length that is not plain digits below 128 KiB" },
        { "SIP/2.0 200 OK\r\nContent-Length: 5 \r\n\r\nhello", "a Content-Length that is not plain digits below 128 KiB" },
        { "SIP/2.0 200 OK\r\nContent-Length: +5\r\n\r\nhello", "a Content-Length that is not plain digits below 128 KiB" },
        { "SIP/2.0 200 OK\r\nContent-Length: 131072\r\n\r\n", "a Content-Length that is not plain digits below 128 KiB" },
        { "SIP/2.0 200 OK\r\nl: 99999999999\r\n\r\n", "a Content-Length that is not plain digits below 128 KiB" },
        { "SIP/2.0 200 OK\r\nContent-Length: 5\r\n 7\r\n\r\nhello", "a folded Content-Length, CSeq or RAck header" },
        { "SIP/2.0 200 OK\r\nCSeq: 6 MESSAGE\r\n SIP\r\nl: 0\r\n\r\n", "a folded Content-Length, CSeq or RAck header" },
        /* dissect_sip_common() stops the message at such a CSeq (method
         * missing or longer than 16) or RAck */
        { "SIP/2.0 200 OK\r\nCSeq: 1 \x15\x15\r\nl: 0\r\n\r\n", "a CSeq or RAck header that Wireshark's SIP stops at" },
        { "SIP/2.0 200 OK\r\nCSeq: 1\r\nl: 0\r\n\r\n", "a CSeq or RAck header that Wireshark's SIP stops at" },
        { "SIP/2.0 200 OK\r\ncseq: 7 ABCDEFGHIJKLMNOPQ\r\nl: 0\r\n\r\n", "a CSeq or RAck header that Wireshark's SIP stops at" },
        { "SIP/2.0 200 OK\r\nCSeq: 7 INVITE \r\nl: 0\r\n\r\n", "a CSeq or RAck header that Wireshark's SIP stops at" },
        { "PRACK sip:a@b SIP/2.0\r\nRAck: 1 INVITE\r\nl: 0\r\n\r\n", "a CSeq or RAck header that Wireshark's SIP stops at" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        gsize n = 99;
        const char *why = NULL;
        g_assert_cmpint(tume_sip_frame((const guint8 *)cases[i].msg, strlen(cases[i].msg), &n, &why), ==,
                        TUME_SIP_FRAME_DEFER);
        g_assert_cmpstr(why, ==, cases[i].why);
    }
    {
        /* fuzz_sip_diff: SIP reads "CSeq\0?" as CSeq (a C string) and stops
         * at its long method; the plugin saw no CSeq and framed by "l: 1" */
        static const char NUL_NAME[] = "SIP/2.0 202 A\r\nCSeq\0?: 1 MESSAGEMESSAGEMESSAGE\r\nl: 1\r\n\r\nE";
        gsize n0 = 0;
        const char *why0 = NULL;
        g_assert_cmpint(tume_sip_frame(B(NUL_NAME), &n0, &why0), ==, TUME_SIP_FRAME_DEFER);
        g_assert_cmpstr(why0, ==, "a NUL byte in a SIP header line");
    }
    /* names that neither reader takes for Content-Length are just headers */
    gsize n;
    const char *why;
    static const char ODD[] = "SIP/2.0 200 OK\r\nContent-Length : 9\r\nl : 9\r\nContent-Lengthy: 9\r\n"
                              "Content-Length: 2\r\n\r\nokNEXT";
    g_assert_cmpint(tume_sip_frame(B(ODD), &n, &why), ==, TUME_SIP_FRAME_MESSAGE);
    g_assert_cmpuint(n, ==, sizeof ODD - 1 - 4);
    /* plain CSeq and RAck values are fine */
    static const char CSEQ[] = "PRACK sip:a@b SIP/2.0\r\nCSeq: 2 PRACK\r\nRAck: 776656 1 INVITE\r\n"
                               "CSeq:\t1\tABCDEFGHIJKLMNOP\r\nl: 0\r\n\r\n";
    g_assert_cmpint(tume_sip_frame(B(CSEQ), &n, &why), ==, TUME_SIP_FRAME_MESSAGE);
    /* a folded header elsewhere does not matter */
    static const char FOLD[] = "SIP/2.0 200 OK\r\nSubject: a\r\n b\r\nl: 0\r\n\r\n";
    g_assert_cmpint(tume_sip_frame(B(FOLD), &n, &why), ==, TUME_SIP_FRAME_MESSAGE);
    g_assert_cmpuint(n, ==, sizeof FOLD - 1);
    /* the largest body we frame ourselves */
    static const char BIG[] = "SIP/2.0 200 OK\r\nContent-Length: 131071\r\n\r\n";
    g_assert_cmpint(tume_sip_frame(B(BIG), &n, &why), ==, TUME_SIP_FRAME_NEED_MORE);
    g_assert_cmpuint(n, ==, 131071);
    /* a partial header block with a bare LF already defers */
    g_assert_cmpint(tume_sip_frame(B("SIP/2.0 200 OK\nVia"), &n, &why), ==, TUME_SIP_FRAME_DEFER);
    /* a CR last may be half a CRLF */
    g_assert_cmpint(tume_sip_frame(B("SIP/2.0 200 OK\r\nVia: x\r"), &n, &why), ==, TUME_SIP_FRAME_NEED_MORE);
}

static gchar *
span_str(const char *base, tume_span_t s)
{
    return g_strndup(base + s.off, s.len);
}

static void
test_parse_headers(void)
{
    tume_sip_msg_t m;
    gchar *v;

    g_assert_true(tume_sip_parse_message(B(REG), &m));
    g_assert_true(m.is_request);
    v = span_str(REG, m.method); g_assert_cmpstr(v, ==, "REGISTER"); g_free(v);
    v = span_str(REG, m.ruri); g_assert_cmpstr(v, ==, "sip:tume.jajah.com"); g_free(v);
    v = span_str(REG, m.call_id); g_assert_cmpstr(v, ==, "reg-0001@tume-iphone"); g_free(v);
    v = span_str(REG, m.user_agent); g_assert_cmpstr(v, ==, "TU Me/1.0 (iPhone; iOS 5.1)"); g_free(v);
    v = span_str(REG, m.from); g_assert_cmpstr(v, ==, "<sip:34600123456@tume.jajah.com>;tag=a1"); g_free(v);
    g_assert_cmpuint(m.header_len, ==, sizeof REG - 1);

    g_assert_true(tume_sip_parse_message(B(MSG_COMPACT), &m));
    v = span_str(MSG_COMPACT, m.call_id); g_assert_cmpstr(v, ==, "msg-0002@tume-iphone"); g_free(v);
    v = span_str(MSG_COMPACT, m.to); g_assert_cmpstr(v, ==, "<sip:b@tume.jajah.com>"); g_free(v);
    g_assert_cmpuint(m.header_len, ==, sizeof MSG_COMPACT - 1 - 7);

    static const char RESP[] =
        "SIP/2.0 401 Unauthorized\r\n"
        "CALL-ID:   folded-\r\n"
        "  part2\r\n"
        "Server: Jajah SIP\r\n"
        "\r\n";
    g_assert_true(tume_sip_parse_message(B(RESP), &m));
    g_assert_false(m.is_request);
    g_assert_cmpuint(m.status_code, ==, 401);
    v = span_str(RESP, m.status); g_assert_cmpstr(v, ==, "401 Unauthorized"); g_free(v);
    v = span_str(RESP, m.call_id); g_assert_cmpstr(v, ==, "folded-\r\n  part2"); g_free(v);
    g_assert_cmpuint(m.user_agent.len, ==, 0);

    /* bare LF line ends, as Wireshark's SIP reads them */
    static const char LF[] = "MESSAGE sip:b@x SIP/2.0\nCall-ID: lf-1\nf: <sip:a@tume.jajah.com>\n\nbody";
    g_assert_true(tume_sip_parse_message(B(LF), &m));
    v = span_str(LF, m.call_id); g_assert_cmpstr(v, ==, "lf-1"); g_free(v);
    v = span_str(LF, m.from); g_assert_cmpstr(v, ==, "<sip:a@tume.jajah.com>"); g_free(v);
    g_assert_cmpuint(m.header_len, ==, sizeof LF - 1 - 4);

    /* not terminated: parsed as far as it goes */
    g_assert_true(tume_sip_parse_message(B("SIP/2.0 200 OK\r\nCall-ID: x\r\n"), &m));
    g_assert_cmpuint(m.header_len, ==, 0);
    v = span_str("SIP/2.0 200 OK\r\nCall-ID: x\r\n", m.call_id); g_assert_cmpstr(v, ==, "x"); g_free(v);
    g_assert_false(tume_sip_parse_message(B("GET / HTTP/1.1\r\n\r\n"), &m));
    g_assert_false(tume_sip_parse_message(NULL, 0, &m));
}

static void
check_host(const char *uri, const char *expect)
{
    tume_span_t h;
    gboolean ok = tume_sip_uri_host((const guint8 *)uri, strlen(uri), &h);
    if (expect == NULL) {
        g_assert_false(ok);
        return;
    }
    g_assert_true(ok);
    gchar *v = g_strndup(uri + h.off, h.len);
    g_assert_cmpstr(v, ==, expect);
    g_free(v);
}

static void
check_user(const char *uri, const char *expect)
{
    tume_span_t u;
    gboolean ok = tume_sip_uri_user((const guint8 *)uri, strlen(uri), &u);
    if (expect == NULL) {
        g_assert_false(ok);
        return;
    }
    g_assert_true(ok);
    gchar *v = g_strndup(uri + u.off, u.len);
    g_assert_cmpstr(v, ==, expect);
    g_free(v);
}

static void
test_uri_user(void)
{
    check_user("<sip:34600123456@tume.jajah.com>;tag=a1", "34600123456");
    check_user("\"sip:evil@jajah.com\" <sip:bob@example.org:5061;transport=tls>", "bob");
    check_user("sips:alice:secret@[2001:db8::1]:5061", "alice");
    check_user("sip:tume.jajah.com", NULL);           /* no user part */
    check_user("sip:@host", NULL);
    check_user("sip:host;user=x@y", NULL);            /* '@' after a parameter: not userinfo */
    check_user("tel:+34600123456", NULL);
    check_user("<sip:bob", NULL);
    check_user("", NULL);
}

static void
test_uri_host(void)
{
    check_host("sip:tume.jajah.com", "tume.jajah.com");
    check_host("<sip:34600123456@tume.jajah.com>;tag=a1", "tume.jajah.com");
    check_host("\"sip:evil@jajah.com\" <sip:bob@example.org:5061;transport=tls>", "example.org");
    check_host("sips:alice@[2001:db8::1]:5061", "2001:db8::1");
    check_host("SIP:User@Host.Jajah.COM;lr", "Host.Jajah.COM");
    check_host("sip:host?subject=x", "host");
    check_host("sip:user:pw@host.example", "host.example");
    check_host("tel:+34600123456", NULL);
    check_host("<sip:>", NULL);
    check_host("sips:a@[", NULL);
    check_host("", NULL);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sip/classify/requests", test_classify_requests);
    g_test_add_func("/sip/classify/status", test_classify_status);
    g_test_add_func("/sip/classify/rejects", test_classify_rejects);
    g_test_add_func("/sip/classify/prefix-keepalive", test_classify_prefix_and_keepalive);
    g_test_add_func("/sip/http-start", test_http_start);
    g_test_add_func("/sip/worth-more", test_worth_more);
    g_test_add_func("/sip/frame/messages", test_frame_messages);
    g_test_add_func("/sip/frame/keepalives-bad", test_frame_keepalives_and_bad);
    g_test_add_func("/sip/frame/defers", test_frame_defers);
    g_test_add_func("/sip/parse/headers", test_parse_headers);
    g_test_add_func("/sip/uri/host", test_uri_host);
    g_test_add_func("/sip/uri/user", test_uri_user);
    return g_test_run();
}
