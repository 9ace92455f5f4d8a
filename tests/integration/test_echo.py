"""Echo, fragments, ping/pong and the per-connection commands."""

import asyncio
import os

import pytest

from iws_helpers import (
    MIB,
    OP_BINARY,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    RawClient,
    ask,
    close,
    conn_id,
    connect,
    recv,
    run,
    send,
    url,
)

SIZES = [0, 1, 125, 126, 65535, 65536, MIB, 16 * MIB]


def text_of(size):
    # ASCII digits keep the byte length equal to the character count.
    return ("0123456789abcdef" * (size // 16 + 1))[:size]


@pytest.mark.parametrize("worker_threads", [0, 2])
def test_echo_sizes(start_server, worker_threads):
    server = start_server(
        max_message_size=17 * MIB, worker_threads=worker_threads
    )

    async def main():
        async with connect(url(server)) as ws:
            for size in SIZES:
                text = text_of(size)
                got = await ask(ws, text, timeout=30)
                assert isinstance(got, str), f"text {size}: got {type(got)}"
                assert len(got) == size and got == text, f"text echo of {size} bytes"
                data = os.urandom(size)
                got = await ask(ws, data, timeout=30)
                assert isinstance(got, bytes), f"binary {size}: got {type(got)}"
                assert got == data, f"binary echo of {size} bytes"
            await close(ws)
        return ws.close_code

    assert run(main(), timeout=120) == 1000


def test_echo_non_ascii(server):
    samples = ["héllo wörld ✓ 🚀", "日本語テキスト", "\u0000nul inside", "𝄞" * 1000]

    async def main():
        async with connect(url(server)) as ws:
            for s in samples:
                assert await ask(ws, s) == s
            await close(ws)

    run(main())


def test_echo_many_messages_in_order(server):
    async def main():
        async with connect(url(server)) as ws:
            for i in range(500):
                await send(ws, f"m{i}")
            for i in range(500):
                assert await recv(ws) == f"m{i}"
            await close(ws)

    run(main())


def test_fragmented_messages_arrive_whole(server):
    async def main():
        async with connect(url(server)) as ws:
            parts = ["frag-one ", "frag-two ", "", "frag-three ✓"]
            await send(ws, parts)
            assert await recv(ws) == "".join(parts)
            bparts = [os.urandom(1000), os.urandom(70000), b"", os.urandom(1)]
            await send(ws, bparts)
            assert await recv(ws) == b"".join(bparts)
            # many small fragments of a 1 MiB text message
            chunks = [text_of(4096)] * 256
            await send(ws, chunks)
            got = await recv(ws, timeout=30)
            assert got == "".join(chunks)
            await close(ws)

    run(main())


def test_utf8_sequence_split_across_fragments_is_fine(server):
    euro = "€".encode()  # 3 bytes
    with RawClient(server.port) as c:
        c.handshake()
        c.send_frame(OP_TEXT, b"price " + euro[:1], fin=False)
        c.send_frame(OP_CONT, euro[1:2], fin=False)
        c.send_frame(OP_CONT, euro[2:] + b" 5", fin=True)
        f = c.recv_message()
        assert f.opcode == OP_TEXT and f.fin
        assert f.payload.decode() == "price € 5"
        assert not f.masked, "server frames must not be masked"


def test_control_frames_inside_a_fragmented_message(server):
    with RawClient(server.port) as c:
        c.handshake()
        c.send_frame(OP_TEXT, b"first-", fin=False)
        c.send_frame(OP_PING, b"in-between")
        c.send_frame(OP_CONT, b"second", fin=True)
        # the pong and the echo may come in either order
        frames = [c.recv_frame(), c.recv_frame()]
        assert None not in frames, frames
        got = sorted((f.opcode, f.payload) for f in frames)
        assert got == [(OP_TEXT, b"first-second"), (OP_PONG, b"in-between")], frames


def test_unsolicited_pong_is_ignored(server):
    with RawClient(server.port) as c:
        c.handshake()
        c.send_frame(OP_PONG, b"nobody asked")
        c.send_frame(OP_BINARY, b"\x00\x01")
        f = c.recv_message()
        assert (f.opcode, f.payload) == (OP_BINARY, b"\x00\x01")


def test_client_ping_gets_pong(server):
    async def main():
        async with connect(url(server)) as ws:
            for payload in [b"", b"abc", b"x" * 125]:
                waiter = await ws.ping(payload)
                await asyncio.wait_for(waiter, 5)
            assert await ask(ws, "still-alive") == "still-alive"
            await close(ws)

    run(main())


def test_client_ping_pong_payload_raw(server):
    with RawClient(server.port) as c:
        c.handshake()
        c.send_frame(OP_PING, b"payload-123")
        f = c.recv_frame()
        assert f is not None and f.opcode == OP_PONG and f.fin, f
        assert f.payload == b"payload-123"


def test_server_ping_command(server):
    # websockets answers the server's ping itself; the command must succeed
    async def main():
        async with connect(url(server)) as ws:
            assert await ask(ws, "cmd:ping") == "ping-rc 0"
            assert await ask(ws, "after-ping") == "after-ping"
            await close(ws)

    run(main())


def test_server_ping_arrives_raw(server):
    with RawClient(server.port) as c:
        c.handshake()
        c.send_text("cmd:ping")
        seen_ping = seen_reply = False
        while not (seen_ping and seen_reply):
            f = c.recv_frame()
            assert f is not None, "connection closed"
            if f.opcode == OP_PING:
                assert f.payload == b"hb"
                seen_ping = True
                c.send_frame(OP_PONG, f.payload)
            elif f.opcode == OP_TEXT:
                assert f.payload == b"ping-rc 0"
                seen_reply = True
            else:
                pytest.fail(f"unexpected frame {f!r}")


def test_info_and_stats(server):
    async def main():
        async with connect(url(server, "/room/42?x=1")) as ws:
            info = (await ask(ws, "cmd:info")).split()
            local_port = ws.local_address[1]
            assert info == ["info", "/room/42?x=1", "-", "127.0.0.1", str(local_port)]
            for i in range(3):
                assert await ask(ws, f"s{i}") == f"s{i}"
            stats = dict(
                kv.split("=") for kv in (await ask(ws, "cmd:stats")).split()[1:]
            )
            assert int(stats["current"]) == 1, stats
            assert int(stats["total"]) == 1, stats
            assert int(stats["in"]) >= 4, stats
            assert int(stats["out"]) >= 4, stats
            await close(ws)

    run(main())
    server.wait_for(r"CONNECT \d+ /room/42\?x=1 - 127\.0\.0\.1")
