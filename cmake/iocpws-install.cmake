# Installing iocpws and consuming it: install() rules with an export set,
# iocpwsConfig.cmake + iocpwsConfigVersion.cmake (find_package(iocpws)),
# iocpws.pc (pkg-config), the MSVC import library of the Windows DLL, and the
# linker map that scripts/check-notices.py reads. Included at the end of
# CMakeLists.txt; cmake/iocpws-cpack.cmake turns the installed tree into
# packages.
#
# Layout of an installed tree (CMAKE_INSTALL_PREFIX):
#   include/         iocpws.h, iocpws_loader.h, iocpws.hpp (C++ binding)
#   lib/             libiocpws.so* (Linux; lib/<multiarch> on Debian) or
#                    libiocpws.dll.a (mingw) + iocpws.lib (MSVC) + iocpws.def
#   bin/             iocpws.dll and the sample programs (Windows)
#   lib/cmake/iocpws, lib/pkgconfig/iocpws.pc
#   pascal/          (Windows; Linux: share/iocpws/pascal) the Pascal units
#   samples/         (Windows; Linux: share/iocpws/samples) sample sources
#   README.md, LICENSE, THIRD-PARTY-NOTICES, CHANGELOG.md at the top
#                    (Windows) or in share/doc/iocpws (Linux)

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# scripts/package.sh sets it: installed programs must not point into the
# build machine's source tree.
option(IWS_PACKAGE "Build for the release packages (scripts/package.sh)" OFF)

if(WIN32)
  set(IWS_INSTALL_DOCDIR .)
  set(IWS_INSTALL_DATADIR .)
else()
  set(IWS_INSTALL_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/iocpws)
  set(IWS_INSTALL_DATADIR ${CMAKE_INSTALL_DATAROOTDIR}/iocpws)
endif()
set(IWS_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/iocpws)

# ---- the linked set, for scripts/check-notices.py -------------------------
# GNU ld (Linux, mingw-w64) writes a map of every input it used.
if(NOT MSVC AND NOT APPLE)
  target_link_options(iocpws PRIVATE
    "-Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/iocpws.map")
endif()
if(IWS_BUILD_TESTS AND NOT MSVC AND NOT APPLE)
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_Interpreter_FOUND)
    add_test(NAME notices COMMAND ${Python3_EXECUTABLE}
      ${CMAKE_CURRENT_SOURCE_DIR}/scripts/check-notices.py
      ${CMAKE_CURRENT_BINARY_DIR}/iocpws.map)
    set_tests_properties(notices PROPERTIES TIMEOUT 60)
  endif()
endif()

# ---- MSVC import library for the mingw-built DLL --------------------------
# llvm-dlltool (Debian's llvm) writes a COFF short import library, the
# format lib.exe writes, from the .def: MSVC's link.exe (and lld-link,
# clang-cl, C++Builder's Win64x) accept it. On Win32 it maps the decorated
# __stdcall names a compiler emits (_iws_start@4) to the undecorated exports,
# from the decorated .def the mingw import library step wrote.
if(WIN32 AND MINGW)
  find_program(IWS_LLVM_DLLTOOL NAMES llvm-dlltool llvm-dlltool-16
               llvm-dlltool-15 llvm-dlltool-14)
  if(IWS_LLVM_DLLTOOL)
    if(CMAKE_SIZEOF_VOID_P EQUAL 4)
      set(_iws_msvc_args -m i386 -k -d ${CMAKE_CURRENT_BINARY_DIR}/iocpws-stdcall.def)
    else()
      set(_iws_msvc_args -m i386:x86-64 -d ${CMAKE_CURRENT_SOURCE_DIR}/dll/iocpws.def)
    endif()
    add_custom_command(TARGET iocpws POST_BUILD
      COMMAND ${IWS_LLVM_DLLTOOL} ${_iws_msvc_args} -D iocpws.dll
              -l ${CMAKE_CURRENT_BINARY_DIR}/iocpws.lib
      COMMENT "MSVC import library iocpws.lib (llvm-dlltool)"
      VERBATIM)
    set(IWS_MSVC_IMPLIB ${CMAKE_CURRENT_BINARY_DIR}/iocpws.lib)
  else()
    message(STATUS "iocpws: llvm-dlltool not found: no MSVC import library "
                   "(apt-get install llvm)")
  endif()
endif()

option(IWS_INSTALL "Generate the install rules" ${IWS_TOP_LEVEL})
if(NOT IWS_INSTALL)
  return()
endif()

# ---- the library, its headers and the export set ---------------------------
install(TARGETS iocpws EXPORT iocpwsTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES include/iocpws.h include/iocpws_loader.h bindings/cpp/iocpws.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(WIN32)
  install(FILES dll/iocpws.def DESTINATION ${CMAKE_INSTALL_LIBDIR})
  if(IWS_MSVC_IMPLIB)
    install(FILES ${IWS_MSVC_IMPLIB} DESTINATION ${CMAKE_INSTALL_LIBDIR})
  endif()
endif()

install(EXPORT iocpwsTargets NAMESPACE iocpws::
  FILE iocpwsTargets.cmake DESTINATION ${IWS_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/iocpwsConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/iocpwsConfig.cmake
  INSTALL_DESTINATION ${IWS_INSTALL_CMAKEDIR})
# 0.x: the minor version is the compatibility line until 1.0 (CHANGELOG:
# ABI 1 since 0.1); SameMajorVersion is what 1.x will keep.
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/iocpwsConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/iocpwsConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/iocpwsConfigVersion.cmake
  DESTINATION ${IWS_INSTALL_CMAKEDIR})

# pkg-config: prefix-relative, so an unpacked archive works where it lies.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(IWS_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(IWS_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(IWS_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(IWS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
file(RELATIVE_PATH IWS_PC_UP "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" IWS_PC_UP "${IWS_PC_UP}")
configure_file(cmake/iocpws.pc.in ${CMAKE_CURRENT_BINARY_DIR}/iocpws.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/iocpws.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# ---- documents, bindings, samples ----------------------------------------
install(FILES README.md LICENSE THIRD-PARTY-NOTICES CHANGELOG.md
  DESTINATION ${IWS_INSTALL_DOCDIR})
install(DIRECTORY bindings/pascal/ DESTINATION ${IWS_INSTALL_DATADIR}/pascal
  FILES_MATCHING PATTERN "*.pas" PATTERN "*.inc" PATTERN "*.dpk"
                 PATTERN "*.dproj" PATTERN "*.lpk" PATTERN "README.md")
install(FILES bindings/cpp/README.md DESTINATION ${IWS_INSTALL_DATADIR}/cpp)
install(DIRECTORY samples/ DESTINATION ${IWS_INSTALL_DATADIR}/samples)
if(IWS_BUILD_SAMPLES AND WIN32)
  # Ready to run next to iocpws.dll. (Linux: build them from the sources.)
  install(TARGETS echo_server web_chat_server cpp_echo_server cpp_chat_server
    cpp_http_server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  # The web samples' default document root is this source tree's
  # samples/web; installed, it is samples/web under the current directory
  # (the zip's top folder: bin\web_chat_server.exe), the samples' own default.
  if(IWS_PACKAGE)
    set_property(TARGET web_chat_server cpp_http_server PROPERTY COMPILE_DEFINITIONS)
  endif()
endif()
