#!/usr/bin/env bash
# The "package" tier of scripts/test.sh: the packages, used as a user uses
# them, without the source tree.
#
#   tests/package/run.sh RESULTS-DIR        writes RESULTS-DIR/package.xml
#
#  1. scripts/package.sh linux win64 win32 builds the .deb, the .tar.gz and
#     both zips (its notices checks included); CPack run again on the Linux
#     build gives the same bytes.
#  2. cmake --install into a temporary prefix; a small C (and C++) program
#     builds and runs against it with find_package(iocpws), with pkg-config,
#     and iocpws builds inside another project through add_subdirectory
#     (no tests, no samples, no cmocka); the .tar.gz, unpacked elsewhere,
#     serves find_package and pkg-config as well (relocatable).
#  3. dpkg -i the .deb, build and run the consumer against /usr with
#     find_package and pkg-config, dpkg -r it again (also when a step
#     fails), so no other tier sees it.
#  4. Each Windows zip, unpacked: the files it promises, its DLL's exports,
#     iocpws.lib linked by lld-link (MSVC mode; on Win32 through the
#     decorated __stdcall names) and run under Wine, and its echo_server.exe
#     under Wine answering Python's websockets. Without 32-bit Wine the
#     win32 runs print SKIPPED and are not counted (the link still is).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
RESULTS=$1
REPORT=$RESULTS/package.xml
PY=/usr/bin/python3
JUNIT="$PY $ROOT/tests/cpp/junit.py"
VERSION=$(sed -n 's/^project(iocpws VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
# The packages' dates (scripts/package.sh's default, fixed here so that the
# second CPack run below uses the same one).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/iocpws-package.XXXXXX")
DIST=$TMP/dist
rm -f "$REPORT"
status=0
deb_installed=0

cleanup() {
  if [ "$deb_installed" = 1 ]; then
    dpkg -r iocpws >/dev/null 2>&1
    dpkg --purge iocpws >/dev/null 2>&1
  fi
  if [ -n "${WINEPREFIX:-}" ]; then "${IWS_WINESERVER:-wineserver}" -k >/dev/null 2>&1; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

step() { # step <name> <command...>: one test case
  local name=$1 out rc
  shift
  out=$("$@" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then
    echo "PASS $name"
  else
    echo "FAIL $name (exit $rc)"
    printf '%s\n' "$out" | tail -40
    status=1
  fi
  $JUNIT case "$REPORT" "package:$name" $rc "$out"
  return $rc
}

# A consumer through find_package; PREFIX '' = the system (the .deb).
find_package_consumer() { # <prefix> <build dir>
  local -a pp=()
  [ -n "$1" ] && pp=(-DCMAKE_PREFIX_PATH="$1")
  cmake -S "$here/consumer" -B "$2" -G Ninja "${pp[@]}" &&
    cmake --build "$2" && "$2/consumer" && "$2/consumer_cpp"
}

# A consumer through pkg-config only; PCDIR '' = the system's search path.
pkg_config_consumer() { # <pcdir> <out dir>
  local cflags libs libdir
  if [ -n "$1" ]; then export PKG_CONFIG_PATH="$1"; else unset PKG_CONFIG_PATH; fi
  pkg-config --exists "iocpws = $VERSION" || { echo "pkg-config: no iocpws $VERSION"; return 1; }
  cflags=$(pkg-config --cflags iocpws) && libs=$(pkg-config --libs iocpws) &&
    libdir=$(pkg-config --variable=libdir iocpws) || return 1
  mkdir -p "$2"
  # shellcheck disable=SC2086 # flags are words
  cc -std=c11 -Wall -Wextra -Werror $cflags "$here/consumer/main.c" -o "$2/consumer" \
    $libs "-Wl,-rpath,$libdir" && "$2/consumer"
}

subdir_consumer() {
  cmake -S "$here/subdir" -B "$TMP/subdir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DIWS_SOURCE_DIR="$ROOT" && cmake --build "$TMP/subdir" &&
    "$TMP/subdir/consumer" && "$TMP/subdir/consumer_cpp"
}

same_bytes_again() { # cpack again on the Linux build: the same bytes
  local f
  (cd "$ROOT/build-package/linux" && cpack >/dev/null) || return 1
  for f in iocpws_${VERSION}_*.deb iocpws-$VERSION-linux-*.tar.gz; do
    cmp "$DIST/$(basename "$ROOT"/build-package/linux/$f)" "$ROOT/build-package/linux/"$f ||
      return 1
  done
  echo "cpack again: the same bytes"
}

deb_consumer() {
  local deb
  deb=$(ls "$DIST"/iocpws_"$VERSION"_*.deb) || return 1
  if dpkg-query -W -f='${Status}' iocpws 2>/dev/null | grep -q ' installed$'; then
    echo "a package iocpws is installed already: not touching it"
    return 1
  fi
  deb_installed=1
  dpkg -i "$deb" || return 1
  dpkg -L iocpws | grep -q '/usr/share/doc/iocpws/THIRD-PARTY-NOTICES$' ||
    { echo "the .deb has no THIRD-PARTY-NOTICES"; return 1; }
  find_package_consumer "" "$TMP/deb-fp" && pkg_config_consumer "" "$TMP/deb-pc"
  local rc=$?
  dpkg -r iocpws || rc=1
  # dpkg -r keeps the package's record ("config-files"): purge it too, so
  # the machine is as it was.
  dpkg --purge iocpws >/dev/null || rc=1
  deb_installed=0
  if [ -e /usr/include/iocpws.h ] || ls /usr/lib/*/libiocpws.so* >/dev/null 2>&1; then
    echo "dpkg -r left files behind"
    rc=1
  fi
  return $rc
}

tgz_consumer() {
  local tgz dir
  tgz=$(ls "$DIST"/iocpws-"$VERSION"-linux-*.tar.gz) || return 1
  mkdir -p "$TMP/tgz" && tar -xzf "$tgz" -C "$TMP/tgz" || return 1
  dir=$(ls -d "$TMP"/tgz/iocpws-*) || return 1
  [ -f "$dir/share/doc/iocpws/THIRD-PARTY-NOTICES" ] && [ -f "$dir/share/doc/iocpws/LICENSE" ] ||
    { echo "the .tar.gz lacks LICENSE or THIRD-PARTY-NOTICES"; return 1; }
  find_package_consumer "$dir" "$TMP/tgz-fp" &&
    pkg_config_consumer "$(dirname "$(find "$dir" -name iocpws.pc)")" "$TMP/tgz-pc"
}

zip_contents() { # the files the README promises
  local z=$1 arch=$2 f missing=""
  for f in bin/iocpws.dll bin/echo_server.exe bin/cpp_echo_server.exe \
    lib/libiocpws.dll.a lib/iocpws.lib lib/iocpws.def lib/cmake/iocpws/iocpwsConfig.cmake \
    lib/pkgconfig/iocpws.pc include/iocpws.h include/iocpws_loader.h include/iocpws.hpp \
    pascal/iocpws.lib.pas pascal/iocpws.server.pas pascal/sgcWebSocket_iocp.pas \
    pascal/iocpws.defines.inc samples/c/echo_server.c samples/delphi/echo_server.dpr \
    README.md LICENSE THIRD-PARTY-NOTICES CHANGELOG.md; do
    [ -f "$z/$f" ] || missing="$missing $f"
  done
  [ -z "$missing" ] || { echo "missing from the zip:$missing"; return 1; }
  "$PY" "$ROOT/scripts/check-exports.py" "$arch-w64-mingw32-objdump" "$z/bin/iocpws.dll"
}

msvc_link() { # iocpws.lib in MSVC mode: clang-cl's compiler + lld-link
  local z=$1 arch=$2 run=$3 machine
  [ "$arch" = x86_64 ] && machine=x64 || machine=x86
  clang --target="$arch-pc-windows-msvc" -ffreestanding -O1 -Wall -Werror \
    -I "$z/include" -c "$here/msvc_link_check.c" -o "$TMP/msvc_check-$arch.obj" &&
    lld-link /nologo /entry:mainCRTStartup /subsystem:console /nodefaultlib \
      /machine:$machine "$TMP/msvc_check-$arch.obj" "$z/lib/iocpws.lib" \
      /out:"$z/bin/msvc_link_check.exe" || return 1
  echo "lld-link + iocpws.lib ($machine): linked"
  [ "$run" = 1 ] || return 0
  bash "$ROOT/tests/wine/run-exe.sh" "$z/bin/msvc_link_check.exe" &&
    echo "the program ran under Wine and got the version from iocpws.dll"
}

zip_tier() { # zip_tier win64|win32
  local t=$1 arch=x86_64 run=1 why z
  if [ "$t" = win32 ]; then
    arch=i686
    why=$(bash "$ROOT/scripts/install-windows-deps.sh" --wine32-status 2>/dev/null)
    if [ "$why" != ok ]; then
      run=0
      echo "SKIPPED: package:$t runs (not counted): 32-bit Wine is not available: ${why:-unknown}"
    fi
  fi
  mkdir -p "$TMP/zip-$t"
  step "$t-zip-unpack" unzip -q "$DIST/iocpws-$VERSION-$t.zip" -d "$TMP/zip-$t" || return
  z=$TMP/zip-$t/iocpws-$VERSION-$t
  step "$t-zip-contents" zip_contents "$z" "$arch"
  step "$t-zip-msvc-import-lib" msvc_link "$z" "$arch" "$run"
  [ "$run" = 1 ] || return 0
  step "$t-zip-echo-wine" "$PY" "$here/echo_check.py" bash "$ROOT/tests/wine/run-exe.sh" \
    "$z/bin/echo_server.exe" 0
  "${IWS_WINESERVER:-wineserver}" -k >/dev/null 2>&1
}

echo "--- package: building the packages (scripts/package.sh linux win64 win32)"
if step build bash "$ROOT/scripts/package.sh" --out "$DIST" linux win64 win32; then
  step reproducible-cpack same_bytes_again
  step install-prefix cmake --install "$ROOT/build-package/linux" --prefix "$TMP/prefix"
  step find_package find_package_consumer "$TMP/prefix" "$TMP/fp"
  step pkg-config pkg_config_consumer "$(dirname "$(find "$TMP/prefix" -name iocpws.pc)")" "$TMP/pc"
  step add_subdirectory subdir_consumer
  step tar.gz tgz_consumer
  step deb deb_consumer

  export WINEPREFIX=$TMP/wineprefix-win64
  zip_tier win64
  export WINEPREFIX=$TMP/wineprefix-win32
  zip_tier win32
fi
[ -f "$REPORT" ] || $JUNIT case "$REPORT" "package:run" 1 "no step ran"
exit $status
