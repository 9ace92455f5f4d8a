# CMake toolchain: cross-build for 32-bit Windows with mingw-w64 on Debian,
# tests run through 32-bit Wine (/usr/lib/wine/wine, package wine32:i386).
#
#   scripts/install-windows-deps.sh        # once, as root (tries wine32)
#   scripts/build-windows-deps.sh i686     # static OpenSSL, cmocka
#   cmake -S . -B build-win32 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-i686.cmake \
#     -DIWS_DEPS_PREFIX=$(scripts/build-windows-deps.sh --print-prefix i686)
#
# Everything else (IWS_DEPS_PREFIX, static runtime, find modes, the Wine
# wrapper) is shared with the x86_64 toolchain file.
set(IWS_MINGW_ARCH i686)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-mingw-x86_64.cmake)
