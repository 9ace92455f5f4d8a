#!/usr/bin/env bash
# tests/bench/repeat.sh - one case, several servers, several interleaved runs
# (A, B, C, A, B, C, ...), and the median server CPU per message of each:
# the A/B figures of tests/bench/RESULTS.md and wslay's PATCHES.md on a
# shared machine, where one run of each says little.
#
#   tests/bench/repeat.sh [-n RUNS] [-s SECONDS] SERVER... -- LOADGEN-ARGS...
#
# SERVER: a directory holding a libiocpws.so.0 (bench_server runs against
# it through LD_LIBRARY_PATH: e.g. a copy of an older build), or "uws"
# (uWebSockets' EchoServer: IWS_UWS_ECHO, or the newest
# ~/.cache/iocpws-bench/uws-*/EchoServer; README.md). bench_server and
# loadgen are taken from $IWS_BENCH_BIN (default: build/, as run.sh builds
# them). Server on CPU 0, loadgen on CPU 1, 1 s warm-up, then SECONDS
# (default 3). Prints every run's RESULT line, then per server: the
# figures in run order and their median.
#
#   tests/bench/repeat.sh -n 5 /tmp/before build uws -- --conns 100 --size 16384
set -uo pipefail
RUNS=3
SECS=3
while [ $# -gt 0 ]; do
    case $1 in
    -n) RUNS=$2; shift 2 ;;
    -s) SECS=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
    esac
done
SERVERS=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do SERVERS+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#SERVERS[@]} -gt 0 ] || { echo "usage: $0 [-n RUNS] [-s SECONDS] SERVER... -- LOADGEN-ARGS..." >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${IWS_BENCH_BIN:-$ROOT/build}
UWS=${IWS_UWS_ECHO:-$(ls -d "$HOME"/.cache/iocpws-bench/uws-*/EchoServer 2>/dev/null | tail -n 1)}
TMP=$(mktemp -d)
SRV_PID=
trap '[ -z "$SRV_PID" ] || kill "$SRV_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
for b in loadgen bench_server; do
    [ -x "$BIN/$b" ] || { echo "repeat.sh: no $BIN/$b (run tests/bench/run.sh once, or set IWS_BENCH_BIN)" >&2; exit 1; }
done
port=$((20000 + RANDOM % 5000))
declare -A FIG
for ((run = 1; run <= RUNS; run++)); do
    for s in "${SERVERS[@]}"; do
        port=$((port + 1))
        : >"$TMP/srv.log"
        if [ "$s" = uws ]; then
            [ -x "$UWS" ] || { echo "repeat.sh: no uWebSockets EchoServer" >&2; exit 1; }
            taskset -c 0 "$UWS" "$port" >"$TMP/srv.log" 2>&1 &
        else
            LD_LIBRARY_PATH=$s taskset -c 0 "$BIN/bench_server" "$port" >"$TMP/srv.log" 2>&1 &
        fi
        SRV_PID=$!
        for _ in $(seq 100); do grep -q listening "$TMP/srv.log" && break; sleep 0.1; done
        taskset -c 1 "$BIN/loadgen" --port "$port" --server-pid "$SRV_PID" --seconds "$SECS" \
            --warmup 1 "$@" >"$TMP/gen.log" 2>&1
        kill "$SRV_PID" 2>/dev/null
        wait "$SRV_PID" 2>/dev/null
        SRV_PID=
        r=$(grep '^RESULT' "$TMP/gen.log" | tail -n 1)
        if [ -z "$r" ]; then
            echo "$s run $run: FAILED: $(tail -n 1 "$TMP/gen.log")"
            continue
        fi
        echo "$s run $run (load $(cut -d' ' -f1 /proc/loadavg)): $r"
        FIG[$s]="${FIG[$s]:-} $(sed -n 's/.*server_cpu_us_per_msg=\([^ ]*\).*/\1/p' <<<"$r")"
    done
done
for s in "${SERVERS[@]}"; do
    # shellcheck disable=SC2086
    med=$(printf '%s\n' ${FIG[$s]:-} | sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}')
    echo "$s: server µs CPU/msg${FIG[$s]:- none} -> median $med"
done
