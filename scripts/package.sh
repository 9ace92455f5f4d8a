#!/usr/bin/env bash
# Builds the release packages with CPack, reproducibly, and writes SHA256SUMS:
#
#   dist/iocpws-<v>-win64.zip         iocpws.dll (x64) and everything to use it
#   dist/iocpws-<v>-win32.zip         the same for 32-bit Windows
#   dist/iocpws_<v>_amd64.deb         libiocpws.so + development files, /usr
#   dist/iocpws-<v>-linux-x86_64.tar.gz   the same tree, relocatable
#   dist/SHA256SUMS
#
#   scripts/package.sh [--out DIR] [--verify] [linux] [win64] [win32]
#                                         (default: all three; --out: dist)
#
# Same inputs, same bytes: Release builds in fresh build directories under
# build-package/, source and build paths mapped away (-ffile-prefix-map), no
# PE time stamps (--no-insert-timestamp), every packaged file dated
# SOURCE_DATE_EPOCH (default: the time of the last commit), which CPack also
# uses for the archives' own headers. --verify builds everything a second
# time in other directories and fails unless the bytes are equal.
#
# The Windows builds use the cross toolchain and the dependency cache of
# scripts/build-windows-deps.sh (as the win64/win32 test tiers do); the MSVC
# import library needs llvm-dlltool (Debian: llvm).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/dist
VERIFY=0
TARGETS=()
while [ $# -gt 0 ]; do
  case $1 in
    --out) OUT=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --verify) VERIFY=1; shift ;;
    linux | win64 | win32) TARGETS+=("$1"); shift ;;
    *) echo "usage: $0 [--out DIR] [--verify] [linux] [win64] [win32]" >&2; exit 2 ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(linux win64 win32)
export LC_ALL=C TZ=UTC
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)}
umask 022

log() { echo "package.sh: $*" >&2; }

build_one() { # build_one <target> <build dir> <out dir>
  local t=$1 dir=$2 out=$3 arch
  local -a args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DIWS_BUILD_TESTS=OFF -DIWS_PACKAGE=ON)
  rm -rf "$dir"
  mkdir -p "$dir" "$out"
  # Read by CMake when it creates the cache (added to the toolchain's own).
  local map="-ffile-prefix-map=$ROOT=. -ffile-prefix-map=$dir=."
  export CFLAGS="$map" CXXFLAGS="$map" LDFLAGS=""
  case $t in
    linux)
      args+=(-DIWS_BUILD_SAMPLES=OFF -DCMAKE_INSTALL_PREFIX=/usr) ;;
    win64 | win32)
      arch=x86_64
      [ "$t" = win32 ] && arch=i686
      bash scripts/build-windows-deps.sh "$arch" >"$dir.deps.log" 2>&1 ||
        { tail -20 "$dir.deps.log"; return 1; }
      LDFLAGS="-Wl,--no-insert-timestamp"
      args+=(-DIWS_BUILD_SAMPLES=ON
             -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchain-mingw-$arch.cmake"
             -DIWS_DEPS_PREFIX="$(bash scripts/build-windows-deps.sh --print-prefix "$arch")") ;;
  esac
  log "$t: building in $dir"
  cmake -S "$ROOT" -B "$dir" "${args[@]}" >"$dir.configure.log" 2>&1 &&
    cmake --build "$dir" >"$dir.build.log" 2>&1 ||
    { cat "$dir.configure.log" "$dir.build.log" | tail -40; return 1; }
  # Every artefact carries its licenses: the linked set must be covered.
  python3 scripts/check-notices.py "$dir/iocpws.map" >"$dir.notices.log" 2>&1 ||
    { cat "$dir.notices.log"; return 1; }
  (cd "$dir" && cpack >"$dir.cpack.log" 2>&1) || { tail -30 "$dir.cpack.log"; return 1; }
  cp "$dir"/iocpws*.zip "$dir"/iocpws*.deb "$dir"/iocpws*.tar.gz "$out"/ 2>/dev/null || true
}

build_all() { # build_all <build root> <out dir>
  local t
  rm -rf "$2"
  mkdir -p "$2"
  for t in "${TARGETS[@]}"; do
    build_one "$t" "$1/$t" "$2" || { log "$t failed"; return 1; }
  done
  (cd "$2" && sha256sum -- iocpws* >SHA256SUMS)
}

build_all "$ROOT/build-package" "$OUT"
if [ "$VERIFY" = 1 ]; then
  build_all "$ROOT/build-package-verify" "$OUT.verify"
  if diff "$OUT/SHA256SUMS" "$OUT.verify/SHA256SUMS"; then
    log "reproducible: a second build in other directories gave the same bytes"
    rm -rf "$OUT.verify" "$ROOT/build-package-verify"
  else
    log "NOT reproducible: compare $OUT and $OUT.verify (diffoscope helps)"
    exit 1
  fi
fi
log "packages in $OUT:"
cat "$OUT/SHA256SUMS"
