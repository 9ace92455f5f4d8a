#!/usr/bin/env python3
"""Cross-server fan-out rate through Redis.

Starts a throwaway redis-server (loopback, free port, no persistence) and two
ws_test_server instances sharing it. N subscribers connect to server B; server
A publishes K messages of SIZE bytes to their channel from its own thread
(stdin "publishn"). A has no subscriber, so every delivery crosses Redis:
A -> PUBLISH -> Redis -> B's PSUBSCRIBE link -> B's N send queues -> clients.

The clients are raw sockets that only count bytes (every frame has the same
length), so Python is not the bottleneck of the receive side. Prints:

  published     K messages in t_pub s on A (iws_publish calls)
  redis rate    K / t_all msg/s: messages across Redis per second
  fan-out rate  N*K / t_all deliveries/s: until every client had every byte
  (--local publishes on B itself: the same fan-out without the Redis hop)

usage: tests/bench/redis_fanout.py [--server build/ws_test_server]
                                   [--subscribers 100] [--messages 20000]
                                   [--size 64]
"""
import argparse
import os
import selectors
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from iws_helpers import RawClient  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_line(proc, prefix, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"server exited while waiting for {prefix!r}")
        if line.startswith(prefix):
            return line.strip()
    raise SystemExit(f"timed out waiting for {prefix!r}")


def start_server(binary, redis_port, prefix):
    proc = subprocess.Popen(
        [binary, "--opt", f"redis_url=redis://127.0.0.1:{redis_port}",
         "--opt", f"redis_prefix={prefix}", "--opt", "log_level=3",
         "--opt", "send_queue_limit=0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    port = None
    up = set()
    while port is None or len(up) < 2:
        line = wait_line(proc, "")
        if line.startswith("PORT "):
            port = int(line.split()[1])
        elif "redis subscriber link" in line and " up " in line:
            up.add("sub")
        elif "redis publisher link" in line and line.endswith(" up"):
            up.add("pub")
    return proc, port


def chanstats(client):
    client.send_text("cmd:chanstats")
    text = client.recv_message().payload.decode()
    return {k: int(v) for k, v in (f.split("=") for f in text.split()[1:])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default=os.path.join(ROOT, "build", "ws_test_server"))
    ap.add_argument("--subscribers", type=int, default=100)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--local", action="store_true",
                    help="publish on server B itself (no Redis hop): the "
                         "same fan-out inside one server, for comparison")
    a = ap.parse_args()
    if a.size < 16 or a.size > 125:
        raise SystemExit("--size: 16..125 (one 2-byte frame header)")
    exe = shutil.which("redis-server")
    if not exe:
        raise SystemExit("redis-server is not installed")
    rport = free_port()
    redis = subprocess.Popen([exe, "--port", str(rport), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no",
                              "--loglevel", "warning"],
                             stdout=subprocess.DEVNULL)
    procs = [redis]
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", rport), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        prefix = f"bench{os.getpid()}:"
        pa, port_a = start_server(a.server, rport, prefix)
        procs.append(pa)
        pb, port_b = start_server(a.server, rport, prefix)
        procs.append(pb)

        clients = []
        for _ in range(a.subscribers):
            c = RawClient(port_b)
            c.handshake()
            c.send_text("cmd:subscribe bench")
            assert c.recv_message().payload == b"subscribe-rc 0"
            c.sock.setblocking(False)
            clients.append(c)
        probe = RawClient(port_b)
        probe.handshake()

        expect = a.messages * (2 + a.size)
        got = {c.sock.fileno(): 0 for c in clients}
        sel = selectors.DefaultSelector()
        for c in clients:
            sel.register(c.sock, selectors.EVENT_READ)

        t0 = time.monotonic()
        pub = pb if a.local else pa
        pub.stdin.write(f"publishn bench {a.messages} {a.size}\n")
        pub.stdin.flush()
        done = 0
        t_pub = None
        deadline = t0 + 300
        while done < len(clients) and time.monotonic() < deadline:
            for key, _ in sel.select(0.5):
                try:
                    data = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                fd = key.fileobj.fileno()
                got[fd] += len(data)
                if got[fd] >= expect:
                    sel.unregister(key.fileobj)
                    done += 1
        t_all = time.monotonic() - t0
        line = wait_line(pub, "PUBLISHN", timeout=60)
        t_pub = time.monotonic() - t0  # an upper bound, read after the fact
        st = chanstats(probe)
        missing = sum(1 for v in got.values() if v < expect)
        print(f"subscribers   {a.subscribers} on server B, {a.messages} messages "
              f"of {a.size} B published on server {'B' if a.local else 'A'} "
              f"({line})")
        want = 0 if a.local else a.messages
        print(f"redis_in on B {st['redis_in']} (expected {want})")
        print(f"delivered     {a.subscribers - missing}/{a.subscribers} clients "
              f"got every message in {t_all:.2f} s")
        print(f"redis rate    {a.messages / t_all:,.0f} msg/s across Redis")
        print(f"fan-out rate  {a.subscribers * a.messages / t_all:,.0f} "
              f"deliveries/s (N x K / time to the last byte)")
        for c in clients:
            c.close()
        probe.close()
        return 0 if missing == 0 and st["redis_in"] == want else 1
    finally:
        for p in procs[1:]:
            try:
                p.stdin.write("quit\n")
                p.stdin.flush()
                p.wait(20)
            except Exception:
                p.kill()
        redis.terminate()
        redis.wait(10)


if __name__ == "__main__":
    sys.exit(main())
