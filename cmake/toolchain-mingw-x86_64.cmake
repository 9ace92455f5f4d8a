# CMake toolchain: cross-build for 64-bit Windows with mingw-w64 on Debian,
# tests run through Wine (ctest uses CMAKE_CROSSCOMPILING_EMULATOR).
#
#   scripts/install-windows-deps.sh        # once, as root
#   scripts/build-windows-deps.sh x86_64   # static OpenSSL, cmocka
#   cmake -S . -B build-win64 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-x86_64.cmake \
#     -DIWS_DEPS_PREFIX=$(scripts/build-windows-deps.sh --print-prefix x86_64)
#
# IWS_DEPS_PREFIX (cache variable, or environment variable of the same name;
# if neither is set, scripts/build-windows-deps.sh --print-prefix is asked)
# is the only place libraries, headers and packages are looked for, besides
# the mingw-w64 sysroot. OpenSSL is found static (OPENSSL_USE_STATIC_LIBS).
# The binaries link libgcc (and libstdc++) statically, and the win32
# thread-model compilers are preferred, so a DLL built with this toolchain
# needs no mingw runtime DLL (libgcc_s_*, libstdc++-6, libwinpthread-1).
#
# cmake/toolchain-mingw-i686.cmake sets IWS_MINGW_ARCH=i686 and includes
# this file.

if(NOT DEFINED IWS_MINGW_ARCH)
  set(IWS_MINGW_ARCH x86_64)
endif()
set(_iws_triplet ${IWS_MINGW_ARCH}-w64-mingw32)

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR ${IWS_MINGW_ARCH})

# ---- compilers and binutils
# Prefer the win32 thread model (no libwinpthread-1.dll); plain names as a
# fallback (Debian points them at the same compilers by default).
find_program(IWS_MINGW_CC NAMES ${_iws_triplet}-gcc-win32 ${_iws_triplet}-gcc REQUIRED)
find_program(IWS_MINGW_CXX NAMES ${_iws_triplet}-g++-win32 ${_iws_triplet}-g++ REQUIRED)
set(CMAKE_C_COMPILER ${IWS_MINGW_CC})
set(CMAKE_CXX_COMPILER ${IWS_MINGW_CXX})
find_program(CMAKE_RC_COMPILER NAMES ${_iws_triplet}-windres REQUIRED)
foreach(_iws_tool AR RANLIB NM OBJDUMP OBJCOPY STRIP DLLTOOL)
  string(TOLOWER ${_iws_tool} _iws_tool_name)
  find_program(CMAKE_${_iws_tool} NAMES ${_iws_triplet}-${_iws_tool_name})
endforeach()

# ---- no mingw runtime DLLs
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")

# ---- where dependencies are found
if(NOT IWS_DEPS_PREFIX AND DEFINED ENV{IWS_DEPS_PREFIX})
  set(IWS_DEPS_PREFIX "$ENV{IWS_DEPS_PREFIX}")
endif()
if(NOT IWS_DEPS_PREFIX)
  get_filename_component(_iws_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
  if(EXISTS "${_iws_root}/scripts/build-windows-deps.sh")
    execute_process(
      COMMAND bash "${_iws_root}/scripts/build-windows-deps.sh" --print-prefix ${IWS_MINGW_ARCH}
      OUTPUT_VARIABLE _iws_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
      ERROR_QUIET RESULT_VARIABLE _iws_rc)
    if(_iws_rc EQUAL 0 AND _iws_prefix)
      set(IWS_DEPS_PREFIX "${_iws_prefix}")
    endif()
  endif()
endif()
set(IWS_DEPS_PREFIX "${IWS_DEPS_PREFIX}" CACHE PATH
    "Prefix of the cross-built static dependencies (scripts/build-windows-deps.sh)")
# A build tree configured with an older dependency recipe (another prefix
# under the same cache folder) keeps the paths it found there; drop them so
# they are found again under this prefix instead of mixing two recipes' files.
if(IWS_DEPS_PREFIX)
  get_filename_component(_iws_deps_root "${IWS_DEPS_PREFIX}" DIRECTORY)
  get_cmake_property(_iws_cached CACHE_VARIABLES)
  foreach(_iws_var IN LISTS _iws_cached)
    if(NOT _iws_var STREQUAL "IWS_DEPS_PREFIX")
      string(FIND "$CACHE{${_iws_var}}" "${_iws_deps_root}/" _iws_at_root)
      string(FIND "$CACHE{${_iws_var}}" "${IWS_DEPS_PREFIX}/" _iws_at_prefix)
      if(_iws_at_root EQUAL 0 AND NOT _iws_at_prefix EQUAL 0
         AND NOT "$CACHE{${_iws_var}}" STREQUAL "${IWS_DEPS_PREFIX}")
        unset(${_iws_var} CACHE)
      endif()
    endif()
  endforeach()
endif()
# try_compile projects read this file again: hand the prefix on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES IWS_DEPS_PREFIX IWS_MINGW_ARCH)

set(CMAKE_FIND_ROOT_PATH /usr/${_iws_triplet})
if(IWS_DEPS_PREFIX)
  list(PREPEND CMAKE_FIND_ROOT_PATH "${IWS_DEPS_PREFIX}")
  if(NOT DEFINED OPENSSL_ROOT_DIR)
    set(OPENSSL_ROOT_DIR "${IWS_DEPS_PREFIX}")
  endif()
  # pkg-config, for whoever uses it, sees only the prefix.
  set(ENV{PKG_CONFIG_LIBDIR} "${IWS_DEPS_PREFIX}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
if(NOT DEFINED OPENSSL_USE_STATIC_LIBS)
  set(OPENSSL_USE_STATIC_LIBS TRUE)
endif()

# ---- running the .exe files: Wine, headless
# x86_64: /usr/lib/wine/wine64 (package wine64). i686: the real 32-bit loader
# /usr/lib/wine/wine (package wine32:i386); /usr/bin/wine would fall back to
# wine64, which cannot run 32-bit programs, so it is not used.
if(IWS_MINGW_ARCH STREQUAL "x86_64")
  find_program(IWS_WINE NAMES wine64 PATHS /usr/lib/wine NO_DEFAULT_PATH)
  if(NOT IWS_WINE)
    find_program(IWS_WINE NAMES wine64 wine)
  endif()
  set(_iws_winearch win64)
else()
  # Used even if not installed (yet) or not runnable (a kernel without IA-32
  # emulation): the wrapper below says so at run time, exit code 127.
  set(IWS_WINE /usr/lib/wine/wine CACHE FILEPATH "32-bit Wine launcher for the tests")
  set(_iws_winearch win32)
endif()
# A small sh wrapper: quiet Wine (only its "err:" lines, which say why a
# program died before main), no Mono/Gecko installers, no winedbg on a
# crash (the exit code says it), one prefix per user and architecture under
# /tmp unless WINEPREFIX is set (test runners should set one per job). It
# starts the prefix's wineserver and Wine's own background processes itself,
# detached from the test's output, the server persistent for
# IWS_WINESERVER_PERSIST seconds (default 30). Started by a test, they would
# inherit ctest's output pipe and ctest would wait for them to exit (3 s or
# more per test); this way a test starts in ~0.2 s once the prefix is up. No
# ';' may appear in it (it would split the CMake list): hence the line
# breaks, and the ';' WINEDLLOVERRIDES needs is made at run time. Wine runs
# under setarch -R (no address-space randomisation), as in
# tests/wine/run-exe.sh, which says why.
set(_iws_wrapper [=[
w=@IWS_WINE@
if ! "$w" --version >/dev/null 2>&1
then
  echo "iocpws: Wine launcher $w is missing or cannot run on this machine (scripts/install-windows-deps.sh --status says why)" >&2
  exit 127
fi
export WINEDEBUG="${WINEDEBUG:--all,err+all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=$(printf '\073')winedbg.exe=d}"
export WINEPREFIX="${WINEPREFIX:-${TMPDIR:-/tmp}/iocpws-wine-$(id -u)-@WINEARCH@}"
if [ ! -d "$WINEPREFIX" ]
then
  export WINEARCH=@WINEARCH@
fi
unset DISPLAY WAYLAND_DISPLAY
r=
if setarch -R true 2>/dev/null
then
  r="setarch -R"
fi
for s in /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver32 "$(command -v wineserver)"
do
  if [ -n "$s" ] && [ -x "$s" ]
  then
    if "$s" -p"${IWS_WINESERVER_PERSIST:-30}" </dev/null >/dev/null 2>&1
    then
      $r "$w" wineboot </dev/null >/dev/null 2>&1 || :
    fi
    break
  fi
done
exec $r "$w" "$@"
]=])
string(REPLACE "@IWS_WINE@" "${IWS_WINE}" _iws_wrapper "${_iws_wrapper}")
string(REPLACE "@WINEARCH@" "${_iws_winearch}" _iws_wrapper "${_iws_wrapper}")
set(CMAKE_CROSSCOMPILING_EMULATOR /bin/sh -c "${_iws_wrapper}" iocpws-wine)
