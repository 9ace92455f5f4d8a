#!/usr/bin/env bash
# tests/bench/run.sh - echo benchmark: the iocpws sample echo_server, plain
# (ws://) and TLS (wss://, "iocpws-tls"), against a minimal libwebsockets
# echo server (lws_echo.c), driven by loadgen.c.
#
# usage: tests/bench/run.sh <builddir> [--quick]
#                           [--only iocpws|iocpws-tls|lws|deflate]
#                           [--binary] [--threads T]
#
#   <builddir>     where CMake put echo_server; loadgen and lws_echo are built
#                  there with gcc -O2 unless an up-to-date one is already there
#   --quick        3 s per case and only 100 connections for the echo cases
#   --only NAME    run only one server (iocpws, iocpws-tls or lws), or only
#                  the permessage-deflate memory figure (deflate)
#   --binary       send binary messages instead of text (no UTF-8 validation)
#   --threads T    loadgen worker threads (all pinned to the loadgen CPU)
#
# The server runs pinned to CPU 0 and loadgen to CPU 1 (taskset). Every case
# gets a fresh server process on a fresh free port. Prints one Markdown table
# on stdout (progress on stderr); logs and raw RESULT lines go to
# <builddir>/bench-logs/. Then deflate_mem.py prints the server's memory per
# connection at 1000 connections with permessage-deflate on (it needs
# <builddir>/ws_test_server). Exit status 0 when every case ran, 1 otherwise.
set -u

usage() {
    sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//' >&2
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
case $ONLY in '' | iocpws | iocpws-tls | lws | deflate) ;; *) echo "run.sh: --only iocpws|iocpws-tls|lws|deflate" >&2; exit 2 ;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
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
# build_tool NAME SRC EXTRA_LIBS...: use <builddir>/NAME if newer than SRC
build_tool() {
    local name=$1 src=$2
    shift 2
    local out=$BUILD/$name
    if [ -x "$out" ] && [ "$out" -nt "$src" ]; then
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

SERVERS=()
MISSING=0
declare -A SRV_ARGS GEN_ARGS # extra arguments per server name
if [ -z "$ONLY" ] || [ "$ONLY" = iocpws ]; then
    if [ -x "$BUILD/echo_server" ]; then
        SERVERS+=("iocpws:$BUILD/echo_server")
    else
        log "run.sh: $BUILD/echo_server not found (build samples/c first); skipping iocpws"
        MISSING=1
    fi
fi
if [ -z "$ONLY" ] || [ "$ONLY" = iocpws-tls ]; then
    # The same echo server, wss:// only, with a P-256 certificate made now.
    if [ -x "$BUILD/echo_server" ] && openssl req -x509 -newkey ec \
        -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
        -keyout "$LOGS/bench-key.pem" -out "$LOGS/bench-cert.pem" >"$LOGS/openssl.log" 2>&1; then
        SERVERS+=("iocpws-tls:$BUILD/echo_server")
        SRV_ARGS[iocpws-tls]="--tls $LOGS/bench-cert.pem $LOGS/bench-key.pem"
        GEN_ARGS[iocpws-tls]="--tls"
    else
        log "run.sh: no echo_server or no openssl command; skipping iocpws-tls"
        MISSING=1
    fi
fi
if [ -z "$ONLY" ] || [ "$ONLY" = lws ]; then
    if build_tool lws_echo "$HERE/lws_echo.c" -lwebsockets; then
        SERVERS+=("lws_echo:$BUILD/lws_echo")
    else
        log "run.sh: cannot build lws_echo (is libwebsockets-dev installed?); skipping it"
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
# start_server BIN LOG ERRLOG [ARGS...]: sets SRV_PID and SRV_PORT
start_server() {
    local bin=$1 srvlog=$2 errlog=$3 port
    shift 3
    for _ in 1 2 3 4 5; do
        port=$(pick_port) || return 1
        "${PIN_SRV[@]}" "${LINEBUF[@]}" "$bin" "$port" "$@" >"$srvlog" 2>"$errlog" &
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
IDLE_CONNS=10000
if [ "$NOFILE" -lt $((IDLE_CONNS + 200)) ]; then
    IDLE_CONNS=$((NOFILE - 200))
    log "run.sh: open-file limit $NOFILE: idle case uses $IDLE_CONNS connections"
fi

# each case: label|loadgen args
CASES=()
for c in $CONNS_LIST; do
    CASES+=("echo $c conns × 20 B|--conns $c --size 20")
    CASES+=("echo $c conns × 16 KiB|--conns $c --size 16384")
done
CASES+=("pipelined 16 × 100 conns × 20 B|--conns 100 --size 20 --pipeline 16")
CASES+=("idle $IDLE_CONNS conns|--idle --conns $IDLE_CONNS")

ROWS=()
NOTES=()
declare -A RATE # msg/s per "server|case", for the TLS/plain ratios
FAILED=0

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

for entry in "${SERVERS[@]}"; do
    sname=${entry%%:*}
    sbin=${entry#*:}
    for case in "${CASES[@]}"; do
        label=${case%%|*}
        args=${case#*|}
        tag=$(echo "$sname-$label" | tr -c 'A-Za-z0-9\n-' '_')
        srvlog=$LOGS/$tag.server.log
        errlog=$LOGS/$tag.server.err
        genlog=$LOGS/$tag.loadgen.log
        log "== $sname: $label"
        SRV_NOTE=
        # shellcheck disable=SC2086
        if ! start_server "$sbin" "$srvlog" "$errlog" ${SRV_ARGS[$sname]:-}; then
            ROWS+=("| $sname | $label | FAILED: server did not start | | | | | |")
            NOTES+=("$sname / $label: server did not start: $(tail -n 2 "$errlog" | tr '\n' ' ')")
            FAILED=1
            continue
        fi
        [ -z "$SRV_NOTE" ] || NOTES+=("$sname / $label: $SRV_NOTE")
        # shellcheck disable=SC2086
        timeout -k 5 $((SECS + WARM + 120)) "${PIN_GEN[@]}" "$LOADGEN" --host 127.0.0.1 \
            --port "$SRV_PORT" --server-pid "$SRV_PID" --seconds "$SECS" --warmup "$WARM" \
            --threads "$THREADS" $BINARY ${GEN_ARGS[$sname]:-} $args >"$genlog" 2>&1 &
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
            ROWS+=("| $sname | $label: $per KiB/conn (RSS $before → $rss KiB) | – | – | – | – | $rss | – |")
        else
            RATE["$sname|$label"]=$(field msg_per_s "$result")
            ROWS+=("| $sname | $label | $(field msg_per_s "$result") | $(field server_cpu_us_per_msg "$result") | $(field p50_us "$result") | $(field p99_us "$result") | $(field server_rss_kib "$result") | $(field client_cpu_pct "$result") |")
        fi
    done
done

# ------------------------------------------------------------------ report --
mode="text"
[ -n "$BINARY" ] && mode="binary"
echo
echo "Echo benchmark ($([ "$QUICK" = 1 ] && echo quick || echo full): ${SECS} s per case after ${WARM} s warm-up, $mode messages, server on CPU 0, loadgen on CPU 1, loopback)"
echo
echo "| server | case | msg/s | server µs CPU/msg | p50 µs | p99 µs | server RSS KiB | loadgen CPU % |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for r in "${ROWS[@]}"; do echo "$r"; done
RATIOS=()
for case in "${CASES[@]}"; do
    label=${case%%|*}
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
