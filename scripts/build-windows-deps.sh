#!/usr/bin/env bash
# Cross-builds the Windows DLL's dependencies with mingw-w64, as static
# libraries, from Debian's source packages:
#   OpenSSL 3.0 (libcrypto.a, libssl.a)   source package openssl
#   cmocka      (libcmocka.a)             source package cmocka
#   hiredis     (libhiredis.a)            source package hiredis if it has
#                                         Winsock support (sockcompat.c, hiredis
#                                         >= 1.0), else the copy that Debian's
#                                         redis source bundles (deps/hiredis;
#                                         bookworm: hiredis 0.14.1 has none,
#                                         redis 7.0.15 bundles hiredis 1.0.3)
# into a cache outside the repository, keyed by versions:
#   ${IWS_DEPS_CACHE:-$HOME/.cache/iocpws-deps}/<arch>-openssl<v>-cmocka<v>-hiredis<v>/{include,lib}
# (wslay is not among them: CMake builds it from dll/third_party/wslay.)
# A prefix with a completion stamp is reused as it is (a run takes seconds).
# A prefix of an earlier recipe with the same OpenSSL and cmocka versions,
# built exactly as now (recipes 2 and 3, which also had wslay in their
# names and files), is copied without wslay and only hiredis is added.
#
#   scripts/build-windows-deps.sh [x86_64|i686|all]    (default: all)
#   scripts/build-windows-deps.sh --print-prefix x86_64|i686
#
# The last line printed per architecture is "PREFIX <path>"; --print-prefix
# prints only the path of a completed prefix (exit 1 if there is none).
# Needs: mingw-w64, cmake, ninja-build, perl, make, dpkg-dev and deb-src
# entries (scripts/install-windows-deps.sh sets all of it up).
#
# Optional environment:
#   IWS_DEPS_CACHE            cache root (default ~/.cache/iocpws-deps)
#   IWS_OPENSSL_DEB_VERSION   e.g. 3.0.17-1~deb12u2 (default: the newest that downloads)
#   IWS_CMOCKA_DEB_VERSION    likewise
#   IWS_HIREDIS_DEB_VERSION, IWS_REDIS_DEB_VERSION  likewise (hiredis' sources)
#   IWS_DEPS_JOBS             make -j (default: nproc)
#   IWS_DEPS_REBUILD=1        ignore an existing stamp and rebuild
#
# Linking notes for users of the prefix: libcrypto.a needs -lws2_32 -lgdi32
# -lcrypt32 (and -ladvapi32 -luser32, in the default mingw link line);
# libhiredis.a needs -lws2_32 (after it on the link line).

set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IWS_DEPS_CACHE:-$HOME/.cache/iocpws-deps}
JOBS=${IWS_DEPS_JOBS:-$(nproc 2>/dev/null || echo 2)}
# OpenSSL: -O2 (as Debian builds it; the mingw targets default to -O3, which
# compiles noticeably slower) and without parts a WebSocket server never
# uses (CMS, CMP, time stamping, SRP, certificate transparency, TLS
# compression, rare national/legacy ciphers). TLS 1.2/1.3, X.509, PKCS#12,
# PEM, the EVP API and the engine API stay.
OPENSSL_OPTIONS=${IWS_OPENSSL_OPTIONS:-"-O2 no-cms no-cmp no-ts no-srp no-ct no-comp no-idea no-seed no-whirlpool no-mdc2 no-sm2 no-sm3 no-sm4 no-gost"}
# Bump when the way the prefix is built changes: older prefixes are rebuilt.
# 3: hiredis added. 4: wslay no longer here (dll/third_party/wslay).
# BASE_RECIPES: the recipes whose OpenSSL and cmocka are built exactly as in
# this one (such a prefix is copied, not rebuilt).
RECIPE=4
BASE_RECIPES="2 3"
OPENSSL_WINPREFIX="C:/Program Files/OpenSSL"
STAMP=.iws-deps-complete

log() { echo "build-windows-deps: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

triplet() {
  case "$1" in
    x86_64) echo x86_64-w64-mingw32 ;;
    i686) echo i686-w64-mingw32 ;;
    *) die "unknown architecture '$1' (x86_64 or i686)" ;;
  esac
}

key() { echo "$1" | tr '~:+' '__p'; } # a version as a path component

stamp_ok() { # stamp_ok DIR [RECIPE]
  [ -f "$1/$STAMP" ] && grep -qx "recipe=${2:-$RECIPE}" "$1/$STAMP" &&
    grep -qxF "openssl_options=$OPENSSL_OPTIONS" "$1/$STAMP"
}

# A completed prefix for ARCH that matches any pinned versions; newest first.
find_prefix() {
  local arch=$1 d best=""
  local o="*" c="*"
  [ -n "${IWS_OPENSSL_DEB_VERSION:-}" ] && o=$(key "$IWS_OPENSSL_DEB_VERSION")
  [ -n "${IWS_CMOCKA_DEB_VERSION:-}" ] && c=$(key "$IWS_CMOCKA_DEB_VERSION")
  # shellcheck disable=SC2206 # the version parts are glob patterns
  local candidates=("$CACHE"/$arch-openssl$o-cmocka$c-hiredis*)
  for d in "${candidates[@]}"; do
    case "$d" in *.partial) continue ;; esac
    stamp_ok "$d" || continue
    if [ -n "${IWS_HIREDIS_DEB_VERSION:-}" ] &&
      ! grep -qx "hiredis_deb=$IWS_HIREDIS_DEB_VERSION" "$d/$STAMP"; then continue; fi
    if [ -n "${IWS_REDIS_DEB_VERSION:-}" ] &&
      ! grep -qx "redis_deb=$IWS_REDIS_DEB_VERSION" "$d/$STAMP"; then continue; fi
    if [ -z "$best" ] || [ "$d/$STAMP" -nt "$best/$STAMP" ]; then best=$d; fi
  done
  [ -n "$best" ] && echo "$best"
}

# ------------------------------------------------------------------ sources
SRC=$CACHE/src

# Versions of a source package known to apt, newest first.
src_versions() {
  apt-cache showsrc --only-source "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -u -r -V
}

# fetch_source PKG [VERSION] -> prints the unpacked source directory.
# Tries the pinned version, else every version apt knows, newest first, and
# keeps the first whose files download (a mirror can list a .dsc it lacks).
fetch_source() {
  local pkg=$1 want=${2:-} v dir
  local versions
  if [ -n "$want" ]; then versions=$want; else versions=$(src_versions "$pkg"); fi
  [ -n "$versions" ] || die "apt knows no source package '$pkg': deb-src entries missing? run scripts/install-windows-deps.sh"
  for v in $versions; do
    dir=$SRC/${pkg}_$(key "$v")
    if [ -f "$dir/.unpacked" ]; then
      echo "$dir/src"
      return 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    log "apt-get source $pkg=$v"
    if (cd "$dir" && apt-get source --download-only -q "$pkg=$v") >"$dir/download.log" 2>&1; then
      if (cd "$dir" && dpkg-source -x ./*.dsc src) >>"$dir/download.log" 2>&1; then
        echo "$v" >"$dir/version"
        touch "$dir/.unpacked"
        echo "$dir/src"
        return 0
      fi
      log "unpacking $pkg=$v failed (see $dir/download.log)"
    else
      log "$pkg=$v did not download: $(grep -E '^(E|Err)' "$dir/download.log" | head -1)"
    fi
    rm -rf "$dir"
  done
  die "no version of source package '$pkg' could be downloaded"
}

deb_version() { cat "$(dirname "$1")/version"; } # of an unpacked source dir

# ------------------------------------------------------------------- builds
build_openssl() { # build_openssl SRCDIR ARCH PREFIX WORK
  local src=$1 arch=$2 prefix=$3 work=$4 tgt
  case "$arch" in x86_64) tgt=mingw64 ;; i686) tgt=mingw ;; esac
  local b=$work/openssl
  cp -a "$src" "$b"
  # Debian's pic.patch makes the x86 perlasm use ELF GOT/PLT relocations,
  # which COFF cannot represent (i686: "cannot represent relocation type
  # BFD_RELOC_386_GOTPC"). Every other Debian patch (security fixes) stays.
  if [ -f "$b/debian/patches/pic.patch" ]; then
    (cd "$b" && patch -R -p1 -s <debian/patches/pic.patch) >"$work/openssl.log" 2>&1 ||
      { cat "$work/openssl.log" >&2; die "OpenSSL: could not revert debian/patches/pic.patch"; }
  fi
  # The built-in OPENSSLDIR (openssl.cnf), ENGINESDIR and MODULESDIR must be
  # Windows directories that only administrators can write, not a path of
  # this machine (which Windows would resolve as C:\root\...). Configure
  # rejects non-POSIX paths, so they are set as make variables.
  local winprefix=$OPENSSL_WINPREFIX
  # shellcheck disable=SC2086 # OPENSSL_OPTIONS is a list of words
  (
    cd "$b" &&
      ./Configure "$tgt" --cross-compile-prefix="$(triplet "$arch")-" \
        no-shared no-tests --prefix="$prefix" --libdir=lib $OPENSSL_OPTIONS &&
      make -j"$JOBS" build_libs \
        OPENSSLDIR="C:/Program Files/Common Files/SSL" \
        ENGINESDIR="$winprefix/lib/engines-3" MODULESDIR="$winprefix/lib/ossl-modules" &&
      make install_dev
  ) >>"$work/openssl.log" 2>&1 || { tail -30 "$work/openssl.log" >&2; die "OpenSSL build failed ($arch)"; }
  grep -q 'OPENSSLDIR="\\"C:/Program Files/Common Files/SSL' "$work/openssl.log" ||
    die "OpenSSL ($arch): OPENSSLDIR override not applied"
  if [ ! -f "$prefix/lib/libcrypto.a" ] || [ ! -f "$prefix/lib/libssl.a" ]; then
    die "OpenSSL ($arch): libcrypto.a/libssl.a not installed"
  fi
  rm -f "$prefix"/lib/*.dll.a
  rm -rf "${prefix:?}/bin"
}

build_cmocka() { # build_cmocka SRCDIR ARCH PREFIX WORK
  local src=$1 arch=$2 prefix=$3 work=$4
  local b=$work/cmocka
  (
    cmake -S "$src" -B "$b" -G Ninja \
      -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchain-mingw-$arch.cmake" \
      -DCMAKE_BUILD_TYPE=Release -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF \
      -DUNIT_TESTING=OFF -DPICKY_DEVELOPER=OFF -DCMAKE_INSTALL_PREFIX="$prefix" &&
      cmake --build "$b" --target cmocka-static
  ) >"$work/cmocka.log" 2>&1 || { tail -30 "$work/cmocka.log" >&2; die "cmocka build failed ($arch)"; }
  local lib
  lib=$(find "$b" -name 'libcmocka-static.a' | head -1)
  [ -n "$lib" ] || die "cmocka: libcmocka-static.a not built"
  mkdir -p "$prefix/include" "$prefix/lib"
  # Static only, under the name find_library(cmocka) looks for.
  cp "$lib" "$prefix/lib/libcmocka.a"
  cp "$lib" "$prefix/lib/libcmocka-static.a"
  cp "$src"/include/cmocka.h "$src"/include/cmocka_pbc.h "$prefix/include/"
}

# hiredis 1.x: its own source list (CMakeLists.txt: hiredis_sources), with
# the Winsock layer (sockcompat.c) that mingw builds use. No TLS (ssl.c):
# the Linux build's hiredis (Debian's 0.14.1) has none, so the DLL has none.
build_hiredis() { # build_hiredis SRCDIR ARCH PREFIX WORK
  local src=$1 arch=$2 prefix=$3 work=$4 t f
  t=$(triplet "$arch")
  [ -f "$src/sockcompat.c" ] || die "hiredis in $src has no sockcompat.c (no Winsock support)"
  local b=$work/hiredis
  mkdir -p "$b"
  : >"$work/hiredis.log"
  for f in alloc async dict hiredis net read sds sockcompat; do
    # _WIN32_WINNT: the DLL's API level (Windows 7; WSAPoll, inet_ntop).
    "$t-gcc" -O2 -Wall -D_WIN32_WINNT=0x0601 -DWIN32_LEAN_AND_MEAN -I"$src" \
      -c "$src/$f.c" -o "$b/$f.o" >>"$work/hiredis.log" 2>&1 ||
      { cat "$work/hiredis.log" >&2; die "hiredis: $f.c failed to compile ($arch)"; }
  done
  rm -f "$b/libhiredis.a"
  "$t-ar" rcs "$b/libhiredis.a" "$b"/*.o
  local sym missing="" syms
  syms=$("$t-nm" -g --defined-only "$b/libhiredis.a")
  for sym in redisConnectWithTimeout redisSetTimeout redisCommand redisAppendCommand \
    redisGetReply redisBufferRead redisReaderGetReply freeReplyObject redisFree \
    win32_connect win32_poll; do
    grep -qE " T _?$sym\$" <<<"$syms" || missing+=" $sym"
  done
  [ -z "$missing" ] || die "libhiredis.a ($arch) lacks:$missing"
  mkdir -p "$prefix/include/hiredis/adapters" "$prefix/lib/pkgconfig"
  # The headers its Makefile installs, and sockcompat.h (net.h needs it).
  cp "$src/hiredis.h" "$src/async.h" "$src/read.h" "$src/sds.h" "$src/alloc.h" \
    "$src/sockcompat.h" "$prefix/include/hiredis/"
  cp "$src"/adapters/*.h "$prefix/include/hiredis/adapters/"
  cp "$src/COPYING" "$prefix/include/hiredis/COPYING"
  cp "$b/libhiredis.a" "$prefix/lib/"
  cat >"$prefix/lib/pkgconfig/hiredis.pc" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: hiredis
Description: Minimalistic C client library for Redis (static, mingw-w64)
Version: $(hiredis_version "$src")
Libs: -L\${libdir} -lhiredis -lws2_32
Cflags: -I\${includedir}
EOF
}

hiredis_version() { # MAJOR.MINOR.PATCH from a source tree's hiredis.h
  local h=$1/hiredis.h part v=""
  for part in MAJOR MINOR PATCH; do
    v+=${v:+.}$(sed -n "s/^#define HIREDIS_$part \([0-9]*\).*/\1/p" "$h")
  done
  echo "$v"
}

build_arch() { # build_arch ARCH -> prints "PREFIX <path>" last
  local arch=$1 t
  t=$(triplet "$arch")
  command -v "$t-gcc" >/dev/null || die "$t-gcc not found: run scripts/install-windows-deps.sh"

  if [ "${IWS_DEPS_REBUILD:-0}" != 1 ]; then
    local have
    if have=$(find_prefix "$arch"); then
      log "$arch: up to date ($have)"
      echo "PREFIX $have"
      return 0
    fi
  fi

  local t0=$SECONDS
  local ossl cmk
  ossl=$(fetch_source openssl "${IWS_OPENSSL_DEB_VERSION:-}")
  cmk=$(fetch_source cmocka "${IWS_CMOCKA_DEB_VERSION:-}")
  # hiredis: Debian's own package when it can do Winsock, else the copy in
  # Debian's redis source (the one redis-cli is built with).
  local hdeb hsrc vh hfrom rdeb=""
  hdeb=$(fetch_source hiredis "${IWS_HIREDIS_DEB_VERSION:-}")
  if [ -f "$hdeb/sockcompat.c" ]; then
    hsrc=$hdeb
    hfrom="hiredis $(deb_version "$hdeb")"
  else
    rdeb=$(fetch_source redis "${IWS_REDIS_DEB_VERSION:-}")
    hsrc=$rdeb/deps/hiredis
    hfrom="redis $(deb_version "$rdeb") deps/hiredis (hiredis $(deb_version "$hdeb") has no Winsock support)"
  fi
  local vo vc
  vo=$(deb_version "$ossl")
  vc=$(deb_version "$cmk")
  vh=$(hiredis_version "$hsrc")
  local prefix
  prefix=$CACHE/$arch-openssl$(key "$vo")-cmocka$(key "$vc")-hiredis$(key "$vh")
  if [ "${IWS_DEPS_REBUILD:-0}" != 1 ] && stamp_ok "$prefix"; then
    log "$arch: up to date ($prefix)"
    echo "PREFIX $prefix"
    return 0
  fi

  log "$arch: building OpenSSL $vo, cmocka $vc, hiredis $vh ($hfrom) -> $prefix"
  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/iocpws-deps-$arch.XXXXXX")
  WORK_DIRS+=("$work")
  # Build into a staging prefix; the real one appears only when complete.
  # OpenSSL records its prefix only in its .pc files, fixed up below.
  local stage=$prefix.partial
  rm -rf "$stage"
  mkdir -p "$stage"
  local t1=$SECONDS pc base="" d r
  if [ "${IWS_DEPS_REBUILD:-0}" != 1 ]; then
    # An earlier recipe's prefix with this OpenSSL and cmocka (its name had
    # -wslay<v>- in it; recipe 3's also -hiredis<v>).
    for d in "$CACHE/$arch-openssl$(key "$vo")"-wslay*-cmocka"$(key "$vc")"{,-hiredis*}; do
      case "$d" in *.partial) continue ;; esac
      for r in $BASE_RECIPES; do
        if stamp_ok "$d" "$r"; then base=$d; break 2; fi
      done
    done
  fi
  if [ -n "$base" ]; then
    # The same OpenSSL and cmocka, built the same way: copied, without wslay
    # and without an earlier hiredis (built again below).
    log "$arch: OpenSSL and cmocka copied from $base"
    cp -a "$base/." "$stage/"
    rm -rf "$stage/$STAMP" "$stage/BUILDINFO" "$stage/include/wslay" "$stage/include/hiredis" \
      "$stage"/lib/libwslay.a "$stage"/lib/libhiredis*.a "$stage"/lib/pkgconfig/libwslay.pc \
      "$stage"/lib/pkgconfig/hiredis*.pc "$stage"/wslay.log "$stage"/hiredis.log
    for pc in "$stage"/lib/pkgconfig/*.pc; do
      sed -i "s|$base|$stage|g" "$pc"
    done
  else
    build_openssl "$ossl" "$arch" "$stage" "$work"
    log "$arch: OpenSSL done ($((SECONDS - t1)) s)"
    t1=$SECONDS
    build_cmocka "$cmk" "$arch" "$stage" "$work"
    log "$arch: cmocka done ($((SECONDS - t1)) s)"
  fi
  t1=$SECONDS
  build_hiredis "$hsrc" "$arch" "$stage" "$work"
  log "$arch: hiredis done ($((SECONDS - t1)) s)"

  # Point the pkg-config files at the final location.
  for pc in "$stage"/lib/pkgconfig/*.pc; do
    sed -i "s|$stage|$prefix|g" "$pc"
  done
  local winprefix=$OPENSSL_WINPREFIX
  cp "$work"/*.log "$stage/" 2>/dev/null || true
  {
    echo "arch=$arch"
    echo "triplet=$t"
    echo "openssl=$vo"
    echo "openssl_dirs=OPENSSLDIR C:/Program Files/Common Files/SSL, ENGINESDIR/MODULESDIR under $winprefix/lib"
    echo "cmocka=$vc"
    echo "hiredis=$vh from $hfrom"
    echo "compiler=$("$t-gcc" --version | head -1)"
    echo "libs: crypto+ssl need -lws2_32 -lgdi32 -lcrypt32; hiredis needs -lws2_32"
  } >"$stage/BUILDINFO"
  {
    echo "recipe=$RECIPE"
    echo "openssl_options=$OPENSSL_OPTIONS"
    echo "hiredis_deb=$(deb_version "$hdeb")"
    [ -z "$rdeb" ] || echo "redis_deb=$(deb_version "$rdeb")"
    date -u +%Y-%m-%dT%H:%M:%SZ
  } >"$stage/$STAMP"
  rm -rf "$prefix"
  mv "$stage" "$prefix"
  rm -rf "$work"
  log "$arch: complete in $((SECONDS - t0)) s"
  echo "PREFIX $prefix"
}

# --------------------------------------------------------------------- main
case "${1:-all}" in
  --print-prefix)
    arch=${2:?usage: $0 --print-prefix x86_64|i686}
    triplet "$arch" >/dev/null
    find_prefix "$arch" || { log "no completed prefix for $arch under $CACHE; run $0 $arch"; exit 1; }
    exit 0 ;;
  -h | --help) sed -n '2,38p' "$0"; exit 0 ;;
  all) ARCHES="x86_64 i686" ;;
  x86_64 | i686) ARCHES=$1 ;;
  *) die "usage: $0 [x86_64|i686|all] | --print-prefix ARCH" ;;
esac

mkdir -p "$CACHE" "$SRC"
# One builder at a time per cache (concurrent CI jobs on one machine).
exec 9>"$CACHE/.build.lock"
if command -v flock >/dev/null; then flock 9; fi

T0=$SECONDS
RES=$(mktemp)
WORK_DIRS=()
cleanup() { rm -f "$RES"; [ "${#WORK_DIRS[@]}" -eq 0 ] || rm -rf "${WORK_DIRS[@]}"; }
trap cleanup EXIT
for a in $ARCHES; do
  build_arch "$a" >>"$RES"
done
log "total $((SECONDS - T0)) s"
grep '^PREFIX ' "$RES"
