"""The close handshake: codes in both directions, invalid close frames."""

import time

import pytest
import websockets

from iws_helpers import (
    OP_CLOSE,
    RawClient,
    ask,
    close,
    close_payload,
    conn_id,
    connect,
    expected_close,
    recv,
    run,
    url,
    wait_closed,
)


@pytest.mark.parametrize(
    "code,reason", [(1000, ""), (1000, "done"), (4000, "custom reason ✓"), (3000, "")]
)
def test_client_close_code_reaches_server(server, code, reason):
    async def main():
        async with connect(url(server)) as ws:
            cid = await conn_id(ws)
            await close(ws, code, reason)
            return cid, ws.close_code

    cid, seen = run(main())
    assert seen == code, f"client saw close code {seen}, expected the echo {code}"
    assert server.disconnect_code(cid) == code


def test_server_close_command(server):
    async def main():
        async with connect(url(server)) as ws:
            cid = await conn_id(ws)
            await ws.send("cmd:close 4001 bye")
            with pytest.raises(websockets.ConnectionClosed):
                await recv(ws)
            await wait_closed(ws)
            return cid, ws.close_code, ws.close_reason

    cid, code, reason = run(main())
    assert (code, reason) == (4001, "bye")
    server.wait_for(r"CLOSE_RC 0")
    assert server.disconnect_code(cid) == 4001


def test_server_close_command_raw_sees_reason(server):
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        c.send_text("cmd:close 4003 reason with spaces")
        f = c.expect_close()
        expected_close(f, (4003,))
        assert f.close_reason == b"reason with spaces"
        c.wait_eof(5)
    assert server.disconnect_code(cid) == 4003


def test_data_queued_before_close_is_delivered(server):
    with RawClient(server.port) as c:
        c.handshake()
        c.send_text("one")
        c.send_text("two")
        c.send_text("cmd:close 1000 end")
        f = c.expect_close()
        expected_close(f, (1000,))
        texts = [x.payload for x in c.frames_before if x.opcode == 1]
        assert texts[-2:] == [b"one", b"two"], texts


@pytest.mark.parametrize(
    "command,rc",
    [
        ("cmd:close 1005 x", -110),  # reserved: IWS_E_CLOSE_CODE
        ("cmd:close 1006", -110),
        ("cmd:close 999", -110),
        ("cmd:close 5000", -110),
        ("cmd:close 4000 " + "r" * 124, -111),  # IWS_E_TOO_LONG
    ],
)
def test_close_api_refuses_bad_arguments(server, command, rc):
    async def main():
        async with connect(url(server)) as ws:
            await ws.send(command)
            # the connection must still work
            assert await ask(ws, "alive") == "alive"
            await close(ws)

    run(main())
    server.wait_for(rf"CLOSE_RC {rc}")


def test_close_twice_returns_closing(server):
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        c.send_text("cmd:close 4000 first")
        f = c.expect_close(reply=False)
        expected_close(f, (4000,))
        mark = server.mark()
        server.command(f"closeid {cid} 4005")
        _, m = server.wait_for(r"CLOSEID_RC (-?\d+)", since=mark)
        # closing a closing connection: IWS_E_CLOSING, or already gone
        assert int(m.group(1)) in (-201, -200), m.group(0)
        c.send_frame(OP_CLOSE, close_payload(4000))
        c.wait_eof(5)
    assert server.disconnect_code(cid) == 4000


def test_server_disconnect_command(server):
    async def main():
        async with connect(url(server)) as ws:
            cid = await conn_id(ws)
            await ws.send("cmd:disconnect")
            await wait_closed(ws)
            return cid, ws.close_code

    cid, code = run(main())
    assert code == 1006, "a dropped TCP link shows as 1006 to the client"
    assert server.disconnect_code(cid) == 1006


def test_close_from_main_thread(server):
    async def main():
        async with connect(url(server)) as ws:
            cid = await conn_id(ws)
            mark = server.mark()
            server.command(f"closeid {cid} 4002 from-main")
            await wait_closed(ws)
            server.wait_for(r"CLOSEID_RC 0", since=mark)
            return cid, ws.close_code, ws.close_reason

    cid, code, reason = run(main())
    assert (code, reason) == (4002, "from-main")
    assert server.disconnect_code(cid) == 4002


def test_empty_close_frame(server):
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        c.send_frame(OP_CLOSE, b"")
        f = c.expect_close(reply=False)
        assert f.opcode == OP_CLOSE
        # the answer to a code-less close is empty or 1000
        assert f.close_code in (None, 1000), f
        c.wait_eof(5)
    assert server.disconnect_code(cid) == 1005


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])
def test_invalid_close_code_is_a_protocol_error(server, code):
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        c.send_frame(OP_CLOSE, close_payload(code, b"x"))
        f = c.expect_close()
        expected_close(f, (1002,))
        c.wait_eof(5)
    assert server.disconnect_code(cid) == 1002


def test_close_with_one_byte_payload(server):
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        c.send_frame(OP_CLOSE, b"\x03")
        f = c.expect_close()
        expected_close(f, (1002,))
        c.wait_eof(5)
    assert server.disconnect_code(cid) == 1002


def test_close_reason_with_invalid_utf8(server):
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        c.send_frame(OP_CLOSE, close_payload(1000, b"bad \xff\xfe reason"))
        f = c.expect_close()
        expected_close(f, (1007,))
        c.wait_eof(5)
    assert server.disconnect_code(cid) == 1007


def test_close_with_125_byte_payload_is_valid(server):
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        c.send_frame(OP_CLOSE, close_payload(4004, b"r" * 123))
        f = c.expect_close(reply=False)
        expected_close(f, (4004, 1000))
        c.wait_eof(5)
    assert server.disconnect_code(cid) == 4004


def test_peer_vanishes(server):
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
    # TCP closed with no close frame
    assert server.disconnect_code(cid) == 1006


@pytest.mark.parametrize("kind", ["server-close", "client-close", "protocol-error"])
def test_close_handshake_ends_connection_promptly(start_server, kind):
    # Once both close frames have been exchanged the connection is over: the
    # server closes the TCP link and reports on_disconnect at once, not
    # after close_timeout_ms, even while the client keeps its socket open
    # (RFC 6455 7.1.1: the server closes the TCP connection first).
    server = start_server(close_timeout_ms=5000)
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        t0 = time.monotonic()
        if kind == "server-close":
            c.send_text("cmd:close 4000 bye")
            f = c.expect_close()  # answers the close frame
            expected = 4000
        elif kind == "client-close":
            c.send_frame(OP_CLOSE, close_payload(4010, b"client"))
            f = c.expect_close(reply=False)
            expected = 4010
        else:
            c.send_frame(0x1, b"x", rsv=4)
            f = c.expect_close()
            expected = 1002
        c.wait_eof(5)
        code = server.disconnect_code(cid, timeout=10)
        elapsed = time.monotonic() - t0
        assert code == expected
        assert elapsed < 1.0, (
            f"on_disconnect came {elapsed:.2f}s after the close handshake "
            "(close_timeout_ms=5000): the server waited for the client to "
            "close its socket"
        )
