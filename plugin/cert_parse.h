/* cert_parse.h - X.509 facts TU Me reports, parsed by GnuTLS.
 *
 * Pure: takes DER bytes, knows nothing of epan.  No DER is parsed by hand;
 * every value comes from GnuTLS.  Unit-tested in tests/test_cert_parse.c.
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_CERT_PARSE_H
#define TUME_CERT_PARSE_H

#include <glib.h>

/* Most subjectAltName entries looked at, and kept. */
#define TUME_CERT_SAN_MAX 64
/* Largest certificate accepted (DER bytes). */
#define TUME_CERT_DER_MAX (64 * 1024)

typedef struct {
    gchar     *subject;       /* RFC 4514 string ("CN=a,O=b,C=US") */
    gchar     *issuer;        /* RFC 4514 string */
    gchar     *subject_cn;    /* first commonName of the subject, or NULL */
    GPtrArray *san_dns;       /* gchar*: subjectAltName dNSName entries */
    gint64     not_before;    /* seconds since the epoch; G_MININT64 if unknown */
    gint64     not_after;     /* seconds since the epoch; G_MININT64 if unknown */
    gboolean   self_signed;   /* issuer DN equals subject DN */
} tume_cert_t;

/* Parses one DER certificate.  Returns NULL (and a static reason in *err if
 * err is not NULL) when GnuTLS cannot import it. */
tume_cert_t *tume_cert_parse(const guint8 *der, gsize len, const char **err);
void tume_cert_free(tume_cert_t *cert);

/* RFC 6125 name check: does the certificate name pattern (a dNSName or CN,
 * possibly "*.example.com") cover host?  A wildcard covers exactly one
 * left-most label.  Case-insensitive; trailing dots ignored. */
gboolean tume_cert_name_covers(const char *pattern, const char *host);

/* Does the certificate (its SANs, or its CN when it has no dNSName SAN) cover host? */
gboolean tume_cert_covers_host(const tume_cert_t *cert, const char *host);

/* A distinguished name as GnuTLS wrote it (len bytes, NULs included), made
 * safe to show and to print in one cell of a table: every control byte
 * (below 0x20, and 0x7f) written as RFC 4514's "\\XX", and byte sequences
 * that are not UTF-8 replaced (U+FFFD), so the result is valid UTF-8 with
 * no tab, line end or NUL.  Newly allocated (g_free). */
gchar *tume_dn_printable(const char *s, gsize len);

#endif /* TUME_CERT_PARSE_H */
