#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine: installs the build and test
# dependencies, builds the library, the samples and the tests, and runs the
# sample echo server (port 8080 unless given; Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
echo "Built: build/libiocpws.so, build/echo_server"
exec ./build/echo_server "${1:-8080}"
