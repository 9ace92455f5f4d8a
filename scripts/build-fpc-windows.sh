#!/usr/bin/env bash
# Builds Free Pascal's Windows run-time library (win64 and win32) from
# Debian's fpc-source, so that the Pascal bindings, tests and samples can be
# cross-compiled for Windows on this Debian machine and run under Wine.
# About 20 s from scratch; cached outside the repository, keyed by the FPC
# version and this recipe:
#   ${IWS_DEPS_CACHE:-$HOME/.cache/iocpws-deps}/fpc<version>-windows-r<recipe>/
#     units/x86_64-win64/{rtl,extra}   units/i386-win32/{rtl,extra}
#     bin/ppcross386                   an x86_64-hosted compiler for i386
#     bin/fpc-win64, bin/fpc-win32     wrappers: <wrapper> [fpc options] prog.dpr
#
#   scripts/build-fpc-windows.sh [win64|win32|all]       (default: all)
#   scripts/build-fpc-windows.sh --print-compiler win64|win32
#       prints the wrapper's path (exit 1 if that target is not built yet)
#
# "extra" holds the few units outside the RTL that Delphi-style code expects
# to find (FPC keeps them in packages/): SyncObjs and Contnrs (fcl-base),
# StrUtils, Variants, DateUtils (rtl-objpas), Generics.Collections
# (rtl-generics).
#
# Debian's fpc-source lacks the generated Makefiles, rtl/<cpu>/makefile.cpu
# and compiler/msg; they are made or copied here (see ../shared notes on
# Windows builds). Needs the packages fpc and fpc-source
# (scripts/install-windows-deps.sh installs them).
set -euo pipefail
export LC_ALL=C

CACHE=${IWS_DEPS_CACHE:-$HOME/.cache/iocpws-deps}
RECIPE=1
HOST_FPC=${IWS_HOST_FPC:-/usr/bin/ppcx64}

log() { echo "build-fpc-windows: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -x "$HOST_FPC" ] || die "$HOST_FPC not found: install the Debian package fpc"
FPC_VERSION=$("$HOST_FPC" -iV)
SRC=${IWS_FPC_SOURCE:-/usr/share/fpcsrc/$FPC_VERSION}
OUT=$CACHE/fpc$FPC_VERSION-windows-r$RECIPE

target_triple() { # win64|win32 -> "<cpu> <os> <unit dir>"
  case "$1" in
    win64) echo "x86_64 win64 x86_64-win64" ;;
    win32) echo "i386 win32 i386-win32" ;;
    *) die "unknown target '$1' (win64 or win32)" ;;
  esac
}

if [ "${1:-}" = --print-compiler ]; then
  target=${2:?usage: $0 --print-compiler win64|win32}
  target_triple "$target" >/dev/null
  [ -f "$OUT/.complete-$target" ] && [ -x "$OUT/bin/fpc-$target" ] || exit 1
  echo "$OUT/bin/fpc-$target"
  exit 0
fi

[ -d "$SRC/rtl" ] && [ -d "$SRC/compiler" ] ||
  die "FPC sources not found in $SRC: install the Debian package fpc-source"

# A private, writable copy of the sources with the missing pieces added.
prepare_source() {
  local work=$OUT/src
  [ -f "$work/.prepared" ] && return 0
  rm -rf "$work"
  mkdir -p "$work"
  cp -r "$SRC/rtl" "$SRC/compiler" "$work/"
  local msg
  msg=$(dirname "$(dirname "$(readlink -f "$HOST_FPC")")")/lib/x86_64-linux-gnu/fpc/$FPC_VERSION/msg
  [ -d "$msg" ] || msg=/usr/lib/x86_64-linux-gnu/fpc/$FPC_VERSION/msg
  [ -d "$msg" ] || die "the compiler's msg folder was not found (package fpc)"
  rm -rf "$work/compiler/msg"
  cp -r "$msg" "$work/compiler/msg"
  local cpu
  for cpu in x86_64 i386; do
    printf 'CPUNAMES=%s\nCPUINCNAMES=$(addsuffix .inc,$(CPUNAMES))\n' "$cpu" \
      >"$work/rtl/$cpu/makefile.cpu"
  done
  command -v fpcmake >/dev/null || die "fpcmake not found (package fpc)"
  (cd "$work/rtl" && fpcmake -Tall -r -w Makefile.fpc) >"$OUT/fpcmake.log" 2>&1 ||
    die "fpcmake failed in rtl (see $OUT/fpcmake.log)"
  (cd "$work/compiler" && fpcmake -Tall -r -w Makefile.fpc) >>"$OUT/fpcmake.log" 2>&1 ||
    die "fpcmake failed in compiler (see $OUT/fpcmake.log)"
  touch "$work/.prepared"
}

compiler_for() { # win64|win32 -> compiler path (builds ppcross386 once)
  if [ "$1" = win64 ]; then
    echo "$HOST_FPC"
    return 0
  fi
  if [ ! -x "$OUT/bin/ppcross386" ]; then
    log "building the i386 cross compiler"
    make -C "$OUT/src/compiler" compiler PPC_TARGET=i386 FPC="$HOST_FPC" \
      EXENAME=ppcross386 >"$OUT/ppcross386.log" 2>&1 ||
      die "building ppcross386 failed (see $OUT/ppcross386.log)"
    mkdir -p "$OUT/bin"
    cp "$OUT/src/compiler/ppcross386" "$OUT/bin/ppcross386"
  fi
  echo "$OUT/bin/ppcross386"
}

build_target() {
  local target=$1 cpu os units compiler
  read -r cpu os units <<<"$(target_triple "$target")"
  if [ -f "$OUT/.complete-$target" ] && [ -x "$OUT/bin/fpc-$target" ]; then
    log "$target: cached in $OUT"
    return 0
  fi
  mkdir -p "$OUT/bin"
  prepare_source
  compiler=$(compiler_for "$target")
  log "$target: building the RTL"
  local stage=$OUT/stage-$target
  rm -rf "$stage"
  make -C "$OUT/src/rtl" all install OS_TARGET="$os" CPU_TARGET="$cpu" \
    FPC="$compiler" INSTALL_PREFIX="$stage" >"$OUT/rtl-$target.log" 2>&1 ||
    die "the $target RTL failed to build (see $OUT/rtl-$target.log)"
  local rtl
  rtl=$(find "$stage" -type d -path "*/units/$units/rtl" | head -n 1)
  [ -n "$rtl" ] && [ -f "$rtl/system.ppu" ] || die "no $target system.ppu in $stage"
  rm -rf "$OUT/units/$units"
  mkdir -p "$OUT/units/$units/extra"
  mv "$rtl" "$OUT/units/$units/rtl"
  rm -rf "$stage"

  log "$target: building SyncObjs, Contnrs, StrUtils, Variants, DateUtils, Generics.Collections"
  local pkg=$SRC/packages f
  local inc=(-Fi"$pkg/fcl-base/src" -Fi"$pkg/rtl-objpas/src/inc"
    -Fi"$pkg/rtl-objpas/src/win" -Fu"$pkg/rtl-objpas/src/win"
    -Fu"$pkg/rtl-objpas/src/inc" -Fi"$pkg/rtl-generics/src/inc"
    -Fu"$pkg/rtl-generics/src")
  for f in fcl-base/src/syncobjs.pp fcl-base/src/contnrs.pp \
    rtl-objpas/src/inc/strutils.pp rtl-objpas/src/inc/variants.pp \
    rtl-objpas/src/inc/dateutils.pp rtl-generics/src/generics.collections.pas; do
    "$compiler" -n -T"$os" -P"$cpu" -Fu"$OUT/units/$units/rtl" \
      -Fu"$OUT/units/$units/extra" -FU"$OUT/units/$units/extra" "${inc[@]}" \
      "$pkg/$f" >>"$OUT/extra-$target.log" 2>&1 ||
      die "$f failed to build for $target (see $OUT/extra-$target.log)"
  done

  cat >"$OUT/bin/fpc-$target" <<EOF
#!/bin/sh
# Free Pascal for $target (built by scripts/build-fpc-windows.sh).
exec "$compiler" -n -T$os -P$cpu -Fu"$OUT/units/$units/rtl" -Fu"$OUT/units/$units/extra" "\$@"
EOF
  chmod +x "$OUT/bin/fpc-$target"
  touch "$OUT/.complete-$target"
  log "$target: done: $OUT/bin/fpc-$target"
}

case "${1:-all}" in
  all) build_target win64; build_target win32 ;;
  win64 | win32) build_target "$1" ;;
  *) die "usage: $0 [win64|win32|all] | --print-compiler win64|win32" ;;
esac
