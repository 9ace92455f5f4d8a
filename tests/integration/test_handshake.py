"""The opening handshake: refusals, limits, timeout and subprotocols."""

import asyncio
import base64
import os
import time

import pytest
import websockets

from iws_helpers import (
    RawClient,
    accept_for,
    ask,
    close,
    connect,
    handshake_request,
    http_exchange,
    run,
    url,
)


def refused(server, request, statuses):
    """Sends a raw request; asserts an HTTP status in statuses and that the
    server then closes the socket. Returns the response."""
    response, closed = http_exchange(server.port, request)
    assert response.status in statuses, (
        f"status line {response.status_line!r}, expected one of {sorted(statuses)}"
    )
    assert closed, "the server must close the connection after refusing"
    return response


FOUR_XX = set(range(400, 500))


def test_valid_handshake_raw(server):
    with RawClient(server.port) as c:
        response = c.handshake("/plain")
        assert response.header("sec-websocket-protocol") is None
        assert response.status_line.startswith("HTTP/1.1 101")
    server.wait_for(r"CONNECT \d+ /plain - 127\.0\.0\.1")


def test_header_names_are_case_insensitive(server):
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /case HTTP/1.1\r\nhost: 127.0.0.1\r\nUPGRADE: WebSocket\r\n"
        f"connection: keep-alive, Upgrade\r\nsec-websocket-key: {key}\r\n"
        f"SEC-WEBSOCKET-VERSION: 13\r\n\r\n"
    ).encode()
    with RawClient(server.port) as c:
        c.send(request)
        response = c.read_http_response()
        assert response.status == 101, response
        assert response.header("sec-websocket-accept") == accept_for(key)


def test_missing_upgrade_header(server):
    # Since 0.5 a request without "Upgrade: websocket" is plain HTTP: the
    # test server's on_http_request has no route for it (404), and the
    # connection stays open for the next request (keep-alive).
    request, _ = handshake_request(server.port, upgrade=None, connection="keep-alive")
    with RawClient(server.port) as c:
        c.send(request)
        response = c.read_http_response()
        assert response.status == 404, response
        # (/untouched: 404 from every test server, with HTTP routes or not)
        c.send(b"GET /untouched HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert c.read_http_response().status == 404


def test_plain_http_get(server):
    # Before 0.5: refused (426). Since 0.5: HTTP, 404 without a route.
    request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    with RawClient(server.port) as c:
        c.send(request)
        assert c.read_http_response().status == 404


def test_unsupported_version(server):
    request, _ = handshake_request(server.port, version="8")
    response = refused(server, request, {426})
    versions = response.header("sec-websocket-version")
    assert versions is not None and "13" in [v.strip() for v in versions.split(",")], response


def test_missing_version(server):
    request, _ = handshake_request(server.port, version=None)
    refused(server, request, {400, 426})


@pytest.mark.parametrize(
    "key",
    [
        "abc",
        base64.b64encode(b"x" * 15).decode(),
        base64.b64encode(b"x" * 17).decode(),
        "!!!!not-base64!!!!!!!!==",
        "",
        False,  # header absent
    ],
    ids=["short", "15-bytes", "17-bytes", "not-base64", "empty", "absent"],
)
def test_bad_key(server, key):
    request, _ = handshake_request(server.port, key=key)
    refused(server, request, {400})


def test_post_method(server):
    request, _ = handshake_request(server.port, method="POST")
    refused(server, request, {400, 405})


def test_http_1_0(server):
    request, _ = handshake_request(server.port, http="HTTP/1.0")
    refused(server, request, FOUR_XX | {505})


def test_garbage_request_line(server):
    refused(server, b"\x16\x03\x01\x02\x00garbage\r\n\r\n", FOUR_XX | {505})


def test_handshake_over_max_size(start_server):
    server = start_server(max_handshake_size=1024)
    request, _ = handshake_request(server.port, extra=["X-Padding: " + "p" * 2000])
    refused(server, request, {431, 400})
    # a request just under the limit still works
    request, key = handshake_request(server.port, extra=["X-Padding: " + "p" * 600])
    assert len(request) < 1024
    with RawClient(server.port) as c:
        c.send(request)
        assert c.read_http_response().status == 101


def test_handshake_over_default_max_size(server):
    request, _ = handshake_request(server.port, extra=["X-Padding: " + "p" * 10000])
    refused(server, request, {431, 400})


def test_on_connect_rejects_with_status(server):
    request, _ = handshake_request(server.port, path="/reject/403")
    refused(server, request, {403})
    _, m = server.wait_for(r"REJECT (\d+) 403")
    rejected = m.group(1)

    async def main():
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as info:
            async with connect(url(server, "/reject/451")):
                pass
        return info.value.status_code

    assert run(main()) == 451
    # a refused connection never gets on_disconnect
    still = server.mark()
    async def other():
        async with connect(url(server)) as ws:
            assert await ask(ws, "x") == "x"
            await close(ws)

    run(other())
    server.wait_for(r"DISCONNECT \d+ 1000", since=still)
    assert not server.matches(rf"DISCONNECT {rejected} .*")


def test_max_connections(start_server):
    server = start_server(max_connections=2)

    async def main():
        a = await connect(url(server))
        b = await connect(url(server))
        assert await ask(a, "a") == "a"
        assert await ask(b, "b") == "b"
        request, _ = handshake_request(server.port)
        response, closed = http_exchange(server.port, request)
        assert response.status == 503, response
        assert closed
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as info:
            async with connect(url(server)):
                pass
        assert info.value.status_code == 503
        await close(a)
        # once the slot is free a new client gets in (allow the server a
        # moment to account for the closed one)
        deadline = time.monotonic() + 5
        while True:
            try:
                c = await connect(url(server))
                break
            except websockets.exceptions.InvalidStatusCode as e:
                assert e.status_code == 503
                assert time.monotonic() < deadline, "slot never freed"
                await asyncio.sleep(0.05)
        assert await ask(c, "c") == "c"
        await close(b)
        await close(c)

    run(main())


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr"],
                         ids=["nothing", "half-request"])
def test_handshake_timeout(start_server, sent):
    server = start_server(handshake_timeout_ms=500)
    with RawClient(server.port) as slow:
        if sent:
            slow.send(sent)
        t0 = time.monotonic()

        async def other():
            async with connect(url(server)) as ws:
                for i in range(5):
                    assert await ask(ws, f"meanwhile {i}") == f"meanwhile {i}"
                await close(ws)

        run(other())
        try:
            slow.wait_eof(timeout=max(0.1, 3.0 - (time.monotonic() - t0)))
        except TimeoutError:
            pytest.fail("the slow client was not dropped within 3 s")
        elapsed = time.monotonic() - t0
    assert elapsed >= 0.25, f"dropped after {elapsed:.2f}s, before the 500 ms timeout"


def test_slow_but_complete_handshake_within_timeout(start_server):
    server = start_server(handshake_timeout_ms=2000)
    request, key = handshake_request(server.port)
    with RawClient(server.port) as c:
        for i in range(0, len(request), 20):
            c.send(request[i : i + 20])
            time.sleep(0.02)
        response = c.read_http_response()
        assert response.status == 101
        assert response.header("sec-websocket-accept") == accept_for(key)


# -- subprotocols ---------------------------------------------------------


def test_subprotocol_server_preference(start_server):
    server = start_server(subprotocols="chat,superchat")

    async def main():
        async with connect(url(server), subprotocols=["superchat", "chat"]) as ws:
            assert ws.subprotocol == "chat"
            info = (await ask(ws, "cmd:info")).split()
            assert info[:4] == ["info", "/", "chat", "127.0.0.1"], info
            await close(ws)
        async with connect(url(server), subprotocols=["superchat"]) as ws:
            assert ws.subprotocol == "superchat"
            await close(ws)
        async with connect(url(server), subprotocols=["unknown"]) as ws:
            assert ws.subprotocol is None
            assert (await ask(ws, "cmd:info")).split()[2] == "-"
            await close(ws)
        async with connect(url(server)) as ws:
            assert ws.subprotocol is None
            await close(ws)

    run(main())


def test_subprotocol_selected_by_on_connect(start_server):
    server = start_server(subprotocols="chat,superchat")

    async def main():
        async with connect(
            url(server, "/proto/superchat"), subprotocols=["chat", "superchat"]
        ) as ws:
            assert ws.subprotocol == "superchat"
            info = (await ask(ws, "cmd:info")).split()
            assert info == [
                "info",
                "/proto/superchat",
                "superchat",
                "127.0.0.1",
                str(ws.local_address[1]),
            ]
            await close(ws)

    run(main())
    server.wait_for(r"CONNECT \d+ /proto/superchat superchat 127\.0\.0\.1")


def test_subprotocol_raw_response_header(start_server):
    server = start_server(subprotocols="chat,superchat")
    with RawClient(server.port) as c:
        response = c.handshake(protocols=["superchat", "chat"])
        assert response.header("sec-websocket-protocol") == "chat"


@pytest.mark.hostile
def test_many_empty_lines_before_the_upgrade(server):
    """12 KB of empty lines, then the upgrade, in one send: the lines are
    skipped (RFC 9112 2.2) and the request behind them is answered."""
    request, key = handshake_request(server.port, path="/after-blank")
    with RawClient(server.port) as c:
        c.send(b"\r\n" * 6000 + request)
        response = c.read_http_response(timeout=5)
        assert response.status_line.startswith("HTTP/1.1 101 "), response
        assert response.header("sec-websocket-accept") == accept_for(key)
    server.wait_for(r"CONNECT \d+ /after-blank - 127\.0\.0\.1")


@pytest.mark.hostile
@pytest.mark.parametrize(
    "extra",
    [["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="],
     ["Sec-WebSocket-Version: 13"],
     ["Host: other"],
     ["Host: a b"]],
    ids=["two-keys", "two-versions", "two-hosts", "bad-host"],
)
def test_repeated_handshake_headers_are_400(server, extra):
    """RFC 6455 4.2.1 / RFC 9112 3.2: one key, one version, one valid
    Host."""
    request, _ = handshake_request(server.port, path="/dup", extra=extra)
    if extra == ["Host: a b"]:
        request = request.replace(b"Host: 127.0.0.1:%d\r\n" % server.port, b"")
    refused(server, request, {400})
    assert not server.matches(r"CONNECT \d+ /dup .*")


def test_absolute_form_upgrade(server):
    """RFC 6455 4.1 allows an absolute http(s) URI as the Request-URI: the
    path is taken from it."""
    request, key = handshake_request(
        server.port, path=f"http://127.0.0.1:{server.port}/absolute?x=1")
    with RawClient(server.port) as c:
        c.send(request)
        response = c.read_http_response()
        assert response.status_line.startswith("HTTP/1.1 101 "), response
        assert response.header("sec-websocket-accept") == accept_for(key)
        c.send_text("cmd:info")
        info = c.recv_message().payload.decode()
        assert info.startswith("info /absolute?x=1 "), info
    server.wait_for(r"CONNECT \d+ /absolute\?x=1 - 127\.0\.0\.1")
