#!/usr/bin/env bash
# tests/bench/run.sh - the performance benchmark: iocpws (tests/bench/
# bench_server.c: plain ws://, TLS wss:// as "iocpws-tls", I/O and worker
# thread variants, fan-out), a minimal libwebsockets echo server
# (lws_echo.c), Node's ws (node_ws_echo.js) and uWebSockets' EchoServer
# example as "uws" when a binary of it is there (IWS_UWS_ECHO; see
# tests/bench/README.md: it is built outside the repository, never by this
# script), all driven by loadgen.c.
#
# usage: tests/bench/run.sh <builddir> [--quick]
#                           [--only iocpws|iocpws-tls|lws|node|uws|deflate]
#                           [--binary] [--threads T]
#
#   <builddir>     where CMake put libiocpws.so; bench_server, loadgen and
#                  lws_echo are built there with gcc -O2 unless up to date
#   --quick        3 s per case (1 s warm-up) and only 100 connections for
#                  the echo cases (default: 10 s after 2 s, 100 and 1000)
#   --only NAME    run only one server group (iocpws includes its thread
#                  variants and fan-out), or only the permessage-deflate
#                  memory figure (deflate)
#   --binary       send binary messages instead of text (no UTF-8 validation;
#                  the "16 KiB binary" rows are binary in both modes)
#   --threads T    loadgen worker threads (all pinned to the loadgen CPU)
#
# The server runs pinned to CPU 0 and loadgen to CPU 1 (taskset). Every case
# gets a fresh server process on a fresh free port. Prints one Markdown table
# on stdout (progress on stderr), with the load average before and after;
# logs and raw RESULT lines go to <builddir>/bench-logs/. Then deflate_mem.py
# prints the server's memory per connection with permessage-deflate on (it
# needs <builddir>/ws_test_server). Exit status 0 when every case ran.
set -u

usage() {
    sed -n '4,26p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -ge 1 ] || usage
BUILD=$1
shift
QUICK=0
ONLY=
BINARY=
THREADS=1
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1 ;;
    --only) ONLY=${2:-}; shift ;;
    --binary) BINARY=--binary ;;
    --threads) THREADS=${2:-1}; shift ;;
    -h | --help) usage ;;
    *) echo "run.sh: unknown option $1" >&2; usage ;;
    esac
    shift
done
case $ONLY in '' | iocpws | iocpws-tls | lws | node | uws | deflate) ;; *) echo "run.sh: --only iocpws|iocpws-tls|lws|node|uws|deflate" >&2; exit 2 ;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# deflate_figure: memory per connection with permessage-deflate
deflate_figure() {
    ulimit -n "$(ulimit -Hn)" 2>/dev/null
    /usr/bin/python3 "$HERE/deflate_mem.py" "$BUILD" --conns 1000
}
if [ "$ONLY" = deflate ]; then
    deflate_figure
    exit $?
fi
mkdir -p "$BUILD" || exit 1
BUILD=$(cd "$BUILD" && pwd)
LOGS=$BUILD/bench-logs
mkdir -p "$LOGS" || exit 1
RAW=$LOGS/results.txt
: >"$RAW"

log() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------- cleanup --
SRV_PID=
GEN_PID=
# shellcheck disable=SC2317  # invoked from the trap
cleanup() {
    if [ -n "$GEN_PID" ] && kill -0 "$GEN_PID" 2>/dev/null; then
        kill -TERM "$GEN_PID" 2>/dev/null
        wait "$GEN_PID" 2>/dev/null
    fi
    GEN_PID=
    if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
        kill -TERM "$SRV_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SRV_PID" 2>/dev/null
        wait "$SRV_PID" 2>/dev/null
    fi
    SRV_PID=
}
trap cleanup EXIT
trap 'log "run.sh: interrupted"; exit 130' INT TERM HUP

# ------------------------------------------------------------------ build --
CC=${CC:-gcc}
# build_tool NAME SRC ARGS...: use <builddir>/NAME if newer than SRC (and
# than the library, for bench_server)
build_tool() {
    local name=$1 src=$2
    shift 2
    local out=$BUILD/$name
    if [ -x "$out" ] && [ "$out" -nt "$src" ] &&
        { [ "$name" != bench_server ] || [ "$out" -nt "$BUILD/libiocpws.so" ]; }; then
        return 0
    fi
    log "building $name"
    "$CC" -O2 -std=c11 -Wall -Wextra -o "$out" "$src" "$@" >"$LOGS/build-$name.log" 2>&1 || {
        cat "$LOGS/build-$name.log" >&2
        return 1
    }
}

build_tool loadgen "$HERE/loadgen.c" -pthread -lssl -lcrypto || { log "run.sh: cannot build loadgen"; exit 1; }
LOADGEN=$BUILD/loadgen

# each server: name -> command (the port is appended after it, then the
# per-case server arguments)
SERVERS=()
MISSING=0
declare -A SRV_CMD SRV_ARGS GEN_ARGS
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
if want iocpws || want iocpws-tls; then
    if [ -e "$BUILD/libiocpws.so" ] && build_tool bench_server "$HERE/bench_server.c" \
        -I"$ROOT/include" -L"$BUILD" -liocpws -Wl,-rpath,"$BUILD" -pthread; then
        if want iocpws; then
            SERVERS+=(iocpws)
            SRV_CMD[iocpws]=$BUILD/bench_server
        fi
        if want iocpws-tls; then
            # TLS only, with a P-256 certificate made now.
            if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -days 2 -subj /CN=localhost -keyout "$LOGS/bench-key.pem" \
                -out "$LOGS/bench-cert.pem" >"$LOGS/openssl.log" 2>&1; then
                SERVERS+=(iocpws-tls)
                SRV_CMD[iocpws-tls]=$BUILD/bench_server
                SRV_ARGS[iocpws-tls]="--tls $LOGS/bench-cert.pem $LOGS/bench-key.pem"
                GEN_ARGS[iocpws-tls]="--tls"
            else
                log "run.sh: no openssl command; skipping iocpws-tls"
                MISSING=1
            fi
        fi
    else
        log "run.sh: no $BUILD/libiocpws.so or bench_server does not build; skipping iocpws"
        MISSING=1
    fi
fi
if want lws; then
    if build_tool lws_echo "$HERE/lws_echo.c" -lwebsockets; then
        SERVERS+=(lws_echo)
        SRV_CMD[lws_echo]=$BUILD/lws_echo
    else
        log "run.sh: cannot build lws_echo (is libwebsockets-dev installed?); skipping it"
        MISSING=1
    fi
fi
if want node; then
    if command -v node >/dev/null && [ -d "$ROOT/tests/node_modules/ws" ]; then
        SERVERS+=(node_ws)
        SRV_CMD[node_ws]="node $HERE/node_ws_echo.js"
    else
        log "run.sh: no node or no tests/node_modules/ws (cd tests && npm ci); skipping node_ws"
        MISSING=1
    fi
fi
if want uws; then
    # uWebSockets' EchoServer, plain (no TLS), built by hand outside the
    # repository (never committed, never built or downloaded here). The
    # binary takes the port as its only argument, listens on 127.0.0.1 and
    # prints "listening on port N". Default: the newest
    # ~/.cache/iocpws-bench/uws-*/EchoServer (one directory per commit).
    UWS=${IWS_UWS_ECHO:-}
    if [ -z "$UWS" ]; then
        UWS=$(ls -t "${XDG_CACHE_HOME:-$HOME/.cache}"/iocpws-bench/uws-*/EchoServer 2>/dev/null | head -n 1)
    fi
    if [ -n "$UWS" ] && [ -x "$UWS" ]; then
        SERVERS+=(uws)
        SRV_CMD[uws]=$UWS
        log "run.sh: uws is $UWS"
    else
        log "run.sh: no uWebSockets EchoServer binary (IWS_UWS_ECHO, or ~/.cache/iocpws-bench/uws-<commit>/EchoServer): skipping uws; tests/bench/README.md says what the binary must be"
        MISSING=1
    fi
fi
[ ${#SERVERS[@]} -gt 0 ] || { log "run.sh: no server to run"; exit 1; }

# ------------------------------------------------------------ environment --
hard=$(ulimit -Hn)
ulimit -n "$hard" 2>/dev/null
NOFILE=$(ulimit -n)

PIN_SRV=()
PIN_GEN=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    PIN_SRV=(taskset -c 0)
    PIN_GEN=(taskset -c 1)
else
    log "run.sh: fewer than 2 CPUs or no taskset: server and loadgen are not pinned"
fi
# line-buffer the server's stdout so "listening on port" reaches the log file
LINEBUF=()
command -v stdbuf >/dev/null && LINEBUF=(stdbuf -oL)

read -r EPH_LO EPH_HI </proc/sys/net/ipv4/ip_local_port_range

# pick_port: a port nobody uses, outside the ephemeral range
pick_port() {
    local used p hex lo=10000 hi=$((EPH_LO - 1))
    if [ "$hi" -le 11000 ]; then lo=$((EPH_HI + 1)); hi=65535; fi
    used=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk 'NR>1 {split($2, a, ":"); print a[2]}' | sort -u)
    for _ in $(seq 200); do
        p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
        hex=$(printf '%04X' "$p")
        if ! grep -qx "$hex" <<<"$used"; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# port_listening PORT: true if something listens on PORT
port_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v h="$hex" 'NR>1 {split($2, a, ":"); if (a[2] == h && $4 == "0A") f = 1} END {exit !f}'
}

SRV_PORT=
SRV_NOTE=
# start_server "CMD" LOG ERRLOG [ARGS...]: sets SRV_PID and SRV_PORT (CMD
# may be a program and its first arguments)
start_server() {
    local bin=$1 srvlog=$2 errlog=$3 port
    shift 3
    for _ in 1 2 3 4 5; do
        port=$(pick_port) || return 1
        # shellcheck disable=SC2086
        "${PIN_SRV[@]}" "${LINEBUF[@]}" $bin "$port" "$@" >"$srvlog" 2>"$errlog" &
        SRV_PID=$!
        for _ in $(seq 100); do
            if grep -q 'listening on port' "$srvlog"; then
                SRV_PORT=$(sed -n 's/.*listening on port \([0-9][0-9]*\).*/\1/p' "$srvlog" | head -n 1)
                [ -n "$SRV_PORT" ] || SRV_PORT=$port
                return 0
            fi
            if ! kill -0 "$SRV_PID" 2>/dev/null; then break; fi
            sleep 0.1
        done
        if kill -0 "$SRV_PID" 2>/dev/null && port_listening "$port"; then
            SRV_NOTE="no 'listening on port' line within 10 s (port was listening)"
            SRV_PORT=$port
            return 0
        fi
        stop_server
    done
    return 1
}

# stop_server: SIGTERM, up to 5 s, then SIGKILL; sets STOP_NOTE if unclean
STOP_NOTE=
stop_server() {
    local rc t0 t1 note=
    STOP_NOTE=
    [ -n "$SRV_PID" ] || return 0
    if ! kill -0 "$SRV_PID" 2>/dev/null; then
        wait "$SRV_PID" 2>/dev/null
        rc=$?
        SRV_PID=
        STOP_NOTE="server had already exited (status $rc$( [ $rc -gt 128 ] && echo ", killed by SIG$(kill -l $((rc - 128)) 2>/dev/null)"))"
        return 0
    fi
    t0=$(date +%s%N)
    kill -TERM "$SRV_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SRV_PID" 2>/dev/null; then
        kill -KILL "$SRV_PID" 2>/dev/null
        note="did not exit within 5 s of SIGTERM (killed)"
    fi
    wait "$SRV_PID" 2>/dev/null
    rc=$?
    t1=$(date +%s%N)
    SRV_PID=
    if [ -z "$note" ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 143 ]; then
        note="exit status $rc after SIGTERM$( [ $rc -gt 128 ] && echo " (killed by SIG$(kill -l $((rc - 128)) 2>/dev/null))")"
    fi
    if [ -z "$note" ] && [ $(((t1 - t0) / 1000000)) -gt 2000 ]; then
        note="took $(((t1 - t0) / 1000000)) ms to exit after SIGTERM"
    fi
    STOP_NOTE=$note
}

# ------------------------------------------------------------------ cases --
if [ "$QUICK" = 1 ]; then
    SECS=3
    WARM=1
    CONNS_LIST="100"
else
    SECS=10
    WARM=2
    CONNS_LIST="100 1000"
fi
IDLE_LIST=
for n in 10000 19000; do
    if [ "$NOFILE" -lt $((n + 500)) ]; then
        log "run.sh: open-file limit $NOFILE (hard limit $hard) is too low for $n idle connections: using $((NOFILE - 500))"
        n=$((NOFILE - 500))
    fi
    case " $IDLE_LIST " in *" $n "*) ;; *) IDLE_LIST="$IDLE_LIST $n" ;; esac
done

# each case: server|label|loadgen args|server args (after SRV_ARGS)
CASES=()
echo_cases() { # echo_cases SERVER [LABEL-SUFFIX SERVER-ARGS]
    local s=$1 sfx=${2:-} sargs=${3:-} c
    for c in $CONNS_LIST; do
        CASES+=("$s|echo $c conns × 20 B$sfx|--conns $c --size 20|$sargs")
        CASES+=("$s|echo $c conns × 16 KiB$sfx|--conns $c --size 16384|$sargs")
        [ -n "$BINARY" ] || CASES+=("$s|echo $c conns × 16 KiB binary$sfx|--conns $c --size 16384 --binary|$sargs")
        [ -n "$BINARY" ] || CASES+=("$s|echo $c conns × 16 KiB non-ASCII text$sfx|--conns $c --size 16384 --utf8|$sargs")
    done
    CASES+=("$s|pipelined 16 × 100 conns × 20 B$sfx|--conns 100 --size 20 --pipeline 16|$sargs")
    CASES+=("$s|pipelined 16 × 100 conns × 16 KiB$sfx|--conns 100 --size 16384 --pipeline 16|$sargs")
}
idle_cases() {
    local n
    for n in $IDLE_LIST; do
        CASES+=("$1|idle $n conns|--idle --conns $n|")
        # the same after one 16 KiB echo each: what a message grew must go back
        CASES+=("$1|idle $n conns, after one 16 KiB message each|--idle --conns $n --idle-messages 1 --size 16384|")
    done
}
for s in "${SERVERS[@]}"; do
    case $s in
    iocpws)
        echo_cases iocpws
        idle_cases iocpws
        for n in 1000 10000; do
            CASES+=("iocpws|fan-out $n subscribers × 100 B|--fanout --conns $n --size 100|--fanout $n 100")
        done
        # I/O threads 1 vs 2 (the rows above: 0 = auto = the CPUs the
        # server may run on = 1 when pinned) and WorkOpThreads on
        for v in "io=2|--io-threads 2" "io=1 workers=1|--io-threads 1 --workers 1" \
            "io=2 workers=2|--io-threads 2 --workers 2"; do
            CASES+=("iocpws|echo 100 conns × 20 B, ${v%%|*}|--conns 100 --size 20|${v#*|}")
            CASES+=("iocpws|pipelined 16 × 100 conns × 20 B, ${v%%|*}|--conns 100 --size 20 --pipeline 16|${v#*|}")
        done
        ;;
    iocpws-tls)
        CASES+=("iocpws-tls|echo 100 conns × 20 B|--conns 100 --size 20|")
        CASES+=("iocpws-tls|echo 100 conns × 16 KiB|--conns 100 --size 16384|")
        CASES+=("iocpws-tls|pipelined 16 × 100 conns × 20 B|--conns 100 --size 20 --pipeline 16|")
        ;;
    *)
        echo_cases "$s"
        idle_cases "$s"
        ;;
    esac
done

ROWS=()
NOTES=()
declare -A RATE # msg/s per "server|case", for the TLS/plain ratios
FAILED=0
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

for case in "${CASES[@]}"; do
    IFS='|' read -r sname label args cargs <<<"$case"
    tag=$(echo "$sname-$label" | tr -c 'A-Za-z0-9\n-' '_')
    srvlog=$LOGS/$tag.server.log
    errlog=$LOGS/$tag.server.err
    genlog=$LOGS/$tag.loadgen.log
    log "== $sname: $label (load $(cut -d' ' -f1 /proc/loadavg))"
    SRV_NOTE=
    # shellcheck disable=SC2086
    if ! start_server "${SRV_CMD[$sname]}" "$srvlog" "$errlog" ${SRV_ARGS[$sname]:-} $cargs; then
        ROWS+=("| $sname | $label | FAILED: server did not start | | | | | |")
        NOTES+=("$sname / $label: server did not start: $(tail -n 2 "$errlog" | tr '\n' ' ')")
        FAILED=1
        continue
    fi
    [ -z "$SRV_NOTE" ] || NOTES+=("$sname / $label: $SRV_NOTE")
    gbin=$BINARY
    case $args in *--fanout*) gbin= ;; esac
    # shellcheck disable=SC2086
    timeout -k 5 $((SECS + WARM + 120)) "${PIN_GEN[@]}" "$LOADGEN" --host 127.0.0.1 \
        --port "$SRV_PORT" --server-pid "$SRV_PID" --seconds "$SECS" --warmup "$WARM" \
        --threads "$THREADS" $gbin ${GEN_ARGS[$sname]:-} $args >"$genlog" 2>&1 &
    GEN_PID=$!
    wait "$GEN_PID"
    grc=$?
    GEN_PID=
    result=$(grep '^RESULT' "$genlog" | tail -n 1)
    alive=1
    kill -0 "$SRV_PID" 2>/dev/null || alive=0
    stop_server
    [ -z "$STOP_NOTE" ] || NOTES+=("$sname / $label: $STOP_NOTE")
    # anything the server wrote to stderr is worth a look
    if [ -s "$errlog" ]; then
        NOTES+=("$sname / $label: server stderr ($(wc -l <"$errlog") lines): $(head -n 3 "$errlog" | cut -c 1-200 | tr '\n' ' ')")
    fi
    [ -z "$result" ] || echo "$sname | $label | $result" >>"$RAW"
    if [ "$grc" -ne 0 ] || [ -z "$result" ]; then
        why=$(grep -v '^RESULT' "$genlog" | tail -n 1)
        [ "$grc" -eq 124 ] && why="loadgen timed out"
        [ "$alive" = 0 ] && why="server died during the run; $why"
        ROWS+=("| $sname | $label | FAILED | | | | | |")
        NOTES+=("$sname / $label: FAILED (loadgen exit $grc): $why")
        FAILED=1
        continue
    fi
    if [ "$alive" = 0 ]; then
        NOTES+=("$sname / $label: server was not running at the end of the case")
        FAILED=1
    fi
    if grep -q '^RESULT idle' <<<"$result"; then
        per=$(field rss_per_conn_kib "$result")
        rss=$(field server_rss_kib "$result")
        before=$(field server_rss_before_kib "$result")
        ROWS+=("| $sname | $label: **$per KiB/conn** (RSS $before → $rss KiB) | – | – | – | – | $rss | – |")
    elif grep -q '^RESULT fanout' <<<"$result"; then
        gcpu=$(field client_cpu_pct "$result")
        ROWS+=("| $sname | $label: deliveries/s, µs CPU/delivery ($(field msg_per_s "$result") msg/s) | $(field deliveries_per_s "$result") | $(field server_cpu_us_per_delivery "$result") | – | – | $(field server_rss_kib "$result") | $gcpu |")
        [ "${gcpu:-0}" -lt 90 ] || NOTES+=("$sname / $label: loadgen at $gcpu% of its CPU: deliveries/s is partly its limit")
    else
        RATE["$sname|$label"]=$(field msg_per_s "$result")
        gcpu=$(field client_cpu_pct "$result")
        ROWS+=("| $sname | $label | $(field msg_per_s "$result") | $(field server_cpu_us_per_msg "$result") | $(field p50_us "$result") | $(field p99_us "$result") | $(field server_rss_kib "$result") | $gcpu |")
        [ "${gcpu:-0}" -lt 90 ] || NOTES+=("$sname / $label: loadgen at $gcpu% of its CPU: msg/s is partly its limit (compare server µs CPU/msg)")
    fi
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------ report --
mode="text"
[ -n "$BINARY" ] && mode="binary"
echo
echo "Benchmark ($([ "$QUICK" = 1 ] && echo quick || echo full): ${SECS} s per case after ${WARM} s warm-up, $mode messages, server on CPU 0, loadgen on CPU 1, loopback; $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); load average $LOAD_BEFORE before, $LOAD_AFTER after; $(( $(date +%s) - T_START )) s)"
echo
echo "| server | case | msg/s | server µs CPU/msg | p50 µs | p99 µs | server RSS KiB | loadgen CPU % |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for r in "${ROWS[@]}"; do echo "$r"; done
RATIOS=()
for label in "echo 100 conns × 20 B" "echo 100 conns × 16 KiB" "pipelined 16 × 100 conns × 20 B"; do
    p=${RATE["iocpws|$label"]:-}
    t=${RATE["iocpws-tls|$label"]:-}
    if [ -n "$p" ] && [ -n "$t" ]; then
        RATIOS+=("- $label: TLS keeps $(awk -v t="$t" -v p="$p" 'BEGIN { printf "%.0f", 100 * t / p }')% of plain msg/s ($t vs $p)")
    fi
done
if [ ${#RATIOS[@]} -gt 0 ]; then
    echo
    echo "TLS against plain (iocpws-tls / iocpws):"
    for r in "${RATIOS[@]}"; do echo "$r"; done
fi
if [ ${#NOTES[@]} -gt 0 ]; then
    echo
    echo "Notes:"
    for n in "${NOTES[@]}"; do echo "- $n"; done
fi
if [ -z "$ONLY" ]; then
    deflate_figure || FAILED=1
fi
echo
echo "Logs and raw RESULT lines: $LOGS"

[ "$FAILED" = 0 ] && [ "$MISSING" = 0 ] && exit 0
exit 1
