#!/usr/bin/env bash
# tests/fuzz/run.sh - builds the libFuzzer targets (clang,
# -fsanitize=fuzzer,address,undefined) against the core and the fake back
# end, replays every corpus file (regressions included), then fuzzes each
# target for a bounded time. fuzz_wslay_diff links a second, pristine copy
# of wslay (see build_wslay_pristine below) beside the in-tree one.
#
#   tests/fuzz/run.sh [seconds-per-target] [results-dir]    default 20 s
#   IWS_FUZZ_TARGETS="conn tls" tests/fuzz/run.sh 600      long run, two targets
#
# Corpora: tests/fuzz/corpus/<target>/ (hand-made seeds, in git). A run
# grows a working corpus in build-fuzz/corpus/<target> (not in git) and
# leaves crash-*/leak-*/timeout-* files in build-fuzz/artifacts/<target>/.
# Copy a crash into tests/fuzz/corpus/<target>/ once it is fixed: every
# later run replays it. Exit status: 0 if every target ran clean.
# A JUnit report per target goes to results-dir (fuzz-<target>.xml).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SECS=${1:-20}
RESULTS=${2:-$ROOT/build-fuzz/results}
OUT=$ROOT/build-fuzz
TARGETS=${IWS_FUZZ_TARGETS:-"handshake conn tls options static wslay_diff"}
CC=${IWS_FUZZ_CC:-clang}
mkdir -p "$OUT/obj" "$RESULTS"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# wslay: the in-tree copy, configured as its CMakeLists.txt does for Linux.
WSLAY=dll/third_party/wslay
WSLAY_VERSION=$(sed -n 's/^set(WSLAY_VERSION_STRING \([^)]*\))/\1/p' $WSLAY/CMakeLists.txt)
mkdir -p "$OUT/wslay-gen/wslay"
sed "s/@PACKAGE_VERSION@/$WSLAY_VERSION/" $WSLAY/lib/includes/wslay/wslayver.h.in >"$OUT/wslay-gen/wslay/wslayver.h.new"
cmp -s "$OUT/wslay-gen/wslay/wslayver.h.new" "$OUT/wslay-gen/wslay/wslayver.h" ||
  mv "$OUT/wslay-gen/wslay/wslayver.h.new" "$OUT/wslay-gen/wslay/wslayver.h"
WSLAY_INC="-I$WSLAY/lib/includes -I$OUT/wslay-gen"
WSLAY_DEFS="-DHAVE_ARPA_INET_H -DHAVE_NETINET_IN_H"
CFLAGS="-g -O1 -std=c11 -DIWS_BUILDING -Iinclude -Idll/core -Idll/ws -Idll/http -Idll/backend -Itests/fuzz $WSLAY_INC $SAN"
CORE="dll/api/server.c dll/api/calls.c dll/api/options.c dll/api/errors.c dll/api/layout.c
      dll/pubsub/channels.c dll/pubsub/redis_none.c
      dll/http/http.c dll/http/response.c dll/http/stream.c dll/http/http_parse.c dll/http/static.c dll/http/request.c
      dll/ws/handshake.c dll/ws/deflate.c dll/ws/utf8.c dll/ws/ws.c dll/ws/frame.c
      dll/core/conn.c dll/core/timer.c dll/core/worker.c dll/core/table.c dll/core/tls.c dll/core/log.c dll/core/bytes.c
      dll/platform/posix.c dll/backend/sockaddr.c tests/fuzz/fake_backend.c
      $WSLAY/lib/wslay_event.c $WSLAY/lib/wslay_frame.c $WSLAY/lib/wslay_net.c
      $WSLAY/lib/wslay_queue.c"
LIBS="-lssl -lcrypto -lz -lpthread"

echo "fuzz: building with $($CC --version | head -1)"
objs=()
for src in $CORE; do
  obj=$OUT/obj/$(basename "$src" .c).o
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$0" -nt "$obj" ] ||
     [ -n "$(find dll include tests/fuzz -name '*.h' -newer "$obj" 2>/dev/null)" ]; then
    $CC $CFLAGS $WSLAY_DEFS -fsanitize=fuzzer-no-link -c "$src" -o "$obj" || exit 1
  fi
  objs+=("$obj")
done

# fuzz_wslay_diff: the same upstream commit without the local patches, as a
# second copy in the same program. It is made from the in-tree files with
# $WSLAY/patches/*.patch reverse-applied, newest first, and every file must
# (lib/ and tests/: a patch may bring its own test for wslay's suite)
# then have the git blob id that $WSLAY/upstream-blobs.txt records: so the
# "pristine" side is upstream's code, and the patches describe exactly what
# differs. Its wslay_* symbols are renamed pristine_wslay_* (ld -r, objcopy).
build_wslay_pristine() {
  local p=$OUT/wslay-pristine f h
  rm -rf "$p" && mkdir -p "$p/obj" && cp -r $WSLAY/lib $WSLAY/tests "$p/" || return 1
  for f in $(ls -r $WSLAY/patches/*.patch 2>/dev/null); do
    (cd "$p" && patch -R -p1 -s --no-backup-if-mismatch <"$ROOT/$f") ||
      { echo "fuzz: $f does not reverse-apply to the in-tree wslay"; return 1; }
  done
  while read -r h f; do
    case "$f" in lib/* | tests/*) ;; *) continue ;; esac
    [ "$(git hash-object "$p/$f")" = "$h" ] ||
      { echo "fuzz: pristine $f is not upstream's blob $h (patches/ out of date?)"; return 1; }
  done <$WSLAY/upstream-blobs.txt
  local pobjs=()
  for f in "$p"/lib/wslay_*.c; do
    $CC -I"$p/lib/includes" $CFLAGS $WSLAY_DEFS -fsanitize=fuzzer-no-link \
      -c "$f" -o "$p/obj/$(basename "$f" .c).o" || return 1
    pobjs+=("$p/obj/$(basename "$f" .c).o")
  done
  $CC -I"$p/lib/includes" $CFLAGS -fsanitize=fuzzer-no-link -DIWSDIFF_RUN=iwsdiff_run_pristine \
    -c tests/fuzz/wslay_diff_driver.c -o "$p/obj/driver.o" || return 1
  ld -r "$p/obj/driver.o" "${pobjs[@]}" -o "$p/pristine.o" || return 1
  nm -g --defined-only "$p/pristine.o" | awk '$3 ~ /^wslay_/ {print $3, "pristine_" $3}' >"$p/rename.txt"
  [ -s "$p/rename.txt" ] || { echo "fuzz: no wslay_ symbols in the pristine object"; return 1; }
  objcopy --redefine-syms="$p/rename.txt" "$p/pristine.o" || return 1
  $CC $CFLAGS -fsanitize=fuzzer-no-link -DIWSDIFF_RUN=iwsdiff_run_patched -DIWSDIFF_RECV_BUFFER \
    -c tests/fuzz/wslay_diff_driver.c -o "$OUT/obj/wslay_diff_driver.o" || return 1
  EXTRA_wslay_diff="$OUT/obj/wslay_diff_driver.o $p/pristine.o"
}
EXTRA_wslay_diff=""

junit() { # junit <target> <status> <logfile>
  python3 - "$RESULTS/fuzz-$1.xml" "fuzz-$1" "$2" "$3" <<'PYEOF'
import sys
from xml.sax.saxutils import escape
path, name, status, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
try:
    text = open(log, errors="replace").read()[-20000:]
except OSError:
    text = ""
body = "" if status == 0 else f'<failure message="exit {status}">{escape(text)}</failure>'
open(path, "w").write(f'<testsuite name="{name}"><testcase name="{name}">{body}</testcase></testsuite>\n')
PYEOF
}

failed=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in $TARGETS; do
  bin=$OUT/fuzz_$t
  log=$RESULTS/fuzz-$t.log
  extra=""
  if [ "$t" = wslay_diff ]; then
    build_wslay_pristine >"$log" 2>&1 ||
      { cat "$log"; junit "$t" 1 "$log"; failed=$((failed + 1)); continue; }
    extra=$EXTRA_wslay_diff
  fi
  # shellcheck disable=SC2086 # extra is a list of object files
  $CC $CFLAGS -fsanitize=fuzzer tests/fuzz/fuzz_$t.c "${objs[@]}" $extra $LIBS -o "$bin" >>"$log" 2>&1 ||
    { cat "$log"; junit "$t" 1 "$log"; failed=$((failed + 1)); continue; }
  seeds=$ROOT/tests/fuzz/corpus/$t
  work=$OUT/corpus/$t
  art=$OUT/artifacts/$t/
  mkdir -p "$work" "$art" "$seeds"
  # 1. Replay the seeds and every regression input, one by one.
  status=0
  if ls "$seeds"/* >/dev/null 2>&1; then
    "$bin" -runs=0 "$seeds"/* >"$log" 2>&1 || status=$?
  fi
  # 2. Fuzz for a bounded time (-max_total_time), from seeds + work corpus.
  if [ $status -eq 0 ]; then
    "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$art" \
      "$work" "$seeds" >>"$log" 2>&1 || status=$?
  fi
  if [ $status -eq 0 ]; then
    echo "fuzz-$t: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}') runs in ${SECS}s, corpus $(ls "$work" | wc -l))"
  else
    echo "fuzz-$t: FAILED (exit $status), see $log and $art"
    grep -m3 -E "ERROR: |runtime error|SUMMARY" "$log"
    failed=$((failed + 1))
  fi
  junit "$t" "$status" "$log"
done
exit $((failed > 0))
