"""Heartbeat, sending to ids, broadcast, send-queue limits and IPv6."""

import asyncio
import time

import pytest

from iws_helpers import (
    OP_CLOSE,
    OP_PING,
    OP_TEXT,
    RawClient,
    TalkLog,
    ask,
    close,
    conn_id,
    connect,
    recv,
    run,
    url,
)


def test_heartbeat_drops_silent_peer_keeps_live_one(start_server):
    server = start_server(heartbeat_interval_ms=200, heartbeat_timeout_ms=400)
    with RawClient(server.port) as silent:
        silent.handshake()
        silent_id = silent.conn_id()
        t0 = time.monotonic()
        # from now on the raw client neither reads nor answers

        async def live():
            # websockets answers the server's pings by itself
            async with connect(url(server)) as ws:
                live_id = await conn_id(ws)
                await asyncio.sleep(2.0)
                assert await ask(ws, "still here") == "still here"
                await close(ws)
                return live_id

        live_id = run(live())
        code = server.disconnect_code(silent_id, timeout=max(0.1, 5 - (time.monotonic() - t0)))
        assert code == 1006, f"silent peer dropped with {code}"
        # the live one ended with its own close, not with a timeout
        assert server.disconnect_code(live_id) == 1000
        idx_silent, _ = server.wait_for(rf"DISCONNECT {silent_id} \d+")
        idx_live, _ = server.wait_for(rf"DISCONNECT {live_id} \d+")
        assert idx_silent < idx_live, "the silent peer must be dropped within 2 s"
        # the silent peer had been pinged
        opcodes = []
        while True:
            f = silent.recv_frame(timeout=5)
            if f is None:
                break
            opcodes.append(f.opcode)
        assert OP_PING in opcodes, f"no ping reached the silent peer: {opcodes}"


def test_heartbeat_pong_keeps_raw_client(start_server):
    server = start_server(heartbeat_interval_ms=200, heartbeat_timeout_ms=400)
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        deadline = time.monotonic() + 1.5
        pings = 0
        while time.monotonic() < deadline:
            try:
                f = c.recv_frame(timeout=0.3)
            except TimeoutError:
                continue
            assert f is not None, "dropped although every ping was answered"
            if f.opcode == OP_PING:
                pings += 1
                c.send_frame(0xA, f.payload)
        assert pings >= 2, f"only {pings} pings in 1.5 s at a 200 ms interval"
        c.send_text("alive?")
        assert c.recv_message().payload == b"alive?"
    assert server.disconnect_code(cid) == 1006  # the socket just closed


@pytest.mark.parametrize("workers", [0, 2])
def test_heartbeat_timeout_while_a_callback_sleeps(start_server, workers):
    """The heartbeat's timer fires on the tick thread while on_message of
    the same connection sleeps (the strand read awaiting_pong just before):
    the silent peer is still dropped, and under TSan the flag's accesses
    from the tick, strand and close paths do not race (the tsan tier runs
    the heartbeat tests)."""
    server = start_server(heartbeat_interval_ms=100, heartbeat_timeout_ms=200,
                          worker_threads=workers)
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        c.send_text("cmd:sleep 1500")
        # neither reads nor answers pings from now on
        assert server.disconnect_code(cid, timeout=15) == 1006
    server.wait_for(rf"ERROR {cid} -?\d+ .*")


def _frames_for(client, seconds, talk_every=None, log=None):
    """Reads frames for `seconds`, answering pings; with talk_every, sends a
    text message that often. Returns the number of pings received."""
    pings = 0
    end = time.monotonic() + seconds
    next_talk = time.monotonic()
    while time.monotonic() < end:
        if talk_every is not None and time.monotonic() >= next_talk:
            client.send_text("chatter")
            if log is not None:
                log.sent()
            next_talk += talk_every
        try:
            f = client.recv_frame(timeout=0.02)
        except TimeoutError:
            continue
        assert f is not None, "the server closed the connection"
        if f.opcode == OP_PING:
            pings += 1
            if log is not None:
                log.pinged()
            client.send_frame(0xA, f.payload)
        elif f.opcode == OP_TEXT and log is not None:
            log.echoed()
    return pings


@pytest.mark.parametrize("on_heartbeat", [None, 0])
def test_heartbeat_if_idle_pings_only_quiet_clients(start_server, on_heartbeat):
    """IWS_OPT_HEARTBEAT_IF_IDLE (sgc's hbtOnlyIfNoMsgRcvInterval): a client
    that sends messages more often than the interval is never pinged (nor
    is on_heartbeat called for it); a quiet one is, every interval. Its own
    pongs do not count as messages."""
    extra = {} if on_heartbeat is None else {"_args": ["--on-heartbeat", "0"]}
    # The talker's messages are ~50 ms apart as sent, yet a stall of this
    # process or of the server can rightly leave the server an interval
    # without one: the talker's pings are judged by what the server had
    # echoed (TalkLog), not counted.
    server = start_server(heartbeat_interval_ms=1000, heartbeat_timeout_ms=3000,
                          heartbeat_if_idle=1, **extra)
    with RawClient(server.port) as talker, RawClient(server.port) as quiet:
        talker.handshake()
        quiet.handshake()
        talker_id = talker.conn_id()
        quiet_id = quiet.conn_id()
        mark = server.mark()
        talk = TalkLog()
        quiet_pings = 0
        for _ in range(24):  # 4.8 s, both clients served in turn
            _frames_for(talker, 0.15, talk_every=0.05, log=talk)
            quiet_pings += _frames_for(quiet, 0.05)
        assert talk.unjustified_pings(1.0) == [], (
            f"a talking client got {talk.pings} pings")
        assert quiet_pings >= 3, f"a quiet client got {quiet_pings} pings in 4.8 s"
        if on_heartbeat is not None:
            # on_heartbeat answers 0 here: each beat for the talker was a
            # ping it saw and judged above
            server.wait_count(rf"HEARTBEAT {quiet_id}", 3, mark)
            assert (len(server.matches(rf"HEARTBEAT {talker_id}", mark))
                    <= talk.pings)


def test_heartbeat_always_pings_talking_clients(start_server):
    """The default (hbtAlways): the same talking client is pinged."""
    server = start_server(heartbeat_interval_ms=200, heartbeat_timeout_ms=1000)
    with RawClient(server.port) as talker:
        talker.handshake()
        pings = _frames_for(talker, 1.2, talk_every=0.05)
        assert pings >= 3, f"only {pings} pings at a 200 ms interval"


@pytest.mark.parametrize("workers", [0, 2])
def test_on_heartbeat_handled_suppresses_pings(start_server, workers):
    """on_heartbeat returning 1 (sgc's Handled := True): no ping is sent and
    no answer awaited: a client that never answers stays connected."""
    server = start_server(heartbeat_interval_ms=100, heartbeat_timeout_ms=200,
                          worker_threads=workers,
                          _args=["--on-heartbeat", "1"])
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        mark = server.mark()
        pings = 0
        end = time.monotonic() + 1.2
        while time.monotonic() < end:
            try:
                f = c.recv_frame(timeout=0.05)
            except TimeoutError:
                continue
            assert f is not None, "dropped although the beats were handled"
            pings += f.opcode == OP_PING
        assert pings == 0, f"{pings} pings although on_heartbeat handled them"
        assert len(server.matches(rf"HEARTBEAT {cid}", mark)) >= 4
        assert not server.matches(rf"DISCONNECT {cid} \d+")
        c.send_text("still here")
        assert c.recv_message().payload == b"still here"


@pytest.mark.parametrize("workers", [0, 2])
def test_on_heartbeat_never_overlaps_the_connections_callbacks(start_server,
                                                              workers):
    """on_heartbeat returning 0: the ping follows it. While on_message of
    the same connection sleeps, no on_heartbeat runs for it (the test
    server counts an overlap as an anomaly, which fails its exit code);
    with workers it comes after, without them the beats are skipped."""
    server = start_server(heartbeat_interval_ms=100, heartbeat_timeout_ms=3000,
                          worker_threads=workers,
                          _args=["--on-heartbeat", "0"])
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        c.send_text("cmd:sleep 700")
        assert c.recv_message(timeout=5).payload == b"slept"
        pings = _frames_for(c, 0.6)
        assert pings >= 2, f"only {pings} pings after on_heartbeat returned 0"
        server.wait_for(rf"HEARTBEAT {cid}")
        assert not server.matches(r"HEARTBEAT_(OVERLAP|NOT_OPEN) \d+")


def test_sendto_closed_and_open_ids(server):
    async def main():
        async with connect(url(server)) as a, connect(url(server)) as b:
            a_id, b_id = await conn_id(a), await conn_id(b)
            old = await connect(url(server))
            old_id = await conn_id(old)
            await close(old)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, server.disconnect_code, old_id)
            assert await ask(a, f"cmd:sendto {old_id}") == "sendto-rc -200"
            assert await ask(a, "cmd:sendto 987654321") == "sendto-rc -200"
            assert await ask(a, f"cmd:sendto {b_id}") == "sendto-rc 0"
            assert await recv(b) == f"sendto-from {a_id}"
            assert await ask(a, f"cmd:sendto {a_id}") == f"sendto-from {a_id}"
            assert await recv(a) == "sendto-rc 0"
            await close(a)
            await close(b)

    run(main())


def test_broadcast_excludes_sender_and_sendall(server):
    async def main():
        async with connect(url(server)) as a, connect(url(server)) as b, connect(
            url(server)
        ) as c:
            assert await ask(a, "cmd:broadcast hello others") == "broadcast-sent 2"
            assert await recv(b) == "hello others"
            assert await recv(c) == "hello others"
            mark = server.mark()
            server.command("sendall hello all ✓")
            for ws in (a, b, c):
                assert await recv(ws) == "hello all ✓"
            # nothing else is pending for a: the next reply is its echo
            assert await ask(a, "ping-pong") == "ping-pong"
            for ws in (a, b, c):
                await close(ws)
            return mark

    mark = run(main())
    server.wait_for(r"SENDALL 3 rc=0", since=mark)


FLOOD_SIZE = 1024  # bytes per message in the send-queue flood tests


def test_send_queue_limit_error_policy(start_server):
    server = start_server(send_queue_limit=65536, send_queue_policy="error")
    with RawClient(server.port, rcvbuf=4096) as c:
        c.handshake()
        cid = c.conn_id()
        # the client stops reading; a foreign thread floods it until a send
        # fails (1 KiB messages: the socket buffers fill after thousands of
        # sends, not hundreds of thousands, which matters under Wine)
        c.send_text(f"cmd:foreign 3000000 {FLOOD_SIZE}")
        _, m = server.wait_for(rf"FOREIGN_FAIL {cid} (\d+) (-?\d+)", timeout=30)
        assert int(m.group(2)) == -202, "IWS_E_QUEUE_FULL expected"
        sent = int(m.group(1))
        assert sent > 0
        # the connection stays open: it drains, every queued message arrives
        # in order, and then the connection echoes again
        last = f"foreign-{sent - 1}".encode().ljust(FLOOD_SIZE, b".")
        header = bytes([0x81, 126]) + FLOOD_SIZE.to_bytes(2, "big")
        before = c.read_until(header + last, timeout=60)
        assert before.count(b"foreign-") == sent - 1, "every queued message arrives"
        c.send_text("after-flood")
        f = c.recv_message()
        assert f.payload == b"after-flood"
    assert server.disconnect_code(cid) == 1006


def test_send_queue_limit_close_policy(start_server):
    server = start_server(
        send_queue_limit=65536, send_queue_policy="close", close_timeout_ms=500
    )
    with RawClient(server.port, rcvbuf=4096) as c:
        c.handshake()
        cid = c.conn_id()
        c.send_text(f"cmd:foreign 3000000 {FLOOD_SIZE}")
        _, m = server.wait_for(rf"FOREIGN_FAIL {cid} \d+ (-?\d+)", timeout=30)
        # IWS_E_CLOSING (the send that overflowed closed the connection) or
        # IWS_E_NO_CONNECTION (already gone)
        assert int(m.group(1)) in (-201, -200), m.group(0)
        code = server.disconnect_code(cid, timeout=15)
        assert code in (1008, 1006), code
        # the server ends the TCP link even though the client never read
        c.wait_eof(timeout=30)


@pytest.mark.parametrize("bind,host,peer", [("::1", "::1", "::1"),
                                            ("::", "::1", "::1"),
                                            ("::", "127.0.0.1", "127.0.0.1")])
def test_ipv6(start_server, bind, host, peer):
    server = start_server(bind=bind)
    hostpart = f"[{host}]" if ":" in host else host

    async def main():
        async with connect(f"ws://{hostpart}:{server.port}/six") as ws:
            assert await ask(ws, "over v6") == "over v6"
            data = bytes(range(256)) * 300
            assert await ask(ws, data) == data
            info = (await ask(ws, "cmd:info")).split()
            assert info[:4] == ["info", "/six", "-", peer], info
            assert info[4] == str(ws.local_address[1])
            await close(ws)

    run(main())
    server.wait_for(rf"CONNECT \d+ /six - {peer}")
