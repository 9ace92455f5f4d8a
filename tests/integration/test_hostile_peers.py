"""Hostile peers (issue 16): attacks that once corrupted or exhausted the
server's memory, kept running as the `hostile` group (`pytest -m hostile`).
The verdict is the server's own figures (resident memory, and committed
memory where a frame header once reserved what it announced), the
sanitizers in the asan and tsan tiers, and the fixture's exit check (every
accepted connection got exactly one on_disconnect).

Runs against the Linux library and, in the win64/win32 tiers, the DLL under
Wine.
"""

import os
import socket
import ssl
import struct
import threading
import time

import pytest

from conftest import is_wine_server
from iws_helpers import MIB, RawClient, ask, connect, frame, run, url
from test_hostile import SLOW, count_lines, reset, still_serving, wait_count

pytestmark = pytest.mark.hostile

UNDER_WINE = bool(os.environ.get("IWS_TEST_SERVER")) and is_wine_server(
    os.environ["IWS_TEST_SERVER"])
# "address" or "thread" (scripts/test.sh): a sanitized server's memory
# figures are mostly the sanitizer's own (shadow memory, ASan's quarantine of
# freed blocks), so there the attacks run with the sanitizer as the verdict
# and the memory bounds are checked by the plain, Wine and C++ tiers.
SANITIZER = os.environ.get("IWS_SANITIZER", "")


def assert_bounded(grown, bound, what, server):
    if SANITIZER:
        return
    assert grown < bound, (
        f"{what} grew by {grown // MIB} MiB (bound {bound // MIB} MiB)\n"
        + server.describe())


def figures(server):
    """rss, commit of the server process (bytes)."""
    mark = server.mark()
    server.command("proc")
    _, m = server.wait_for(r"PROC rss=(-?\d+) .* commit=(-?\d+)", since=mark)
    rss, commit = int(m.group(1)), int(m.group(2))
    assert rss > 0 and commit > 0, server.describe()
    return rss, commit


def flood(sock, chunk, seconds, max_bytes):
    """Sends `chunk` again and again until the peer stops reading (a send
    blocks for 2 s), `seconds` pass or `max_bytes` are sent. Returns the
    bytes sent."""
    sock.settimeout(2.0)
    sent, deadline = 0, time.monotonic() + seconds
    try:
        while sent < max_bytes and time.monotonic() < deadline:
            sock.sendall(chunk)
            sent += len(chunk)
    except (socket.timeout, ssl.SSLError, OSError):
        pass
    return sent


def tls_raw(server, tls_files):
    ctx = ssl.create_default_context(cafile=tls_files.root)
    raw = ctx.wrap_socket(
        socket.create_connection(("127.0.0.1", server.tls_port)),
        server_hostname="localhost")
    return RawClient.over(raw, server.tls_port)


# ---------------------------------------------------------------------------
# 16.2 ping floods from a peer that never reads
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["plain", "tls", "workers"])
def test_ping_flood_from_a_peer_that_never_reads(start_server, tls_files, mode):
    """Pings answered with pongs nobody reads: the pongs count against the
    send-queue limit and reading stops above it, so memory stays bounded
    (it once grew by 500 MiB with the limit at 1 MiB)."""
    opts = dict(send_queue_limit=MIB)
    if mode == "tls":
        from conftest import tls_options
        opts.update(tls_options(tls_files))
    if mode == "workers":
        opts.update(worker_threads=2)
    server = start_server(**opts)
    rss0, _ = figures(server)
    if mode == "tls":
        c = tls_raw(server, tls_files)
    else:
        c = RawClient(server.port, rcvbuf=4096)
    with c:
        c.handshake()
        pings = b"".join(frame(0x9, b"p" * 125) for _ in range(256))
        sent = flood(c.sock, pings, 8 * SLOW, 400 * MIB)
        rss1, _ = figures(server)
        assert sent < 400 * MIB, "the server read everything: no back-pressure"
        assert_bounded(rss1 - rss0, 48 * MIB,
                       f"RSS after {sent // MIB} MiB of pings", server)
        reset(c.sock)
    still_serving(server)


# ---------------------------------------------------------------------------
# 16.3 fragment floods
# ---------------------------------------------------------------------------

def test_one_byte_fragments_cost_the_message_not_96_times_it(start_server):
    """A 3 MiB message sent as 1-byte fragments (21 MiB of frames): the
    server holds about the message, not an allocation per fragment."""
    size = (1 if SANITIZER else 3) * MIB
    server = start_server()
    rss0, _ = figures(server)
    with RawClient(server.port, timeout=30 * SLOW) as c:
        c.handshake()
        body = bytes(range(256)) * (size // 256)
        first = frame(0x2, body[:1], fin=False)
        c.send(first)
        step = 64 * 1024
        for off in range(1, size - 1, step):
            end = min(off + step, size - 1)
            c.send(b"".join(frame(0x0, body[i:i + 1], fin=False)
                            for i in range(off, end)))
        rss1, _ = figures(server)  # the whole message is held, but for 1 B
        assert_bounded(rss1 - rss0, 4 * size + 8 * MIB,
                       f"RSS for a {size // MIB} MiB message", server)
        c.send(frame(0x0, body[-1:], fin=True))
        f = c.recv_message(timeout=30 * SLOW)
        assert f.opcode == 0x2 and f.payload == body
    still_serving(server)


# ---------------------------------------------------------------------------
# 16.5 frame headers announcing 16 MiB, and the server-wide budget
# ---------------------------------------------------------------------------

def header_only(declared, payload=b"0123456789"):
    """A binary frame header announcing `declared` bytes, and the first few."""
    return (bytes([0x82, 0x80 | 127]) + struct.pack(">Q", declared)
            + b"\0\0\0\0" + payload)


def test_header_only_16_mib_frames_from_many_clients(start_server):
    """200 clients each announce a 16 MiB frame and send 10 bytes of it: the
    server reserves what arrived, not what was announced (it once committed
    3 GiB here, enough to end a 32-bit process)."""
    n = 200
    server = start_server(max_connections=0)
    _, commit0 = figures(server)
    clients = []
    try:
        for _ in range(n):
            c = RawClient(server.port, timeout=10 * SLOW)
            c.handshake()
            c.send(header_only(16 * MIB - 1))
            clients.append(c)
        still_serving(server)
        _, commit1 = figures(server)
        assert_bounded(commit1 - commit0, 96 * MIB,
                       f"committed memory for {n} announced 16 MiB frames",
                       server)
    finally:
        for c in clients:
            reset(c.sock)
    still_serving(server)


def test_incomplete_messages_budget_refuses_new_large_messages(start_server):
    """With the server-wide budget at 4 MiB, a second large message that
    does not fit is refused with 1009 and on_error says why; the first
    completes."""
    server = start_server(incomplete_messages_limit=4 * MIB)
    mark = server.mark()
    with RawClient(server.port, timeout=10 * SLOW) as a, \
            RawClient(server.port, timeout=10 * SLOW) as b:
        a.handshake()
        b.handshake()
        size = 3 * MIB
        a.send(bytes([0x82, 0x80 | 127]) + struct.pack(">Q", size) + b"\0" * 4)
        a.send(b"a" * (2 * MIB + 1))  # a holds 4 MiB... of its budget
        time.sleep(0.2 * SLOW)
        b.send(bytes([0x82, 0x80 | 127]) + struct.pack(">Q", size) + b"\0" * 4)
        b.send(b"b" * (2 * MIB))
        f = b.expect_close(timeout=10 * SLOW)
        assert f.close_code == 1009
        a.send(b"a" * (size - 2 * MIB - 1))
        m = a.recv_message(timeout=10 * SLOW)
        assert len(m.payload) == size
    server.wait_for(r"ERROR \d+ -?\d+ .*incomplete messages.*", since=mark)
    still_serving(server)


# ---------------------------------------------------------------------------
# 16.1 clients that leave just as a deferred response is due
# ---------------------------------------------------------------------------

def test_closing_during_deferred_responses(start_server):
    """400 clients ask for a response deferred 0-20 ms and reset the
    connection at about that moment: the response is released exactly once
    (ASan tier: no use after free), and the server serves on."""
    server = start_server()
    errors = []

    def client(i):
        try:
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            ms = i % 21
            s.sendall(f"GET /defer?ms={ms}&tag={i} HTTP/1.1\r\n"
                      f"Host: x\r\n\r\n".encode())
            time.sleep((ms + (i % 3) - 1) / 1000.0 if ms else 0)
            reset(s)
        except OSError as e:  # the server must still accept
            errors.append(e)

    for batch in range(4):
        threads = [threading.Thread(target=client, args=(batch * 100 + i,))
                   for i in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    time.sleep(0.2 * SLOW)
    still_serving(server)


# ---------------------------------------------------------------------------
# 16.6 memory goes back to the system after bursts of large messages
# ---------------------------------------------------------------------------

@pytest.mark.skipif(UNDER_WINE, reason="glibc's arenas: the Windows heap "
                    "returns large blocks by itself (nothing to measure)")
@pytest.mark.skipif(bool(SANITIZER), reason="the sanitizer's allocator, not "
                    "glibc's, holds the memory here")
def test_memory_returns_after_bursts_of_large_messages(start_server):
    """24 clients send 6 MiB messages in 64 KiB fragments three times at
    once, on two I/O and two worker threads: a few seconds later the
    server's RSS is back near where it started (glibc's arenas kept 126 MiB
    of freed reassembly buffers here before the tick gave them back)."""
    server = start_server(worker_threads=2, io_threads=2)
    rss0, _ = figures(server)
    payload = os.urandom(6 * MIB)
    pieces = [payload[i:i + 65536] for i in range(0, len(payload), 65536)]

    async def one():
        async with connect(url(server), max_size=16 * MIB) as ws:
            for _ in range(3):
                await ws.send(pieces)  # a fragmented message
                assert len(await ws.recv()) == len(payload)

    async def burst():
        import asyncio
        await asyncio.gather(*(one() for _ in range(24)))

    run(burst(), timeout=120)
    deadline = time.monotonic() + 10
    rss1 = None
    while time.monotonic() < deadline:
        rss1, _ = figures(server)
        print(f"RSS {(rss1 - rss0) // MIB} MiB above the start")
        if rss1 - rss0 < 48 * MIB:
            break
        time.sleep(0.5)
    assert rss1 - rss0 < 48 * MIB, (
        f"RSS still {(rss1 - rss0) // MIB} MiB above the start "
        f"10 s after the burst\n" + server.describe())
