/* api_parse.c - pure logic of the TU Me provisioning API.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "api_parse.h"

#include <string.h>
#include <json-glib/json-glib.h>

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

gint
tume_json_depth(const guint8 *buf, gsize len, gint limit)
{
    gint depth = 0, max = 0;
    gboolean in_string = FALSE, escaped = FALSE;

    if (buf == NULL)
        return 0;
    for (gsize i = 0; i < len; i++) {
        guint8 c = buf[i];
        if (in_string) {
            if (escaped)
                escaped = FALSE;
            else if (c == '\\')
                escaped = TRUE;
            else if (c == '"')
                in_string = FALSE;
            continue;
        }
        if (c == '"') {
            in_string = TRUE;
        } else if (c == '[' || c == '{') {
            if (++depth > limit)
                return -1;
            if (depth > max)
                max = depth;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return max;
}

static gchar *
member_string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    if (n == NULL || JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return g_strdup(json_node_get_string(n));
}

static gboolean
is_address_book(JsonArray *a)
{
    /* entries that are objects with a phone number or a name and phones */
    guint n = json_array_get_length(a);
    for (guint i = 0; i < n; i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (JSON_NODE_TYPE(e) != JSON_NODE_OBJECT)
            continue;
        JsonObject *o = json_node_get_object(e);
        if (json_object_has_member(o, "phones") || json_object_has_member(o, "phone"))
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
    if (buf == NULL || len == 0)
        return FALSE;
    if (len > TUME_JSON_MAX_BYTES) {
        info->error = g_strdup_printf("JSON body of %" G_GSIZE_FORMAT " bytes, over the %d byte limit",
                                      len, TUME_JSON_MAX_BYTES);
        return FALSE;
    }
    if (tume_json_depth(buf, len, TUME_JSON_MAX_DEPTH) < 0) {
        info->error = g_strdup_printf("JSON nested deeper than %d levels", TUME_JSON_MAX_DEPTH);
        return FALSE;
    }
    if (!g_utf8_validate((const gchar *)buf, (gssize)len, NULL)) {
        info->error = g_strdup("JSON body is not valid UTF-8");
        return FALSE;
    }
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, (const gchar *)buf, (gssize)len, &err)) {
        info->error = g_strdup_printf("broken JSON: %s", err ? err->message : "unknown error");
        g_clear_error(&err);
        g_object_unref(parser);
        return FALSE;
    }
    info->parsed = TRUE;
    JsonNode *root = json_parser_get_root(parser);
    if (root != NULL && JSON_NODE_TYPE(root) == JSON_NODE_OBJECT) {
        JsonObject *o = json_node_get_object(root);
        info->is_object = TRUE;
        GList *members = json_object_get_members(o);     /* in document order */
        for (GList *m = members; m != NULL && info->keys->len < TUME_JSON_MAX_KEYS; m = m->next)
            g_ptr_array_add(info->keys, g_strdup((const gchar *)m->data));
        g_list_free(members);

        info->msisdn = member_string(o, "msisdn");
        info->user_id = member_string(o, "userId");
        info->screen_name = member_string(o, "screenName");
        info->locale = member_string(o, "locale");
        if (json_object_has_member(o, "pin"))
            info->sensitive |= TUME_SENS_PIN;
        if (json_object_has_member(o, "accessToken"))
            info->sensitive |= TUME_SENS_ACCESS_TOKEN;
        JsonNode *c = json_object_get_member(o, "contacts");
        if (c != NULL && JSON_NODE_TYPE(c) == JSON_NODE_ARRAY) {
            JsonArray *a = json_node_get_array(c);
            info->contacts = json_array_get_length(a);
            if (is_address_book(a))
                info->sensitive |= TUME_SENS_ADDRESS_BOOK;
        }
        JsonNode *sip = json_object_get_member(o, "sip");
        if (sip != NULL && JSON_NODE_TYPE(sip) == JSON_NODE_OBJECT) {
            JsonObject *so = json_node_get_object(sip);
            info->sip_proxy = member_string(so, "proxy");
            if (json_object_has_member(so, "password"))
                info->sensitive |= TUME_SENS_SIP_PASSWORD;
        }
    }
    g_object_unref(parser);
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
