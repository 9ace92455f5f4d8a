#!/usr/bin/env bash
# The Pascal binding tiers of scripts/test.sh: builds the units, the test
# program (static and IOCPWS_DYNAMIC) and the samples with Free Pascal, then
# runs them against the library and writes JUnit reports.
#
#   tests/pascal/run.sh native LIBDIR RESULTS   LIBDIR holds libiocpws.so
#   tests/pascal/run.sh win64  DLLDIR RESULTS   DLLDIR holds iocpws.dll (x86_64)
#   tests/pascal/run.sh win32  DLLDIR RESULTS   DLLDIR holds iocpws.dll (i686)
#
# Reports (P = pascal, pascal-win64, pascal-win32), in RESULTS/<name>.xml:
#   P-build              one case per program compiled (units, tests, samples)
#   pascal-names         native only: iocpws.lib.pas against include/iocpws.h
#   P-selftest           iocpws_test selftest (layout, versions, bad input...)
#   P-selftest-dynamic   the same built with -dIOCPWS_DYNAMIC (+ loader errors)
#   P-integration        tests/pascal/test_pascal.py (Python websockets client)
# win32 without a working 32-bit Wine: the build still runs; the runtime
# reports become RESULTS/<name>.skipped with the reason (never "passed").
# Programs go to build-pascal[-win64|-win32]/ in the repository.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PY=/usr/bin/python3

target=${1:?usage: run.sh native|win64|win32 LIBDIR RESULTS}
libdir=$(cd "${2:?LIBDIR}" && pwd)
results=${3:?RESULTS}
mkdir -p "$results"
results=$(cd "$results" && pwd)
B=$ROOT/bindings/pascal

case $target in
  native)
    FPC=(/usr/bin/fpc)
    prefix=pascal
    exe=
    ;;
  win64 | win32)
    bash scripts/build-fpc-windows.sh "$target" >"$results/$target-fpc-rtl.log" 2>&1 ||
      { tail -20 "$results/$target-fpc-rtl.log"; echo "run.sh: Free Pascal's $target RTL did not build"; exit 1; }
    FPC=("$(bash scripts/build-fpc-windows.sh --print-compiler "$target")") || exit 1
    prefix=pascal-$target
    exe=.exe
    ;;
  *)
    echo "run.sh: unknown target '$target'" >&2
    exit 2
    ;;
esac
out=$ROOT/build-$prefix
rm -rf "$out"
mkdir -p "$out/bin"
status=0

# ---- build ---------------------------------------------------------------
# compile <program name> <source> [fpc options...]: one JUnit case.
cases=()
compile() {
  local name=$1 src=$2 log
  shift 2
  log=$out/$name.log
  mkdir -p "$out/units-$name"
  if "${FPC[@]}" -Sew -vw -Fu"$B" -Fi"$B" -Fl"$libdir" -FU"$out/units-$name" \
    -o"$out/bin/$name$exe" "$@" "$src" >"$log" 2>&1 && [ -f "$out/bin/$name$exe" ]; then
    cases+=("$name|0|")
  else
    echo "run.sh: $name did not compile:"
    grep -E "Error|Fatal|Warning" "$log" | head -20
    cases+=("$name|1|$(tail -30 "$log")")
    status=1
  fi
}
compile iocpws_test tests/pascal/iocpws_test.dpr
compile iocpws_test_dynamic tests/pascal/iocpws_test.dpr -dIOCPWS_DYNAMIC
compile echo_server samples/delphi/echo_server.dpr
compile chat_server samples/delphi/chat_server.dpr
compile sgc_compat tests/pascal/sgc_compat.dpr

# A JUnit report from "name|status|text" items.
junit() { # junit <report> items...
  local report=$1
  shift
  "$PY" - "$results/$report.xml" "$report" "$@" <<'PYEOF'
import sys
from xml.sax.saxutils import escape, quoteattr
path, suite, items = sys.argv[1], sys.argv[2], sys.argv[3:]
body = []
for item in items:
    name, status, text = item.split("|", 2)
    fail = "" if status == "0" else f'<failure message="failed">{escape(text)}</failure>'
    body.append(f"<testcase name={quoteattr(name)}>{fail}</testcase>")
open(path, "w").write(f'<testsuite name="{suite}">{"".join(body)}</testsuite>\n')
PYEOF
}
junit "$prefix-build" "${cases[@]}"

if [ "$target" = native ]; then
  "$PY" tests/pascal/check_names.py include/iocpws.h "$B/iocpws.lib.pas" \
    "$results/pascal-names.xml" || status=1
fi

# ---- runtime ---------------------------------------------------------------
runtime_reports=("$prefix-selftest" "$prefix-selftest-dynamic" "$prefix-integration")
if [ "$target" = win32 ]; then
  wine32=$(bash scripts/install-windows-deps.sh --wine32-status 2>/dev/null)
  if [ "$wine32" != ok ]; then
    for r in "${runtime_reports[@]}"; do
      echo "SKIPPED: $r: 32-bit Wine is not available: ${wine32:-unknown}"
      echo "32-bit Wine is not available: ${wine32:-unknown}" >"$results/$r.skipped"
    done
    exit $status
  fi
fi

# selftest <report> <command...>: "ok - x" / "not ok - x: why" -> JUnit.
selftest() {
  local report=$1 output rc
  shift
  output=$(timeout 300 "$@" 2>&1)
  rc=$?
  echo "$output" | grep -v '^ok - '
  "$PY" - "$results/$report.xml" "$report" "$rc" "$output" <<'PYEOF'
import re, sys
from xml.sax.saxutils import escape, quoteattr
path, suite, rc, output = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
body, failed = [], 0
for line in output.splitlines():
    m = re.match(r"(not ok|ok) - (.*)", line)
    if not m:
        continue
    name, why = (m.group(2).split(": ", 1) + [""])[:2] if m.group(1) == "not ok" else (m.group(2), "")
    if m.group(1) == "ok":
        body.append(f"<testcase name={quoteattr(name)}/>")
    else:
        failed += 1
        body.append(f"<testcase name={quoteattr(name)}><failure message={quoteattr(why)}/></testcase>")
if rc != 0 and not failed:
    body.append(f'<testcase name="exit status"><failure message="exit {rc}">{escape(output[-3000:])}</failure></testcase>')
open(path, "w").write(f'<testsuite name="{suite}">{"".join(body)}</testsuite>\n')
PYEOF
  return $rc
}

run_pytest() {
  IWS_PASCAL_SERVER=$1 IWS_PASCAL_ECHO=$2 IWS_PASCAL_CHAT=$3 \
    "$PY" -m pytest -p no:cacheprovider -q "$ROOT/tests/pascal" \
    --junitxml="$results/$prefix-integration.xml"
}

bin=$out/bin
if [ "$target" = native ]; then
  export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  selftest pascal-selftest "$bin/iocpws_test" selftest || status=1
  selftest pascal-selftest-dynamic "$bin/iocpws_test_dynamic" selftest \
    --lib "$libdir/libiocpws.so" || status=1
  run_pytest "$bin/iocpws_test" "$bin/echo_server" "$bin/chat_server" || status=1
  exit $status
fi

# Windows: the programs and iocpws.dll side by side, under Wine.
cp "$libdir/iocpws.dll" "$bin/" || exit 1
export WINEPREFIX=${IWS_PASCAL_WINEPREFIX:-$results/wineprefix-$prefix}
wine=$ROOT/tests/wine
selftest "$prefix-selftest" "$wine/run-exe.sh" "$bin/iocpws_test.exe" selftest || status=1
selftest "$prefix-selftest-dynamic" "$wine/run-exe.sh" "$bin/iocpws_test_dynamic.exe" \
  selftest --lib iocpws.dll || status=1
bash "$wine/make-server-wrapper.sh" "$bin/iocpws_test.exe" "$bin/iocpws_test-wine" || status=1
bash "$wine/make-server-wrapper.sh" --no-warm-up "$bin/echo_server.exe" "$bin/echo_server-wine" || status=1
bash "$wine/make-server-wrapper.sh" --no-warm-up "$bin/chat_server.exe" "$bin/chat_server-wine" || status=1
run_pytest "$bin/iocpws_test-wine" "$bin/echo_server-wine" "$bin/chat_server-wine" || status=1
if [ -z "${IWS_PASCAL_WINEPREFIX:-}" ]; then
  "${IWS_WINESERVER:-wineserver}" -k >/dev/null 2>&1 || true
  rm -rf "$WINEPREFIX" # ~1 GB: create, never keep
fi
exit $status
