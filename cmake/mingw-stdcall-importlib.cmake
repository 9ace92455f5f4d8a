# Win32 + mingw-w64: writes the import library of iocpws.dll with the
# decorated __stdcall names a C caller links against (_iws_start@4), each
# pointing at the undecorated export (iws_start) that dll/iocpws.def gives.
# Run as a post-build step:
#   cmake -DNM=... -DDLLTOOL=... -DDEF=dll/iocpws.def -DDLL=iocpws.dll
#         -DIMPLIB=libiocpws.dll.a -DOUT_DEF=iocpws-stdcall.def
#         -DOBJECTS="a.obj|b.obj" -P mingw-stdcall-importlib.cmake
file(STRINGS "${DEF}" def_lines)
set(wanted "")
foreach(line IN LISTS def_lines)
  if(line MATCHES "^[ \t]+(iws_[a-z_]+)")
    list(APPEND wanted "${CMAKE_MATCH_1}")
  endif()
endforeach()
string(REPLACE "|" ";" objects "${OBJECTS}")
execute_process(COMMAND "${NM}" -g --defined-only ${objects}
                OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on the DLL's objects")
endif()
set(decorated "")
foreach(name IN LISTS wanted)
  if(symbols MATCHES " _${name}@([0-9]+)\n")
    string(APPEND decorated "  ${name}@${CMAKE_MATCH_1}\n")
  else()
    message(FATAL_ERROR "no __stdcall symbol _${name}@N in the objects")
  endif()
endforeach()
file(WRITE "${OUT_DEF}" "LIBRARY iocpws.dll\nEXPORTS\n${decorated}")
# The same bytes every build, wherever it is (scripts/package.sh): a fixed
# temp prefix (dlltool's default holds its process id, which ends up in the
# member names), no time stamps, and the library named without its
# directory (dlltool makes symbol names from the path it is given).
get_filename_component(implib_dir "${IMPLIB}" DIRECTORY)
get_filename_component(implib_name "${IMPLIB}" NAME)
execute_process(COMMAND "${DLLTOOL}" -k -d "${OUT_DEF}" -D iocpws.dll
                        -t iocpws_implib --deterministic-libraries
                        -l "${implib_name}"
                WORKING_DIRECTORY "${implib_dir}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dlltool failed to write ${IMPLIB}")
endif()
