#!/usr/bin/env python3
"""Soak: mixed traffic against ws_test_server on loopback for N minutes,
printing the server's RSS, descriptor and thread counts every 10 s, and a
pass/fail verdict on growth at the end.

    tests/soak/soak.py [--minutes N] [--server PATH] [--clients N]

Traffic, all at once: echo clients (binary 0..64 KiB, checked), connection
churn (clean closes and resets), half-sent handshakes left to the timeout,
broadcasts, server-side floods to a slow reader, pings. After the traffic
stops and the clients are gone, the server must be back to its baseline of
descriptors and threads, and its RSS must not have grown past the limit
between the first and the last third of the run.
"""
import argparse
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from iws_helpers import RawClient, handshake_request  # noqa: E402

STOP = threading.Event()
COUNTS = {"echo": 0, "churn": 0, "partial": 0, "broadcast": 0, "flood": 0,
          "errors": 0}
LOCK = threading.Lock()


def bump(key, n=1):
    with LOCK:
        COUNTS[key] += n


class Server:
    def __init__(self, path, opts):
        args = [path]
        for k, v in opts.items():
            args += ["--opt", f"{k}={v}"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     bufsize=1)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()
        self.port = int(self.wait("PORT ").split()[1])

    def _pump(self):
        for line in self.proc.stdout:
            with self.cond:
                if line.startswith(("PORT", "PROC", "STOPPED", "BYE")):
                    self.lines.append(line.strip())
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)
            self.cond.notify_all()

    def wait(self, prefix, timeout=30):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, line in enumerate(self.lines):
                    if line is None:
                        raise RuntimeError("server exited")
                    if line.startswith(prefix):
                        del self.lines[i]
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no '{prefix}' from the server")
                self.cond.wait(left)

    def figures(self):
        self.proc.stdin.write("proc\n")
        self.proc.stdin.flush()
        f = dict(kv.split("=") for kv in self.wait("PROC ").split()[1:])
        return {k: int(v) for k, v in f.items()}

    def quit(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        line = self.wait("BYE ", timeout=60)
        return self.proc.wait(60), line


def echo_client(port):
    rnd = random.Random()
    while not STOP.is_set():
        try:
            c = RawClient(port, timeout=20)
            c.handshake()
            for _ in range(rnd.randint(10, 200)):
                if STOP.is_set():
                    break
                payload = os.urandom(rnd.choice([0, 1, 125, 126, 1000, 65536,
                                                 rnd.randint(0, 65536)]))
                c.send_frame(0x2, payload)
                while True:
                    f = c.recv_message(timeout=20)
                    if f.opcode == 0x1:  # a broadcast or a flood line
                        continue
                    break
                if f.payload != payload:
                    bump("errors")
                bump("echo")
                if rnd.random() < 0.05:
                    c.send_frame(0x9, b"ping")
            c.send_frame(0x8, struct.pack(">H", 1000))
            c.close()
        except Exception:
            if not STOP.is_set():
                bump("errors")


def churn_client(port):
    rnd = random.Random()
    while not STOP.is_set():
        try:
            c = RawClient(port, timeout=20)
            c.handshake()
            c.send_text("hello")
            c.recv_message(timeout=20)
            if rnd.random() < 0.5:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                  struct.pack("ii", 1, 0))
            else:
                c.send_frame(0x8, struct.pack(">H", 1001))
            c.close()
            bump("churn")
        except Exception:
            if not STOP.is_set():
                bump("errors")


def partial_client(port):
    head, _ = handshake_request(port)
    held = []
    while not STOP.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(head[:30])
            held.append((time.monotonic(), s))
            bump("partial")
        except OSError:
            bump("errors")
        # Keep them past the server's handshake timeout, then drop ours.
        while held and time.monotonic() - held[0][0] > 3:
            held.pop(0)[1].close()
        STOP.wait(0.2)
    for _, s in held:
        s.close()


def broadcast_and_flood(port):
    while not STOP.is_set():
        try:
            c = RawClient(port, timeout=20, rcvbuf=8192)
            c.handshake()
            c.send_text("cmd:broadcast x")
            bump("broadcast")
            c.send_text("cmd:foreign 2000 8192")  # to a reader that is slow
            bump("flood")
            STOP.wait(1.0)
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              struct.pack("ii", 1, 0))
            c.close()
        except Exception:
            if not STOP.is_set():
                bump("errors")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--server", default=os.environ.get(
        "IWS_TEST_SERVER", os.path.join(HERE, "..", "..", "build", "ws_test_server")))
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--interval", type=float, default=10)
    ap.add_argument("--rss-growth-mb", type=float, default=16,
                    help="allowed RSS growth, first third to last third")
    a = ap.parse_args()

    server = Server(a.server, {"io_threads": 2, "worker_threads": 2,
                               "handshake_timeout_ms": 2000,
                               "send_queue_limit": 4 * 1024 * 1024,
                               "max_message_size": 1024 * 1024})
    base = server.figures()
    print(f"soak: {a.minutes} min, server pid {server.proc.pid} port "
          f"{server.port}; baseline rss={base['rss'] // 1024} KiB "
          f"fds={base['fds']} threads={base['threads']}", flush=True)
    workers = [threading.Thread(target=echo_client, args=(server.port,), daemon=True)
               for _ in range(a.clients)]
    workers += [threading.Thread(target=churn_client, args=(server.port,), daemon=True)
                for _ in range(2)]
    workers += [threading.Thread(target=partial_client, args=(server.port,), daemon=True),
                threading.Thread(target=broadcast_and_flood, args=(server.port,), daemon=True)]
    for w in workers:
        w.start()
    samples = []
    start = time.monotonic()
    end = start + a.minutes * 60
    while time.monotonic() < end:
        time.sleep(min(a.interval, max(0.0, end - time.monotonic())))
        f = server.figures()
        samples.append(f["rss"])
        with LOCK:
            c = dict(COUNTS)
        print(f"t={time.monotonic() - start:6.0f}s rss={f['rss'] // 1024:7d} KiB "
              f"fds={f['fds']:4d} threads={f['threads']:3d} cpu={f['cpu_ms'] / 1000:.1f}s "
              f"echo={c['echo']} churn={c['churn']} partial={c['partial']} "
              f"flood={c['flood']} errors={c['errors']}", flush=True)
    STOP.set()
    for w in workers:
        w.join(30)
    # Let the server drop what the clients left (handshake timeouts, closes).
    time.sleep(4)
    after = server.figures()
    code, bye = server.quit()

    verdict = []
    third = max(1, len(samples) // 3)
    first = sorted(samples[:third])[third // 2]
    last = sorted(samples[-third:])[third // 2]
    growth_mb = (last - first) / (1024 * 1024)
    if len(samples) >= 3 and growth_mb > a.rss_growth_mb:
        verdict.append(f"RSS grew {growth_mb:.1f} MiB (> {a.rss_growth_mb})")
    if base["fds"] <= 0:
        # Wine does not implement GetProcessHandleCount (it reports 0).
        print("soak: note: the descriptor/handle count is not measurable "
              "here; only RSS and threads are judged")
    if after["fds"] > base["fds"]:
        verdict.append(f"descriptors {base['fds']} -> {after['fds']} after the clients left")
    if after["threads"] > base["threads"]:
        verdict.append(f"threads {base['threads']} -> {after['threads']}")
    if COUNTS["errors"]:
        verdict.append(f"{COUNTS['errors']} client errors")
    if COUNTS["echo"] == 0:
        verdict.append("no traffic")
    if code != 0:
        verdict.append(f"server exit {code} ({bye})")
    print(f"soak: rss median first third {first // 1024} KiB, last third "
          f"{last // 1024} KiB (growth {growth_mb:+.1f} MiB); after: "
          f"fds={after['fds']} threads={after['threads']}; {bye}")
    if verdict:
        print("soak: FAIL: " + "; ".join(verdict))
        return 1
    print("soak: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
