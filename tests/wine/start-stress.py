#!/usr/bin/env python3
"""Starts a Wine test server many times the way the integration fixture
does, and counts the starts that fail. A diagnostic for the Wine start-up
race in scripts/README-windows.md ("Wine start-up"); not a test tier.

    WINEPREFIX=... tests/wine/start-stress.py [-n N] [--delay-us D] WRAPPER [ARGS...]

WRAPPER is a server wrapper from tests/wine/make-server-wrapper.sh. Each
round: start it, read its first line (it must be "PORT <n>"), send "quit",
and wait for exit status 0. Then the next round starts at once, as the next
test would.

--delay-us D: before each "quit", strace (which must be installed)
delays every epoll_wait return of the prefix's wineserver that is running
at that moment by D microseconds. This stands in for a server that a
loaded machine deschedules. Run it with and without
`tests/wine/wineserver.sh start` to compare a persistent server with the
servers that Wine programs start themselves.

Prints each failed start (first line, exit status, stderr) and then
"N started, N failed". Exits with status 1 if any start failed.
"""

import argparse
import os
import random
import subprocess
import sys
import threading
import time


def prefix_servers(prefix):
    """PIDs of the wineservers of this prefix (their cwd is its server
    directory, under the temporary directory named in $prefix/wineserver)."""
    try:
        with open(os.path.join(prefix, "wineserver")) as f:
            root = os.path.join(os.environ.get("TMPDIR", "/tmp"), f.read().strip())
    except OSError:
        return []
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if os.path.basename(exe).startswith("wineserver") and cwd.startswith(root + "/"):
            found.append(pid)
    return found


def delay_servers(prefix, delay_us):
    tracers = [
        subprocess.Popen(
            ["strace", "-qq", "-f", "-p", pid, "--seccomp-bpf",
             "-e", "trace=epoll_wait",
             "-e", f"inject=epoll_wait:delay_exit={delay_us}", "-o", "/dev/null"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for pid in prefix_servers(prefix)
    ]
    time.sleep(0.1)  # attached
    return tracers


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=100, help="starts (default 100)")
    ap.add_argument("--delay-us", type=int, default=0)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    prefix = os.environ.get("WINEPREFIX")
    if not prefix or not a.command:
        ap.error("set WINEPREFIX and name the server wrapper")
    failed = 0
    tracers = []
    for i in range(a.n):
        proc = subprocess.Popen(a.command, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace")
        err = []
        reader = threading.Thread(target=lambda: err.append(proc.stderr.read()),
                                  daemon=True)
        reader.start()
        first = proc.stdout.readline()
        for t in tracers:
            t.terminate()
            t.wait()
        tracers = delay_servers(prefix, a.delay_us) if a.delay_us else []
        try:
            proc.stdin.write("quit\n")
            proc.stdin.close()
        except OSError:
            pass
        try:
            status = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = "still running after 60 s"
        if not first.startswith("PORT ") or status != 0:
            failed += 1
            reader.join(10)  # a server the program started may hold stderr
            print(f"start {i + 1}: first line {first!r}, exit {status}, "
                  f"stderr {''.join(err)[-600:]!r}", flush=True)
        time.sleep(random.uniform(0, 0.1))
    for t in tracers:
        t.terminate()
        t.wait()
    print(f"{a.n} started, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
