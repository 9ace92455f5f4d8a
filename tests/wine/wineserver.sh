#!/bin/sh
# One wineserver for a whole test tier: started, ready and the prefix booted
# before the first test program runs; ended after the last.
#
#   tests/wine/wineserver.sh start PROGRAM.exe [LOG]   (WINEPREFIX set)
#   tests/wine/wineserver.sh stop                      (WINEPREFIX set)
#
# start: creates the prefix if needed (run-exe.sh --prepare, for PROGRAM's
#   architecture), then starts a wineserver that stays until "stop"
#   (wineserver -p), with its standard error appended to LOG (default
#   $WINEPREFIX.wineserver.log; the server's own messages, e.g. "Protocol
#   error", go nowhere else), and boots the prefix once (wineboot: services.exe,
#   explorer.exe, winedevice.exe ...), detached from every test's output.
#   Fails, saying why, when no server can be made to stay.
# stop: ends that server and everything running in the prefix
#   (wineserver -k; it returns when the server is gone).
#
# Why not let the programs start the server themselves: Debian's
# /usr/lib/wine/wineserver is a wrapper that runs wineserver64 -p0, and that
# is the server a Wine program starts when none is running. It exits as soon
# as the last program of the prefix has ended, so a test suite that runs one
# program after another gets a new server, and a new prefix boot (wineboot
# --init and the services above) for nearly every program, and every program
# start races with the previous server's shutdown. A "wineserver -p" run
# while such a server is still shutting down does not start anything (the
# prefix's lock is held: exit status 2) -- the runners used to ignore that.
# See scripts/README-windows.md ("Wine start-up").
set -eu

me=wineserver.sh
here=$(cd "$(dirname "$0")" && pwd)

: "${WINEPREFIX:?$me: set WINEPREFIX}"
export WINEPREFIX
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=;winedbg.exe=d}"
unset DISPLAY WAYLAND_DISPLAY

# The server binary itself, not Debian's wrapper script (which adds -p0).
server=
for s in ${IWS_WINESERVER:-} /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver32 \
  "$(command -v wineserver 2>/dev/null || true)"; do
  if [ -n "$s" ] && [ -x "$s" ]; then
    server=$s
    break
  fi
done
if [ -z "$server" ]; then
  echo "$me: no wineserver found (scripts/install-windows-deps.sh)" >&2
  exit 127
fi

case ${1:-} in
  start)
    exe=${2:?usage: $me start PROGRAM.exe [LOG]}
    log=${3:-$WINEPREFIX.wineserver.log}
    # The prefix first, alone (its boot runs under a server of its own,
    # which run-exe.sh waits for to exit).
    "$here/run-exe.sh" --prepare "$exe"
    mkdir -p "$(dirname "$log")"
    n=0
    while :; do
      rc=0
      "$server" -p </dev/null >/dev/null 2>>"$log" || rc=$?
      [ $rc -eq 0 ] && break
      n=$((n + 1))
      if [ $rc -ne 2 ] || [ $n -ge 5 ]; then
        echo "$me: could not start a persistent wineserver for $WINEPREFIX" \
          "(exit $rc, attempt $n; $log)" >&2
        exit 1
      fi
      # 2: a server of this prefix is still running (a program's own
      # server, shutting down): wait until it has gone, then start ours.
      timeout 60 "$server" -w </dev/null >/dev/null 2>&1 || true
    done
    # "wineserver -p" returns once the server listens. Boot the prefix now,
    # its background processes detached from every test's output (they
    # would otherwise inherit a test program's pipes and stay until the
    # server ends).
    case $(od -A n -t x2 -j $(($(od -A n -t u4 -j 60 -N 4 "$exe" | tr -d ' ') + 4)) -N 2 "$exe" | tr -d ' ') in
      014c) wine=${IWS_WINE32:-/usr/lib/wine/wine} ;;
      *) wine=${IWS_WINE64:-/usr/lib/wine/wine64} ;;
    esac
    norandom=  # as in run-exe.sh: the brk heap must not cover 0x7ffe0000
    setarch -R true 2>/dev/null && norandom="setarch -R"
    if ! $norandom "$wine" wineboot </dev/null >/dev/null 2>>"$log"; then
      echo "$me: wineboot failed in $WINEPREFIX ($log)" >&2
      exit 1
    fi
    ;;
  stop)
    "$server" -k </dev/null >/dev/null 2>&1 || true
    ;;
  *)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
