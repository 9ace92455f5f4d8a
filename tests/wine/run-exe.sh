#!/bin/sh
# Runs a Windows test program (cross-built with mingw-w64) headless under
# Wine; standard input, output, error and the exit code pass through.
#
#   tests/wine/run-exe.sh PATH/TO/PROGRAM.exe [ARGS...]
#   tests/wine/run-exe.sh --prepare PATH/TO/PROGRAM.exe
#                         (every check and the prefix, but no run)
#
# - The launcher follows the PE header of the program: /usr/lib/wine/wine64
#   for x86-64, /usr/lib/wine/wine (package wine32:i386) for i386. IWS_WINE64
#   and IWS_WINE32 override them.
# - WINEPREFIX: from the environment, else one prefix per user and
#   architecture, ${TMPDIR:-/tmp}/iocpws-wine-<uid>-win64 or -win32 (the same
#   prefixes the cross toolchain's test emulator uses). A prefix that does
#   not exist yet is created first (wineboot; 10-20 s), so the program
#   itself starts at normal speed.
# - iocpws.dll: used from the program's directory if it is there; otherwise
#   from IWS_DLL_DIR (added to WINEPATH) or, when neither has it, the
#   program fails to start, so this script stops with a message first.
# - Started with setarch -R (no address-space randomisation: see below).
# - Quiet and headless: WINEDEBUG=-all,err+all (Wine's error lines only:
#   none in a normal run, and the only word on why a program died before
#   main, e.g. "err:module:..." before an exit status), no Mono/Gecko
#   installer (mscoree,mshtml disabled), no winedbg on a crash (the exit
#   code tells), no display.
set -eu

me=run-exe.sh
prepare=0
if [ "${1:-}" = --prepare ]; then
  prepare=1
  shift
fi
if [ $# -lt 1 ]; then
  echo "usage: $me [--prepare] PROGRAM.exe [ARGS...]" >&2
  exit 2
fi
exe=$1
shift
if [ ! -f "$exe" ]; then
  echo "$me: no such file: $exe" >&2
  exit 2
fi

# Machine field of a PE file: 8664 (x86-64), 14c (i386), '' if not PE.
pe_machine() {
  # e_lfanew: 4 bytes little-endian at 0x3c; then "PE\0\0" and the machine.
  lfanew=$(od -A n -t u4 -j 60 -N 4 "$1" 2>/dev/null | tr -d ' ')
  [ -n "$lfanew" ] || return 0
  sig=$(od -A n -t x1 -j "$lfanew" -N 4 "$1" 2>/dev/null | tr -d ' ')
  [ "$sig" = 50450000 ] || return 0
  od -A n -t x2 -j $((lfanew + 4)) -N 2 "$1" 2>/dev/null | tr -d ' ' |
    sed 's/^0*//'
}

machine=$(pe_machine "$exe")
case $machine in
  8664)
    arch=win64
    wine=${IWS_WINE64:-/usr/lib/wine/wine64}
    ;;
  14c)
    arch=win32
    wine=${IWS_WINE32:-/usr/lib/wine/wine}
    ;;
  *)
    echo "$me: $exe is not an x86-64 or i386 Windows program" \
      "(PE machine '${machine:-none}')" >&2
    exit 2
    ;;
esac
if [ ! -x "$wine" ]; then
  echo "$me: Wine launcher $wine is not installed" \
    "(scripts/install-windows-deps.sh)" >&2
  exit 127
fi
if [ "$arch" = win32 ] && ! "$wine" --version >/dev/null 2>&1; then
  # The 32-bit loader is an i386 ELF program: it needs the kernel's IA-32
  # emulation (and the i386 C library).
  echo "$me: $wine cannot run on this system" \
    "(32-bit ELF programs fail: kernel without IA-32 emulation?)" >&2
  exit 126
fi

exe_dir=$(cd "$(dirname "$exe")" && pwd)
exe_abs=$exe_dir/$(basename "$exe")

# iocpws.dll, of the same architecture as the program.
dll=
if [ -f "$exe_dir/iocpws.dll" ]; then
  dll=$exe_dir/iocpws.dll
elif [ -n "${IWS_DLL_DIR:-}" ] && [ -f "$IWS_DLL_DIR/iocpws.dll" ]; then
  dll_dir=$(cd "$IWS_DLL_DIR" && pwd)
  dll=$dll_dir/iocpws.dll
  # Wine paths: the Unix root is drive Z:.
  win_dir="Z:$(printf '%s' "$dll_dir" | tr / '\\')"
  export WINEPATH="$win_dir${WINEPATH:+;$WINEPATH}"
elif command -v "${OBJDUMP:-objdump}" >/dev/null 2>&1 &&
  "${OBJDUMP:-objdump}" -p "$exe_abs" 2>/dev/null |
  grep -qi 'DLL Name: iocpws.dll'; then
  echo "$me: $exe imports iocpws.dll, but it is neither in $exe_dir nor" \
    "in IWS_DLL_DIR: copy it next to the program" >&2
  exit 2
fi
if [ -n "$dll" ] && [ "$(pe_machine "$dll")" != "$machine" ]; then
  echo "$me: $dll is not built for the same machine as $exe" \
    "($(pe_machine "$dll") vs $machine)" >&2
  exit 2
fi

export WINEDEBUG="${WINEDEBUG:--all,err+all}"
# Without address-space randomisation (setarch -R). Debian's wine64 has no
# preloader: it is a fixed-address program (0x7d000000) whose brk heap the
# kernel starts anywhere in the next 1 GiB. About once in 7700 starts
# (132 KiB of heap in 1 GiB) that heap covers 0x7ffe0000, where Wine must
# map Windows' shared user data, and the program exits 1 before main:
# "err:virtual:virtual_alloc_first_teb wine: failed to map the shared user
# data: c0000018". See scripts/README-windows.md ("Wine start-up").
norandom=
if command -v setarch >/dev/null 2>&1 && setarch -R true 2>/dev/null; then
  norandom="setarch -R"
fi
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=;winedbg.exe=d}"
export WINEPREFIX="${WINEPREFIX:-${TMPDIR:-/tmp}/iocpws-wine-$(id -u)-$arch}"
unset DISPLAY WAYLAND_DISPLAY

if [ ! -f "$WINEPREFIX/system.reg" ]; then
  # First use of this prefix: create it now, alone, so the program's own
  # start is not slowed by it (callers wait for its first output). mkdir as
  # a lock: parallel first uses wait for one another.
  mkdir -p "$(dirname "$WINEPREFIX")"
  lock=$WINEPREFIX.creating
  if mkdir "$lock" 2>/dev/null; then
    trap 'rmdir "$lock" 2>/dev/null || true' EXIT
    WINEARCH=$arch $norandom "$wine" wineboot.exe -u >/dev/null 2>&1 || true
    # wineboot returns before the prefix is written; wait for the server.
    WINEPREFIX=$WINEPREFIX /usr/lib/wine/wineserver -w 2>/dev/null || true
    rmdir "$lock" 2>/dev/null || true
    trap - EXIT
  else
    n=0
    while [ -d "$lock" ] && [ $n -lt 1200 ]; do
      sleep 0.1
      n=$((n + 1))
    done
  fi
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "$me: could not create the Wine prefix $WINEPREFIX" >&2
    exit 1
  fi
fi

[ $prepare -eq 1 ] && exit 0
exec $norandom "$wine" "$exe_abs" "$@"
