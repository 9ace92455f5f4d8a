# Packages with CPack, from the install rules of cmake/iocpws-install.cmake:
#   Windows (mingw-w64 cross build): iocpws-<version>-win64.zip / -win32.zip
#     bin/      iocpws.dll, echo_server.exe and the other samples
#     lib/      libiocpws.dll.a (mingw), iocpws.lib (MSVC link.exe),
#               iocpws.def, cmake/iocpws, pkgconfig/iocpws.pc
#     include/  iocpws.h, iocpws_loader.h, iocpws.hpp
#     pascal/   the Delphi/Free Pascal units;  samples/  their sources
#     README.md, LICENSE, THIRD-PARTY-NOTICES, CHANGELOG.md
#   Linux: iocpws_<version>_<arch>.deb (library and development files in
#     one package, under /usr) and iocpws-<version>-linux-<arch>.tar.gz
#     (the same tree, relocatable: the .pc and the CMake config find their
#     prefix from where they lie).
# scripts/package.sh builds them all, reproducibly, and writes SHA256SUMS.
if(NOT IWS_INSTALL)
  return()
endif()

set(CPACK_PACKAGE_NAME iocpws)
set(CPACK_PACKAGE_VENDOR "the iocpws authors")
set(CPACK_PACKAGE_CONTACT "iocpws maintainers <iocpws@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "WebSocket and HTTP server engine (IOCP on Windows, epoll on Linux) with a stable C ABI")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_CURRENT_SOURCE_DIR}/LICENSE)
set(CPACK_RESOURCE_FILE_README ${CMAKE_CURRENT_SOURCE_DIR}/README.md)
set(CPACK_SOURCE_GENERATOR "")
# Same inputs, same bytes: every file of the staging tree gets the time
# SOURCE_DATE_EPOCH (or 0) before it is archived (cmake/iocpws-cpack-touch.cmake).
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_SOURCE_DIR}/cmake/iocpws-cpack-touch.cmake)
set(CPACK_ARCHIVE_THREADS 1)

if(WIN32)
  if(CMAKE_SIZEOF_VOID_P EQUAL 8)
    set(_iws_pkg_arch win64)
  else()
    set(_iws_pkg_arch win32)
  endif()
  set(CPACK_GENERATOR ZIP)
  set(CPACK_PACKAGE_FILE_NAME iocpws-${PROJECT_VERSION}-${_iws_pkg_arch})
  # The zip holds one folder of that name.
  set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)
else()
  set(CPACK_GENERATOR DEB TGZ)
  string(TOLOWER "${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}" _iws_pkg_arch)
  set(CPACK_PACKAGE_FILE_NAME iocpws-${PROJECT_VERSION}-${_iws_pkg_arch})
  set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)
  # Debian package: library and -dev contents in one, installed under /usr.
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_SECTION libs)
  set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # libssl3, zlib1g, libhiredis...
  set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
  set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
      "libiocpws.so, the headers (C, C++ binding, run-time loader), CMake and\n pkg-config files, the Pascal units and the sample sources.")
endif()

include(CPack)
