/* compat.h - every Wireshark API difference the plugin meets between 4.0,
 * 4.4 and 4.6, in one place.  The TUME_* macros come from feature checks at
 * configure time (cmake/TumeWiresharkChecks.cmake), not from version
 * numbers, so a version in between builds by what its headers declare.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_COMPAT_H
#define TUME_COMPAT_H

#include <stdbool.h>

#include <ws_version.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/ftypes/ftypes.h>

/* Preferences: bool * since 4.1, gboolean * before. */
#ifdef TUME_PREFS_BOOL_IS_BOOL
typedef bool tume_pref_bool_t;
#else
typedef gboolean tume_pref_bool_t;
#endif

/* Heuristic dissectors return bool since 4.1, gboolean before. */
#ifdef TUME_HEUR_RETURNS_BOOL
typedef bool tume_heur_ret_t;
#else
typedef gboolean tume_heur_ret_t;
#endif

/* UAT update callbacks return bool since 4.1, gboolean before. */
#ifdef TUME_UAT_CB_BOOL
typedef bool tume_uat_ret_t;
#else
typedef gboolean tume_uat_ret_t;
#endif

/* tvb_get_guint8() became tvb_get_uint8() (the old name is deprecated). */
#ifndef TUME_HAVE_TVB_GET_UINT8
#define tvb_get_uint8 tvb_get_guint8
#endif

/* A string table's dissector, called with or without adding its protocol
 * as a layer: dissector_try_string_with_data() since 4.5. */
static inline int
tume_try_string(dissector_table_t table, const char *string, tvbuff_t *tvb, packet_info *pinfo,
                proto_tree *tree, gboolean add_proto_name, void *data)
{
#ifdef TUME_HAVE_TRY_STRING_WITH_DATA
    return dissector_try_string_with_data(table, string, tvb, pinfo, tree, add_proto_name, data);
#else
    return dissector_try_string_new(table, string, tvb, pinfo, tree, add_proto_name, data);
#endif
}

/* A "tls" heuristic that takes the session for good sets its application
 * handle through the data pointer: a struct tlsinfo (newer versions) or the
 * handle's address (4.0). */
#ifdef TUME_HAVE_TLSINFO
#include <epan/dissectors/packet-tls.h>
#endif
static inline void
tume_tls_set_app_handle(void *data, dissector_handle_t handle)
{
    if (data == NULL)
        return;
#ifdef TUME_HAVE_TLSINFO
    if (((struct tlsinfo *)data)->app_handle != NULL)
        *((struct tlsinfo *)data)->app_handle = handle;
#else
    *(dissector_handle_t *)data = handle;
#endif
}

/* The tvb of the packet's data source of this name ("Reassembled IPv4"),
 * or NULL.  get_data_source_tvb_by_name() is gone in 4.6. */
static inline tvbuff_t *
tume_data_source_tvb(packet_info *pinfo, const char *name)
{
#ifdef TUME_HAVE_DATA_SOURCE_TVB_BY_NAME
    return get_data_source_tvb_by_name(pinfo, name);
#else
    const struct data_source *src = get_data_source_by_name(pinfo, name);
    return src != NULL ? get_data_source_tvb(src) : NULL;
#endif
}

/* Did TLS add a data source of this name (e.g. "Decrypted TLS") to the
 * packet?  get_data_source_tvb_by_name() is gone in 4.6. */
static inline gboolean
tume_has_data_source(packet_info *pinfo, const char *name)
{
#ifdef TUME_HAVE_DATA_SOURCE_TVB_BY_NAME
    return get_data_source_tvb_by_name(pinfo, name) != NULL;
#else
    return get_data_source_by_name(pinfo, name) != NULL;
#endif
}

/* Calls fn(tvb, user) for each data source of the packet whose name
 * starts with prefix ("Decrypted TLS"), in the order they were added. */
static inline void
tume_each_data_source(packet_info *pinfo, const char *prefix, void (*fn)(tvbuff_t *, void *), void *user)
{
    for (GSList *l = pinfo->data_src; l != NULL; l = l->next) {
        const struct data_source *src = (const struct data_source *)l->data;
#ifdef TUME_HAVE_DATA_SOURCE_DESCRIPTION
        char *name = get_data_source_description(src);
#else
        char *name = get_data_source_name(src);
#endif
        gboolean match = name != NULL && g_str_has_prefix(name, prefix);
        wmem_free(NULL, name);
        if (match)
            fn(get_data_source_tvb(src), user);
    }
}

/* The init callback of a stat_tap_ui ("-z" option) returns bool since 4.6. */
#ifdef TUME_STAT_INIT_BOOL
#define TUME_STAT_INIT_RET  bool
#define TUME_STAT_INIT_FAIL return false
#define TUME_STAT_INIT_OK   return true
#else
#define TUME_STAT_INIT_RET  void
#define TUME_STAT_INIT_FAIL exit(1)      /* what tshark's own taps do */
#define TUME_STAT_INIT_OK   return
#endif

/* TLS's public tls_set_appdata_dissector() (WS_DLL_PUBLIC in
 * epan/dissectors/packet-tls-utils.h, the same in 4.0 to 4.6): that header
 * also includes libgcrypt's, which libwireshark-dev does not pull in on
 * every Debian release, so the one declaration is repeated here. */
WS_DLL_PUBLIC void tls_set_appdata_dissector(dissector_handle_t tls_handle, packet_info *pinfo,
                                             dissector_handle_t app_handle);

/* What HTTP hands a body's dissector in the media_type table: the
 * message's type (request, reply), media parameters and header map.
 * Wireshark 4.0 calls it http_message_info_t (packet-http.h); later
 * versions media_content_info_t (packet-media-type.h), the same layout. */
#if defined(__has_include)
#if __has_include(<epan/dissectors/packet-media-type.h>)
#include <epan/dissectors/packet-media-type.h>
#define TUME_HAVE_MEDIA_CONTENT_INFO 1
#endif
#endif
#ifdef TUME_HAVE_MEDIA_CONTENT_INFO
typedef media_content_info_t tume_media_info_t;
#define TUME_MEDIA_HTTP_REQUEST  MEDIA_CONTAINER_HTTP_REQUEST
#define TUME_MEDIA_HTTP_RESPONSE MEDIA_CONTAINER_HTTP_RESPONSE
#else
#include <epan/dissectors/packet-http.h>
typedef http_message_info_t tume_media_info_t;
#define TUME_MEDIA_HTTP_REQUEST  HTTP_REQUEST
#define TUME_MEDIA_HTTP_RESPONSE HTTP_RESPONSE
#endif

#endif /* TUME_COMPAT_H */
