#!/usr/bin/env python3
"""Server memory per connection with permessage-deflate (not a test).

Starts ws_test_server (from the build directory) once per case, opens N
connections that offer permessage-deflate, sends one compressed ~2 KiB
JSON-like message on each and reads its compressed echo (so every stream a
connection keeps exists), then reads the server's VmRSS. Prints a Markdown
table: RSS growth per connection, against the same without deflate.

  tests/bench/deflate_mem.py <builddir> [--conns N]
"""
import argparse
import os
import re
import socket
import struct
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from iws_helpers import frame, handshake_request  # noqa: E402

OFFER = "permessage-deflate; client_max_window_bits"
CASES = [
    ("no deflate", {"deflate": 0}),
    ("deflate, defaults (no context takeover)", {"deflate": 1}),
    ("deflate, context takeover, windows 15, memLevel 8",
     {"deflate": 1, "deflate_server_no_context_takeover": 0,
      "deflate_client_no_context_takeover": 0}),
    ("deflate, context takeover, windows 10, memLevel 4",
     {"deflate": 1, "deflate_server_no_context_takeover": 0,
      "deflate_client_no_context_takeover": 0,
      "deflate_server_max_window_bits": 10,
      "deflate_client_max_window_bits": 10, "deflate_mem_level": 4}),
]


def message(i):
    return ('{"id":%d,"type":"quote","items":[%s]}' % (
        i, ",".join('{"sym":"S%03d","bid":%d.25,"ask":%d.5}' % (k, k, k)
                    for k in range(60)))).encode()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("server closed")
        data += chunk
    return data


def read_frame(sock):
    b0, b1 = read_exact(sock, 2)
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", read_exact(sock, 2))
    elif n == 127:
        (n,) = struct.unpack("!Q", read_exact(sock, 8))
    return b0, read_exact(sock, n)


def run_case(binary, options, conns):
    args = [binary]
    for k, v in options.items():
        args += ["--opt", f"{k}={v}"]
    args += ["--opt", "log_level=0"]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        port = None
        for line in proc.stdout:
            m = re.match(r"PORT (\d+)", line)
            if m:
                port = int(m.group(1))
                break
        # Everyone's output is discarded from here on (a pipe left unread
        # would stall the server).
        drain = subprocess.Popen(["cat"], stdin=proc.stdout,
                                 stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        before = rss_kib(proc.pid)
        socks = []
        for i in range(conns):
            s = socket.create_connection(("127.0.0.1", port))
            request, _ = handshake_request(
                port, extra=[f"Sec-WebSocket-Extensions: {OFFER}"])
            s.sendall(request)
            head = b""
            while b"\r\n\r\n" not in head:
                head += s.recv(4096)
            assert b" 101 " in head.split(b"\r\n")[0], head
            deflated = b"permessage-deflate" in head
            msg = message(i)
            if deflated:
                m = re.search(rb"client_max_window_bits=(\d+)", head)
                wbits = int(m.group(1)) if m else 15
                comp = zlib.compressobj(6, zlib.DEFLATED, -wbits)
                z = comp.compress(msg) + comp.flush(zlib.Z_SYNC_FLUSH)
                s.sendall(frame(1, z[:-4], rsv=4))
            else:
                s.sendall(frame(1, msg))
            b0, payload = read_frame(s)
            if b0 & 0x40:
                payload = zlib.decompressobj(-15).decompress(
                    payload + b"\x00\x00\xff\xff")
            assert payload == msg
            socks.append(s)
        time.sleep(1.0)
        after = rss_kib(proc.pid)
        for s in socks:
            s.close()
        return before, after
    finally:
        try:
            proc.stdin.write("quit\n")
            proc.stdin.flush()
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir")
    ap.add_argument("--conns", type=int, default=1000)
    a = ap.parse_args()
    binary = os.path.join(a.builddir, "ws_test_server")
    if not os.access(binary, os.X_OK):
        print(f"deflate_mem.py: {binary} not found (build with "
              "-DIWS_BUILD_TESTS=ON)", file=sys.stderr)
        return 1
    print()
    print(f"Memory per connection with permessage-deflate ({a.conns} "
          "connections, each after one compressed ~2.4 KiB message and its "
          "echo; server VmRSS growth)")
    print()
    print("| case | RSS before KiB | RSS after KiB | KiB per connection |")
    print("|---|---:|---:|---:|")
    for label, options in CASES:
        before, after = run_case(binary, options, a.conns)
        print(f"| {label} | {before} | {after} | "
              f"{(after - before) / a.conns:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
