"""Request bodies streamed to the application (Since 0.6): on_http_head sees
the head before the body and chooses to buffer it, stream it to
on_http_body or refuse the request; streamed bodies are not bounded by
IWS_OPT_HTTP_MAX_BODY_SIZE while the server's memory stays bounded.

ws_test_server's routes (see its "on_http_head routes"): /upload streams
and answers "bytes=.. crc=.. pieces=.. maxpiece=..", /deny/N refuses."""

import os
import re
import socket
import threading
import time
import zlib

from conftest import is_wine_server
from iws_helpers import RawClient

MIB = 1024 * 1024
UNDER_WINE = bool(os.environ.get("IWS_TEST_SERVER")) and is_wine_server(
    os.environ["IWS_TEST_SERVER"])
# "address" or "thread" (scripts/test.sh): a sanitized server's memory is
# mostly the sanitizer's own (ASan's quarantine keeps freed blocks), so
# there the sanitizer is the verdict and the bounds are checked by the
# plain, Wine and C++ tiers (as test_hostile_peers.py does).
SANITIZER = os.environ.get("IWS_SANITIZER", "")


def upload_result(resp):
    m = re.fullmatch(rb"bytes=(\d+) crc=([0-9a-f]{8}) pieces=(\d+) maxpiece=(\d+)",
                     resp.body)
    assert m, resp.body
    return int(m.group(1)), int(m.group(2), 16), int(m.group(3)), int(m.group(4))


def figures_rss(server):
    mark = server.mark()
    server.command("proc")
    _, m = server.wait_for(r"PROC rss=(-?\d+) .*", since=mark)
    rss = int(m.group(1))
    assert rss > 0, server.describe()
    return rss


def peak_rss(server):
    """VmHWM of a native server (None under Wine)."""
    if UNDER_WINE:
        return None
    try:
        with open(f"/proc/{server.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def chunked(pieces):
    for p in pieces:
        yield b"%x\r\n" % len(p) + p + b"\r\n"
    yield b"0\r\n\r\n"


def test_streamed_pieces_arrive_in_order_and_intact(start_server):
    """A Content-Length body of 3 MiB, 3x over the limit, sent in odd
    sizes: every byte reaches on_http_body once, in order (CRC-32 and
    count), then on_http_request answers."""
    server = start_server(http_max_body_size=MIB)
    data = os.urandom(3 * MIB + 12345)
    with RawClient(server.port, timeout=30) as c:
        c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
               % len(data))
        pos, step = 0, 1
        while pos < len(data):
            c.send(data[pos:pos + step])
            pos += step
            step = step * 3 + 7 if step < 200000 else 1
        r = c.read_http_response(timeout=30)
        assert r.status == 200, r
        n, crc, pieces, _ = upload_result(r)
        assert n == len(data)
        assert crc == zlib.crc32(data)
        assert pieces >= 1
        # keep-alive: the connection serves the next request
        c.send(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_http_response().status == 200
    assert not server.matches(r"BAD_PIECE")


def test_chunked_upload_decoded(start_server):
    """Chunked transfer coding is removed before on_http_body; small and
    empty-looking chunks, extensions and trailers included."""
    server = start_server()
    parts = [os.urandom(n) for n in (1, 2, 1000, 70000, 3, 65536, 5)]
    body = b"".join(parts)
    wire = (b"4;ext=1\r\n" + body[:4] + b"\r\n"
            + b"".join(chunked([body[4:]]))[:-5]
            + b"0\r\nX-Trailer: yes\r\n\r\n")
    with RawClient(server.port, timeout=30) as c:
        c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n")
        for i in range(0, len(wire), 7777):
            c.send(wire[i:i + 7777])
        r = c.read_http_response(timeout=30)
    assert r.status == 200, r
    n, crc, _, _ = upload_result(r)
    assert (n, crc) == (len(body), zlib.crc32(body))


def test_200_mib_chunked_upload_keeps_memory_bounded(start_server):
    """200 MiB chunked, 200x the body limit: streamed whole, while the
    server's memory stays far below the body's size (sampled during the
    upload, and its peak when it runs natively)."""
    server = start_server(http_max_body_size=MIB)
    rss0 = figures_rss(server)
    total = 200 * MIB
    block = 1 * MIB
    crc = 0
    samples = []
    failure = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                samples.append(figures_rss(server))
            except Exception as e:  # noqa: BLE001 - reported below
                failure.append(e)
                return
            done.wait(0.3)

    sampler = threading.Thread(target=sample)
    with RawClient(server.port, timeout=120) as c:
        c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n")
        sampler.start()
        try:
            seed = os.urandom(block)
            for i in range(total // block):
                # every block differs (a reordering would show in the CRC)
                piece = i.to_bytes(8, "little") + seed[8:]
                crc = zlib.crc32(piece, crc)
                c.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
            c.send(b"0\r\n\r\n")
            r = c.read_http_response(timeout=120)
        finally:
            done.set()
            sampler.join()
    assert not failure, failure
    assert r.status == 200, r
    n, got_crc, pieces, maxpiece = upload_result(r)
    assert (n, got_crc) == (total, crc)
    assert maxpiece <= 4 * MIB, maxpiece
    assert samples, "no memory sample was taken"
    if SANITIZER:
        return
    grown = max(samples) - rss0
    assert grown < 48 * MIB, f"server RSS grew {grown // MIB} MiB " \
        f"for a 200 MiB body\n{server.describe()}"
    peak = peak_rss(server)
    if peak is not None:
        assert peak < 120 * MIB, f"server peak RSS {peak // MIB} MiB"


def test_refused_head_with_expect_gets_refusal_not_100(start_server):
    """on_http_head refuses (401): the client that asked for
    100-continue gets the 401 and never a 100, the body is never read,
    and the connection closes."""
    server = start_server()
    with RawClient(server.port, timeout=10) as c:
        c.send(b"POST /deny/401 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
               b"Expect: 100-continue\r\n\r\n")
        r = c.read_http_response()
        assert r.status == 401, r
        assert b"100 Continue" not in r.status_line.encode()
        assert r.header("connection") == "close"
        c.wait_eof(10)
        assert c.buf == b""  # nothing after the refusal
    server.wait_for(r"HTTP_HEAD \d+ deny 401")
    # 413 and 507 work the same way; an accepted head gets its 100
    with RawClient(server.port, timeout=10) as c:
        c.send(b"POST /deny/413 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
        assert c.read_http_response().status == 413
        c.wait_eof(10)
    with RawClient(server.port, timeout=10) as c:
        c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n")
        assert c.read_until(b"\r\n\r\n").startswith(b"HTTP/1.1 100 Continue")
        c.send(b"hello")
        r = c.read_http_response()
        assert r.status == 200
        assert upload_result(r)[:2] == (5, zlib.crc32(b"hello"))


def test_head_refuse_sends_the_applications_answer(start_server):
    """iws_http_head_refuse inside on_http_head: the refusal carries the
    application's status, reason, content type and body (Indy's
    OnHeadersBlocked), wins over on_http_head's own answer, is sent
    instead of 100 Continue, and the body is never read; a status outside
    400..599 is refused with IWS_E_INVALID_ARG (-100), a call outside
    on_http_head with IWS_E_BAD_STATE."""
    server = start_server()
    with RawClient(server.port, timeout=10) as c:
        c.send(b"POST /refuse/418 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
               b"Expect: 100-continue\r\n\r\n")
        r = c.read_http_response()
        assert (r.status, r.status_line.split(" ", 2)[2]) == (418, "Not Today"), r
        assert r.header("content-type") == "text/plain"
        assert r.body == b"refused by the app"
        assert r.header("connection") == "close"
        c.wait_eof(10)
        assert c.buf == b""
    server.wait_for(r"HTTP_HEAD \d+ refuse 418 bad=-100 rc=0")
    # outside on_http_head (here in on_http_request): IWS_E_BAD_STATE
    with RawClient(server.port, timeout=10) as c:
        c.send(b"GET /headrefuse HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_http_response().body == b"rc=-101"


def test_buffered_body_still_bounded(start_server):
    """Answering IWS_HTTP_BODY_BUFFER keeps today's limit: 413 for a
    declared length over IWS_OPT_HTTP_MAX_BODY_SIZE, and for a chunked
    body that grows past it."""
    server = start_server(http_max_body_size=1000)
    with RawClient(server.port, timeout=10) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
        assert c.read_http_response().status == 413
    with RawClient(server.port, timeout=10) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"".join(chunked([b"a" * 600, b"b" * 600])))
        assert c.read_http_response().status == 413
    with RawClient(server.port, timeout=10) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
               + b"z" * 1000)
        assert c.read_http_response().status == 200


def test_body_callback_refuses_midway(start_server):
    """on_http_body answering 507 after 1 MiB: the client gets 507, the
    rest of the body is not read, no on_http_request answer."""
    server = start_server()
    with RawClient(server.port, timeout=30) as c:
        c.send(b"POST /upload?fail=1048576 HTTP/1.1\r\nHost: x\r\n"
               b"Content-Length: %d\r\n\r\n" % (64 * MIB))
        c.sock.settimeout(10)
        try:
            for _ in range(64):
                c.sock.sendall(b"q" * MIB)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        r = c.read_http_response(timeout=10)
        assert r.status == 507, r


def test_slow_application_with_workers_pauses_reading(start_server):
    """With a worker thread, an on_http_body that takes 200 ms a piece
    holds the client back: reading pauses instead of the server buffering
    what the application has not taken (the client manages to send only
    what socket buffers and the worker's bounded queue hold), and its
    memory stays bounded."""
    server = start_server(worker_threads=1)
    rss0 = figures_rss(server)
    sock = socket.create_connection(("127.0.0.1", server.port))
    try:
        sock.sendall(b"POST /upload?delay=200 HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: %d\r\n\r\n" % (256 * MIB))
        sock.setblocking(False)
        sent, chunk = 0, b"w" * (256 * 1024)
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and sent < 256 * MIB:
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                time.sleep(0.01)
        rss = figures_rss(server)
    finally:
        sock.close()
    # Unpaused, 3 s of loopback carry the whole 256 MiB; paused, about 15
    # pieces went to the application and socket buffers hold a few MiB.
    assert sent < 48 * MIB, f"the client sent {sent // MIB} MiB"
    if not SANITIZER:
        assert rss - rss0 < 32 * MIB, (rss0, rss)
    assert not server.matches(r"BAD_PIECE")
