# Installs the "TU Me" Wireshark configuration profile (cmake -P script).
#
#   cmake -DSRC=<repo>/profile/TU\ Me -DDEST=<profiles dir>/TU\ Me
#         -DDEFAULT_COLORFILTERS=<Wireshark data dir>/colorfilters
#         [-DKEEP_EXISTING=ON] -P cmake/install-profile.cmake
#
# preferences, dfilter_buttons, dfilters and tume_api_messages (the
# provisioning message table, showing the built-in rows) are copied; colorfilters is the
# profile's TU Me rules followed by Wireshark's default rules (a profile's
# colorfilters replaces the defaults, so they are carried over).  With
# KEEP_EXISTING (the per-user install), a profile the user already has is
# left alone: it may hold their own changes.
foreach(_v SRC DEST)
  if(NOT DEFINED ${_v})
    message(FATAL_ERROR "install-profile.cmake: ${_v} is not set")
  endif()
endforeach()
if(KEEP_EXISTING AND EXISTS "${DEST}/preferences")
  message(STATUS "Profile kept as it is (it may hold your changes): ${DEST}")
  return()
endif()
file(MAKE_DIRECTORY "${DEST}")
foreach(_f preferences dfilter_buttons dfilters tume_api_messages)
  file(COPY "${SRC}/${_f}" DESTINATION "${DEST}")
endforeach()
file(READ "${SRC}/colorfilters.tume" _tume)
set(_defaults "")
if(DEFAULT_COLORFILTERS AND EXISTS "${DEFAULT_COLORFILTERS}")
  file(READ "${DEFAULT_COLORFILTERS}" _defaults)
  string(REGEX REPLACE "^#[^\n]*\n" "" _defaults "${_defaults}")
else()
  message(WARNING "Wireshark's default colorfilters not found (${DEFAULT_COLORFILTERS}): "
                  "the profile colours TU Me traffic only")
endif()
file(WRITE "${DEST}/colorfilters" "${_tume}# Wireshark's default rules\n${_defaults}")
message(STATUS "Installed profile: ${DEST}")
