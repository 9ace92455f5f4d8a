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
#   P-build              one case per program compiled (units, tests, samples;
#                        natively also the Lazarus packages, with lazbuild)
#   pascal-names         native only: iocpws.lib.pas against include/iocpws.h
#   P-selftest           iocpws_test selftest (layout, versions, bad input...)
#   P-selftest-dynamic   the same built with -dIOCPWS_DYNAMIC (+ loader errors)
#   pascal-no-cthreads   native only: a program without cthreads gets EIocpWs
#   P-indy-reg           IdHTTPServer_iocp_reg registers TIdHTTPServer
#   P-integration        tests/pascal/test_pascal.py (Python websockets client)
#   P-selftest-unicode,  the self test and the WebSocket tests again with the
#   P-integration-unicode  program and units built in mode delphiunicode
#   P-forms, P-forms-unicode  sgc forms (tests/pascal/forms/*.dfm) stream
#                        into the compat classes and back (sgc_forms.dpr)
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
# the same program and units with string = UnicodeString (Delphi 2009+)
compile iocpws_test_unicode tests/pascal/iocpws_test.dpr -Mdelphiunicode
compile echo_server samples/delphi/echo_server.dpr
compile chat_server samples/delphi/chat_server.dpr
compile http_server samples/delphi/http_server.dpr
compile sgc_compat tests/pascal/sgc_compat.dpr
# the Indy drop-in: the test server in both string modes, the sample, and
# the design-time registration unit
compile indy_compat tests/pascal/indy_compat.dpr -Mdelphi
compile indy_compat_unicode tests/pascal/indy_compat.dpr -Mdelphiunicode
compile indy_http_server samples/delphi/indy_http_server.dpr
compile indy_reg tests/pascal/indy_reg.dpr
compile sgc_server tests/pascal/sgc_server.dpr
compile sgc_server_unicode tests/pascal/sgc_server.dpr -Mdelphiunicode
compile sgc_forms tests/pascal/sgc_forms.dpr
compile sgc_forms_unicode tests/pascal/sgc_forms.dpr -Mdelphiunicode
[ "$target" = native ] && compile no_cthreads tests/pascal/no_cthreads.dpr

# The Lazarus packages (bindings/pascal/packages/lazarus/iocpws.lpk and
# iocpws_indy.lpk, which requires it) built with lazbuild, from a copy
# (lazbuild writes its unit output next to them). A unit may be in only one
# package of an IDE: iocpws_indy's output must hold its own units and no
# unit of iocpws (lazbuild compiles with -B whatever source its path finds).
lazarus_package() { # lazarus_package <case name> <lpk>
  local name=$1 lpk=$2 log
  log=$out/lazarus-${lpk%.lpk}.log
  if ! command -v lazbuild >/dev/null; then
    cases+=("$name|1|lazbuild is not installed (Debian package lazarus; scripts/install-deps.sh)")
    status=1
  elif (cd "$out/lazarus/pascal/packages/lazarus" &&
    lazbuild --primary-config-path="$out/lazarus/config" "$lpk") >"$log" 2>&1; then
    cases+=("$name|0|")
  else
    echo "run.sh: the Lazarus package $lpk did not build:"
    grep -E "Error|Fatal" "$log" | head -20
    cases+=("$name|1|$(tail -30 "$log")")
    status=1
  fi
}
lazarus_indy_units() {
  local dir units
  dir=$(echo "$out"/lazarus/pascal/packages/lazarus/lib/iocpws_indy/*-*)
  units=$(cd "$dir" 2>/dev/null && ls -- *.ppu 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')
  if [ "$units" = "IdHTTPServer_iocp.ppu IdHTTPServer_iocp_reg.ppu IdSSLOpenSSL_iocp.ppu iocpws_indy.ppu " ]; then
    cases+=("lazarus package iocpws_indy holds only its units|0|")
  else
    echo "run.sh: the Lazarus package iocpws_indy compiled: ${units:-nothing} (in $dir)"
    cases+=("lazarus package iocpws_indy holds only its units|1|$dir holds ${units:-nothing}, expected IdHTTPServer_iocp, IdHTTPServer_iocp_reg, IdSSLOpenSSL_iocp, iocpws_indy (the units of iocpws come from its package)")
    status=1
  fi
}
if [ "$target" = native ]; then
  rm -rf "$out/lazarus"
  mkdir -p "$out/lazarus"
  cp -r "$B" "$out/lazarus/pascal"
  lazarus_package "lazarus package" iocpws.lpk
  lazarus_package "lazarus package iocpws_indy" iocpws_indy.lpk
  lazarus_indy_units
fi

# A stand-in library that exports every iws_ function of the header but
# implements ABI 99: the IOCPWS_DYNAMIC loader must refuse it by name.
fake_abi() {
  local c=$out/fake_abi.c cc so
  {
    echo '/* generated by tests/pascal/run.sh from include/iocpws.h */'
    echo '#if defined(_WIN32)'
    echo '#define EXPORT __declspec(dllexport)'
    echo '#if !defined(_WIN64)'
    echo '#define CALL __stdcall'
    echo '#endif'
    echo '#else'
    echo '#define EXPORT __attribute__((visibility("default")))'
    echo '#endif'
    echo '#ifndef CALL'
    echo '#define CALL'
    echo '#endif'
    echo 'EXPORT unsigned CALL iws_abi_version(void) { return 99; }'
    tr '\n' ' ' <include/iocpws.h | grep -o 'IWS_CALL[[:space:]]*iws_[a-z_]*' | awk '{print $2}' |
      grep -v '^iws_abi_version$' |
      while read -r f; do echo "EXPORT int CALL $f(void) { return -100; }"; done
  } >"$c"
  case $target in
    native) cc=(cc -shared -fPIC); so=$bin/libiocpws_fake_abi.so ;;
    win64) cc=(x86_64-w64-mingw32-gcc -shared); so=$bin/iocpws_fake_abi.dll ;;
    win32) cc=(i686-w64-mingw32-gcc -shared -Wl,--kill-at); so=$bin/iocpws_fake_abi.dll ;;
  esac
  if "${cc[@]}" -o "$so" "$c" >"$out/fake_abi.log" 2>&1; then
    cases+=("fake_abi library|0|")
  else
    cases+=("fake_abi library|1|$(cat "$out/fake_abi.log")")
    status=1
  fi
}
bin=$out/bin
fake_abi

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
runtime_reports=("$prefix-selftest" "$prefix-selftest-dynamic" "$prefix-indy-reg" "$prefix-integration"
  "$prefix-selftest-unicode" "$prefix-integration-unicode" "$prefix-forms" "$prefix-forms-unicode")
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
  IWS_PASCAL_SERVER=$1 IWS_PASCAL_ECHO=$2 IWS_PASCAL_CHAT=$3 IWS_PASCAL_HTTP=$4 \
    IWS_PASCAL_SGC=$5 IWS_PASCAL_SGC_UNICODE=$6 \
    IWS_PASCAL_INDY=$7 IWS_PASCAL_INDY_U=$8 IWS_PASCAL_INDY_SAMPLE=$9 \
    "$PY" -m pytest -p no:cacheprovider -q "$ROOT/tests/pascal" \
    --junitxml="$results/$prefix-integration.xml"
}

# The WebSocket tests (test_pascal.py, less the samples, which are built in
# mode delphi) against the delphiunicode build.
run_pytest_unicode() {
  IWS_PASCAL_SERVER=$1 "$PY" -m pytest -p no:cacheprovider -q \
    "$ROOT/tests/pascal/test_pascal.py" -k "not test_sample_" \
    --junitxml="$results/$prefix-integration-unicode.xml"
}

if [ "$target" = native ]; then
  export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  selftest pascal-selftest "$bin/iocpws_test" selftest || status=1
  selftest pascal-selftest-dynamic "$bin/iocpws_test_dynamic" selftest \
    --lib "$libdir/libiocpws.so" --fake-abi "$bin/libiocpws_fake_abi.so" || status=1
  selftest pascal-no-cthreads "$bin/no_cthreads" || status=1
  selftest pascal-indy-reg "$bin/indy_reg" || status=1
  run_pytest "$bin/iocpws_test" "$bin/echo_server" "$bin/chat_server" "$bin/http_server" \
    "$bin/sgc_server" "$bin/sgc_server_unicode" \
    "$bin/indy_compat" "$bin/indy_compat_unicode" "$bin/indy_http_server" || status=1
  selftest pascal-selftest-unicode "$bin/iocpws_test_unicode" selftest || status=1
  selftest pascal-forms "$bin/sgc_forms" "$ROOT/tests/pascal/forms" || status=1
  selftest pascal-forms-unicode "$bin/sgc_forms_unicode" "$ROOT/tests/pascal/forms" || status=1
  run_pytest_unicode "$bin/iocpws_test_unicode" || status=1
  exit $status
fi

# Windows: the programs and iocpws.dll side by side, under Wine.
cp "$libdir/iocpws.dll" "$bin/" || exit 1
export WINEPREFIX=${IWS_PASCAL_WINEPREFIX:-$results/wineprefix-$prefix}
wine=$ROOT/tests/wine
# One wineserver for all of it, started before the first program
# (tests/wine/wineserver.sh says why).
bash "$wine/wineserver.sh" start "$bin/iocpws_test.exe" "$results/$prefix-wineserver.log" || exit 1
selftest "$prefix-selftest" "$wine/run-exe.sh" "$bin/iocpws_test.exe" selftest || status=1
selftest "$prefix-selftest-dynamic" "$wine/run-exe.sh" "$bin/iocpws_test_dynamic.exe" \
  selftest --lib iocpws.dll --fake-abi iocpws_fake_abi.dll || status=1
bash "$wine/make-server-wrapper.sh" "$bin/iocpws_test.exe" "$bin/iocpws_test-wine" || status=1
bash "$wine/make-server-wrapper.sh" --no-warm-up "$bin/echo_server.exe" "$bin/echo_server-wine" || status=1
bash "$wine/make-server-wrapper.sh" --no-warm-up "$bin/chat_server.exe" "$bin/chat_server-wine" || status=1
bash "$wine/make-server-wrapper.sh" --no-warm-up "$bin/http_server.exe" "$bin/http_server-wine" || status=1
for p in indy_compat indy_compat_unicode indy_http_server; do
  bash "$wine/make-server-wrapper.sh" --no-warm-up "$bin/$p.exe" "$bin/$p-wine" || status=1
done
selftest "$prefix-indy-reg" "$wine/run-exe.sh" "$bin/indy_reg.exe" || status=1
bash "$wine/make-server-wrapper.sh" --no-warm-up "$bin/sgc_server.exe" "$bin/sgc_server-wine" || status=1
bash "$wine/make-server-wrapper.sh" --no-warm-up "$bin/sgc_server_unicode.exe" "$bin/sgc_server_unicode-wine" || status=1
run_pytest "$bin/iocpws_test-wine" "$bin/echo_server-wine" "$bin/chat_server-wine" "$bin/http_server-wine" \
  "$bin/sgc_server-wine" "$bin/sgc_server_unicode-wine" \
  "$bin/indy_compat-wine" "$bin/indy_compat_unicode-wine" "$bin/indy_http_server-wine" || status=1
selftest "$prefix-selftest-unicode" "$wine/run-exe.sh" "$bin/iocpws_test_unicode.exe" selftest || status=1
forms_dir="Z:$(echo "$ROOT/tests/pascal/forms" | tr / '\\')"
selftest "$prefix-forms" "$wine/run-exe.sh" "$bin/sgc_forms.exe" "$forms_dir" || status=1
selftest "$prefix-forms-unicode" "$wine/run-exe.sh" "$bin/sgc_forms_unicode.exe" "$forms_dir" || status=1
bash "$wine/make-server-wrapper.sh" "$bin/iocpws_test_unicode.exe" "$bin/iocpws_test_unicode-wine" || status=1
run_pytest_unicode "$bin/iocpws_test_unicode-wine" || status=1
bash "$wine/wineserver.sh" stop
if [ -z "${IWS_PASCAL_WINEPREFIX:-}" ]; then
  rm -rf "$WINEPREFIX" # ~1 GB: create, never keep
fi
exit $status
