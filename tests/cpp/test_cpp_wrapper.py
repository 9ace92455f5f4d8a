"""What the C++ wrapper adds to the C API, seen from real clients (Python
websockets, raw sockets, Node ws): exceptions stopped at the C boundary,
errors as exceptions inside handlers, request headers, broadcast filters,
a server destroyed inside its own handler, and wss:// through the
wrapper's TLS options and add_tls_host.

Run with IWS_TEST_SERVER pointing at cpp_test_server (tests/cpp/run.sh does;
the generic echo/close/protocol tests come from tests/integration, run
against the same binary)."""

import asyncio
import os
import shutil
import ssl
import subprocess

import pytest

from iws_helpers import (
    RawClient,
    ask,
    close,
    conn_id,
    connect,
    handshake_request,
    recv,
    run,
    url,
)

from conftest import server_path, tls_files  # noqa: F401 (a fixture)

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)


def test_handler_exception_is_reported_and_connection_lives(server):
    async def main():
        async with connect(url(server)) as ws:
            cid = await conn_id(ws)
            mark = server.mark()
            await ws.send("cmd:throw")
            server.wait_for(rf"EXCEPTION {cid} boom", since=mark)
            assert await ask(ws, "still here") == "still here"
            mark = server.mark()
            await ws.send("cmd:throwint")
            server.wait_for(rf"EXCEPTION {cid} non-std", since=mark)
            assert await ask(ws, b"\x00\x01") == b"\x00\x01"
            await close(ws)
        return cid

    cid = run(main())
    assert server.disconnect_code(cid) == 1000


def test_on_connect_exception_refuses_with_500(server):
    mark = server.mark()
    with RawClient(server.port) as c:
        request, _ = handshake_request(server.port, path="/throw-connect")
        c.send(request)
        response = c.read_http_response()
        assert response.status == 500, response
    _, m = server.wait_for(r"CONNECT (\d+) /throw-connect - 127\.0\.0\.1", since=mark)
    server.wait_for(rf"EXCEPTION {m.group(1)} connect refused by exception", since=mark)
    # A refused client never gets on_disconnect; the teardown checks the
    # books balance (exit code 0).


def test_errors_inside_a_handler_are_exceptions_with_codes(server):
    async def main():
        async with connect(url(server)) as ws:
            got = await ask(ws, "cmd:errors")
            await close(ws)
        return got

    assert run(main()).split() == [
        "errors",
        "IWS_E_CLOSE_CODE",     # close(999)
        "IWS_E_TOO_LONG",       # ping with 126 bytes
        "IWS_E_INVALID_UTF8",   # send_text("\xff\xfe")
        "IWS_E_IN_CALLBACK",    # stop() inside a handler
        "IWS_E_BAD_STATE",      # a handler setter while running
        "IWS_E_NO_CONNECTION",  # an id that never was
    ]


def test_info_and_request_headers(server):
    async def main():
        async with connect(url(server, "/room-x?q=1"),
                           extra_headers={"X-Test": "value 1"}) as ws:
            info = await ask(ws, "cmd:info")
            headers = await ask(ws, "cmd:headers")
            await close(ws)
        return info, headers

    info, headers = run(main())
    parts = info.split()
    assert parts[:4] == ["info", "/room-x?q=1", "-", "127.0.0.1"], info
    assert 0 < int(parts[4]) < 65536
    words = headers.split(" ", 2)
    assert words[0] == "headers" and int(words[1]) >= 5, headers
    assert words[2] == "value 1"


def test_broadcast_filter_reaches_only_the_room(server):
    async def main():
        async with connect(url(server, "/room-a")) as a1, \
                connect(url(server, "/room-a")) as a2, \
                connect(url(server, "/room-b")) as b1:
            assert await ask(a1, "cmd:room hello room a") == "room-sent 1"
            assert await recv(a2) == "hello room a"
            # b1 got nothing: its next message is the answer to its own ask
            assert await ask(b1, "ping?") == "ping?"
            assert await ask(b1, "cmd:room only b") == "room-sent 0"
            for ws in (a1, a2, b1):
                await close(ws)

    run(main())


def test_broadcast_filter_exception_reaches_the_caller(server):
    async def main():
        async with connect(url(server)) as ws, connect(url(server)) as other:
            got = await ask(ws, "cmd:filterthrow")
            # the filter failed on the first connection: nobody got "never"
            assert await ask(other, "after") == "after"
            await close(ws)
            await close(other)
        return got

    assert run(main()) == "filter-threw filter failed"


def test_server_destroyed_inside_its_own_handler_is_orphaned(start_server):
    server = start_server()

    async def main():
        async with connect(url(server)) as keep:
            async with connect(url(server)) as ws:
                await ws.send("cmd:destroy")
                server.wait_for("DESTROYED")
                # every open connection is dropped, without a close handshake
                await asyncio.wait_for(ws.wait_closed(), 10)
                assert ws.close_code == 1006
            await asyncio.wait_for(keep.wait_closed(), 10)
            assert keep.close_code == 1006

    run(main())
    # new clients are refused with 503; no handler runs any more
    with RawClient(server.port) as c:
        request, _ = handshake_request(server.port)
        c.send(request)
        assert c.read_http_response().status == 503
    destroyed, _ = server.wait_for("DESTROYED")
    assert not server.matches(r"CONNECT .*", since=destroyed), server.describe()
    assert server.quit() == 0
    assert server.matches(r"BYE .* orphaned=1")


def test_node_ws_client_echo(server):
    node = shutil.which("node")
    assert node, "node is not on PATH"
    modules = os.path.join(TESTS, "node_modules")
    assert os.path.isfile(os.path.join(modules, "ws", "package.json")), \
        "run `cd tests && npm ci`"
    env = dict(os.environ, NODE_PATH=modules)
    client = os.path.join(TESTS, "integration", "node_client.js")
    proc = subprocess.run([node, client, f"ws://127.0.0.1:{server.port}/node/echo", "echo"],
                          cwd=TESTS, env=env, capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stderr + server.describe()
    assert "OK echo" in proc.stdout


def test_wss_round_trip(start_server, tls_files):
    """TLS only (port -1), the main certificate and key as PEM text
    (options::tls_cert_pem/_key_pem), the chain from a file, a second host
    chosen by SNI (server::add_tls_host); echo, request headers and a
    handler exception over wss://."""
    f = tls_files
    bundle = f.path("other-chain-cpp.pem")
    with open(bundle, "w") as out:
        out.write(open(f.other).read() + open(f.inter).read())
    server = start_server(
        port=-1, tls_port=0, tls_cert_pem=server_path(f.server),
        tls_key_pem=server_path(f.server_key), tls_ca_file=server_path(f.inter),
        tls_host=f"other.test,{server_path(bundle)},"
                 f"{server_path(f.other_key)}",
        log_level=3)
    assert server.tls_port and server.port == server.tls_port
    ctx = ssl.create_default_context(cafile=f.root)

    async def main(host):
        # 127.0.0.1 named `host` by SNI; the certificate must match it.
        async with connect(f"wss://127.0.0.1:{server.tls_port}/tls-room",
                           ssl=ctx, server_hostname=host,
                           extra_headers={"X-Test": "over tls"}) as ws:
            cid = await conn_id(ws)
            assert await ask(ws, "secure text") == "secure text"
            big = os.urandom(300 * 1024)
            assert await ask(ws, big) == big
            headers = await ask(ws, "cmd:headers")
            mark = server.mark()
            await ws.send("cmd:throw")
            server.wait_for(rf"EXCEPTION {cid} boom", since=mark)
            assert await ask(ws, "after") == "after"
            cn = dict(x[0] for x in ws.transport.get_extra_info(
                "peercert")["subject"])["commonName"]
            await close(ws)
        return cid, headers, cn

    for host in ("localhost", "other.test"):
        cid, headers, cn = run(main(host))
        assert cn == host
        assert headers.split(" ", 2)[2] == "over tls", headers
        assert server.disconnect_code(cid) == 1000


# ---- HTTP through the wrapper (on_http_request, http_response, defer) ----


def http_get(server, path, method="GET", body=None, headers=None):
    import http.client

    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r, r.read()
    finally:
        c.close()


def test_http_request_view(server):
    r, data = http_get(server, "/cpp/request?a=h%C3%A9+x&b", method="PUT", body=b"12345",
                       headers={"X-Test": "v"})
    assert r.status == 200
    assert data.decode().split("\n") == [
        "PUT", "/cpp/request", "/cpp/request?a=h%C3%A9+x&b", "a=h%C3%A9+x&b", "yes",
        "hé x", "v", "5", "HTTP/1.1", ""]


def test_on_open_and_on_close_mark_a_silent_connection(server):
    """on_open at accept (nothing sent), on_close when the client leaves;
    peer() answers in both."""
    import socket
    mark = server.mark()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    port = sock.getsockname()[1]
    _, m = server.wait_for(rf"TCP_OPEN (\d+) {port}", since=mark)
    sock.close()
    server.wait_for(rf"TCP_CLOSE {m.group(1)} {port}", since=mark)


def test_http_streamed_response(server):
    r, data = http_get(server, "/cpp/stream")
    # wait_room() inside the handler: IWS_E_IN_CALLBACK (-106), no wait
    assert r.status == 200 and data == b"ab-106cd"
    assert r.getheader("Transfer-Encoding") == "chunked"
    assert r.getheader("Content-Type") == "text/plain"
    r, data = http_get(server, "/conn")  # the server goes on
    assert r.status == 200


def test_http_handler_exception_answers_500(server):
    mark = server.mark()
    r, data = http_get(server, "/cpp/throw")
    assert r.status == 500 and b"never sent" not in data
    server.wait_for(r"EXCEPTION \d+ http boom", since=mark)
    r, _ = http_get(server, "/conn")
    assert r.status == 200


def test_deferred_response_dropped_unsent_answers_500(server):
    r, data = http_get(server, "/cpp/drop")
    assert r.status == 500 and b"never sent" not in data
    mark = server.mark()
    r, _ = http_get(server, "/cpp/deferthrow")
    assert r.status == 500
    server.wait_for(r"EXCEPTION \d+ after defer", since=mark)


def test_deferred_response_sent_from_another_thread(server):
    mark = server.mark()
    r, data = http_get(server, "/defer?ms=50&tag=cpp&status=201")
    assert r.status == 201 and data == b"deferred cpp"
    server.wait_for(r"HTTP_SEND cpp 0", since=mark)


@pytest.mark.parametrize("handled", [0, 1])
def test_on_heartbeat_and_heartbeat_if_idle(start_server, handled):
    """server::on_heartbeat before each ping (true: no ping, no answer
    awaited: a client that never answers stays); options::heartbeat_if_idle
    spares a client that keeps talking (no ping, no on_heartbeat)."""
    from iws_helpers import OP_PING, OP_TEXT, RawClient, TalkLog
    import time
    # the talker talks every ~50 ms, yet a stall of this process or of the
    # server can rightly leave the server an interval without a message
    # from it: its pings are judged by what the server had echoed
    server = start_server(heartbeat_interval_ms=1000, heartbeat_timeout_ms=3000,
                          heartbeat_if_idle=1, on_heartbeat=handled)
    with RawClient(server.port) as quiet, RawClient(server.port) as talker:
        quiet.handshake("/quiet")
        talker.handshake("/talker")
        talker.send_text("first")
        assert talker.recv_message().payload == b"first"
        quiet_id = server.wait_for(r"CONNECT (\d+) /quiet .*")[1].group(1)
        talker_id = server.wait_for(r"CONNECT (\d+) /talker .*")[1].group(1)
        mark = server.mark()
        talk = TalkLog()
        quiet_pings = 0
        end = time.monotonic() + 4.5
        while time.monotonic() < end:
            talker.send_text("chatter")
            talk.sent()
            for c in (talker, quiet):
                try:
                    while True:
                        f = c.recv_frame(timeout=0.01)
                        assert f is not None, "the server closed a connection"
                        if f.opcode == OP_PING:
                            if c is quiet:
                                quiet_pings += 1
                            else:
                                talk.pinged()
                            c.send_frame(0xA, f.payload)
                        elif f.opcode == OP_TEXT and c is talker:
                            talk.echoed()
                except TimeoutError:
                    pass
            time.sleep(0.03)
        beats = server.matches(r"HEARTBEAT (\d+)", mark)
        assert talk.unjustified_pings(1.0) == [], (
            f"a talking client got {talk.pings} pings")
        ids = [m.group(1) for m in beats]
        assert ids.count(quiet_id) >= 3
        if not handled:
            # each beat for the talker was a ping it saw, judged above
            assert ids.count(talker_id) <= talk.pings
        if handled:
            assert quiet_pings == 0
        else:
            assert quiet_pings >= 3
