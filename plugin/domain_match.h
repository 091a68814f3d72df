/* domain_match.h - pure host-name and User-Agent matching for TU Me evidence.
 *
 * No epan state: lists are built from preference strings and matched against
 * byte spans taken from packets.  Unit-tested in tests/test_domain_match.c.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_DOMAIN_MATCH_H
#define TUME_DOMAIN_MATCH_H

#include <glib.h>

/* Longest host name we compare (RFC 1035 limit is 253). */
#define TUME_HOST_MAX 255
/* Most entries we keep from one preference string. */
#define TUME_LIST_MAX 64

typedef struct tume_strlist tume_strlist_t;

/* A domain list: entries separated by commas, semicolons or white space.
 * "jajah.com" and "*.jajah.com" both mean jajah.com and every name under it.
 * Entries are lower-cased; a trailing dot is dropped.  Never returns NULL. */
tume_strlist_t *tume_domain_list_new(const char *spec);

/* A list of User-Agent product names ("TU Me, TUMe"): comma or semicolon
 * separated (spaces inside a name are kept).  Never returns NULL. */
tume_strlist_t *tume_product_list_new(const char *spec);

void tume_strlist_free(tume_strlist_t *list);
guint tume_strlist_count(const tume_strlist_t *list);
const char *tume_strlist_get(const tume_strlist_t *list, guint i);

/* TRUE if host (not NUL-terminated; a trailing dot is ignored) is one of the
 * domains in the list or a name under one of them.  Case-insensitive. */
gboolean tume_domain_matches(const tume_strlist_t *list, const guint8 *host, gsize len);

/* Length of the longest list entry that host is, or is under; 0 if none. */
gsize tume_domain_match_len(const tume_strlist_t *list, const guint8 *host, gsize len);

typedef enum {
    TUME_ROLE_NONE = 0,
    TUME_ROLE_SIGNALLING,
    TUME_ROLE_PROVISIONING
} tume_role_t;

/* Which service a host name belongs to: the list with the longer (more
 * specific) matching entry wins; on a tie (the defaults list jajah.com for
 * both) signalling wins, the role TU Me's own jajah.com servers had. */
tume_role_t tume_host_role(const tume_strlist_t *signalling, const tume_strlist_t *provisioning,
                           const guint8 *host, gsize len);

/* TRUE if the User-Agent value names one of the products: the product appears
 * case-insensitively with no letter or digit directly before or after it
 * ("TU Me/1.0 (iPhone)" names "TU Me"; "Tumeric/2" does not name "TUMe"). */
gboolean tume_user_agent_matches(const tume_strlist_t *list, const guint8 *ua, gsize len);

/* TRUE if the bytes are a DNS host name as RFC 1123 writes it: labels of 1
 * to 63 letters, digits, '-' or '_' (seen in the wild), separated by single
 * dots, an optional final dot, at most 253 characters.  Anything else (a NUL,
 * a tab, a non-ASCII byte, an empty label) is not a name a TLS client asked
 * for, and is never evidence. */
gboolean tume_host_name_valid(const guint8 *s, gsize len);

/* The bytes made safe to show and to print in one cell of a table: printable
 * ASCII kept, a backslash and every other byte written as \xNN (so the
 * result is ASCII, holds no tab, line end or NUL, and tells every byte).
 * At most max_in bytes are read.  Newly allocated (g_free). */
gchar *tume_printable(const guint8 *s, gsize len, gsize max_in);

/* Interception CAs: entries separated by commas or semicolons, each
 * "Label=text" or just "text" (then the label is the text).  An issuer DN
 * that contains an entry's text, case-insensitively, is that interception
 * proxy's.  Never returns NULL. */
tume_strlist_t *tume_interceptor_list_new(const char *spec);

/* The label of the first entry whose text the issuer DN contains; NULL if
 * none (or issuer is NULL).  The label lives as long as the list. */
const char *tume_interceptor_match(const tume_strlist_t *list, const char *issuer);

#endif /* TUME_DOMAIN_MATCH_H */
