/* api_parse.c - pure logic of the TU Me provisioning API.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "api_parse.h"

#include <string.h>
#include <gmodule.h>
#include <json-glib/json-glib.h>

/* ---- json-glib, loaded when the first JSON body is read ----
 *
 * The plugin is loaded into every tshark and Wireshark on the machine, and
 * most of them never read a TU Me provisioning body.  Linking json-glib
 * would load it, GObject and GIO at every start (about 5 million
 * instructions, measured with callgrind on tshark 4.0); so the plugin is
 * compiled against json-glib's headers and opens the library through GLib's
 * GModule at the first body it reads, once per process. */
#ifndef TUME_JSON_GLIB_SONAME
#define TUME_JSON_GLIB_SONAME "libjson-glib-1.0.so.0"
#endif

typedef struct {
    JsonParser   *(*parser_new)(void);
    gboolean      (*parser_load_from_data)(JsonParser *, const gchar *, gssize, GError **);
    JsonNode     *(*parser_get_root)(JsonParser *);
    JsonNodeType  (*node_get_node_type)(JsonNode *);
    JsonObject   *(*node_get_object)(JsonNode *);
    JsonArray    *(*node_get_array)(JsonNode *);
    const gchar  *(*node_get_string)(JsonNode *);
    GType         (*node_get_value_type)(JsonNode *);
    GList        *(*object_get_members)(JsonObject *);
    gboolean      (*object_has_member)(JsonObject *, const gchar *);
    JsonNode     *(*object_get_member)(JsonObject *, const gchar *);
    guint         (*array_get_length)(JsonArray *);
    JsonNode     *(*array_get_element)(JsonArray *, guint);
    void          (*object_unref)(gpointer);     /* GObject's, found through json-glib */
} json_glib_t;

static json_glib_t json_glib_fns;
static const json_glib_t *json_glib_api;     /* NULL until loaded */
static gchar *json_glib_error;               /* why it could not be loaded */

static const json_glib_t *
json_glib(const char **why)
{
    static gsize once = 0;

    if (g_once_init_enter(&once)) {
        static const struct { const char *name; gsize at; } syms[] = {
            { "json_parser_new", G_STRUCT_OFFSET(json_glib_t, parser_new) },
            { "json_parser_load_from_data", G_STRUCT_OFFSET(json_glib_t, parser_load_from_data) },
            { "json_parser_get_root", G_STRUCT_OFFSET(json_glib_t, parser_get_root) },
            { "json_node_get_node_type", G_STRUCT_OFFSET(json_glib_t, node_get_node_type) },
            { "json_node_get_object", G_STRUCT_OFFSET(json_glib_t, node_get_object) },
            { "json_node_get_array", G_STRUCT_OFFSET(json_glib_t, node_get_array) },
            { "json_node_get_string", G_STRUCT_OFFSET(json_glib_t, node_get_string) },
            { "json_node_get_value_type", G_STRUCT_OFFSET(json_glib_t, node_get_value_type) },
            { "json_object_get_members", G_STRUCT_OFFSET(json_glib_t, object_get_members) },
            { "json_object_has_member", G_STRUCT_OFFSET(json_glib_t, object_has_member) },
            { "json_object_get_member", G_STRUCT_OFFSET(json_glib_t, object_get_member) },
            { "json_array_get_length", G_STRUCT_OFFSET(json_glib_t, array_get_length) },
            { "json_array_get_element", G_STRUCT_OFFSET(json_glib_t, array_get_element) },
            { "g_object_unref", G_STRUCT_OFFSET(json_glib_t, object_unref) },
        };
        /* kept open for the life of the process, as a linked library is */
        GModule *m = g_module_open(TUME_JSON_GLIB_SONAME, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
        gboolean ok = m != NULL;
        for (guint i = 0; ok && i < G_N_ELEMENTS(syms); i++) {
            gpointer fn = NULL;
            ok = g_module_symbol(m, syms[i].name, &fn) && fn != NULL;
            if (ok)
                memcpy((char *)&json_glib_fns + syms[i].at, &fn, sizeof fn);
            else
                json_glib_error = g_strdup_printf("json-glib (%s) has no %s", TUME_JSON_GLIB_SONAME, syms[i].name);
        }
        if (m == NULL)
            json_glib_error = g_strdup_printf("json-glib could not be loaded: %s", g_module_error());
        if (ok)
            json_glib_api = &json_glib_fns;
        g_once_init_leave(&once, 1);
    }
    if (json_glib_api == NULL && why != NULL)
        *why = json_glib_error;
    return json_glib_api;
}

static const char *const sensitive_names[TUME_SENS_COUNT] = {
    "SMS PIN", "SIP password", "Basic authorization", "access token", "address book"
};

const char *
tume_sensitive_name(guint i)
{
    return i < TUME_SENS_COUNT ? sensitive_names[i] : "?";
}

/* The reference model's messages (../shared/protocol/TUME-PROTOCOL.md). */
const tume_api_rule_t tume_api_builtin_rules[] = {
    { "POST",   "*/register", "msisdn,locale", "register",       FALSE },
    { "PUT",    "*/push",     "pushToken",     "push_register",  FALSE },
    { "POST",   "*/validate", "msisdn,pin",    "validate",       FALSE },
    { "PUT",    "*/profile",  "screenName",    "profile",        FALSE },
    { "POST",   "*/contacts", "contacts",      "contacts",       FALSE },
    { "POST",   "*/auth",     "",              "authorize",      FALSE },
    { "GET",    "*/history",  "",              "history",        FALSE },
    { "DELETE", "*/account",  "",              "account_delete", FALSE },
    /* replies whose request was not seen: by content only */
    { "*",      "*",          "userId,sip",    "config",         TRUE },
    { "*",      "*",          "accessToken",   "token",          TRUE },
    { "*",      "*",          "pinLength",     "register_reply", TRUE },
    { "*",      "*",          "history",       "history_reply",  TRUE },
    { "*",      "*",          "error",         "error",          TRUE },
};
const guint tume_api_builtin_rule_count = G_N_ELEMENTS(tume_api_builtin_rules);

gboolean
tume_api_rule_is_builtin(const tume_api_rule_t *rule)
{
    for (guint i = 0; i < tume_api_builtin_rule_count; i++) {
        const tume_api_rule_t *b = &tume_api_builtin_rules[i];
        if (g_strcmp0(rule->method, b->method) == 0 && g_strcmp0(rule->path, b->path) == 0 &&
            g_strcmp0(rule->keys, b->keys) == 0 && g_strcmp0(rule->type, b->type) == 0 &&
            !rule->response == !b->response)
            return TRUE;
    }
    return FALSE;
}

/* ---- the guard in front of json-glib ---- */

typedef struct {
    const guint8 *p;
    gsize         len;
} key_span_t;

/* FNV-1a from a per-process random basis, so that a capture cannot carry
 * names chosen to collide in the hash table. */
static guint
key_span_seed(void)
{
    static gsize seed;
    if (g_once_init_enter(&seed))
        g_once_init_leave(&seed, (gsize)(g_random_int() | 1u));
    return (guint)seed;
}

static guint
key_span_hash(gconstpointer k)
{
    const key_span_t *s = (const key_span_t *)k;
    guint h = 2166136261u ^ key_span_seed();
    for (gsize i = 0; i < s->len; i++)
        h = (h ^ s->p[i]) * 16777619u;
    return h;
}

static gboolean
key_span_equal(gconstpointer a, gconstpointer b)
{
    const key_span_t *x = (const key_span_t *)a, *y = (const key_span_t *)b;
    return x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

#define SMALL_KEYS 8

/* The keys of one open object. */
typedef struct {
    guint       members;
    guint       nsmall;
    key_span_t  small[SMALL_KEYS];
    GHashTable *set;                  /* key_span_t*, once past SMALL_KEYS */
} obj_frame_t;

static void
obj_frame_reset(obj_frame_t *f)
{
    if (f->set != NULL)
        g_hash_table_destroy(f->set);
    f->set = NULL;
    f->members = 0;
    f->nsmall = 0;
}

/* TRUE if the object already has a key spelled like this one; else records it. */
static gboolean
obj_frame_seen(obj_frame_t *f, const guint8 *p, gsize len)
{
    key_span_t probe = { p, len };
    if (f->set == NULL) {
        for (guint i = 0; i < f->nsmall; i++) {
            if (key_span_equal(&f->small[i], &probe))
                return TRUE;
        }
        if (f->nsmall < SMALL_KEYS) {
            f->small[f->nsmall++] = probe;
            return FALSE;
        }
        f->set = g_hash_table_new_full(key_span_hash, key_span_equal, g_free, NULL);
        for (guint i = 0; i < f->nsmall; i++)
            g_hash_table_add(f->set, g_memdup2(&f->small[i], sizeof(key_span_t)));
    }
    if (g_hash_table_contains(f->set, &probe))
        return TRUE;
    g_hash_table_add(f->set, g_memdup2(&probe, sizeof probe));
    return FALSE;
}

static gboolean
is_json_ws(guint8 c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Length of the string token at buf[i] (buf[i] == '"'), closing quote
 * included, or 0 with *why set when it is not a strict JSON string. */
static gsize
strict_string(const guint8 *buf, gsize len, gsize i, gboolean *escaped, const char **why)
{
    gsize j = i + 1;
    *escaped = FALSE;
    while (j < len) {
        guint8 c = buf[j];
        if (c == '"')
            return j + 1 - i;
        if (c < 0x20) {
            *why = "a control character inside a JSON string";
            return 0;
        }
        if (c == '\\') {
            *escaped = TRUE;
            if (j + 1 >= len)
                break;
            switch (buf[j + 1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                j += 2;
                continue;
            case 'u':
                if (j + 6 > len)
                    break;
                for (gsize k = j + 2; k < j + 6; k++) {
                    if (!g_ascii_isxdigit(buf[k])) {
                        *why = "a JSON \\u escape without four hex digits";
                        return 0;
                    }
                }
                j += 6;
                continue;
            default:
                *why = "a string escape that JSON does not define";
                return 0;
            }
            break;
        }
        j++;
    }
    *why = "an unterminated JSON string";
    return 0;
}

gboolean
tume_json_precheck(const guint8 *buf, gsize len, guint *depth_out, const char **why)
{
    obj_frame_t objs[TUME_JSON_MAX_DEPTH];
    guint8 open[TUME_JSON_MAX_DEPTH];
    guint depth = 0, max_depth = 0, values = 0;
    guint64 dup_work = 0;
    const char *reason = NULL;
    gsize i = 0;

    memset(objs, 0, sizeof objs);
    while (i < len && reason == NULL) {
        guint8 c = buf[i];
        if (is_json_ws(c) || c == ':' || c == ',') {
            i++;
        } else if (c == '[' || c == '{') {
            if (depth == TUME_JSON_MAX_DEPTH) {
                reason = "JSON nested deeper than " G_STRINGIFY(TUME_JSON_MAX_DEPTH) " levels";
                break;
            }
            open[depth] = c;
            depth++;
            max_depth = MAX(max_depth, depth);
            values++;
            i++;
        } else if (c == ']' || c == '}') {
            /* a closer that does not match is json-glib's error, where it stops */
            if (depth > 0) {
                depth--;
                if (open[depth] == '{')
                    obj_frame_reset(&objs[depth]);
            }
            i++;
        } else if (c == '"') {
            gboolean escaped;
            gsize n = strict_string(buf, len, i, &escaped, &reason);
            if (n == 0)
                break;
            gsize key_off = i + 1, key_len = n - 2;
            i += n;
            values++;
            gsize k = i;
            while (k < len && is_json_ws(buf[k]))
                k++;
            if (k < len && buf[k] == ':' && depth > 0 && open[depth - 1] == '{') {
                /* a member name: bound json-glib's scans for repeated names */
                obj_frame_t *f = &objs[depth - 1];
                if (escaped || obj_frame_seen(f, buf + key_off, key_len))
                    dup_work += f->members;
                f->members++;
                if (dup_work > TUME_JSON_MAX_DUP_WORK)
                    reason = "JSON object names repeated so often that parsing would take quadratic time";
            }
        } else if (c == '-' || g_ascii_isdigit(c)) {
            while (i < len && (g_ascii_isdigit(buf[i]) || buf[i] == '-' || buf[i] == '+'
                               || buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E'))
                i++;
            values++;
        } else if (strchr("truefalsn", c) != NULL && c != '\0') {
            /* true, false, null (anything else spelled with these letters is json-glib's error) */
            while (i < len && buf[i] != '\0' && strchr("truefalsn", buf[i]) != NULL)
                i++;
            values++;
        } else if (c == '/') {
            reason = "JSON with a comment, which strict JSON does not allow";
        } else if (c == '\'') {
            reason = "JSON with a single-quoted string, which strict JSON does not allow";
        } else {
            reason = "a character that JSON does not allow outside strings";
        }
        if (reason == NULL && values > TUME_JSON_MAX_VALUES)
            reason = "more than " G_STRINGIFY(TUME_JSON_MAX_VALUES) " JSON values";
    }
    for (guint d = 0; d < TUME_JSON_MAX_DEPTH; d++)
        obj_frame_reset(&objs[d]);
    if (depth_out != NULL)
        *depth_out = max_depth;
    if (why != NULL)
        *why = reason;
    return reason == NULL;
}

static gchar *
member_string(const json_glib_t *jg, JsonObject *o, const char *name)
{
    JsonNode *n = jg->object_get_member(o, name);
    if (n == NULL || jg->node_get_node_type(n) != JSON_NODE_VALUE || jg->node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return g_strdup(jg->node_get_string(n));
}

static gboolean
is_address_book(const json_glib_t *jg, JsonArray *a)
{
    /* entries that are objects with a phone number or a name and phones */
    guint n = jg->array_get_length(a);
    for (guint i = 0; i < n; i++) {
        JsonNode *e = jg->array_get_element(a, i);
        if (jg->node_get_node_type(e) != JSON_NODE_OBJECT)
            continue;
        JsonObject *o = jg->node_get_object(e);
        if (jg->object_has_member(o, "phones") || jg->object_has_member(o, "phone"))
            return TRUE;
    }
    return FALSE;
}

gboolean
tume_json_inspect(const guint8 *buf, gsize len, tume_json_info_t *info)
{
    JsonParser *parser;
    GError *err = NULL;

    memset(info, 0, sizeof *info);
    info->keys = g_ptr_array_new_with_free_func(g_free);
    info->contacts = -1;
    /* by its length alone (buf may be NULL then: the caller need not
     * fetch a body it would only refuse) */
    if (len > TUME_JSON_MAX_BYTES) {
        info->error = g_strdup_printf("JSON body of %" G_GSIZE_FORMAT " bytes, over the %d byte limit",
                                      len, TUME_JSON_MAX_BYTES);
        return FALSE;
    }
    if (buf == NULL || len == 0)
        return FALSE;
    if (!g_utf8_validate((const gchar *)buf, (gssize)len, NULL)) {
        info->error = g_strdup("JSON body is not valid UTF-8");
        return FALSE;
    }
    /* RFC 8259 lets a parser ignore a leading byte order mark */
    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) {
        buf += 3;
        len -= 3;
    }
    const char *why = NULL;
    if (!tume_json_precheck(buf, len, NULL, &why)) {
        info->error = g_strdup(why);      /* not handed to json-glib */
        return FALSE;
    }
    const json_glib_t *jg = json_glib(&why);
    if (jg == NULL) {
        info->error = g_strdup(why);
        return FALSE;
    }
    parser = jg->parser_new();
    if (!jg->parser_load_from_data(parser, (const gchar *)buf, (gssize)len, &err)) {
        info->error = g_strdup_printf("broken JSON: %s", err ? err->message : "unknown error");
        g_clear_error(&err);
        jg->object_unref(parser);
        return FALSE;
    }
    info->parsed = TRUE;
    JsonNode *root = jg->parser_get_root(parser);
    if (root != NULL && jg->node_get_node_type(root) == JSON_NODE_OBJECT) {
        JsonObject *o = jg->node_get_object(root);
        info->is_object = TRUE;
        GList *members = jg->object_get_members(o);     /* in document order */
        for (GList *m = members; m != NULL && info->keys->len < TUME_JSON_MAX_KEYS; m = m->next)
            g_ptr_array_add(info->keys, g_strdup((const gchar *)m->data));
        g_list_free(members);

        info->msisdn = member_string(jg, o, "msisdn");
        info->user_id = member_string(jg, o, "userId");
        info->screen_name = member_string(jg, o, "screenName");
        info->locale = member_string(jg, o, "locale");
        if (jg->object_has_member(o, "pin"))
            info->sensitive |= TUME_SENS_PIN;
        if (jg->object_has_member(o, "accessToken"))
            info->sensitive |= TUME_SENS_ACCESS_TOKEN;
        info->access_token = member_string(jg, o, "accessToken");
        JsonNode *c = jg->object_get_member(o, "contacts");
        if (c != NULL && jg->node_get_node_type(c) == JSON_NODE_ARRAY) {
            JsonArray *a = jg->node_get_array(c);
            info->contacts = jg->array_get_length(a);
            if (is_address_book(jg, a))
                info->sensitive |= TUME_SENS_ADDRESS_BOOK;
        }
        JsonNode *sip = jg->object_get_member(o, "sip");
        if (sip != NULL && jg->node_get_node_type(sip) == JSON_NODE_OBJECT) {
            JsonObject *so = jg->node_get_object(sip);
            info->sip_proxy = member_string(jg, so, "proxy");
            info->sip_username = member_string(jg, so, "username");
            info->sip_domain = member_string(jg, so, "domain");
            if (jg->object_has_member(so, "password"))
                info->sensitive |= TUME_SENS_SIP_PASSWORD;
        }
    }
    jg->object_unref(parser);
    return TRUE;
}

void
tume_json_info_clear(tume_json_info_t *info)
{
    if (info->keys)
        g_ptr_array_free(info->keys, TRUE);
    g_free(info->error);
    g_free(info->msisdn);
    g_free(info->user_id);
    g_free(info->screen_name);
    g_free(info->locale);
    g_free(info->sip_proxy);
    g_free(info->sip_username);
    g_free(info->sip_domain);
    g_free(info->access_token);
    memset(info, 0, sizeof *info);
}

guint32
tume_authorization_sensitive(const char *value)
{
    if (value == NULL)
        return 0;
    while (*value == ' ' || *value == '\t')
        value++;
    if (g_ascii_strncasecmp(value, "Basic", 5) == 0 && (value[5] == ' ' || value[5] == '\t'))
        return TUME_SENS_BASIC_AUTH;
    if (g_ascii_strncasecmp(value, "Bearer", 6) == 0 && (value[6] == ' ' || value[6] == '\t'))
        return TUME_SENS_ACCESS_TOKEN;
    return 0;
}

gchar *
tume_bearer_token(const char *value)
{
    if (value == NULL)
        return NULL;
    while (*value == ' ' || *value == '\t')
        value++;
    if (g_ascii_strncasecmp(value, "Bearer", 6) != 0 || (value[6] != ' ' && value[6] != '\t'))
        return NULL;
    value += 6;
    while (*value == ' ' || *value == '\t')
        value++;
    gsize n = strlen(value);
    while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        n--;
    return n > 0 ? g_strndup(value, n) : NULL;
}

static gboolean
has_key(const GPtrArray *keys, const char *k, gsize klen)
{
    if (keys == NULL)
        return FALSE;
    for (guint i = 0; i < keys->len; i++) {
        const char *have = (const char *)g_ptr_array_index(keys, i);
        if (strlen(have) == klen && strncmp(have, k, klen) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Number of required keys of the rule if all present, 0 if it has none,
 * -1 if one is missing. */
static gint
required_keys(const char *spec, const GPtrArray *keys)
{
    gint n = 0;
    const char *p = spec ? spec : "";
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if (e > p) {
            if (!has_key(keys, p, (gsize)(e - p)))
                return -1;
            n++;
        }
        p = e;
    }
    return n;
}

static gboolean
method_matches(const char *rule, const char *method)
{
    return rule == NULL || strcmp(rule, "*") == 0
           || (method != NULL && g_ascii_strcasecmp(rule, method) == 0);
}

static gboolean
path_matches(const char *rule, const char *path)
{
    if (rule == NULL || rule[0] == '\0' || strcmp(rule, "*") == 0)
        return TRUE;
    return path != NULL && g_pattern_match_simple(rule, path);
}

const char *
tume_api_classify(const tume_api_rule_t *rules, guint n, gboolean response,
                  const char *method, const char *path, const GPtrArray *keys,
                  gboolean *by_content)
{
    const tume_api_rule_t *best = NULL;
    gint best_score = 0;

    if (by_content)
        *by_content = FALSE;
    /* content first */
    for (guint i = 0; i < n; i++) {
        const tume_api_rule_t *r = &rules[i];
        if (r->response != response || !method_matches(r->method, method))
            continue;
        gint k = required_keys(r->keys, keys);
        if (k <= 0)
            continue;
        gint score = k * 2 + (path_matches(r->path, path) ? 1 : 0);
        if (score > best_score) {
            best = r;
            best_score = score;
        }
    }
    if (best != NULL) {
        if (by_content)
            *by_content = TRUE;
        return best->type;
    }
    /* then the path, for rows that ask no keys */
    for (guint i = 0; i < n; i++) {
        const tume_api_rule_t *r = &rules[i];
        if (r->response == response && method_matches(r->method, method)
            && required_keys(r->keys, keys) == 0 && path_matches(r->path, path))
            return r->type;
    }
    return NULL;
}

const char *
tume_api_reply_type(const char *request_type, guint status_code)
{
    static const struct { const char *req, *reply; } special[] = {
        { "validate", "config" }, { "authorize", "token" },
        { "register", "register_reply" }, { "push_register", "push_register_reply" },
        { "profile", "profile_reply" }, { "contacts", "contacts_reply" },
        { "history", "history_reply" }, { "account_delete", "account_delete_reply" },
    };
    if (status_code >= 400 && status_code <= 599)
        return "error";
    if (request_type == NULL || strcmp(request_type, "unknown") == 0)
        return NULL;
    for (guint i = 0; i < G_N_ELEMENTS(special); i++) {
        if (strcmp(special[i].req, request_type) == 0)
            return special[i].reply;
    }
    return NULL;     /* a user-defined request type: the caller names it */
}

gchar *
tume_uri_path(const char *uri)
{
    const char *p;

    if (uri == NULL)
        return g_strdup("");
    p = strstr(uri, "://");
    if (p != NULL) {
        p = strchr(p + 3, '/');
        if (p == NULL)
            return g_strdup("/");
    } else {
        p = uri;
    }
    gsize n = strcspn(p, "?#");
    return g_strndup(p, n);
}

/* ---- HTTP/1.x as Wireshark's "http_tls" heuristic sees it ---- */

/* End of the line starting at buf (CR, LF or CRLF ends it, as
 * tvb_find_line_end() reads lines); FALSE when len holds no line end. */
static gboolean
line_end(const guint8 *buf, gsize len, gsize *linelen, gsize *next)
{
    for (gsize i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            *linelen = i;
            *next = i + 1;
            return TRUE;
        }
        if (buf[i] == '\r') {
            if (i + 1 >= len)
                return FALSE;         /* a CR at the end: CRLF may follow */
            *linelen = i;
            *next = i + (buf[i + 1] == '\n' ? 2 : 1);
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
tume_http_first_line(const guint8 *buf, gsize len)
{
    static const char http[] = "HTTP/1.";
    const gsize n = sizeof http - 1;
    gsize linelen, next;

    if (buf == NULL || !line_end(buf, len, &linelen, &next))
        return FALSE;
    if (linelen >= n && g_ascii_strncasecmp((const char *)buf, http, n) == 0)
        return TRUE;
    return linelen >= n + 1 && g_ascii_strncasecmp((const char *)buf + linelen - 8, http, n) == 0;
}

gsize
tume_http_skip_empty_lines(const guint8 *buf, gsize len)
{
    gsize i = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++;
    return i;
}

/* Case-insensitive compare of n bytes of buf (which holds them) with s. */
static int
buf_ncasecmp(const guint8 *buf, const char *s, gsize n)
{
    return g_ascii_strncasecmp((const char *)buf, s, n);
}

/* A header line "name: value": is it name (case-insensitive)?  Sets the
 * value without surrounding blanks. */
static gboolean
header_is(const guint8 *line, gsize linelen, const char *name, const guint8 **value, gsize *value_len)
{
    const gsize n = strlen(name);
    if (linelen <= n || buf_ncasecmp(line, name, n) != 0 || line[n] != ':')
        return FALSE;
    gsize s = n + 1, e = linelen;
    while (s < e && (line[s] == ' ' || line[s] == '\t'))
        s++;
    while (e > s && (line[e - 1] == ' ' || line[e - 1] == '\t'))
        e--;
    *value = line + s;
    *value_len = e - s;
    return TRUE;
}

/* A decimal number of at most 18 digits (no sign), the whole value. */
static gboolean
decimal_value(const guint8 *v, gsize len, guint64 *out)
{
    guint64 n = 0;
    if (len == 0 || len > 18)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isdigit(v[i]))
            return FALSE;
        n = n * 10 + (guint64)(v[i] - '0');
    }
    *out = n;
    return TRUE;
}

/* Is "chunked" the last transfer coding of the value? */
static gboolean
ends_chunked(const guint8 *v, gsize len)
{
    static const char chunked[] = "chunked";
    const gsize n = sizeof chunked - 1;
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    return len >= n && buf_ncasecmp(v + len - n, chunked, n) == 0 &&
           (len == n || v[len - n - 1] == ',' || v[len - n - 1] == ' ' || v[len - n - 1] == '\t');
}

/* Length of a chunked body at buf (chunks, last chunk, trailer lines, the
 * empty line); FALSE when it does not end within len or is not chunked
 * coding.  Each turn moves on by at least one line. */
static gboolean
chunked_length(const guint8 *buf, gsize len, gsize *out)
{
    gsize off = 0, linelen, next;

    while (off < len) {
        if (!line_end(buf + off, len - off, &linelen, &next))
            return FALSE;
        guint64 size = 0;
        gsize i = 0;
        for (; i < linelen && g_ascii_isxdigit(buf[off + i]); i++) {
            if (size > (G_MAXUINT64 >> 8))
                return FALSE;             /* more than any capture holds */
            size = (size << 4) | (guint64)g_ascii_xdigit_value(buf[off + i]);
        }
        if (i == 0)
            return FALSE;
        off += next;
        if (size == 0) {
            /* trailer lines, then the empty line */
            for (;;) {
                if (!line_end(buf + off, len - off, &linelen, &next))
                    return FALSE;
                off += next;
                if (linelen == 0) {
                    *out = off;
                    return TRUE;
                }
            }
        }
        if (size > len - off)
            return FALSE;
        off += (gsize)size;
        if (!line_end(buf + off, len - off, &linelen, &next) || linelen != 0)
            return FALSE;
        off += next;
    }
    return FALSE;
}

gboolean
tume_http_message(const guint8 *buf, gsize len, gboolean reply_to_head, tume_http_msg_t *m)
{
    static const char http[] = "HTTP/1.";
    const gsize hn = sizeof http - 1;
    gsize linelen, next, off;
    guint64 content_length = 0;
    gboolean have_length = FALSE, chunked = FALSE;

    memset(m, 0, sizeof *m);
    if (buf == NULL)
        return FALSE;
    const gsize hlen = MIN(len, (gsize)TUME_HTTP_MSG_HEAD_MAX);
    if (!line_end(buf, hlen, &linelen, &next) || linelen == 0)
        return FALSE;
    m->line_len = linelen;
    if (linelen >= hn + 1 && buf_ncasecmp(buf, http, hn) == 0) {
        /* HTTP/1.x SP code [SP reason] */
        gsize i = hn + 1;
        if (i >= linelen || buf[i] != ' ' || linelen < i + 4)
            return FALSE;
        guint code = 0;
        for (gsize k = i + 1; k < i + 4; k++) {
            if (!g_ascii_isdigit(buf[k]))
                return FALSE;
            code = code * 10 + (guint)(buf[k] - '0');
        }
        if (linelen > i + 4 && buf[i + 4] != ' ')
            return FALSE;
        m->code = code;
        m->http = TRUE;
    } else {
        /* method SP uri SP version */
        const guint8 *sp1 = memchr(buf, ' ', linelen);
        if (sp1 == NULL || sp1 == buf)
            return FALSE;
        gsize a = (gsize)(sp1 - buf) + 1;
        const guint8 *sp2 = memchr(buf + a, ' ', linelen - a);
        if (sp2 == NULL || sp2 == buf + a)
            return FALSE;
        gsize b = (gsize)(sp2 - buf) + 1;
        for (gsize k = 0; k + 1 < a; k++) {
            if (!g_ascii_isgraph(buf[k]))
                return FALSE;
        }
        m->request = TRUE;
        m->method = buf;
        m->method_len = a - 1;
        m->uri = buf + a;
        m->uri_len = b - 1 - a;
        m->http = linelen - b >= hn && buf_ncasecmp(buf + b, http, hn) == 0;
    }
    off = next;
    for (guint lines = 0;; lines++) {
        if (lines >= TUME_HTTP_MSG_HEAD_LINES_MAX || !line_end(buf + off, hlen - off, &linelen, &next))
            return FALSE;             /* no whole head within the bounds */
        const guint8 *line = buf + off;
        off += next;
        if (linelen == 0)
            break;
        const guint8 *v;
        gsize vl;
        if (m->host == NULL && header_is(line, linelen, "host", &v, &vl)) {
            m->host = v;
            m->host_len = vl;
        } else if (m->auth == NULL && header_is(line, linelen, "authorization", &v, &vl)) {
            m->auth = v;
            m->auth_len = vl;
        } else if (m->ctype == NULL && header_is(line, linelen, "content-type", &v, &vl)) {
            m->ctype = v;
            m->ctype_len = vl;
        } else if (header_is(line, linelen, "transfer-encoding", &v, &vl)) {
            chunked = ends_chunked(v, vl);
        } else if (!have_length && header_is(line, linelen, "content-length", &v, &vl)) {
            have_length = decimal_value(v, vl, &content_length);
        }
    }
    m->head_len = off;
    const gsize rest = len - off;
    if (!m->request && (reply_to_head || (m->code >= 100 && m->code <= 199) || m->code == 204 || m->code == 304)) {
        m->msg_len = off;
        m->complete = TRUE;
    } else if (chunked) {
        gsize body;
        m->complete = chunked_length(buf + off, rest, &body);
        m->msg_len = off + (m->complete ? body : rest);
        m->has_body = rest > 0;
    } else if (have_length) {
        m->complete = content_length <= rest;
        m->msg_len = off + (m->complete ? (gsize)content_length : rest);
        m->has_body = content_length > 0;
    } else if (m->request) {
        m->msg_len = off;
        m->complete = TRUE;
    } else {
        m->msg_len = len;             /* to the end of the data */
        m->complete = TRUE;
        m->has_body = rest > 0;
    }
    return TRUE;
}

gboolean
tume_http_request_host(const guint8 *buf, gsize len, gsize *value_off, gsize *value_len)
{
    static const char host[] = "host:";
    gsize off = 0, linelen, next;

    if (buf == NULL)
        return FALSE;
    len = MIN(len, (gsize)TUME_HTTP_HEAD_MAX);
    if (!line_end(buf, len, &linelen, &next) || linelen < 9 ||
        g_ascii_strncasecmp((const char *)buf + linelen - 8, "HTTP/1.", 7) != 0)
        return FALSE;                 /* not a request line */
    off = next;
    for (guint lines = 0; lines < TUME_HTTP_HEAD_LINES_MAX; lines++) {
        if (!line_end(buf + off, len - off, &linelen, &next) || linelen == 0)
            return FALSE;             /* no more header lines in what we have */
        if (linelen >= sizeof host - 1 &&
            g_ascii_strncasecmp((const char *)buf + off, host, sizeof host - 1) == 0) {
            gsize s = off + sizeof host - 1, e = off + linelen;
            while (s < e && (buf[s] == ' ' || buf[s] == '\t'))
                s++;
            while (e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
                e--;
            *value_off = s;
            *value_len = e - s;
            return TRUE;
        }
        off += next;
    }
    return FALSE;
}

gboolean
tume_http_connect_request(const guint8 *buf, gsize len, gsize *auth_off, gsize *auth_len, gsize *host_len,
                          guint32 *port)
{
    static const char method[] = "CONNECT ";
    const gsize m = sizeof method - 1;
    gsize linelen, next, a, e, colon, h;
    guint32 p = 0;

    if (buf == NULL || len < m || memcmp(buf, method, m) != 0)
        return FALSE;
    if (!line_end(buf, MIN(len, (gsize)TUME_HTTP_CONNECT_LINE_MAX), &linelen, &next))
        return FALSE;
    /* "CONNECT " authority " HTTP/1.x": one space each side */
    if (linelen < m + 1 + 9 || buf[linelen - 9] != ' '
        || g_ascii_strncasecmp((const char *)buf + linelen - 8, "HTTP/1.", 7) != 0
        || !g_ascii_isdigit(buf[linelen - 1]))
        return FALSE;
    a = m;
    e = linelen - 9;
    for (gsize i = a; i < e; i++)
        if (buf[i] <= ' ' || buf[i] >= 0x7f)
            return FALSE;        /* no blanks, controls or non-ASCII in an authority */
    /* the port: the digits after the last colon */
    colon = e;
    while (colon > a && buf[colon - 1] != ':')
        colon--;
    if (colon <= a + 1 || colon == e || e - colon > 5)
        return FALSE;
    for (gsize i = colon; i < e; i++) {
        if (!g_ascii_isdigit(buf[i]))
            return FALSE;
        p = p * 10 + (guint32)(buf[i] - '0');
    }
    if (p == 0 || p > 65535)
        return FALSE;
    h = colon - 1 - a;
    if (buf[a] == '[') {         /* [IPv6]: the brackets close just before the colon */
        if (h < 3 || buf[a + h - 1] != ']')
            return FALSE;
    } else {
        for (gsize i = a; i < a + h; i++)
            if (buf[i] == ':' || buf[i] == '[' || buf[i] == ']' || buf[i] == '@' || buf[i] == '/')
                return FALSE;
    }
    *auth_off = a;
    *auth_len = e - a;
    *host_len = h;
    *port = p;
    return TRUE;
}
