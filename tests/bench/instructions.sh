#!/usr/bin/env bash
# tests/bench/instructions.sh - user-space instructions per message, under
# valgrind's callgrind: a figure that does not move with the machine's load
# (the CPU-time figures of run.sh and repeat.sh do, on a shared machine).
# It counts only the server's own instructions (not the kernel's), so it
# measures what a change to the engine's code does, not the whole cost.
#
#   tests/bench/instructions.sh [-s SECONDS] SERVER... -- LOADGEN-ARGS...
#
# SERVER: a directory holding a libiocpws.so.0 (bench_server from
# $IWS_BENCH_BIN, default build/, runs against it), or "uws": uWebSockets'
# EchoServer built WITHOUT -march=native (valgrind does not run AVX-512
# code): $IWS_UWS_ECHO_GENERIC, or the newest
# ~/.cache/iocpws-bench/uws-*/EchoServer-generic. Prints per server the
# messages loadgen counted in SECONDS (default 6, no warm-up) and the
# server's instructions (callgrind's Ir, start-up included) per message.
#
#   tests/bench/instructions.sh /tmp/before build uws -- --conns 100 --size 20 --pipeline 16
set -uo pipefail
SECS=6
[ "${1:-}" = -s ] && { SECS=$2; shift 2; }
SERVERS=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do SERVERS+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#SERVERS[@]} -gt 0 ] || { echo "usage: $0 [-s SECONDS] SERVER... -- LOADGEN-ARGS..." >&2; exit 2; }
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is not installed" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${IWS_BENCH_BIN:-$ROOT/build}
UWS=${IWS_UWS_ECHO_GENERIC:-$(ls -d "$HOME"/.cache/iocpws-bench/uws-*/EchoServer-generic 2>/dev/null | tail -n 1)}
TMP=$(mktemp -d)
SRV_PID=
trap '[ -z "$SRV_PID" ] || kill "$SRV_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
for b in loadgen bench_server; do
    [ -x "$BIN/$b" ] || { echo "instructions.sh: no $BIN/$b (run tests/bench/run.sh once, or set IWS_BENCH_BIN)" >&2; exit 1; }
done
RC=0
for s in "${SERVERS[@]}"; do
    port=$((20000 + RANDOM % 10000))
    if [ "$s" = uws ]; then
        [ -x "$UWS" ] || { echo "instructions.sh: no uWebSockets EchoServer-generic" >&2; exit 1; }
        cmd=("$UWS" "$port")
        env=()
    else
        [ -e "$s/libiocpws.so.0" ] || { echo "instructions.sh: no $s/libiocpws.so.0" >&2; exit 1; }
        cmd=("$BIN/bench_server" "$port")
        env=(LD_LIBRARY_PATH="$s")
    fi
    env "${env[@]}" valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" \
        "${cmd[@]}" >"$TMP/server.log" 2>&1 &
    SRV_PID=$!
    for _ in $(seq 100); do grep -q "listening on port" "$TMP/server.log" && break; sleep 0.2; done
    grep -q "listening on port" "$TMP/server.log" || { echo "$s: server did not start" >&2; RC=1; kill "$SRV_PID"; SRV_PID=; continue; }
    "$BIN/loadgen" --port "$port" "$@" --seconds "$SECS" --warmup 0 >"$TMP/loadgen.log" 2>&1
    kill -INT "$SRV_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
    kill "$SRV_PID" 2>/dev/null
    wait "$SRV_PID" 2>/dev/null
    SRV_PID=
    msgs=$(grep -o 'msgs=[0-9]*' "$TMP/loadgen.log" | head -n 1 | cut -d= -f2)
    ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$TMP/cg.out" 2>/dev/null)
    if [ -z "${msgs:-}" ] || [ "${msgs:-0}" = 0 ] || [ -z "${ir:-}" ]; then
        echo "$s: no figure (loadgen: $(tail -n 1 "$TMP/loadgen.log"))" >&2
        RC=1
        continue
    fi
    echo "$s: $msgs messages, $((ir / msgs)) instructions per message"
done
exit $RC
