#!/usr/bin/env bash
# Installs everything the Linux build, the samples and the test tiers need on a
# fresh Debian 12 machine. Idempotent: packages already present are skipped by
# apt, npm uses the lock file under tests/.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake pkg-config ninja-build
  libssl-dev openssl libcunit1-dev libcmocka-dev zlib1g-dev libhiredis-dev redis-server
  clang libclang-rt-14-dev
  python3 python3-websockets python3-pytest python3-pytest-timeout
  nodejs npm
  libwebsockets-dev
  procps
  curl
  fpc
  lazarus
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node may come from the machine image instead of Debian's package.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do
    case "$p" in nodejs|npm) ;; *) filtered+=("$p");; esac
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node's ws client for the integration tests and playwright-core (drives
# Debian's chromium for the web tier), pinned by tests/package-lock.json.
if [ -f tests/package.json ]; then
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi
