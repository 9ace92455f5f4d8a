# CPACK_PRE_BUILD_SCRIPTS: runs after CPack installed the files into its
# staging directory, before it archives them. Sets every file's and
# directory's time to SOURCE_DATE_EPOCH (0 if unset), so that the archives do
# not carry build or checkout times: same inputs, same bytes.
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  set(_epoch $ENV{SOURCE_DATE_EPOCH})
else()
  set(_epoch 0)
endif()
if(NOT CPACK_TEMPORARY_INSTALL_DIRECTORY)
  message(FATAL_ERROR "iocpws-cpack-touch: no CPACK_TEMPORARY_INSTALL_DIRECTORY")
endif()
execute_process(
  COMMAND find "${CPACK_TEMPORARY_INSTALL_DIRECTORY}" -exec touch -h -d "@${_epoch}" {} +
  RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "iocpws-cpack-touch: touch failed (${_rc})")
endif()
