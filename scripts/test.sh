#!/usr/bin/env bash
# The one test command (README "Quick start", and .ci/run): installs what is
# missing, builds, and runs every tier. Ends with "N passed, N failed".
#
#   scripts/test.sh            all tiers
#   IWS_TIERS="unit asan-unit" scripts/test.sh    a subset (for development)
#
# Tiers:
#   unit          cmocka unit tests (release build, -Werror)
#   integration   the library on 127.0.0.1 driven by Python websockets and
#                 Node ws (pytest)
#   asan-unit     the unit tests built with ASan + UBSan (+ LeakSanitizer)
#   asan-integration  the integration tests against the ASan + UBSan build
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TIERS=${IWS_TIERS:-"unit integration asan-unit asan-integration"}
RESULTS=$ROOT/build-results
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
PY=/usr/bin/python3 # Debian's interpreter: it has python3-websockets/pytest

bash scripts/install-deps.sh || { echo "install-deps failed"; echo "0 passed, 1 failed"; exit 1; }

failures=0
note_failure() { echo "TIER FAILED: $1"; failures=$((failures + 1)); }

build() { # build <dir> [cmake args...]
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$ROOT/$dir" -G Ninja "$@" >"$RESULTS/$dir-configure.log" 2>&1 &&
    cmake --build "$ROOT/$dir" >"$RESULTS/$dir-build.log" 2>&1 ||
    { cat "$RESULTS/$dir-configure.log" "$RESULTS/$dir-build.log" | tail -40; return 1; }
}

run_ctest() { # run_ctest <dir> <tier>
  (cd "$ROOT/$1" && ctest --output-on-failure --timeout 300 \
    --output-junit "$RESULTS/$2.xml")
}

run_pytest() { # run_pytest <builddir> <tier>
  IWS_TEST_SERVER="$ROOT/$1/ws_test_server" \
    "$PY" -m pytest -p no:cacheprovider -q "$ROOT/tests/integration" \
    --junitxml="$RESULTS/$2.xml"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=66}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for tier in $TIERS; do
  echo
  echo "=== tier: $tier ==="
  case $tier in
    unit)
      build build -DCMAKE_BUILD_TYPE=RelWithDebInfo && run_ctest build unit || note_failure unit ;;
    integration)
      build build -DCMAKE_BUILD_TYPE=RelWithDebInfo && run_pytest build integration || note_failure integration ;;
    asan-unit)
      build build-asan -DCMAKE_BUILD_TYPE=Debug -DIWS_SANITIZE=ON && run_ctest build-asan asan-unit || note_failure asan-unit ;;
    asan-integration)
      build build-asan -DCMAKE_BUILD_TYPE=Debug -DIWS_SANITIZE=ON && run_pytest build-asan asan-integration || note_failure asan-integration ;;
    *)
      note_failure "unknown tier '$tier'" ;;
  esac
done

echo
"$PY" "$ROOT/scripts/summarize.py" "$RESULTS" $TIERS
status=$?
if [ "$failures" -ne 0 ] && [ "$status" -eq 0 ]; then status=1; fi
exit $status
