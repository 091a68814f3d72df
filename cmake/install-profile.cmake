# Installs the "TU Me" Wireshark configuration profile (cmake -P script).
#
#   cmake -DSRC=<repo>/profile/TU\ Me -DDEST=<profiles dir>/TU\ Me
#         -DDEFAULT_COLORFILTERS=<Wireshark data dir>/colorfilters
#         [-DKEEP_EXISTING=ON] -P cmake/install-profile.cmake
#
# preferences, recent, dfilter_buttons, dfilters and tume_api_messages (the
# provisioning message table, showing the built-in rows) are copied.
# colorfilters: the shipped file is Wireshark 4.0's default rules with the
# TU Me rules (the lines named "TU Me ...") after the rules that show
# problems; the installed file has the same TU Me rules at the same place
# (after "Checksum Errors", else after "Bad TCP") among the default rules of
# the Wireshark being installed for (DEFAULT_COLORFILTERS), whose defaults
# may differ from 4.0's.  Without DEFAULT_COLORFILTERS the shipped file is
# copied as it is.  With KEEP_EXISTING (the per-user install), a profile
# the user already has is left alone: it may hold their own changes.
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
foreach(_f preferences recent dfilter_buttons dfilters tume_api_messages)
  file(COPY "${SRC}/${_f}" DESTINATION "${DEST}")
endforeach()

file(STRINGS "${SRC}/colorfilters" _shipped)
set(_tume "")
set(_header "")
foreach(_l IN LISTS _shipped)
  if(_l MATCHES "^@TU Me ")
    string(APPEND _tume "${_l}\n")
  elseif(_l MATCHES "^#")
    string(APPEND _header "${_l}\n")
  endif()
endforeach()
if(_tume STREQUAL "")
  message(FATAL_ERROR "install-profile.cmake: no TU Me rule in ${SRC}/colorfilters")
endif()
if(DEFAULT_COLORFILTERS AND EXISTS "${DEFAULT_COLORFILTERS}")
  file(STRINGS "${DEFAULT_COLORFILTERS}" _defaults)
  set(_after "")
  foreach(_l IN LISTS _defaults)
    if(_l MATCHES "^@Checksum Errors@")
      set(_after "Checksum Errors")
    elseif(_l MATCHES "^@Bad TCP@" AND _after STREQUAL "")
      set(_after "Bad TCP")
    endif()
  endforeach()
  set(_out "${_header}")
  if(_after STREQUAL "")
    string(APPEND _out "${_tume}")
  endif()
  foreach(_l IN LISTS _defaults)
    if(_l MATCHES "^#" OR _l STREQUAL "")
      continue()
    endif()
    string(APPEND _out "${_l}\n")
    if(NOT _after STREQUAL "" AND _l MATCHES "^@${_after}@")
      string(APPEND _out "${_tume}")
    endif()
  endforeach()
  file(WRITE "${DEST}/colorfilters" "${_out}")
else()
  message(WARNING "Wireshark's default colorfilters not found (${DEFAULT_COLORFILTERS}): "
                  "the profile gets the shipped rules (Wireshark 4.0's defaults)")
  file(COPY "${SRC}/colorfilters" DESTINATION "${DEST}")
endif()
message(STATUS "Installed profile: ${DEST}")
