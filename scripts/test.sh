#!/usr/bin/env bash
# The one test command (README "Quick start", and .ci/run): installs what is
# missing, builds, and runs every tier. Ends with "N passed, N failed".
#
#   scripts/test.sh                                   all tiers
#   IWS_TIERS="unit integration" scripts/test.sh      a subset
#
# Tiers:
#   unit              cmocka unit tests (Linux release build, -Werror)
#   integration       the library on 127.0.0.1 driven by Python websockets
#                     and Node ws (pytest)
#   asan-unit         the unit tests built with ASan + UBSan (+ leaks)
#   asan-integration  the integration tests against that build
#   win64, win32      iocpws.dll cross-built with mingw-w64 (with hiredis):
#                     exports and dependencies checked, then the unit tests
#                     and the same integration tests run under Wine (the IOCP
#                     back end); the Redis tests mix Wine-hosted servers with
#                     the native build/ws_test_server (built for it).
#                     Without 32-bit Wine the win32 runtime part prints
#                     SKIPPED with the reason (never counted as passed); its
#                     build and export check still run.
#   pascal            Free Pascal builds the bindings, samples and test
#                     program and runs them against build/libiocpws.so
#                     (tests/pascal/run.sh: names, self test, pytest)
#   pascal-win64,     the same cross-compiled for Windows against
#   pascal-win32      build-win64|win32/iocpws.dll, run under Wine; without
#                     32-bit Wine pascal-win32 builds everything and prints
#                     SKIPPED for its runtime reports.
#   cpp               the C++ binding (bindings/cpp/iocpws.hpp) and the run-time
#                     loader (include/iocpws_loader.h): g++ and clang++,
#                     C++11 and C++17, -Werror, linked and loaded, checked in
#                     process and against real clients (tests/cpp/run.sh)
#   cpp-win64, cpp-win32  the same programs built with mingw-w64, run under
#                     Wine against iocpws.dll, linked through the import
#                     library and through the loader; without 32-bit Wine
#                     the cpp-win32 runtime part prints SKIPPED (its build
#                     and import checks still run).
#   package           the packages as a user gets them (tests/package/run.sh):
#                     scripts/package.sh builds the .deb, .tar.gz and win64
#                     zip; a C and a C++ program build and run against an
#                     install prefix with find_package and pkg-config, and
#                     through add_subdirectory; against the .tar.gz; against
#                     the .deb (dpkg -i, then dpkg -r); the zip's contents,
#                     its MSVC import library (lld-link) and its echo sample
#                     under Wine with Python websockets
#   web               the browser sample: build/web_chat_server serves
#                     samples/web and its chat WebSocket on one port, and
#                     headless Chromium (Debian's chromium, driven by
#                     playwright-core from tests/package.json) opens the page
#                     in two tabs that exchange messages (tests/web); fails,
#                     never skips, when Chromium cannot run
#   web-win64         the same browser test against build-win64's
#                     web_chat_server.exe under Wine (Linux Chromium)
#   fuzz              libFuzzer targets (tests/fuzz/run.sh, clang): replays
#                     every corpus file, then fuzzes each target for
#                     IWS_FUZZ_SECONDS (default 20) seconds
#   tsan              ThreadSanitizer build (IWS_SANITIZE=thread): unit
#                     test_api and test_lifecycle, then the thread-heavy
#                     integration tests (load, faults, hostile clients, TLS, listeners,
#                     worker-thread echo, HTTP, heartbeat and the other
#                     features, on_log calling the API) against its
#                     ws_test_server; any report fails the test (exit code
#                     66 at quit)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TIERS=${IWS_TIERS:-"unit integration asan-unit asan-integration win64 win32 pascal pascal-win64 pascal-win32 cpp cpp-win64 cpp-win32 package web web-win64 fuzz tsan"}
RESULTS=$ROOT/build-results
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
PY=/usr/bin/python3 # Debian's interpreter: it has python3-websockets/pytest
REPORTS=()           # every report a tier promised to write

bash scripts/install-deps.sh || { echo "install-deps failed"; echo "0 passed, 1 failed"; exit 1; }
# A test that hangs fails after 10 minutes instead of stalling the whole run
# (pytest-timeout; every pytest below, also in the tiers' own scripts).
export PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-} --timeout=600"

failures=0
note_failure() { echo "TIER FAILED: $1"; failures=$((failures + 1)); }

build() { # build <dir> [cmake args...]
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$ROOT/$dir" -G Ninja "$@" >"$RESULTS/$dir-configure.log" 2>&1 &&
    cmake --build "$ROOT/$dir" >"$RESULTS/$dir-build.log" 2>&1 ||
    { cat "$RESULTS/$dir-configure.log" "$RESULTS/$dir-build.log" | tail -40; return 1; }
}

run_ctest() { # run_ctest <dir> <report>
  (cd "$ROOT/$1" && ctest --output-on-failure --timeout 300 \
    --output-junit "$RESULTS/$2.xml")
}

run_pytest() { # run_pytest <server-binary> <report>
  IWS_TEST_SERVER="$1" "$PY" -m pytest -p no:cacheprovider -q \
    "$ROOT/tests/integration" --junitxml="$RESULTS/$2.xml"
}

# A one-case JUnit report for a check that is a single command.
run_check() { # run_check <report> <command...>
  local name=$1 out status
  shift
  out=$("$@" 2>&1)
  status=$?
  echo "$out"
  "$PY" - "$RESULTS/$name.xml" "$name" "$status" "$out" <<'PYEOF'
import sys
from xml.sax.saxutils import escape
path, name, status, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
body = "" if status == 0 else f'<failure message="exit {status}">{escape(out)}</failure>'
open(path, "w").write(f'<testsuite name="{name}"><testcase name="{name}">{body}</testcase></testsuite>\n')
PYEOF
  return $status
}

skip_tier() { # skip_tier <report> <reason>
  echo "SKIPPED: $1: $2"
  echo "$2" >"$RESULTS/$1.skipped"
}

windows_dll() { # windows_dll x86_64|i686 <name>: build-<name>/iocpws.dll
  local arch=$1 name=$2 dir=build-$2 prefix
  bash scripts/install-windows-deps.sh >"$RESULTS/$name-install.log" 2>&1 ||
    { tail -20 "$RESULTS/$name-install.log"; return 1; }
  bash scripts/build-windows-deps.sh "$arch" >"$RESULTS/$name-deps.log" 2>&1 ||
    { tail -30 "$RESULTS/$name-deps.log"; return 1; }
  prefix=$(bash scripts/build-windows-deps.sh --print-prefix "$arch") || return 1
  build "$dir" -DCMAKE_BUILD_TYPE=Release -DIWS_BUILD_TESTS=ON \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchain-mingw-$arch.cmake" \
    -DIWS_DEPS_PREFIX="$prefix" -DIWS_WITH_REDIS=ON
}

# The native ws_test_server, peer of the Wine-hosted servers in the Redis
# tests' mixed clusters (IWS_TEST_PEER_SERVER, tests/integration/test_redis.py).
native_peer() { # native_peer: sets PEER
  build build "${LINUX_BUILD[@]}" || return 1
  PEER=$ROOT/build/ws_test_server
}

windows_tier() { # windows_tier x86_64|i686 <name>
  local arch=$1 name=$2 dir=build-$2 wine_status
  windows_dll "$arch" "$name" || return 1
  run_check "$name-exports" "$PY" scripts/check-exports.py \
    "$arch-w64-mingw32-objdump" "$ROOT/$dir/iocpws.dll" || return 1
  if [ "$arch" = i686 ]; then
    wine_status=$(bash scripts/install-windows-deps.sh --wine32-status 2>/dev/null)
    if [ "$wine_status" != ok ]; then
      skip_tier "$name-unit" "32-bit Wine is not available: ${wine_status:-unknown}"
      skip_tier "$name-integration" "32-bit Wine is not available: ${wine_status:-unknown}"
      return 0
    fi
  fi
  export WINEPREFIX="$RESULTS/wineprefix-$name"
  local status=0
  # One wineserver for the whole tier, started before the first program
  # (tests/wine/wineserver.sh says why); the ctest emulator then finds it.
  bash tests/wine/wineserver.sh start "$ROOT/$dir/ws_test_server.exe" \
    "$RESULTS/$name-wineserver.log" || return 1
  run_ctest "$dir" "$name-unit" || status=1
  bash tests/wine/make-server-wrapper.sh "$ROOT/$dir/ws_test_server.exe" \
    "$ROOT/$dir/ws_test_server-wine" || return 1
  native_peer || return 1
  IWS_TEST_PEER_SERVER=$PEER run_pytest "$ROOT/$dir/ws_test_server-wine" "$name-integration" || status=1
  bash tests/wine/wineserver.sh stop
  rm -rf "$WINEPREFIX" # ~1 GB: create, never keep
  unset WINEPREFIX
  return $status
}

cpp_windows_tier() { # cpp_windows_tier x86_64|i686 <name>: tests/cpp/run.sh windows
  local arch=$1 name=$2 dir=build-$2 prefix
  bash scripts/install-windows-deps.sh >"$RESULTS/cpp-$name-install.log" 2>&1 ||
    { tail -20 "$RESULTS/cpp-$name-install.log"; return 1; }
  bash scripts/build-windows-deps.sh "$arch" >"$RESULTS/cpp-$name-deps.log" 2>&1 ||
    { tail -30 "$RESULTS/cpp-$name-deps.log"; return 1; }
  prefix=$(bash scripts/build-windows-deps.sh --print-prefix "$arch") || return 1
  build "$dir" -DCMAKE_BUILD_TYPE=Release -DIWS_BUILD_TESTS=ON \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchain-mingw-$arch.cmake" \
    -DIWS_DEPS_PREFIX="$prefix" -DIWS_WITH_REDIS=ON || return 1
  native_peer || return 1
  IWS_TEST_PEER_SERVER=$PEER bash tests/cpp/run.sh windows "$arch" "$ROOT/$dir" "$RESULTS"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=66}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Every tier registers the reports it owes before it starts: one that never
# appears (a build that failed, a runner that crashed) counts as a failure.
LINUX_BUILD=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DIWS_BUILD_TESTS=ON -DIWS_SANITIZE=OFF)
ASAN_BUILD=(-DCMAKE_BUILD_TYPE=Debug -DIWS_BUILD_TESTS=ON -DIWS_SANITIZE=ON)
TSAN_BUILD=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DIWS_BUILD_TESTS=ON -DIWS_SANITIZE=thread -DIWS_BUILD_SAMPLES=OFF)
# No suppressions are needed today; if OpenSSL or wslay ever report a false
# positive, add it to tests/tsan.supp with the reason, never a blanket rule.
TSAN_ENV="halt_on_error=0 exitcode=66 history_size=2 second_deadlock_stack=1"
[ -f "$ROOT/tests/tsan.supp" ] && TSAN_ENV="$TSAN_ENV suppressions=$ROOT/tests/tsan.supp"
for tier in $TIERS; do
  echo
  echo "=== tier: $tier ==="
  case $tier in
    unit)
      REPORTS+=(unit)
      build build "${LINUX_BUILD[@]}" && run_ctest build unit || note_failure unit ;;
    integration)
      REPORTS+=(integration)
      build build "${LINUX_BUILD[@]}" && run_pytest "$ROOT/build/ws_test_server" integration || note_failure integration ;;
    asan-unit)
      REPORTS+=(asan-unit)
      build build-asan "${ASAN_BUILD[@]}" && run_ctest build-asan asan-unit || note_failure asan-unit ;;
    asan-integration)
      REPORTS+=(asan-integration)
      # IWS_SANITIZER: memory figures of a sanitized server are the
      # sanitizer's (shadow, quarantine); there the sanitizer is the verdict.
      build build-asan "${ASAN_BUILD[@]}" &&
        IWS_SANITIZER=address run_pytest "$ROOT/build-asan/ws_test_server" asan-integration || note_failure asan-integration ;;
    win64)
      REPORTS+=(win64-exports win64-unit win64-integration)
      windows_tier x86_64 win64 || note_failure win64 ;;
    win32)
      REPORTS+=(win32-exports win32-unit win32-integration)
      windows_tier i686 win32 || note_failure win32 ;;
    pascal)
      REPORTS+=(pascal-build pascal-names pascal-selftest pascal-selftest-dynamic pascal-no-cthreads pascal-indy-reg pascal-integration pascal-selftest-unicode pascal-integration-unicode pascal-forms pascal-forms-unicode)
      build build "${LINUX_BUILD[@]}" &&
        bash tests/pascal/run.sh native "$ROOT/build" "$RESULTS" || note_failure pascal ;;
    pascal-win64 | pascal-win32)
      REPORTS+=("$tier-build" "$tier-selftest" "$tier-selftest-dynamic" "$tier-indy-reg" "$tier-integration" "$tier-selftest-unicode" "$tier-integration-unicode" "$tier-forms" "$tier-forms-unicode")
      arch=x86_64
      [ "$tier" = pascal-win32 ] && arch=i686
      windows_dll "$arch" "${tier#pascal-}" &&
        bash tests/pascal/run.sh "${tier#pascal-}" "$ROOT/build-${tier#pascal-}" "$RESULTS" ||
        note_failure "$tier" ;;
    cpp)
      REPORTS+=($(bash tests/cpp/run.sh --reports cpp))
      build build "${LINUX_BUILD[@]}" && bash tests/cpp/run.sh native "$RESULTS" || note_failure cpp ;;
    cpp-win64 | cpp-win32)
      REPORTS+=($(bash tests/cpp/run.sh --reports "$tier"))
      if [ "$tier" = cpp-win64 ]; then arch=x86_64; else arch=i686; fi
      cpp_windows_tier "$arch" "${tier#cpp-}" || note_failure "$tier" ;;
    package)
      REPORTS+=(package)
      { bash scripts/install-windows-deps.sh >"$RESULTS/package-install.log" 2>&1 ||
          { tail -20 "$RESULTS/package-install.log"; false; }; } &&
        bash tests/package/run.sh "$RESULTS" || note_failure package ;;
    web)
      REPORTS+=(web)
      build build "${LINUX_BUILD[@]}" &&
        IWS_WEB_SERVER="$ROOT/build/web_chat_server" "$PY" -m pytest -p no:cacheprovider -q \
          "$ROOT/tests/web" --junitxml="$RESULTS/web.xml" || note_failure web ;;
    web-win64)
      REPORTS+=(web-win64)
      if windows_dll x86_64 win64; then
        export WINEPREFIX="$RESULTS/wineprefix-web-win64"
        bash tests/wine/make-server-wrapper.sh --no-warm-up "$ROOT/build-win64/web_chat_server.exe" \
          "$ROOT/build-win64/web_chat_server-wine" &&
          bash tests/wine/wineserver.sh start "$ROOT/build-win64/web_chat_server.exe" \
            "$RESULTS/web-win64-wineserver.log" &&
          IWS_WEB_SERVER="$ROOT/build-win64/web_chat_server-wine" IWS_WEB_SIGNALS=0 \
            IWS_WEB_ROOT="Z:$(printf '%s' "$ROOT/samples/web" | tr / '\\')" \
            "$PY" -m pytest -p no:cacheprovider -q "$ROOT/tests/web" \
            --junitxml="$RESULTS/web-win64.xml" || note_failure web-win64
        bash tests/wine/wineserver.sh stop
        rm -rf "$WINEPREFIX"
        unset WINEPREFIX
      else
        note_failure web-win64
      fi ;;
    tsan)
      REPORTS+=(tsan-unit tsan-integration)
      if build build-tsan "${TSAN_BUILD[@]}"; then
        (cd "$ROOT/build-tsan" && TSAN_OPTIONS=${TSAN_OPTIONS:-$TSAN_ENV} \
          ctest --output-on-failure --timeout 300 -R '^unit_(api|lifecycle)$' \
          --output-junit "$RESULTS/tsan-unit.xml") || note_failure tsan-unit
        TSAN_OPTIONS=${TSAN_OPTIONS:-$TSAN_ENV} IWS_TEST_SERVER="$ROOT/build-tsan/ws_test_server" \
          IWS_SANITIZER=thread "$PY" -m pytest -p no:cacheprovider -q \
          "$ROOT/tests/integration/test_load.py" "$ROOT/tests/integration/test_faults.py" \
          "$ROOT/tests/integration/test_hostile.py" "$ROOT/tests/integration/test_tls.py" \
          "$ROOT/tests/integration/test_listeners.py" \
          "$ROOT/tests/integration/test_hostile_peers.py" \
          "$ROOT/tests/integration/test_log_calls.py" \
          "$ROOT/tests/integration/test_echo.py::test_echo_sizes" \
          "$ROOT/tests/integration/test_features.py" \
          "$ROOT/tests/integration/test_http.py" \
          --junitxml="$RESULTS/tsan-integration.xml" || note_failure tsan-integration
      else
        note_failure tsan
      fi ;;
    fuzz)
      REPORTS+=(fuzz-handshake fuzz-conn fuzz-tls fuzz-options fuzz-static fuzz-wslay_diff)
      bash tests/fuzz/run.sh "${IWS_FUZZ_SECONDS:-20}" "$RESULTS" || note_failure fuzz ;;
    *)
      note_failure "unknown tier '$tier'" ;;
  esac
done

echo
"$PY" "$ROOT/scripts/summarize.py" "$RESULTS" $(printf '%s\n' "${REPORTS[@]}" | awk '!seen[$0]++')
status=$?
if [ "$failures" -ne 0 ] && [ "$status" -eq 0 ]; then status=1; fi
exit $status
