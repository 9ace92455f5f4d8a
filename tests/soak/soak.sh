#!/usr/bin/env bash
# tests/soak/soak.sh [minutes] [extra soak.py args...]
# Mixed traffic against build/ws_test_server on 127.0.0.1 for N minutes
# (default 5), RSS / descriptors / threads every 10 s, PASS/FAIL at the end.
# IWS_TEST_SERVER picks another server (the ASan build, or a Wine wrapper
# from tests/wine/make-server-wrapper.sh). Not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=${1:-5}
shift || true
server=${IWS_TEST_SERVER:-build/ws_test_server}
if [ ! -x "$server" ]; then
  echo "soak: $server not found: build first (cmake -S . -B build && cmake --build build)" >&2
  exit 2
fi
exec /usr/bin/python3 tests/soak/soak.py --minutes "$minutes" --server "$server" "$@"
