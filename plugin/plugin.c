/* plugin.c - registration entry points of the TU Me epan plugin (only that).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/proto.h>

#include "compat.h"
#ifdef TUME_HAVE_PLUGIN_DESCRIBE
#include <wsutil/plugins.h>
#endif

#ifndef PLUGIN_VERSION
#error PLUGIN_VERSION must be defined by the build
#endif

void proto_register_tume(void);
void proto_reg_handoff_tume(void);

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);
#ifdef TUME_HAVE_PLUGIN_DESCRIBE
WS_DLL_PUBLIC uint32_t plugin_describe(void);

uint32_t
plugin_describe(void)
{
    return WS_PLUGIN_DESC_DISSECTOR;
}
#endif

void
plugin_register(void)
{
    static proto_plugin plug_tume;

    plug_tume.register_protoinfo = proto_register_tume;
    plug_tume.register_handoff = proto_reg_handoff_tume;
    proto_register_plugin(&plug_tume);
}
