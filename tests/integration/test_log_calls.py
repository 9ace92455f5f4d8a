"""on_log may call the API (issue 17): the header allows any call from a
callback, on_log included, so no lock of the library may be held around it.

ws_test_server --log-calls answers every log line that names a connection
with iws_conn_peer, iws_conn_path and iws_broadcast (which takes every
connection's lock). Each test below makes the library log from one of the
places that used to hold a connection's lock while logging (a timer, the
TLS handshake, the HTTP cycle), then checks that the connection ended as it
should, that on_log's calls returned ("LOGCALL <id> ..."), and that the
server still serves a new client: a lock held around on_log deadlocks the
thread instead, and the waits here fail after a few seconds."""

import re
import socket
import time

import pytest

import iws_helpers
from conftest import tls_options
from iws_helpers import RawClient, close, connect, recv, run, send, url
from test_tls import client_hello, connect_wss, tls_socket

WAIT = 10.0  # far above what each timeout below needs


def log_server(start_server, **options):
    options.setdefault("log_level", 4)  # IWS_LOG_DEBUG: every line
    return start_server(_args=["--log-calls"], **options)


def logcall_for(server, conn, since=0):
    """The LOGCALL line on_log printed for connection `conn`: its three
    return codes (peer, path, broadcast)."""
    _, m = server.wait_for(rf"LOGCALL {conn} (-?\d+) (-?\d+) (-?\d+)",
                           timeout=WAIT, since=since)
    return tuple(int(g) for g in m.groups())


def last_connection_logged(server, pattern, since=0):
    """The id in the log line matching `pattern` (which captures it)."""
    _, m = server.wait_for(rf"LOG \d {pattern}.*", timeout=WAIT, since=since)
    return int(m.group(1))


async def echo(ws, text):
    """Sends text and returns its echo, past the "log" broadcasts that
    on_log sends to everyone meanwhile."""
    await send(ws, text)
    while True:
        got = await recv(ws, timeout=WAIT)
        if got != "log":
            return got


def still_serves(server):
    async def go():
        async with connect(url(server)) as ws:
            assert await echo(ws, "after") == "after"
            await close(ws)
    run(go(), timeout=WAIT)


def test_handshake_timeout_logs_from_the_timer(start_server):
    server = log_server(start_server, handshake_timeout_ms=300)
    mark = server.mark()
    with RawClient(server.port, timeout=WAIT) as c:
        c.wait_eof(timeout=WAIT)  # never sends: the timer drops it
    conn = last_connection_logged(
        server, r"connection (\d+) from \S+: handshake timeout", since=mark)
    peer, path, _ = logcall_for(server, conn, since=mark)
    assert peer == 0, f"iws_conn_peer in on_log: {peer}\n{server.describe()}"
    still_serves(server)


def test_heartbeat_timeout_logs_from_the_timer(start_server):
    server = log_server(start_server, heartbeat_interval_ms=200,
                        heartbeat_timeout_ms=300)
    mark = server.mark()
    with RawClient(server.port, timeout=WAIT) as silent:
        silent.handshake()
        conn = silent.conn_id()
        # from now on it answers no ping: the pong timer drops it
        code = server.disconnect_code(conn, timeout=WAIT)
        assert code == 1006, code
    server.wait_for(rf"LOG \d connection {conn}: no answer to the heartbeat.*",
                    timeout=WAIT, since=mark)
    peer, path, _ = logcall_for(server, conn, since=mark)
    assert (peer, path) == (0, 0), server.describe()
    still_serves(server)


def test_tls_handshake_done_is_logged_outside_the_lock(start_server,
                                                       tls_files):
    server = log_server(start_server, **tls_options(tls_files, log_level=4))
    mark = server.mark()

    async def go():
        async with connect_wss(server, tls_files) as ws:
            assert await echo(ws, "over tls") == "over tls"
            await close(ws)
    run(go(), timeout=WAIT)
    conn = last_connection_logged(
        server, r"connection (\d+): TLS handshake done", since=mark)
    peer, _, _ = logcall_for(server, conn, since=mark)
    assert peer == 0, server.describe()
    still_serves(server)


def test_client_leaving_the_tls_handshake_is_logged(start_server, tls_files):
    server = log_server(start_server, **tls_options(tls_files, log_level=4))
    mark = server.mark()
    raw = socket.create_connection(("127.0.0.1", server.tls_port), WAIT)
    raw.sendall(client_hello())
    time.sleep(0.2)
    raw.close()
    conn = last_connection_logged(
        server, r"connection (\d+) from \S+: the client left during the TLS",
        since=mark)
    logcall_for(server, conn, since=mark)
    # a TLS client after it is still served
    sock = tls_socket(server, tls_files)
    sock.close()
    still_serves(server)


def test_http_keepalive_timeout_logs_from_the_timer(start_server):
    server = log_server(start_server, http_keepalive_timeout_ms=300)
    mark = server.mark()
    with RawClient(server.port, timeout=WAIT) as c:
        c.send(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_http_response(timeout=WAIT).status == 200
        c.wait_eof(timeout=WAIT)  # idle: the keep-alive timer closes it
    conn = last_connection_logged(
        server, r"connection (\d+): keep-alive timeout", since=mark)
    logcall_for(server, conn, since=mark)
    still_serves(server)


def test_http_request_timeout_and_refusal_are_logged(start_server):
    server = log_server(start_server, http_request_timeout_ms=300)
    mark = server.mark()
    with RawClient(server.port, timeout=WAIT) as c:
        c.send(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_http_response(timeout=WAIT).status == 200
        # a body that never comes: the request timer answers 408
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        assert c.read_http_response(timeout=WAIT).status == 408
        c.wait_eof(timeout=WAIT)
    conn = last_connection_logged(
        server, r"connection (\d+) from \S+: HTTP 408", since=mark)
    logcall_for(server, conn, since=mark)
    mark = server.mark()
    with RawClient(server.port, timeout=WAIT) as c:
        c.send(b"GET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n")
        assert c.read_http_response(timeout=WAIT).status == 400
        c.wait_eof(timeout=WAIT)
    conn = last_connection_logged(
        server, r"connection (\d+) from \S+: HTTP 400", since=mark)
    logcall_for(server, conn, since=mark)
    still_serves(server)


@pytest.mark.parametrize("workers", [0, 2])
def test_every_connection_line_while_clients_come_and_go(start_server,
                                                         workers):
    """Many connections opening, echoing, refused and closing while on_log
    calls back into the library for each of their lines."""
    server = log_server(start_server, worker_threads=workers)

    async def one(i):
        async with connect(url(server, f"/n{i}")) as ws:
            assert await echo(ws, f"m{i}") == f"m{i}"
            await close(ws)

    async def go():
        import asyncio
        await asyncio.gather(*(one(i) for i in range(20)))
    run(go(), timeout=30)
    for status in (403, 404):
        with RawClient(server.port, timeout=WAIT) as c:
            request, _ = iws_helpers.handshake_request(
                server.port, f"/reject/{status}")
            c.send(request)
            assert c.read_http_response(timeout=WAIT).status == status
    still_serves(server)
    # every connection's lines were answered (the refused ones included)
    answered = {int(m.group(1)) for m in
                (re.match(r"LOGCALL (\d+) ", l) for l in server.snapshot()) if m}
    assert len(answered) >= 23, server.describe()
