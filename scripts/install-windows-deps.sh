#!/usr/bin/env bash
# Prerequisites for cross-building the Windows DLL on Debian 12 and running
# its tests under Wine. Idempotent: what is already installed is skipped.
#
#   scripts/install-windows-deps.sh               install (root, or sudo)
#   scripts/install-windows-deps.sh --no-wine32   skip the 32-bit Wine attempt
#   scripts/install-windows-deps.sh --status      print launchers + wine32 status
#   scripts/install-windows-deps.sh --wine32-status   "ok" or "unavailable: <why>"
#   eval "$(scripts/install-windows-deps.sh --print-env x86_64|i686 [PREFIX])"
#   . scripts/install-windows-deps.sh             (sourced) defines iws_wine_*
#
# Installs mingw-w64, libz-mingw-w64-dev (static zlib for the DLL), wine,
# wine64, cmake, ninja-build and what
# scripts/build-windows-deps.sh needs (dpkg-dev for `apt-get source`, perl,
# make, python3), fpc and fpc-source for scripts/build-fpc-windows.sh, adds deb-src entries mirroring the binary sources, and tries
# to install 32-bit Wine (wine32:i386). 32-bit Wine is optional: if it cannot
# be installed the script still succeeds and records the reason in
#   ${IWS_DEPS_CACHE:-$HOME/.cache/iocpws-deps}/wine32.status
# ("ok" or "unavailable: <reason>"), so the Win32 runtime tier can say
# "SKIPPED: <reason>". It also writes wine.env there (WINE64=, WINE32=,
# WINE32_STATUS=) for test runners to source.
#
# Running Wine headless (what iws_wine_env sets; nothing needs an X server for
# console programs):
#   WINEDEBUG=-all                                   quiet
#   WINEDLLOVERRIDES='mscoree,mshtml=;winedbg.exe=d' no Mono/Gecko prompts, no
#                                                    winedbg dump on a crash
#   WINEPREFIX=$(mktemp -d /tmp/iocpws-wine-XXXXXX)  one per job; ~1.3 GB for
#                                                    win64, create, don't cache
#   WINEARCH=win64 (x86_64) / win32 (i686)           for a fresh prefix
# Launchers (Debian 12, wine 8.0): 64-bit /usr/lib/wine/wine64 (package
# wine64); 32-bit /usr/lib/wine/wine (package wine32:i386). /usr/bin/wine
# (package wine) runs the 32-bit loader when present and otherwise falls back
# to wine64, so it is not a test for 32-bit support.

IWS_DEPS_CACHE=${IWS_DEPS_CACHE:-$HOME/.cache/iocpws-deps}

# ---------------------------------------------------------------- functions
# Safe to source: only definitions until the "main" section below.

iws_wine_launcher() { # iws_wine_launcher x86_64|i686 -> path, or exit 1
  case "$1" in
    x86_64 | win64 | 64)
      local c
      for c in /usr/lib/wine/wine64 "$(command -v wine64 2>/dev/null)"; do
        [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
      done ;;
    i686 | win32 | 32)
      # Only the real 32-bit loader counts (/usr/bin/wine falls back to
      # wine64), and only if it runs (it is a 32-bit Linux program).
      [ -x /usr/lib/wine/wine ] && /usr/lib/wine/wine --version >/dev/null 2>&1 &&
        { echo /usr/lib/wine/wine; return 0; } ;;
    *) echo "iws_wine_launcher: unknown arch '$1'" >&2 ;;
  esac
  return 1
}

# Can this kernel run 32-bit x86 programs at all? Some virtual machines run
# 64-bit user code only (i386 execve fails with ENOEXEC, "Exec format
# error"); 32-bit Wine cannot work there whatever is installed. Probed with
# a 96-byte static i386 ELF that just exits 0.
iws_ia32_probe() { # exit 0 if i386 programs run; prints the reason if not
  local f rc
  f=$(mktemp "${TMPDIR:-/tmp}/iocpws-ia32.XXXXXX") || return 1
  printf '%b' \
    '\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00' \
    '\x02\x00\x03\x00\x01\x00\x00\x00\x54\x80\x04\x08\x34\x00\x00\x00' \
    '\x00\x00\x00\x00\x00\x00\x00\x00\x34\x00\x20\x00\x01\x00\x00\x00' \
    '\x00\x00\x00\x00' \
    '\x01\x00\x00\x00\x00\x00\x00\x00\x00\x80\x04\x08\x00\x80\x04\x08' \
    '\x60\x00\x00\x00\x60\x00\x00\x00\x05\x00\x00\x00\x00\x10\x00\x00' \
    '\xb8\x01\x00\x00\x00\x31\xdb\xcd\x80\x90\x90\x90' >"$f"
  chmod +x "$f"
  local err
  err=$( ("$f") 2>&1 >/dev/null)
  rc=$?
  rm -f "$f"
  [ "$rc" -eq 0 ] && return 0
  case "$err" in
    *"Exec format error"*)
      echo "this kernel cannot run 32-bit x86 programs (i386 execve fails with ENOEXEC: IA-32 emulation is off)" ;;
    *)
      echo "a 32-bit x86 test program could not run (exit $rc${err:+: ${err##*: }})" ;;
  esac
  return 1
}

iws_wineserver() { # path of wineserver
  local c
  for c in /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver32 /usr/lib/wine/wineserver \
    "$(command -v wineserver 2>/dev/null)"; do
    [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

iws_wine32_status() { # prints "ok" or "unavailable: <reason>"; exit 0 iff ok
  if iws_wine_launcher i686 >/dev/null 2>&1; then
    echo ok
    return 0
  fi
  local f=$IWS_DEPS_CACHE/wine32.status why
  if ! why=$(iws_ia32_probe); then
    echo "unavailable: $why"
  elif [ -s "$f" ] && ! grep -qx ok "$f"; then
    cat "$f"
  else
    echo "unavailable: 32-bit Wine (wine32:i386) is not installed; run scripts/install-windows-deps.sh as root"
  fi
  return 1
}

iws_wine_env() { # iws_wine_env x86_64|i686 [PREFIX]: export a headless Wine setup
  local arch=$1 prefix=${2:-}
  local launcher
  launcher=$(iws_wine_launcher "$arch") || {
    echo "iws_wine_env: no Wine launcher for $arch ($(iws_wine32_status))" >&2
    return 1
  }
  if [ -z "$prefix" ]; then
    prefix=$(mktemp -d "${TMPDIR:-/tmp}/iocpws-wine-$arch.XXXXXX") || return 1
    rmdir "$prefix" # wine creates it; an existing empty dir is also fine
  fi
  export IWS_WINE="$launcher"
  export WINEPREFIX="$prefix"
  export WINEDEBUG="${WINEDEBUG:--all}"
  export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=;winedbg.exe=d}"
  case "$arch" in i686 | win32 | 32) export WINEARCH=win32 ;; *) export WINEARCH=win64 ;; esac
  # A console program needs no display; keep Wine from touching one.
  unset DISPLAY WAYLAND_DISPLAY
}

# Wine without address-space randomisation: Debian's wine64 (no preloader)
# otherwise fails about one start in 7900 with "failed to map the shared
# user data" (scripts/README-windows.md, "Wine start-up").
iws_norandom() { # iws_norandom CMD...: CMD under setarch -R when possible
  if setarch -R true 2>/dev/null; then setarch -R "$@"; else "$@"; fi
}

iws_wine_run() { # iws_wine_run PROG.exe [ARGS...] (after iws_wine_env)
  iws_norandom "${IWS_WINE:?call iws_wine_env first}" "$@"
}

iws_wine_start() { # create/boot the prefix and keep wineserver warm
  iws_norandom "${IWS_WINE:?call iws_wine_env first}" wineboot --init >/dev/null 2>&1 || true
  local ws
  if ws=$(iws_wineserver); then "$ws" -p >/dev/null 2>&1 || true; fi
}

iws_wine_stop() { # end the wineserver of $WINEPREFIX; remove it if it is ours
  local ws
  if ws=$(iws_wineserver); then "$ws" -k >/dev/null 2>&1 || true; fi
  case "${WINEPREFIX:-}" in
    "${TMPDIR:-/tmp}"/iocpws-wine-*) rm -rf "$WINEPREFIX" ;;
  esac
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  return 0 2>/dev/null # sourced: definitions only
fi

# --------------------------------------------------------------------- main
set -uo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

want_wine32=1
case "${1:-}" in
  --no-wine32) want_wine32=0 ;;
  --wine32-status) iws_wine32_status; exit $? ;;
  --print-env)
    arch=${2:?usage: --print-env x86_64|i686 [PREFIX]}
    iws_wine_env "$arch" "${3:-}" || exit 1
    for v in IWS_WINE WINEPREFIX WINEDEBUG WINEDLLOVERRIDES WINEARCH; do
      printf 'export %s=%q\n' "$v" "${!v}"
    done
    echo "unset DISPLAY WAYLAND_DISPLAY"
    exit 0 ;;
  --status)
    echo "wine64 launcher: $(iws_wine_launcher x86_64 || echo none)"
    echo "wine32 launcher: $(iws_wine_launcher i686 || echo none)"
    echo "wine32: $(iws_wine32_status)"
    exit 0 ;;
  "") ;;
  -h | --help) sed -n '2,31p' "$0"; exit 0 ;;
  *) echo "unknown option: $1" >&2; exit 2 ;;
esac

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-windows-deps: needs root (or sudo) for apt-get" >&2
    exit 1
  fi
fi
mkdir -p "$IWS_DEPS_CACHE"
LOG=$IWS_DEPS_CACHE/install-windows-deps.log
: >"$LOG"

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

APT_UPDATED=0
APT_UPDATE_ERR=""
apt_update() { # retries: a mirror in the middle of a sync can fail one index
  local try out
  for try in 1 2 3; do
    out=$($SUDO apt-get update 2>&1)
    echo "$out" >>"$LOG"
    APT_UPDATE_ERR=$(echo "$out" | grep -E '^(E|W): Failed to fetch' | head -3)
    [ -z "$APT_UPDATE_ERR" ] && break
    echo "install-windows-deps: apt-get update: some indexes failed (try $try/3)"
    [ "$try" -lt 3 ] && sleep 5
  done
  APT_UPDATED=1
}

# 1. Packages for the cross build and the 64-bit runtime tier.
PACKAGES=(mingw-w64 libz-mingw-w64-dev wine wine64 cmake ninja-build dpkg-dev make perl python3 xz-utils ca-certificates
  fpc fpc-source # fpc, fpc-source: scripts/build-fpc-windows.sh (Pascal for Windows)
  llvm lld unzip) # llvm-dlltool: the MSVC import library; lld-link, unzip: the package tier
missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-windows-deps: apt-get install ${missing[*]}"
  apt_update
  # No recommends: `wine` recommends wine32 and desktop integration.
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 || {
    tail -20 "$LOG"
    echo "install-windows-deps: apt-get install failed" >&2
    exit 1
  }
fi

# 2. deb-src entries (apt-get source for OpenSSL and cmocka).
has_deb_src() {
  local t
  # shellcheck disable=SC2016 # $(CREATED_BY) is apt's syntax, not the shell's
  t=$(apt-get indextargets --format '$(CREATED_BY)' 2>/dev/null)
  grep -qx Sources <<<"$t"
}
if ! has_deb_src; then
  SRC_LIST=/etc/apt/sources.list.d/iocpws-deb-src.sources
  echo "install-windows-deps: adding deb-src entries ($SRC_LIST)"
  tmp=$(mktemp)
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # deb822: same URIs/Suites/Components/Signed-By, Types: deb-src.
    sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$tmp"
  elif [ -f /etc/apt/sources.list ]; then
    grep -E '^deb[[:space:]]' /etc/apt/sources.list | sed -E 's/^deb([[:space:]])/deb-src\1/' >"$tmp"
    SRC_LIST=/etc/apt/sources.list.d/iocpws-deb-src.list
  fi
  if [ -s "$tmp" ]; then
    $SUDO install -m 644 "$tmp" "$SRC_LIST"
    apt_update
  else
    echo "install-windows-deps: no Debian binary sources found to mirror as deb-src" >&2
  fi
  rm -f "$tmp"
fi

# 3. 32-bit Wine (optional).
STATUS_FILE=$IWS_DEPS_CACHE/wine32.status
W32LOG=$IWS_DEPS_CACHE/wine32-install.log
wine32_unavailable() {
  echo "unavailable: $*" >"$STATUS_FILE"
  echo "wine32 unavailable: $*" >>"$W32LOG"
  echo "install-windows-deps: 32-bit Wine NOT installed: $*"
  echo "install-windows-deps: (details in $W32LOG); the Win32 runtime tier will be skipped"
}

# Pins for apt: every multiarch "same" library installed for amd64 whose i386
# twin would not get the same version. Pin the pair to the installed amd64
# version when the i386 archive has it; otherwise to the newest version both
# architectures have (an upgrade when possible, else a downgrade). Written
# as an apt preferences file so that only the pairs Wine really needs change.
wine32_pins() { # wine32_pins OUTFILE -> apt preferences; prints a summary
  python3 - "$1" <<'EOF'
import re, subprocess, sys
from functools import cmp_to_key

def lt(a, b):
    return subprocess.run(['dpkg', '--compare-versions', a, 'lt', b]).returncode == 0

def vcmp(a, b):
    return 0 if a == b else (-1 if lt(a, b) else 1)

def q(fmt):
    return subprocess.run(['dpkg-query', '-W', '-f=' + fmt], capture_output=True,
                          text=True).stdout.splitlines()

inst, src = {}, {}
for line in q('${Package}\t${Version}\t${Architecture}\t${Multi-Arch}\t${db:Status-Abbrev}\t${source:Package}\n'):
    p, v, a, ma, st, s = line.split('\t')
    if a == 'amd64' and st.startswith('ii'):
        src.setdefault((s, v), []).append(p)
        if ma == 'same':
            inst[p] = (v, s)

def policy(names):
    res, cur, ver = {}, None, None
    for i in range(0, len(names), 200):
        out = subprocess.run(['apt-cache', 'policy'] + names[i:i + 200],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = re.match(r'^(\S+?)(:i386|:amd64)?:$', line)
            if m:
                cur = m.group(1) + (m.group(2) or '')
                res[cur] = {'cand': None, 'vers': set()}
                continue
            if cur is None:
                continue
            m = re.match(r'^\s+Candidate: (\S+)', line)
            if m:
                res[cur]['cand'] = m.group(1)
                continue
            m = re.match(r'^ (?:\*\*\*|   ) (\S+) (-?\d+)$', line)
            if m:
                ver = m.group(1)
                continue
            m = re.match(r'^\s+-?\d+ (\S+)', line)
            if m and ver and m.group(1) != '/var/lib/dpkg/status':
                res[cur]['vers'].add(ver)
    return res

def get(pol, p, arch):
    return pol.get(p + ':' + arch) or pol.get(p) or {'cand': None, 'vers': set()}

i386 = policy([p + ':i386' for p in inst])
amd = policy([p + ':amd64' for p in inst])
pins, ups, downs = {}, [], []
for p, (v, s) in sorted(inst.items()):
    a, b = get(i386, p, 'i386'), get(amd, p, 'amd64')
    if a['cand'] in (None, '(none)'):
        continue
    if a['cand'] == v and b['cand'] == v:
        continue
    if v in a['vers']:
        pins[p] = v
        continue
    common = sorted(a['vers'] & b['vers'], key=cmp_to_key(vcmp))
    if not common:
        continue
    higher = [c for c in common if lt(v, c)]
    pins[p] = higher[-1] if higher else common[-1]
    (ups if higher else downs).append('%s %s->%s' % (p, v, pins[p]))
    # Binaries of the same source build (e.g. -dev, -tools) move along.
    for other in src.get((s, v), []):
        if other not in pins and other not in inst:
            pins[other] = pins[p]
with open(sys.argv[1], 'w') as f:
    for p, v in sorted(pins.items()):
        f.write('Package: %s\nPin: version %s\nPin-Priority: 1001\n\n' % (p, v))
print('pinned %d packages; %d pairs need a newer amd64 version, %d an older one%s'
      % (len(pins), len(ups), len(downs), (': ' + ', '.join(downs)) if downs else ''))
EOF
}

install_wine32() {
  : >"$W32LOG"
  if iws_wine_launcher i686 >/dev/null 2>&1; then
    echo ok >"$STATUS_FILE"
    echo "install-windows-deps: 32-bit Wine already installed"
    return 0
  fi
  if [ "$(dpkg --print-architecture)" != amd64 ]; then
    wine32_unavailable "host architecture is $(dpkg --print-architecture), not amd64"
    return 0
  fi
  # Nothing to install if the kernel cannot run 32-bit programs anyway.
  local why
  if ! why=$(iws_ia32_probe); then
    wine32_unavailable "$why"
    return 0
  fi
  if ! grep -qx i386 <<<"$(dpkg --print-foreign-architectures)"; then
    echo "install-windows-deps: dpkg --add-architecture i386"
    $SUDO dpkg --add-architecture i386 || { wine32_unavailable "dpkg --add-architecture i386 failed"; return 0; }
    apt_update
  elif [ "$APT_UPDATED" = 0 ] && [ -z "$(apt-cache madison wine32:i386 2>/dev/null)" ]; then
    apt_update
  fi
  [ -n "$APT_UPDATE_ERR" ] && echo "$APT_UPDATE_ERR" >>"$W32LOG"
  if [ -z "$(apt-cache madison wine32:i386 2>/dev/null)" ]; then
    wine32_unavailable "no wine32:i386 in the package indexes (i386 index missing?)"
    return 0
  fi

  echo "install-windows-deps: apt-get install wine32:i386"
  local out
  out=$($SUDO apt-get install -y -q --no-install-recommends wine32:i386 2>&1)
  echo "$out" >>"$W32LOG"
  if iws_wine_launcher i686 >/dev/null 2>&1; then
    echo ok >"$STATUS_FILE"
    echo "install-windows-deps: 32-bit Wine installed"
    return 0
  fi
  if ! grep -qE 'held broken packages|unmet dependencies' <<<"$out"; then
    wine32_unavailable "apt-get install wine32:i386 failed: $(echo "$out" | grep -E '^E:' | head -1)"
    return 0
  fi

  # Installed amd64 libraries whose i386 twins are not at the same version
  # (typically security updates when the i386 security index is missing or
  # out of sync). Pin each pair to a version both architectures have.
  echo "install-windows-deps: held broken packages; retrying with amd64/i386 pairs pinned"
  local prefs summary sim removed
  prefs=$(mktemp)
  summary=$(wine32_pins "$prefs" 2>>"$W32LOG") || { rm -f "$prefs"; wine32_unavailable "could not compute version pins"; return 0; }
  echo "install-windows-deps: $summary"
  { echo "--- pins: $summary"; cat "$prefs"; } >>"$W32LOG"
  local apt_pin=(-o "Dir::Etc::Preferences=$prefs")
  sim=$(apt-get "${apt_pin[@]}" install -s -q --no-install-recommends wine32:i386 2>&1)
  echo "$sim" >>"$W32LOG"
  if ! grep -q '^Inst wine32:i386' <<<"$sim"; then
    local why
    why=$(echo "$sim" | grep -E '^ [^ ].* : ' | head -2 | sed -E 's/^ +//; s/ +/ /g' | paste -sd';' -)
    rm -f "$prefs"
    wine32_unavailable "i386 libraries at the versions of the installed amd64 ones are not available${APT_UPDATE_ERR:+ (an i386 index failed to download)}: ${why:-$(echo "$sim" | grep -E '^E:' | head -1)}"
    return 0
  fi
  removed=$(echo "$sim" | awk '/^Remv /{print $2}' | paste -sd' ' -)
  if [ -n "$removed" ] && [ "${IWS_WINE32_ALLOW_REMOVE:-0}" != 1 ]; then
    rm -f "$prefs"
    wine32_unavailable "installing it would remove: $removed (set IWS_WINE32_ALLOW_REMOVE=1 to accept)"
    return 0
  fi
  local downgraded
  downgraded=$(echo "$sim" | awk '/^Inst / && $3 ~ /^\[/ {print}' | while read -r _ pkg old new _; do
    old=${old#[}; old=${old%]}; new=${new#(}
    dpkg --compare-versions "$new" lt "$old" && echo "$pkg"
  done | paste -sd' ' -)
  [ -n "$downgraded" ] && echo "install-windows-deps: downgrading to match i386 twins: $downgraded"
  out=$($SUDO apt-get "${apt_pin[@]}" install -y -q --no-install-recommends --allow-downgrades wine32:i386 2>&1)
  echo "$out" >>"$W32LOG"
  rm -f "$prefs"
  if iws_wine_launcher i686 >/dev/null 2>&1; then
    echo ok >"$STATUS_FILE"
    echo "install-windows-deps: 32-bit Wine installed (with pinned amd64/i386 pairs)"
  else
    wine32_unavailable "pinned apt-get install wine32:i386 failed: $(echo "$out" | grep -E '^E:' | head -1)"
  fi
}

if [ "$want_wine32" = 1 ]; then
  install_wine32
elif ! iws_wine_launcher i686 >/dev/null 2>&1; then
  echo "unavailable: 32-bit Wine not attempted (--no-wine32)" >"$STATUS_FILE"
fi

# 4. Report and write wine.env for test runners.
W64=$(iws_wine_launcher x86_64 || true)
W32=$(iws_wine_launcher i686 || true)
W32S=$(iws_wine32_status)
{
  printf 'WINE64=%q\n' "$W64"
  printf 'WINE32=%q\n' "$W32"
  printf 'WINE32_STATUS=%q\n' "$W32S"
} >"$IWS_DEPS_CACHE/wine.env"
echo "install-windows-deps: wine64 launcher: ${W64:-none}"
echo "install-windows-deps: wine32 launcher: ${W32:-none}"
echo "install-windows-deps: wine32: $W32S"
echo "install-windows-deps: wrote $IWS_DEPS_CACHE/wine.env and $STATUS_FILE"
[ -n "$W64" ] || { echo "install-windows-deps: no 64-bit Wine launcher" >&2; exit 1; }
exit 0
