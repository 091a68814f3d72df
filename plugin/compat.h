/* compat.h - the few Wireshark API differences between 4.0 and 4.2+ that the
 * plugin touches, kept in one place.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_COMPAT_H
#define TUME_COMPAT_H

#include <ws_version.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/ftypes/ftypes.h>

#if WIRESHARK_VERSION_MAJOR > 4 || (WIRESHARK_VERSION_MAJOR == 4 && WIRESHARK_VERSION_MINOR >= 2)
#define TUME_WS_4_2 1
#endif

/* field_info::value became a pointer in 4.1. */
static inline guint32
tume_fvalue_uint(field_info *fi)
{
#ifdef TUME_WS_4_2
    return fvalue_get_uinteger(fi->value);
#else
    return fvalue_get_uinteger(&fi->value);
#endif
}

static inline const char *
tume_fvalue_string(field_info *fi)
{
#ifdef TUME_WS_4_2
    return fvalue_get_string(fi->value);
#else
    return fvalue_get_string(&fi->value);
#endif
}

/* A "tls" heuristic that takes the session for good sets its application
 * handle through the data pointer: the handle's address in 4.0. */
static inline void
tume_tls_set_app_handle(void *data, dissector_handle_t handle)
{
    if (data != NULL)
        *(dissector_handle_t *)data = handle;
}

#endif /* TUME_COMPAT_H */
