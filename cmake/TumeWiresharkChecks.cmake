# Which Wireshark API the plugin is built against: one feature check per
# difference between 4.0, 4.4 and 4.6 (and what lies between), so that
# plugin/compat.h keys on what the headers really declare, not on version
# numbers.  Each check compiles a few lines with warnings as errors.
#
# Input: TUME_CHECK_INCLUDES (Wireshark and GLib include directories).
# Output (cache variables, 1 or empty): TUME_HAVE_TLSINFO,
# TUME_HAVE_TVB_GET_UINT8, TUME_PREFS_BOOL_IS_BOOL, TUME_HEUR_RETURNS_BOOL,
# TUME_UAT_CB_BOOL, TUME_HAVE_DATA_SOURCE_TVB_BY_NAME, TUME_HAVE_PLUGIN_DESCRIBE,
# TUME_HAVE_DATA_SOURCE_DESCRIPTION, TUME_HAVE_TRY_STRING_WITH_DATA,
# TUME_STAT_INIT_BOOL;
# TUME_FEATURE_DEFINITIONS lists those found.
include(CheckCSourceCompiles)

set(CMAKE_REQUIRED_INCLUDES ${TUME_CHECK_INCLUDES})
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)   # compile only: no libwireshark to link
set(CMAKE_REQUIRED_FLAGS "-Werror -Wno-unused -Wno-deprecated-declarations")
set(_pre "#include <stdbool.h>\n#include <epan/packet.h>\n")

# "tls" heuristics get a struct tlsinfo (not the address of the handle)
check_c_source_compiles("${_pre}#include <epan/dissectors/packet-tls.h>
int main(void) { struct tlsinfo t; t.app_handle = 0; return (int)sizeof t; }" TUME_HAVE_TLSINFO)

check_c_source_compiles("${_pre}
int main(void) { return (int)tvb_get_uint8((tvbuff_t *)0, 0); }" TUME_HAVE_TVB_GET_UINT8)

check_c_source_compiles("${_pre}#include <epan/prefs.h>
static bool b;
int main(void) { prefs_register_bool_preference((module_t *)0, \"n\", \"t\", \"d\", &b); return 0; }"
  TUME_PREFS_BOOL_IS_BOOL)

check_c_source_compiles("${_pre}
static bool h(tvbuff_t *t, packet_info *p, proto_tree *r, void *d) { (void)t; (void)p; (void)r; (void)d; return false; }
int main(void) { heur_dissector_t f = h; return f != 0; }" TUME_HEUR_RETURNS_BOOL)

check_c_source_compiles("${_pre}#include <epan/uat.h>
static bool u(void *r, char **e) { (void)r; (void)e; return true; }
int main(void) { uat_update_cb_t f = u; return f != 0; }" TUME_UAT_CB_BOOL)

check_c_source_compiles("${_pre}
int main(void) { return get_data_source_tvb_by_name((packet_info *)0, \"x\") != 0; }"
  TUME_HAVE_DATA_SOURCE_TVB_BY_NAME)

# the description of a data source (4.6) instead of its name (before)
check_c_source_compiles("${_pre}
int main(void) { return get_data_source_description((const struct data_source *)0) != 0; }"
  TUME_HAVE_DATA_SOURCE_DESCRIPTION)

check_c_source_compiles("${_pre}#include <epan/stat_tap_ui.h>
static bool i(const char *a, void *u) { (void)a; (void)u; return true; }
int main(void) { stat_tap_init_cb f = i; return f != 0; }" TUME_STAT_INIT_BOOL)

check_c_source_compiles("#include <wsutil/plugins.h>
int main(void) { return (int)WS_PLUGIN_DESC_DISSECTOR; }" TUME_HAVE_PLUGIN_DESCRIBE)

# dissector_try_string_new() became dissector_try_string_with_data() (4.5)
check_c_source_compiles("${_pre}
int main(void) { return dissector_try_string_with_data((dissector_table_t)0, \"x\", (tvbuff_t *)0,
  (packet_info *)0, (proto_tree *)0, false, (void *)0); }" TUME_HAVE_TRY_STRING_WITH_DATA)

unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_TRY_COMPILE_TARGET_TYPE)
unset(CMAKE_REQUIRED_FLAGS)

set(TUME_FEATURE_DEFINITIONS "")
foreach(_f TUME_HAVE_TLSINFO TUME_HAVE_TVB_GET_UINT8 TUME_PREFS_BOOL_IS_BOOL TUME_HEUR_RETURNS_BOOL
           TUME_UAT_CB_BOOL TUME_HAVE_DATA_SOURCE_TVB_BY_NAME TUME_HAVE_PLUGIN_DESCRIBE
           TUME_HAVE_DATA_SOURCE_DESCRIPTION TUME_HAVE_TRY_STRING_WITH_DATA TUME_STAT_INIT_BOOL)
  if(${_f})
    list(APPEND TUME_FEATURE_DEFINITIONS ${_f})
  endif()
endforeach()
message(STATUS "Wireshark API features: ${TUME_FEATURE_DEFINITIONS}")
