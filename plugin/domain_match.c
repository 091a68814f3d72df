/* domain_match.c - pure host-name and User-Agent matching for TU Me evidence.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "domain_match.h"

#include <string.h>

struct tume_strlist {
    GPtrArray *items;   /* of gchar*, lower case */
};

static tume_strlist_t *
strlist_new(void)
{
    tume_strlist_t *l = g_new0(tume_strlist_t, 1);
    l->items = g_ptr_array_new_with_free_func(g_free);
    return l;
}

static void
strlist_add(tume_strlist_t *l, gchar *item)
{
    if (item[0] == '\0' || l->items->len >= TUME_LIST_MAX) {
        g_free(item);
        return;
    }
    for (guint i = 0; i < l->items->len; i++) {
        if (strcmp((const char *)g_ptr_array_index(l->items, i), item) == 0) {
            g_free(item);
            return;
        }
    }
    g_ptr_array_add(l->items, item);
}

tume_strlist_t *
tume_domain_list_new(const char *spec)
{
    tume_strlist_t *l = strlist_new();
    if (spec == NULL)
        return l;
    gchar **parts = g_strsplit_set(spec, ",; \t\r\n", -1);
    for (gchar **p = parts; *p != NULL; p++) {
        const char *s = *p;
        while (*s == '*' || *s == '.')
            s++;
        gchar *d = g_ascii_strdown(s, -1);
        gsize n = strlen(d);
        while (n > 0 && d[n - 1] == '.')
            d[--n] = '\0';
        strlist_add(l, d);
    }
    g_strfreev(parts);
    return l;
}

tume_strlist_t *
tume_product_list_new(const char *spec)
{
    tume_strlist_t *l = strlist_new();
    if (spec == NULL)
        return l;
    gchar **parts = g_strsplit_set(spec, ",;", -1);
    for (gchar **p = parts; *p != NULL; p++) {
        gchar *d = g_ascii_strdown(g_strstrip(*p), -1);
        strlist_add(l, d);
    }
    g_strfreev(parts);
    return l;
}

void
tume_strlist_free(tume_strlist_t *list)
{
    if (list == NULL)
        return;
    g_ptr_array_free(list->items, TRUE);
    g_free(list);
}

guint
tume_strlist_count(const tume_strlist_t *list)
{
    return list ? list->items->len : 0;
}

const char *
tume_strlist_get(const tume_strlist_t *list, guint i)
{
    return (list && i < list->items->len) ? (const char *)g_ptr_array_index(list->items, i) : NULL;
}

gsize
tume_domain_match_len(const tume_strlist_t *list, const guint8 *host, gsize len)
{
    gsize best = 0;

    if (list == NULL || host == NULL)
        return 0;
    while (len > 0 && host[len - 1] == '.')
        len--;
    if (len == 0 || len > TUME_HOST_MAX)
        return 0;
    for (guint i = 0; i < list->items->len; i++) {
        const char *d = (const char *)g_ptr_array_index(list->items, i);
        gsize dl = strlen(d);
        if (dl > len || dl <= best)
            continue;
        if (g_ascii_strncasecmp((const char *)host + (len - dl), d, dl) != 0)
            continue;
        if (dl == len || host[len - dl - 1] == '.')
            best = dl;
    }
    return best;
}

gboolean
tume_domain_matches(const tume_strlist_t *list, const guint8 *host, gsize len)
{
    return tume_domain_match_len(list, host, len) > 0;
}

tume_role_t
tume_host_role(const tume_strlist_t *signalling, const tume_strlist_t *provisioning,
               const guint8 *host, gsize len)
{
    gsize s = tume_domain_match_len(signalling, host, len);
    gsize p = tume_domain_match_len(provisioning, host, len);
    if (s == 0 && p == 0)
        return TUME_ROLE_NONE;
    return s >= p ? TUME_ROLE_SIGNALLING : TUME_ROLE_PROVISIONING;
}

gboolean
tume_user_agent_matches(const tume_strlist_t *list, const guint8 *ua, gsize len)
{
    if (list == NULL || ua == NULL)
        return FALSE;
    for (guint i = 0; i < list->items->len; i++) {
        const char *p = (const char *)g_ptr_array_index(list->items, i);
        gsize pl = strlen(p);
        if (pl == 0 || pl > len)
            continue;
        for (gsize s = 0; s + pl <= len; s++) {
            if (g_ascii_strncasecmp((const char *)ua + s, p, pl) != 0)
                continue;
            gboolean before_ok = (s == 0) || !g_ascii_isalnum(ua[s - 1]);
            gboolean after_ok = (s + pl == len) || !g_ascii_isalnum(ua[s + pl]);
            if (before_ok && after_ok)
                return TRUE;
        }
    }
    return FALSE;
}

gboolean
tume_host_name_valid(const guint8 *s, gsize len)
{
    gsize label = 0;

    if (s == NULL || len == 0)
        return FALSE;
    if (s[len - 1] == '.')
        len--;                                  /* the root's dot */
    if (len == 0 || len > 253)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        guint8 c = s[i];
        if (c == '.') {
            if (label == 0)
                return FALSE;                   /* empty label */
            label = 0;
        } else if (g_ascii_isalnum(c) || c == '-' || c == '_') {
            if (++label > 63)
                return FALSE;
        } else {
            return FALSE;
        }
    }
    return label > 0;
}

gchar *
tume_printable(const guint8 *s, gsize len, gsize max_in)
{
    GString *out;

    if (s == NULL)
        return g_strdup("");
    len = MIN(len, max_in);
    out = g_string_sized_new(len + 1);
    for (gsize i = 0; i < len; i++) {
        guint8 c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            g_string_append_c(out, (gchar)c);
        else
            g_string_append_printf(out, "\\x%02x", c);
    }
    return g_string_free(out, FALSE);
}

/* Interceptor entries are kept as "label\0text" (text lower-cased). */
tume_strlist_t *
tume_interceptor_list_new(const char *spec)
{
    tume_strlist_t *l = strlist_new();
    if (spec == NULL)
        return l;
    gchar **parts = g_strsplit_set(spec, ",;", -1);
    for (gchar **p = parts; *p != NULL && tume_strlist_count(l) < TUME_LIST_MAX; p++) {
        gchar *e = g_strstrip(*p), *eq = strchr(e, '=');
        gchar *label = g_strstrip(g_strndup(e, eq != NULL ? (gsize)(eq - e) : strlen(e)));
        gchar *text = g_ascii_strdown(g_strstrip(eq != NULL ? eq + 1 : e), -1);
        if (*text != '\0' && *label != '\0') {
            gsize ll = strlen(label), tl = strlen(text);
            gchar *item = (gchar *)g_malloc(ll + 1 + tl + 1);
            memcpy(item, label, ll + 1);
            memcpy(item + ll + 1, text, tl + 1);
            g_ptr_array_add(l->items, item);
        }
        g_free(label);
        g_free(text);
    }
    g_strfreev(parts);
    return l;
}

const char *
tume_interceptor_match(const tume_strlist_t *list, const char *issuer)
{
    if (list == NULL || issuer == NULL)
        return NULL;
    gchar *low = g_ascii_strdown(issuer, -1);
    const char *found = NULL;
    for (guint i = 0; i < list->items->len && found == NULL; i++) {
        const char *label = (const char *)g_ptr_array_index(list->items, i);
        if (strstr(low, label + strlen(label) + 1) != NULL)
            found = label;
    }
    g_free(low);
    return found;
}
