/* api_parse.h - pure logic of the TU Me provisioning API: what a JSON body
 * says (parsed by json-glib, after a bounded nesting check) and which
 * message type a request or reply is (a rule table that is data).
 *
 * No epan state.  Unit-tested in tests/test_api_parse.c.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_API_PARSE_H
#define TUME_API_PARSE_H

#include <glib.h>

/* Largest body handed to json-glib. */
#define TUME_JSON_MAX_BYTES (4 * 1024 * 1024)
/* Deepest nesting handed to json-glib (json-glib 1.6 overflows the stack
 * at about 80000). */
#define TUME_JSON_MAX_DEPTH 64
/* Most values (scalars, arrays, objects) handed to json-glib: bounds the
 * memory of its tree. */
#define TUME_JSON_MAX_VALUES 100000
/* json-glib stores an object's members in a list and scans it for every
 * repeated name; the pre-check adds the member count of the object for each
 * key that may repeat one (same spelling, or written with escapes) and
 * refuses the body past this many steps. */
#define TUME_JSON_MAX_DUP_WORK (1u << 20)
/* Most top-level keys kept. */
#define TUME_JSON_MAX_KEYS 64

/* Sensitive content (tume.sensitive), as bits. */
enum {
    TUME_SENS_PIN          = 1u << 0,   /* the SMS PIN */
    TUME_SENS_SIP_PASSWORD = 1u << 1,   /* the SIP password of a config reply */
    TUME_SENS_BASIC_AUTH   = 1u << 2,   /* an Authorization: Basic header */
    TUME_SENS_ACCESS_TOKEN = 1u << 3,   /* accessToken, or an Authorization: Bearer header */
    TUME_SENS_ADDRESS_BOOK = 1u << 4    /* a contacts array of names/phone numbers */
};
#define TUME_SENS_COUNT 5
/* English name of sensitive bit i (0..TUME_SENS_COUNT-1). */
const char *tume_sensitive_name(guint i);

typedef struct {
    gboolean   parsed;         /* a JSON document was read */
    gchar     *error;          /* why not, when a body was given but not parsed */
    gboolean   is_object;      /* top level is an object */
    GPtrArray *keys;           /* gchar*: top-level keys, in order */
    gchar     *msisdn, *user_id, *screen_name, *locale, *sip_proxy;
    gchar     *sip_username, *sip_domain;  /* "sip" object of a config reply */
    gchar     *access_token;   /* a top-level string "accessToken" */
    gint64     contacts;       /* entries of a top-level "contacts" array; -1 if none */
    guint32    sensitive;      /* TUME_SENS_* found in the body */
} tume_json_info_t;

/* The guard in front of json-glib, in one linear pass.  It accepts only
 * text that is lexically strict RFC 8259 JSON: outside double-quoted strings
 * only white space, structural characters, numbers and the letters of
 * true/false/null; inside strings no control characters and only the
 * escapes RFC 8259 defines.  json-glib also reads comments and
 * single-quoted strings; on strict text any such lexer splits the text into
 * the same tokens, so the guard's bracket count is exactly json-glib's
 * nesting.  Refused (FALSE, *why a static English reason): non-strict text,
 * nesting deeper than TUME_JSON_MAX_DEPTH, more than TUME_JSON_MAX_VALUES
 * values, repeated keys costing more than TUME_JSON_MAX_DUP_WORK.  Grammar
 * errors (a missing comma, say) are left to json-glib.  *depth (if not
 * NULL) receives the deepest nesting seen. */
gboolean tume_json_precheck(const guint8 *buf, gsize len, guint *depth, const char **why);

/* Inspects a JSON body.  Always fills info (free with tume_json_info_clear);
 * returns info->parsed.  A body over TUME_JSON_MAX_BYTES is refused by its
 * length, and buf may then be NULL. */
gboolean tume_json_inspect(const guint8 *buf, gsize len, tume_json_info_t *info);
void tume_json_info_clear(tume_json_info_t *info);

/* Sensitive content of an Authorization header value. */
guint32 tume_authorization_sensitive(const char *value);

/* The token of an Authorization header value "Bearer <token>" (scheme
 * case-insensitive, blanks around the token dropped), newly allocated;
 * NULL for any other value or an empty token. */
gchar *tume_bearer_token(const char *value);

/* One row of the message table. */
typedef struct {
    const char *method;     /* HTTP method, or "*" */
    const char *path;       /* glob on the URL path; "*" matches any run of characters */
    const char *keys;       /* comma-separated top-level keys that must all be present; "" none */
    const char *type;       /* message type name */
    gboolean    response;   /* a row for replies (used when the request is not known) */
} tume_api_rule_t;

extern const tume_api_rule_t tume_api_builtin_rules[];
extern const guint tume_api_builtin_rule_count;

/* Is the row exactly one of the built-in rows (same method, path, keys, type
 * and direction)?  Such a row in the user's table is the shipped copy of the
 * built-ins, and is tried with them, after the user's own rows. */
gboolean tume_api_rule_is_builtin(const tume_api_rule_t *rule);

/* The type of a message by the rules, content first: among rows of this
 * direction whose method matches and whose required keys are all present,
 * the one with the most keys (a path match breaks ties); else the first row
 * without keys whose path matches; else NULL.  keys may be NULL.
 * *by_content is set when a row with keys decided. */
const char *tume_api_classify(const tume_api_rule_t *rules, guint n, gboolean response,
                              const char *method, const char *path, const GPtrArray *keys,
                              gboolean *by_content);

/* The type of a reply to a request of type request_type (NULL: unknown):
 * "error" for 4xx/5xx, "config" for validate, "token" for authorize,
 * "<type>_reply" for the model's other types; NULL when the request type is
 * unknown or not one of the model's (the caller names those "<type>_reply"). */
const char *tume_api_reply_type(const char *request_type, guint status_code);

/* The path of a request URI: scheme and authority, query and fragment removed. */
gchar *tume_uri_path(const char *uri);

/* ---- HTTP/1.x start, as Wireshark's "http_tls" heuristic sees it ---- */

/* Most bytes of a request head scanned for Host, and most header lines. */
#define TUME_HTTP_HEAD_MAX       16384
#define TUME_HTTP_HEAD_LINES_MAX 100

/* Does the first line (ended by CR, LF or CRLF within len) start with
 * "HTTP/1." or end with "HTTP/1.x", case-insensitively?  The test of
 * Wireshark's http_tls heuristic, so that the plugin claims TLS data
 * exactly when HTTP would. */
gboolean tume_http_first_line(const guint8 *buf, gsize len);

/* Bytes of empty lines (CR and LF) at the start of buf. */
gsize tume_http_skip_empty_lines(const guint8 *buf, gsize len);

/* ---- one HTTP/1.x message, read where Wireshark's HTTP read it ----
 *
 * The plugin lets Wireshark's HTTP read the API (reassembly, de-chunking,
 * decompression, the body's hand-off to JSON) and reads, beside it, only
 * what HTTP does not hand on: each message's start line and the three
 * headers the plugin needs, and where the message ends (RFC 9112 section
 * 6.3: no body for 1xx, 204 and 304 replies and replies to HEAD; chunked
 * transfer coding; Content-Length; a request without either has no body;
 * a reply without either runs to the end of the data).  The values point
 * into buf. */
#define TUME_HTTP_MSG_HEAD_MAX        65536
#define TUME_HTTP_MSG_HEAD_LINES_MAX  1000

typedef struct {
    gboolean      request;           /* a request line, else a status line */
    gboolean      http;              /* the version is HTTP/1.x */
    const guint8 *method, *uri;      /* request */
    gsize         method_len, uri_len;
    guint         code;              /* reply: status code */
    const guint8 *host, *auth, *ctype;   /* first Host, Authorization, Content-Type; NULL: none */
    gsize         host_len, auth_len, ctype_len;
    gsize         line_len;          /* the start line, without its line end */
    gsize         head_len;          /* start line, headers and the empty line */
    gsize         msg_len;           /* head_len and the body as sent (chunked: encoded) */
    gboolean      has_body;          /* a body of at least one byte */
    gboolean      complete;          /* the whole message is in buf */
} tume_http_msg_t;

/* Reads the message at the start of buf (no leading empty lines).  FALSE
 * when buf does not start with a whole HTTP/1.x head (start line, header
 * lines, empty line) within TUME_HTTP_MSG_HEAD_MAX bytes and
 * TUME_HTTP_MSG_HEAD_LINES_MAX lines.  reply_to_head: the reply answers a
 * HEAD request (it has no body). */
gboolean tume_http_message(const guint8 *buf, gsize len, gboolean reply_to_head, tume_http_msg_t *m);

/* buf starts with an HTTP/1.x request line: finds the first Host header
 * in the header lines that follow (at most TUME_HTTP_HEAD_LINES_MAX lines
 * within the first TUME_HTTP_HEAD_MAX bytes) and returns its value without
 * surrounding blanks (a port included).  FALSE if buf is not a request or no
 * Host is found in what is there. */
gboolean tume_http_request_host(const guint8 *buf, gsize len, gsize *value_off, gsize *value_len);

/* Most bytes of a CONNECT request line looked at. */
#define TUME_HTTP_CONNECT_LINE_MAX 1024

/* buf starts with an HTTP/1.x CONNECT request line ("CONNECT
 * authority HTTP/1.x", ended by CRLF or LF within the first
 * TUME_HTTP_CONNECT_LINE_MAX bytes), whose authority is host:port with a
 * non-empty host (a name, an IPv4 address or a bracketed IPv6 address) and
 * a port of 1-65535 in decimal: where the authority and its host are, and
 * the port.  FALSE for anything else, a line cut short included. */
gboolean tume_http_connect_request(const guint8 *buf, gsize len, gsize *auth_off, gsize *auth_len,
                                   gsize *host_len, guint32 *port);

#endif /* TUME_API_PARSE_H */
