/* Unit tests for plugin/api_parse.c (JSON facts, message table, reply types).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <glib.h>

#include "api_parse.h"

#define S(s) ((const guint8 *)(s)), strlen(s)

static guint
depth_of(const char *s)
{
    guint d = 0;
    const char *why = NULL;
    g_assert_true(tume_json_precheck((const guint8 *)s, strlen(s), &d, &why));
    g_assert_null(why);
    return d;
}

static const char *
refusal(const guint8 *buf, gsize len)
{
    const char *why = NULL;
    g_assert_false(tume_json_precheck(buf, len, NULL, &why));
    g_assert_nonnull(why);
    return why;
}

static void
test_precheck_depth(void)
{
    g_assert_cmpuint(depth_of("{}"), ==, 1);
    g_assert_cmpuint(depth_of("{\"a\":[1,{\"b\":[]}]}"), ==, 4);
    g_assert_cmpuint(depth_of("{\"a\":\"[[[[[\\\"[[[\"}"), ==, 1);   /* brackets in strings */
    g_assert_cmpuint(depth_of("{\"a\":\"'/* // \\\\\"}"), ==, 1);     /* quote, comment marks in a string */
    g_assert_cmpuint(depth_of("]]]}}"), ==, 0);                       /* json-glib's error, not ours */
    g_assert_cmpuint(depth_of(" [ true, false, null, -1.5e+3, \"\\u00e9\" ] "), ==, 1);
    g_assert_cmpuint(depth_of(""), ==, 0);

    gchar *deep = g_strnfill(TUME_JSON_MAX_DEPTH, '[');
    g_assert_cmpuint(depth_of(deep), ==, TUME_JSON_MAX_DEPTH);
    g_free(deep);
    deep = g_strnfill(TUME_JSON_MAX_DEPTH + 1, '{');
    g_assert_nonnull(strstr(refusal((const guint8 *)deep, strlen(deep)), "deeper than 64"));
    g_free(deep);
}

/* Issue 7 defect 1: text that json-glib reads but a strings-only depth
 * count misreads must not reach json-glib with deep nesting. */
static void
test_precheck_not_strict(void)
{
    static const char *const prefixes[] = {
        "/* \" */ ", "// \"\n", "['\"', ", "# \"\n", "[\"\\'\", ", "[\"a\x01\", ", "[\"\\x41\", ",
        "[\"\\u12G4\", ", "[\"unterminated",
    };
    for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        GString *s = g_string_new(prefixes[i]);
        for (guint k = 0; k < 100000; k++)
            g_string_append_c(s, '[');
        refusal((const guint8 *)s->str, s->len);
        tume_json_info_t info;
        g_assert_false(tume_json_inspect((const guint8 *)s->str, s->len, &info));
        g_assert_nonnull(info.error);
        g_assert_false(g_str_has_prefix(info.error, "broken JSON"));   /* json-glib never saw it */
        tume_json_info_clear(&info);
        g_string_free(s, TRUE);
    }
    g_assert_nonnull(strstr(refusal((const guint8 *)"{/**/}", 6), "comment"));
    g_assert_nonnull(strstr(refusal((const guint8 *)"['a']", 5), "single-quoted"));
}

/* Issue 7 defect 2: N names then M repeats cost json-glib O(N*M). */
static void
test_precheck_repeated_keys(void)
{
    GString *s = g_string_new("{");
    for (guint k = 0; k < 2000; k++)
        g_string_append_printf(s, "\"k%u\":0,", k);
    for (guint k = 0; k < 2000; k++)
        g_string_append(s, "\"k0\":1,");
    g_string_append(s, "\"end\":0}");
    gint64 t0 = g_get_monotonic_time();
    g_assert_nonnull(strstr(refusal((const guint8 *)s->str, s->len), "repeated"));
    tume_json_info_t info;
    g_assert_false(tume_json_inspect((const guint8 *)s->str, s->len, &info));
    tume_json_info_clear(&info);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC);
    g_string_free(s, TRUE);

    /* the same name spelled with escapes counts as a repeat */
    s = g_string_new("{");
    for (guint k = 0; k < 2000; k++)
        g_string_append_printf(s, "\"k%u\":0,", k);
    for (guint k = 0; k < 2000; k++)
        g_string_append(s, "\"\\u006b0\":1,");
    g_string_append(s, "\"end\":0}");
    refusal((const guint8 *)s->str, s->len);
    g_string_free(s, TRUE);

    /* many distinct names, and a few repeats, are fine */
    s = g_string_new("{");
    for (guint k = 0; k < 20000; k++)
        g_string_append_printf(s, "\"k%u\":0,", k);
    g_string_append(s, "\"k1\":1,\"k2\":2,\"k1\":3}");
    g_assert_true(tume_json_precheck((const guint8 *)s->str, s->len, NULL, NULL));
    g_assert_true(tume_json_inspect((const guint8 *)s->str, s->len, &info));
    tume_json_info_clear(&info);
    g_string_free(s, TRUE);

    /* the same names in different objects are no repeats */
    s = g_string_new("{\"contacts\":[");
    for (guint k = 0; k < 5000; k++)
        g_string_append_printf(s, "%s{\"name\":\"n%u\",\"phones\":[\"+1%u\"]}", k ? "," : "", k, k);
    g_string_append(s, "]}");
    g_assert_true(tume_json_inspect((const guint8 *)s->str, s->len, &info));
    g_assert_cmpint(info.contacts, ==, 5000);
    tume_json_info_clear(&info);
    g_string_free(s, TRUE);
}

static void
test_precheck_values(void)
{
    GString *s = g_string_new("[");
    for (guint k = 0; k <= TUME_JSON_MAX_VALUES; k++)
        g_string_append(s, "0,");
    g_string_append(s, "0]");
    g_assert_nonnull(strstr(refusal((const guint8 *)s->str, s->len), "JSON values"));
    g_string_free(s, TRUE);
}

static void
test_bom(void)
{
    tume_json_info_t info;
    g_assert_true(tume_json_inspect(S("\xEF\xBB\xBF{\"msisdn\":\"+1\"}"), &info));
    g_assert_cmpstr(info.msisdn, ==, "+1");
    tume_json_info_clear(&info);
}

static void
test_deep_nesting_refused(void)
{
    /* json-glib 1.6 crashes on ~100000 nested arrays: never handed to it */
    gsize n = 200000;
    gchar *deep = g_malloc(2 * n);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    tume_json_info_t info;
    g_assert_false(tume_json_inspect((const guint8 *)deep, 2 * n, &info));
    g_assert_nonnull(strstr(info.error, "nested deeper than 64"));
    tume_json_info_clear(&info);
    g_free(deep);
}

static void
test_config_reply(void)
{
    const char *cfg = "{\"userId\":\"u-5f1c2a9e\",\"sip\":{\"domain\":\"tume.jajah.com\",\"proxy\":"
                      "\"sip.tume.jajah.com\",\"port\":443,\"transport\":\"tls\",\"username\":"
                      "\"34600123456\",\"password\":\"k7Qx-2mZ\"},\"auth\":{\"realm\":\"tume\"},"
                      "\"features\":{\"text\":true}}";
    tume_json_info_t info;
    g_assert_true(tume_json_inspect(S(cfg), &info));
    g_assert_true(info.is_object);
    g_assert_cmpuint(info.keys->len, ==, 4);
    g_assert_cmpstr(g_ptr_array_index(info.keys, 0), ==, "userId");
    g_assert_cmpstr(g_ptr_array_index(info.keys, 3), ==, "features");
    g_assert_cmpstr(info.user_id, ==, "u-5f1c2a9e");
    g_assert_cmpstr(info.sip_proxy, ==, "sip.tume.jajah.com");
    g_assert_cmpstr(info.sip_username, ==, "34600123456");
    g_assert_cmpstr(info.sip_domain, ==, "tume.jajah.com");
    g_assert_null(info.access_token);
    g_assert_cmpuint(info.sensitive, ==, TUME_SENS_SIP_PASSWORD);
    g_assert_cmpint(info.contacts, ==, -1);
    tume_json_info_clear(&info);
}

static void
test_requests(void)
{
    tume_json_info_t info;
    g_assert_true(tume_json_inspect(S("{\"msisdn\":\"+34600123456\",\"pin\":\"4821\"}"), &info));
    g_assert_cmpstr(info.msisdn, ==, "+34600123456");
    g_assert_cmpuint(info.sensitive, ==, TUME_SENS_PIN);
    tume_json_info_clear(&info);

    g_assert_true(tume_json_inspect(S("{\"contacts\":[{\"name\":\"A\",\"phones\":[\"+1\"]},"
                                      "{\"name\":\"B\",\"phones\":[]}]}"), &info));
    g_assert_cmpint(info.contacts, ==, 2);
    g_assert_cmpuint(info.sensitive, ==, TUME_SENS_ADDRESS_BOOK);
    tume_json_info_clear(&info);

    g_assert_true(tume_json_inspect(S("{\"contacts\":[]}"), &info));
    g_assert_cmpint(info.contacts, ==, 0);
    g_assert_cmpuint(info.sensitive, ==, 0);
    tume_json_info_clear(&info);

    g_assert_true(tume_json_inspect(S("{\"accessToken\":\"at\",\"expiresIn\":3600}"), &info));
    g_assert_cmpuint(info.sensitive, ==, TUME_SENS_ACCESS_TOKEN);
    tume_json_info_clear(&info);

    /* not an object: parsed, no keys */
    g_assert_true(tume_json_inspect(S("[1,2,3]"), &info));
    g_assert_false(info.is_object);
    g_assert_cmpuint(info.keys->len, ==, 0);
    tume_json_info_clear(&info);
    /* a string where a string is expected only */
    g_assert_true(tume_json_inspect(S("{\"msisdn\":34600}"), &info));
    g_assert_null(info.msisdn);
    tume_json_info_clear(&info);
}

static void
test_broken(void)
{
    tume_json_info_t info;
    g_assert_false(tume_json_inspect(S("{\"msisdn\":"), &info));
    g_assert_nonnull(info.error);
    g_assert_true(g_str_has_prefix(info.error, "broken JSON"));
    tume_json_info_clear(&info);
    g_assert_false(tume_json_inspect(S("{\"a\":\"\xff\xfe\"}"), &info));
    g_assert_cmpstr(info.error, ==, "JSON body is not valid UTF-8");
    tume_json_info_clear(&info);
    g_assert_false(tume_json_inspect(NULL, 0, &info));
    g_assert_null(info.error);
    tume_json_info_clear(&info);
    /* every prefix of a real body: no crash, and only the whole one parses */
    const char *body = "{\"msisdn\":\"+34600123456\",\"locale\":\"es_ES\",\"x\":[1,{\"y\":null}]}";
    for (gsize n = 1; n < strlen(body); n++) {
        g_assert_false(tume_json_inspect((const guint8 *)body, n, &info));
        tume_json_info_clear(&info);
    }
}

static GPtrArray *
keys_of(const char *csv)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    gchar **v = g_strsplit(csv, ",", -1);
    for (gchar **p = v; *p; p++)
        if (**p)
            g_ptr_array_add(a, g_strdup(*p));
    g_strfreev(v);
    return a;
}

static const char *
classify(gboolean response, const char *method, const char *path, const char *keys, gboolean *by_content)
{
    GPtrArray *k = keys_of(keys);
    const char *t = tume_api_classify(tume_api_builtin_rules, tume_api_builtin_rule_count, response,
                                      method, path, k, by_content);
    g_ptr_array_free(k, TRUE);
    return t;
}

static void
test_classify(void)
{
    gboolean bc;
    g_assert_cmpstr(classify(FALSE, "POST", "/tume/v1/register", "msisdn,locale", &bc), ==, "register");
    g_assert_true(bc);
    /* content first: another path, same keys */
    g_assert_cmpstr(classify(FALSE, "POST", "/v2/signup", "locale,msisdn", &bc), ==, "register");
    g_assert_cmpstr(classify(FALSE, "POST", "/x", "msisdn,pin", &bc), ==, "validate");
    g_assert_cmpstr(classify(FALSE, "PUT", "/x", "msisdn,userId,screenName", &bc), ==, "profile");
    g_assert_cmpstr(classify(FALSE, "PUT", "/x", "pushToken,pushService", &bc), ==, "push_register");
    g_assert_cmpstr(classify(FALSE, "POST", "/x", "contacts", &bc), ==, "contacts");
    /* method matters */
    g_assert_null(classify(FALSE, "GET", "/tume/v1/register", "msisdn,locale", &bc));
    /* path second, for rows without keys */
    g_assert_cmpstr(classify(FALSE, "POST", "/tume/v1/auth", "", &bc), ==, "authorize");
    g_assert_false(bc);
    g_assert_cmpstr(classify(FALSE, "GET", "/tume/v1/history", "", &bc), ==, "history");
    g_assert_cmpstr(classify(FALSE, "delete", "/tume/v1/account", "", &bc), ==, "account_delete");
    g_assert_null(classify(FALSE, "GET", "/tume/v1/history/unknown-thing", "", &bc));
    /* a row with keys does not match by path alone */
    g_assert_null(classify(FALSE, "POST", "/tume/v1/register", "msisdn", &bc));
    /* replies by content, only when asked for replies */
    g_assert_cmpstr(classify(TRUE, "", "", "userId,sip,auth,features", &bc), ==, "config");
    g_assert_cmpstr(classify(TRUE, "", "", "accessToken,expiresIn", &bc), ==, "token");
    g_assert_null(classify(TRUE, "", "", "status", &bc));
    g_assert_null(classify(FALSE, "GET", "/", "accessToken", &bc));

    /* a user row before the built-ins, and most keys wins */
    tume_api_rule_t rules[] = {
        { "POST", "*/signup", "msisdn", "signup", FALSE },
        { "POST", "*", "msisdn,locale", "register", FALSE },
    };
    GPtrArray *k = keys_of("msisdn,locale");
    g_assert_cmpstr(tume_api_classify(rules, 2, FALSE, "POST", "/a/signup", k, NULL), ==, "register");
    g_ptr_array_free(k, TRUE);
    k = keys_of("msisdn");
    g_assert_cmpstr(tume_api_classify(rules, 2, FALSE, "POST", "/a/signup", k, NULL), ==, "signup");
    g_ptr_array_free(k, TRUE);
}

static void
test_reply_types(void)
{
    g_assert_cmpstr(tume_api_reply_type("validate", 200), ==, "config");
    g_assert_cmpstr(tume_api_reply_type("authorize", 200), ==, "token");
    g_assert_cmpstr(tume_api_reply_type("register", 200), ==, "register_reply");
    g_assert_cmpstr(tume_api_reply_type("account_delete", 204), ==, "account_delete_reply");
    g_assert_cmpstr(tume_api_reply_type("history", 404), ==, "error");
    g_assert_cmpstr(tume_api_reply_type(NULL, 500), ==, "error");
    g_assert_null(tume_api_reply_type(NULL, 200));
    g_assert_null(tume_api_reply_type("unknown", 200));
    g_assert_null(tume_api_reply_type("signup", 200));
}

static void
test_helpers(void)
{
    g_assert_cmpuint(tume_authorization_sensitive("Basic MzQ2MDA="), ==, TUME_SENS_BASIC_AUTH);
    g_assert_cmpuint(tume_authorization_sensitive(" bearer at-1"), ==, TUME_SENS_ACCESS_TOKEN);
    g_assert_cmpuint(tume_authorization_sensitive("Digest x"), ==, 0);
    g_assert_cmpuint(tume_authorization_sensitive("Basicx"), ==, 0);
    g_assert_cmpuint(tume_authorization_sensitive(NULL), ==, 0);
    gchar *p;
    p = tume_bearer_token("Bearer at-9c1e77f0b2"); g_assert_cmpstr(p, ==, "at-9c1e77f0b2"); g_free(p);
    p = tume_bearer_token(" bearer\t at-1 \t"); g_assert_cmpstr(p, ==, "at-1"); g_free(p);
    g_assert_null(tume_bearer_token("Bearer "));
    g_assert_null(tume_bearer_token("Bearerat-1"));
    g_assert_null(tume_bearer_token("Basic at-1"));
    g_assert_null(tume_bearer_token(NULL));
    {
        tume_json_info_t t;
        g_assert_true(tume_json_inspect(S("{\"accessToken\":\"at-9c1e77f0b2\",\"expiresIn\":3600}"), &t));
        g_assert_cmpstr(t.access_token, ==, "at-9c1e77f0b2");
        tume_json_info_clear(&t);
        g_assert_true(tume_json_inspect(S("{\"accessToken\":42}"), &t));
        g_assert_null(t.access_token);            /* not a string: no token to link */
        g_assert_cmpuint(t.sensitive, ==, TUME_SENS_ACCESS_TOKEN);
        tume_json_info_clear(&t);
    }
    p = tume_uri_path("/tume/v1/history?since=1#x"); g_assert_cmpstr(p, ==, "/tume/v1/history"); g_free(p);
    p = tume_uri_path("https://api.tu.com/tume/v1/auth"); g_assert_cmpstr(p, ==, "/tume/v1/auth"); g_free(p);
    p = tume_uri_path("https://api.tu.com"); g_assert_cmpstr(p, ==, "/"); g_free(p);
    p = tume_uri_path(NULL); g_assert_cmpstr(p, ==, ""); g_free(p);
    g_assert_cmpstr(tume_sensitive_name(0), ==, "SMS PIN");
    g_assert_cmpstr(tume_sensitive_name(99), ==, "?");
}

/* The profile's tume_api_messages file lists exactly the built-in rows, in
 * order (it is what the GUI's table shows; see profile/TU Me). */
static void
test_shipped_table(void)
{
    gchar *text = NULL;
    GError *err = NULL;
    g_assert_true(g_file_get_contents(TUME_PROFILE_DIR "/tume_api_messages", &text, NULL, &err));
    gchar **lines = g_strsplit(text, "\n", -1);
    guint row = 0;
    for (guint i = 0; lines[i] != NULL; i++) {
        const char *l = lines[i];
        if (*l == '\0' || *l == '#')
            continue;
        g_assert_cmpuint(row, <, tume_api_builtin_rule_count);
        const tume_api_rule_t *r = &tume_api_builtin_rules[row++];
        gchar *want = g_strdup_printf("\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"", r->method, r->path, r->keys, r->type,
                                      r->response ? "response" : "request");
        g_assert_cmpstr(l, ==, want);
        g_free(want);
    }
    g_assert_cmpuint(row, ==, tume_api_builtin_rule_count);
    g_strfreev(lines);
    g_free(text);
}

/* A row equal to a built-in one is recognised as such (it is tried with the
 * built-ins, after the user's rows); a row that differs in any column is not. */
static void
test_rule_is_builtin(void)
{
    for (guint i = 0; i < tume_api_builtin_rule_count; i++)
        g_assert_true(tume_api_rule_is_builtin(&tume_api_builtin_rules[i]));
    const tume_api_rule_t reg = { "POST", "*/register", "msisdn,locale", "register", FALSE };
    g_assert_true(tume_api_rule_is_builtin(&reg));
    const tume_api_rule_t other[] = {
        { "POST", "*/register", "msisdn,locale", "signup", FALSE },      /* type */
        { "PUT", "*/register", "msisdn,locale", "register", FALSE },     /* method */
        { "POST", "*/signup", "msisdn,locale", "register", FALSE },      /* path */
        { "POST", "*/register", "msisdn", "register", FALSE },           /* keys */
        { "POST", "*/register", "msisdn, locale", "register", FALSE },   /* keys, spelt otherwise */
        { "POST", "*/register", "msisdn,locale", "register", TRUE },     /* direction */
        { "*", "*", "accessToken", "token", FALSE },                     /* direction */
    };
    for (guint i = 0; i < G_N_ELEMENTS(other); i++)
        g_assert_false(tume_api_rule_is_builtin(&other[i]));
}

static void
test_http_first_line(void)
{
    /* http_tls's test: the first line starts with, or ends with, HTTP/1.x */
    g_assert_true(tume_http_first_line(S("GET / HTTP/1.1\r\nHost: a\r\n\r\n")));
    g_assert_true(tume_http_first_line(S("HTTP/1.1 200 OK\r\n")));
    g_assert_true(tume_http_first_line(S("http/1.0 200 OK\n")));
    g_assert_true(tume_http_first_line(S("POST /x http/1.1\rHost")));
    /* no line end yet, SIP, empty first line, too short */
    g_assert_false(tume_http_first_line(S("GET / HTTP/1.1")));
    g_assert_false(tume_http_first_line(S("GET / HTTP/1.1\r")));
    g_assert_false(tume_http_first_line(S("INVITE sip:a@b SIP/2.0\r\n")));
    g_assert_false(tume_http_first_line(S("SIP/2.0 200 OK\r\n")));
    g_assert_false(tume_http_first_line(S("\r\nGET / HTTP/1.1\r\n")));
    g_assert_false(tume_http_first_line(S("HTTP/1\r\n")));
    g_assert_false(tume_http_first_line(NULL, 0));
    g_assert_cmpuint(tume_http_skip_empty_lines(S("\r\n\nGET")), ==, 3);
    g_assert_cmpuint(tume_http_skip_empty_lines(S("GET")), ==, 0);
}

static void
test_http_request_host(void)
{
    gsize o = 0, l = 0;
    static const char req[] = "POST /tume/v1/register HTTP/1.1\r\nUser-Agent: x\r\nhOST:  api.tu.com:443 \r\n\r\n{}";
    g_assert_true(tume_http_request_host(S(req), &o, &l));
    g_assert_cmpint(l, ==, 14);
    g_assert_true(memcmp(req + o, "api.tu.com:443", l) == 0);
    /* bare LF line ends */
    static const char lf[] = "GET / HTTP/1.0\nHost:a.b\n\n";
    g_assert_true(tume_http_request_host(S(lf), &o, &l));
    g_assert_true(l == 3 && memcmp(lf + o, "a.b", 3) == 0);
    /* Host after the header block is body, not a header */
    g_assert_false(tume_http_request_host(S("GET / HTTP/1.1\r\nA: b\r\n\r\nHost: api.tu.com\r\n"), &o, &l));
    /* a response, SIP, a head cut before Host */
    g_assert_false(tume_http_request_host(S("HTTP/1.1 200 OK\r\nHost: api.tu.com\r\n\r\n"), &o, &l));
    g_assert_false(tume_http_request_host(S("REGISTER sip:jajah.com SIP/2.0\r\nHost: a\r\n\r\n"), &o, &l));
    g_assert_false(tume_http_request_host(S("GET / HTTP/1.1\r\nA: b\r\nHo"), &o, &l));
    g_assert_false(tume_http_request_host(S("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n"), &o, &l));
    g_assert_false(tume_http_request_host(NULL, 10, &o, &l));
    /* bounded: more header lines than scanned */
    GString *many = g_string_new("GET / HTTP/1.1\r\n");
    for (guint i = 0; i < TUME_HTTP_HEAD_LINES_MAX; i++)
        g_string_append(many, "A: b\r\n");
    g_string_append(many, "Host: api.tu.com\r\n\r\n");
    g_assert_false(tume_http_request_host((const guint8 *)many->str, many->len, &o, &l));
    g_string_free(many, TRUE);
}

static gboolean
connect_req(const char *line, char **auth, char **host, guint32 *port)
{
    gsize off, alen, hlen;
    if (!tume_http_connect_request((const guint8 *)line, strlen(line), &off, &alen, &hlen, port))
        return FALSE;
    *auth = g_strndup(line + off, alen);
    *host = g_strndup(line + off, hlen);
    return TRUE;
}

static void
test_http_connect_request(void)
{
    char *auth, *host;
    guint32 port;

    g_assert_true(connect_req("CONNECT api.tu.com:443 HTTP/1.1\r\nHost: api.tu.com:443\r\n\r\n", &auth, &host, &port));
    g_assert_cmpstr(auth, ==, "api.tu.com:443");
    g_assert_cmpstr(host, ==, "api.tu.com");
    g_assert_cmpuint(port, ==, 443);
    g_free(auth);
    g_free(host);
    g_assert_true(connect_req("CONNECT [2001:db8::1]:8443 HTTP/1.0\n", &auth, &host, &port));
    g_assert_cmpstr(auth, ==, "[2001:db8::1]:8443");
    g_assert_cmpstr(host, ==, "[2001:db8::1]");
    g_assert_cmpuint(port, ==, 8443);
    g_free(auth);
    g_free(host);
    g_assert_true(connect_req("CONNECT 10.0.0.1:65535 HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_cmpuint(port, ==, 65535);
    g_free(auth);
    g_free(host);
    /* not a CONNECT, or not a valid one */
    g_assert_false(connect_req("GET / HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_false(connect_req("connect api.tu.com:443 HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT api.tu.com:443 HTTP/1.1", &auth, &host, &port));      /* no line end yet */
    g_assert_false(connect_req("CONNECT api.tu.com:443 HTTP/1.1\r", &auth, &host, &port));   /* CRLF may follow */
    g_assert_false(connect_req("CONNECT api.tu.com HTTP/1.1\r\n", &auth, &host, &port));    /* no port */
    g_assert_false(connect_req("CONNECT :443 HTTP/1.1\r\n", &auth, &host, &port));          /* no host */
    g_assert_false(connect_req("CONNECT api.tu.com:0 HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT api.tu.com:65536 HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT api.tu.com:443443 HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT api.tu.com:44x HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT api.tu.com: HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT  api.tu.com:443 HTTP/1.1\r\n", &auth, &host, &port)); /* two spaces */
    g_assert_false(connect_req("CONNECT api.tu\tcom:443 HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT user@api.tu.com:443 HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT 2001:db8::1:443 HTTP/1.1\r\n", &auth, &host, &port)); /* IPv6 without brackets */
    g_assert_false(connect_req("CONNECT [::1:443 HTTP/1.1\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT api.tu.com:443 HTTP/2.0\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT api.tu.com:443 HTTP/1.x\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT api.tu.com:443\r\n", &auth, &host, &port));
    g_assert_false(connect_req("CONNECT \r\n", &auth, &host, &port));
    /* the line must end within TUME_HTTP_CONNECT_LINE_MAX bytes */
    GString *longline = g_string_new("CONNECT ");
    while (longline->len < TUME_HTTP_CONNECT_LINE_MAX)
        g_string_append(longline, "aaaaaaaaaa.");
    g_string_append(longline, "com:443 HTTP/1.1\r\n");
    g_assert_false(connect_req(longline->str, &auth, &host, &port));
    g_string_free(longline, TRUE);
    g_assert_false(tume_http_connect_request(NULL, 0, NULL, NULL, NULL, &port));
}
/* ---- tume_http_message: one HTTP/1.x message's start, headers and end ---- */

static void
check_msg(const char *text, gboolean head, gboolean ok, gsize msg_len, gboolean complete)
{
    tume_http_msg_t m;
    gboolean got = tume_http_message((const guint8 *)text, strlen(text), head, &m);
    g_assert_cmpint(got, ==, ok);
    if (ok) {
        g_assert_cmpuint(m.msg_len, ==, msg_len);
        g_assert_cmpint(m.complete, ==, complete);
    }
}

static void
test_http_message(void)
{
    tume_http_msg_t m;
    const char *req = "POST /tume/v1/register?x=1 HTTP/1.1\r\nHost: api.tu.com:443\r\n"
                      "authorization:  Bearer abc \r\nContent-Type: application/json\r\n"
                      "Content-Length: 2\r\n\r\n{}GET /h HTTP/1.1\r\n\r\n";
    g_assert_true(tume_http_message((const guint8 *)req, strlen(req), FALSE, &m));
    g_assert_true(m.request);
    g_assert_true(m.http);
    g_assert_cmpmem(m.method, m.method_len, "POST", 4);
    g_assert_cmpmem(m.uri, m.uri_len, "/tume/v1/register?x=1", 21);
    g_assert_cmpmem(m.host, m.host_len, "api.tu.com:443", 14);
    g_assert_cmpmem(m.auth, m.auth_len, "Bearer abc", 10);
    g_assert_cmpmem(m.ctype, m.ctype_len, "application/json", 16);
    g_assert_cmpuint(m.line_len, ==, 35);
    g_assert_cmpuint(m.msg_len, ==, strlen(req) - strlen("GET /h HTTP/1.1\r\n\r\n"));
    g_assert_true(m.has_body);
    g_assert_true(m.complete);
    /* the next message, no body */
    const char *next = req + m.msg_len;
    g_assert_true(tume_http_message((const guint8 *)next, strlen(next), FALSE, &m));
    g_assert_true(m.request && !m.has_body && m.complete);
    g_assert_cmpuint(m.msg_len, ==, strlen(next));

    /* replies: a status line, a code, bodies by length, chunks, none, to the end */
    const char *rep = "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                      "Transfer-Encoding: gzip, chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nX-T: 1\r\n\r\nrest";
    g_assert_true(tume_http_message((const guint8 *)rep, strlen(rep), FALSE, &m));
    g_assert_false(m.request);
    g_assert_cmpuint(m.code, ==, 200);
    g_assert_true(m.has_body && m.complete);
    g_assert_cmpuint(m.msg_len, ==, strlen(rep) - 4);
    check_msg("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nxx", FALSE, TRUE, 46, TRUE);
    check_msg("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", FALSE, TRUE, 25, TRUE);
    check_msg("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nxx", TRUE, TRUE, 38, TRUE);      /* to HEAD */
    check_msg("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nxx", FALSE, TRUE, 40, FALSE);    /* cut */
    check_msg("HTTP/1.1 200 OK\r\n\r\nall of it", FALSE, TRUE, 28, TRUE);                  /* to the end */
    check_msg("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", FALSE, TRUE, 52, FALSE);
    check_msg("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", FALSE, TRUE, 51, FALSE);
    /* first Content-Length wins; a bad one is no length */
    check_msg("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 5\r\n\r\nabcdef", FALSE, TRUE, 58, TRUE);
    check_msg("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\nabc", FALSE, TRUE, 39, TRUE);
    /* bare LF line ends, as HTTP reads them */
    check_msg("GET / HTTP/1.1\nHost: a\n\n", FALSE, TRUE, 24, TRUE);
    /* not a whole head, or not a start line */
    check_msg("GET / HTTP/1.1\r\nHost: a\r\n", FALSE, FALSE, 0, FALSE);
    check_msg("\r\nGET / HTTP/1.1\r\n\r\n", FALSE, FALSE, 0, FALSE);
    check_msg("HTTP/1.1 2x0 OK\r\n\r\n", FALSE, FALSE, 0, FALSE);
    check_msg("GET\r\n\r\n", FALSE, FALSE, 0, FALSE);
    /* SIP read through this function: a message, but not HTTP */
    g_assert_true(tume_http_message((const guint8 *)"REGISTER sip:x SIP/2.0\r\n\r\n", 26, FALSE, &m));
    g_assert_true(m.request);
    g_assert_false(m.http);
    /* too many header lines */
    GString *big = g_string_new("GET / HTTP/1.1\r\n");
    for (guint i = 0; i <= TUME_HTTP_MSG_HEAD_LINES_MAX; i++)
        g_string_append(big, "X: y\r\n");
    g_string_append(big, "\r\n");
    g_assert_false(tume_http_message((const guint8 *)big->str, big->len, FALSE, &m));
    g_string_free(big, TRUE);
}

/* json-glib is opened at the first body read, not at load time: before it
 * the process has no json-glib mapped, after it it has (the test binary,
 * like the plugin, does not link it).  Runs first. */
static gboolean
json_glib_mapped(void)
{
    gchar *maps = NULL;
    gboolean found;

    g_assert_true(g_file_get_contents("/proc/self/maps", &maps, NULL, NULL));
    found = strstr(maps, "libjson-glib-1.0") != NULL;
    g_free(maps);
    return found;
}

static void
test_json_glib_on_first_body(void)
{
    tume_json_info_t info;

    if (!g_file_test("/proc/self/maps", G_FILE_TEST_EXISTS)) {
        g_test_skip("no /proc/self/maps");
        return;
    }
    g_assert_false(json_glib_mapped());
    /* refused before json-glib: still not loaded */
    g_assert_false(tume_json_inspect((const guint8 *)"{'a':1}", 7, &info));
    tume_json_info_clear(&info);
    g_assert_false(json_glib_mapped());
    g_assert_true(tume_json_inspect((const guint8 *)"{\"msisdn\":\"+34600\"}", 19, &info));
    g_assert_cmpstr(info.msisdn, ==, "+34600");
    tume_json_info_clear(&info);
    g_assert_true(json_glib_mapped());
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/api/json-glib-opened-at-first-body", test_json_glib_on_first_body);
    g_test_add_func("/api/table/shipped", test_shipped_table);
    g_test_add_func("/api/http/message", test_http_message);
    g_test_add_func("/api/precheck/depth", test_precheck_depth);
    g_test_add_func("/api/precheck/not-strict", test_precheck_not_strict);
    g_test_add_func("/api/precheck/repeated-keys", test_precheck_repeated_keys);
    g_test_add_func("/api/precheck/values", test_precheck_values);
    g_test_add_func("/api/json/bom", test_bom);
    g_test_add_func("/api/json/deep-nesting", test_deep_nesting_refused);
    g_test_add_func("/api/json/config", test_config_reply);
    g_test_add_func("/api/json/requests", test_requests);
    g_test_add_func("/api/json/broken", test_broken);
    g_test_add_func("/api/classify", test_classify);
    g_test_add_func("/api/reply-types", test_reply_types);
    g_test_add_func("/api/helpers", test_helpers);
    g_test_add_func("/api/rule-is-builtin", test_rule_is_builtin);
    g_test_add_func("/api/http/first-line", test_http_first_line);
    g_test_add_func("/api/http/request-host", test_http_request_host);
    g_test_add_func("/api/http/connect-request", test_http_connect_request);
    return g_test_run();
}
