"""The Pascal component (iocpws.server) against a real client: Python
websockets drives tests/pascal/iocpws_test.dpr, natively or under Wine."""

import asyncio
import os
import re
import subprocess
import threading
import time

import pytest

from iws_helpers import MIB, OP_PING, RawClient, ask, close, connect, recv, run, send, url
from iws_redis import Redis
import websockets

MODES = ["async", "sync", "nosync"]
NON_ASCII = "héllo wörld — € ☃ 日本語 🎉"


@pytest.mark.parametrize("mode", MODES)
def test_text_echo_keeps_non_ascii(start_server, mode):
    s = start_server(mode=mode)

    async def go():
        async with connect(url(s, "/echo?x=1")) as ws:
            assert await ask(ws, NON_ASCII) == NON_ASCII
            assert await ask(ws, "") == ""
            assert await ask(ws, "plain") == "plain"

    run(go())
    _, m = s.wait_for(r"CONNECT (\d+) (\S+) (\w+)")
    assert m.group(2) == "/echo?x=1"


@pytest.mark.parametrize("mode", MODES)
def test_binary_1mib_round_trip(start_server, mode):
    s = start_server(mode=mode)
    blob = bytes((i * 7 + 3) & 0xFF for i in range(MIB))

    async def go():
        async with connect(url(s)) as ws:
            await send(ws, blob)
            got = await recv(ws, timeout=30)
            assert isinstance(got, bytes) and got == blob
            await send(ws, b"")
            assert await recv(ws) == b""

    run(go())


@pytest.mark.parametrize("mode", MODES)
def test_disconnect_reports_the_close_code(start_server, mode):
    s = start_server(mode=mode)

    async def go():
        ws = await connect(url(s))
        await ask(ws, "x")
        await close(ws, 4001, "bye")
        ws2 = await connect(url(s))
        await send(ws2, "cmd:close 4002")  # the server closes this one
        await asyncio.wait_for(ws2.wait_closed(), 10)
        assert ws2.close_code == 4002

    run(go())
    codes = sorted(int(m.group(2)) for m in s.wait_count(r"DISCONNECT (\d+) (\d+)", 2))
    assert codes == [4001, 4002]


@pytest.mark.parametrize("mode,expected", [("async", "main"), ("sync", "main"), ("nosync", "other")])
def test_notify_events_choose_the_thread(start_server, mode, expected):
    s = start_server(mode=mode)

    async def go():
        async with connect(url(s)) as ws:
            assert await ask(ws, "cmd:thread") == f"thread {expected}"

    run(go())
    _, m = s.wait_for(r"CONNECT (\d+) (\S+) (\w+)")
    assert m.group(3) == expected


@pytest.mark.parametrize("mode,expected", [("async", "main"), ("sync", "main"), ("nosync", "other")])
def test_on_handshake_sees_the_request_and_response_headers(start_server, mode, expected):
    s = start_server(mode=mode, handshake="on")

    async def go():
        async with connect(url(s, "/hs"), extra_headers={"X-Test": NON_ASCII}) as ws:
            assert await ask(ws, "x") == "x"

    run(go())
    _, m = s.wait_for(r"HANDSHAKE (\w+) (\d+) (.*) (\S+) (\d+) (\S+)")
    assert m.group(1) == expected
    assert int(m.group(2)) >= 5  # HeadersRequest: Host, Upgrade, Connection, Key, Version...
    assert m.group(3) == NON_ASCII
    assert m.group(4) == "/hs"
    # Headers (sgc): the response's, Upgrade and Connection at least
    assert int(m.group(5)) >= 2 and m.group(6) == "Upgrade:websocket"
    hs, _ = s.wait_for(r"HANDSHAKE .*")
    conn, _ = s.wait_for(r"CONNECT .*")
    assert hs < conn, "OnHandshake comes before OnConnect"


async def guid_of(ws):
    reply = await ask(ws, "cmd:guid")
    assert re.fullmatch(r"guid \{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}", reply), reply
    return reply.split()[1]


@pytest.mark.parametrize("mode", ["async", "nosync"])
def test_broadcast_with_exclude_and_include(start_server, mode):
    s = start_server(mode=mode)

    async def go():
        a, b, c = [await connect(url(s)) for _ in range(3)]
        ga, gb, gc = [await guid_of(w) for w in (a, b, c)]
        assert len({ga, gb, gc}) == 3
        # everyone but the sender
        assert await ask(a, "cmd:bcast-excl " + NON_ASCII) == "bcast-done"
        assert await recv(b) == NON_ASCII
        assert await recv(c) == NON_ASCII
        # only the listed ones
        assert await ask(a, f"cmd:bcast-incl {gc},{ga} only-a-c") == "only-a-c"
        assert await recv(a) == "bcast-done"
        assert await recv(c) == "only-a-c"
        # b got nothing from either: its next message is its own echo
        assert await ask(b, "b-echo") == "b-echo"
        # WriteData(aGuid, aMessage)
        assert await ask(c, "cmd:writeguid to-myself") == "to-myself"
        assert await ask(c, "cmd:count") == "count 3"
        for w in (a, b, c):
            await close(w)

    run(go())


@pytest.mark.parametrize("mode", ["async", "nosync"])
def test_channels_subscribe_and_broadcast_to_a_channel(start_server, mode):
    s = start_server(mode=mode)

    async def go():
        a, b, c = [await connect(url(s)) for _ in range(3)]
        assert await ask(a, "cmd:sub news") == "sub True"
        assert await ask(b, "cmd:sub news") == "sub True"
        room = "Küche-日本"
        assert await ask(b, f"cmd:sub {room}") == "sub True"
        assert await ask(b, "cmd:chans") == f"chans news,{room}"
        # Broadcast(aMessage, aChannel): the subscribers only
        assert await ask(c, f"cmd:pub news {NON_ASCII}") == "pub-done"
        assert await recv(a) == NON_ASCII
        assert await recv(b) == NON_ASCII
        # ... with Exclude
        assert await ask(a, "cmd:pubx news not-to-a") == "pub-done"
        assert await recv(b) == "not-to-a"
        assert await ask(b, "cmd:unsub news") == "unsub True"
        assert await ask(c, "cmd:pub news only-a") == "pub-done"
        assert await recv(a) == "only-a"
        assert await ask(c, f"cmd:pub {room} b-too") == "pub-done"
        assert await recv(b) == "b-too"
        # nothing else reached b: its next message is its own echo
        assert await ask(b, "b-echo") == "b-echo"
        for w in (a, b, c):
            await close(w)

    run(go())


@pytest.mark.parametrize("mode", MODES)
def test_exception_in_a_handler_is_reported_and_harmless(start_server, mode):
    s = start_server(mode=mode)

    async def go():
        async with connect(url(s)) as ws:
            await send(ws, "cmd:raise")
            assert await ask(ws, "still alive") == "still alive"

    run(go())
    _, m = s.wait_for(r"EXCEPTION (\d+) (\S+) (.*)")
    assert m.group(2) == "Exception" and m.group(3) == "boom in handler"


def test_exception_goes_to_on_error_without_on_exception(start_server):
    s = start_server(mode="nosync", onexception="none")

    async def go():
        async with connect(url(s)) as ws:
            await send(ws, "cmd:raise")
            assert await ask(ws, "still alive") == "still alive"

    run(go())
    s.wait_for(r"ERROR \d+ Exception: boom in handler")


@pytest.mark.parametrize("mode", MODES)
def test_stop_with_connections_open_then_restart(start_server, mode):
    """Active := False on the main thread while handlers are queued or
    synchronised: no deadlock; every OnDisconnect has run when it returns."""
    s = start_server(mode=mode)
    closed = []

    async def clients():
        socks = [await connect(url(s)) for _ in range(3)]
        for w in socks:
            await ask(w, "x")
        mark = s.mark()
        s.command("stop")
        for w in socks:
            await asyncio.wait_for(w.wait_closed(), 15)
            closed.append(w.close_code)
        return mark

    mark = run(clients())
    _, m = s.wait_for(r"STOPPED active=(\d) connects=(\d+) disconnects=(\d+)", since=mark, timeout=20)
    assert m.group(1) == "0"
    assert m.group(2) == m.group(3) == "3", "every OnDisconnect ran before Stop returned"
    assert closed == [1001, 1001, 1001]
    s.wait_for(r"SHUTDOWN", since=mark)

    mark = s.mark()
    s.command("start")
    _, m = s.wait_for(r"PORT (\d+)", since=mark)
    s.port = int(m.group(1))

    async def again():
        async with connect(url(s)) as ws:
            assert await ask(ws, "after restart") == "after restart"

    run(again())


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_stop_from_inside_a_handler(start_server, mode):
    """Active := False inside OnMessage, which a library thread may be
    waiting for (neSynchronous): the stop finishes in the background."""
    s = start_server(mode=mode)

    async def go():
        a = await connect(url(s))
        b = await connect(url(s))
        await ask(b, "x")
        await send(a, "cmd:stop")
        for w in (a, b):
            await asyncio.wait_for(w.wait_closed(), 15)
            assert w.close_code == 1001

    run(go())
    s.wait_for(r"STOP_CALLED active=0")
    s.wait_for(r"SHUTDOWN", timeout=15)
    s.wait_count(r"DISCONNECT \d+ 1001", 2)

    mark = s.mark()
    s.command("start")
    _, m = s.wait_for(r"PORT (\d+)", since=mark)
    s.port = int(m.group(1))

    async def again():
        async with connect(url(s)) as ws:
            assert await ask(ws, "after restart") == "after restart"

    run(again())


@pytest.mark.parametrize("mode", MODES)
def test_fpu_exceptions_unmasked_in_the_host(start_server, mode):
    """Free Pascal unmasks FPU exceptions by default (like Delphi before 12):
    the engine still works, and a handler sees the host's masks (1/0 raises
    EZeroDivide) even on a library thread."""
    s = start_server(mode=mode)

    async def go():
        async with connect(url(s)) as ws:
            assert await ask(ws, "cmd:fdiv") == "fdiv EZeroDivide"
            assert await ask(ws, NON_ASCII) == NON_ASCII

    run(go())


def test_fpu_masked_host(start_server):
    s = start_server(mode="nosync", fpu="masked")

    async def go():
        async with connect(url(s)) as ws:
            assert (await ask(ws, "cmd:fdiv")).lower() in ("fdiv +inf", "fdiv inf")

    run(go())


def test_no_handlers_at_all(start_server):
    s = start_server(handlers="none")

    async def go():
        async with connect(url(s)) as ws:
            await send(ws, "nobody listens")
            await send(ws, b"\x00" * 1000)
            await close(ws)

    run(go())


def test_worker_threads(start_server):
    s = start_server(mode="nosync", workers="2")

    async def go():
        socks = [await connect(url(s)) for _ in range(4)]
        for i, w in enumerate(socks):
            assert await ask(w, f"w{i}") == f"w{i}"
        for w in socks:
            await close(w)

    run(go())


def test_subprotocols_and_broadcast_by_protocol(start_server):
    s = start_server(protocols="chat,superchat")

    async def go():
        a = await connect(url(s), subprotocols=["superchat"])
        b = await connect(url(s), subprotocols=["chat", "superchat"])
        c = await connect(url(s))
        assert a.subprotocol == "superchat" and b.subprotocol == "chat"
        assert await ask(a, "cmd:protocol") == "protocol superchat"
        assert await ask(b, "cmd:protocol") == "protocol chat"
        assert await ask(c, "cmd:protocol") == "protocol -"
        assert await ask(c, "cmd:bcast-proto chat to-chat") == "bcast-done"
        assert await recv(b) == "to-chat"
        assert await ask(a, "a-echo") == "a-echo"  # a got nothing
        for w in (a, b, c):
            await close(w)

    run(go())


def test_max_connections(start_server):
    s = start_server(maxconn="1")

    async def go():
        async with connect(url(s)) as a:
            with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
                await connect(url(s))
            assert refused.value.status_code == 503
            assert await ask(a, "still") == "still"

    run(go())


def test_heartbeat_seconds_drop_a_silent_peer(start_server):
    """HeartBeat.Interval/Timeout are seconds: a peer that never answers the
    pings is dropped (OnDisconnect 1006) after about Interval + Timeout."""
    s = start_server(mode="async", heartbeat="1,1")
    with RawClient(s.port) as c:
        c.handshake()
        started = time.monotonic()
        f = c.recv_frame(timeout=5)
        assert f is not None and f.opcode == OP_PING, f
        _, m = s.wait_for(r"DISCONNECT (\d+) (\d+)", timeout=10)
        elapsed = time.monotonic() - started
        assert m.group(2) == "1006"
        assert 0.5 <= elapsed <= 6, elapsed


@pytest.mark.parametrize("mode", MODES)
def test_many_connections_at_once(start_server, mode):
    """200 clients, 20 messages each, all in flight together: every echo
    comes back to its sender, and every connect gets its disconnect."""
    s = start_server(mode=mode)

    async def client(i):
        async with connect(url(s)) as ws:
            for j in range(20):
                await send(ws, f"{i}:{j}:{NON_ASCII}")
            for j in range(20):
                assert await recv(ws, timeout=30) == f"{i}:{j}:{NON_ASCII}"

    async def go():
        await asyncio.gather(*(client(i) for i in range(200)))

    run(go(), timeout=120)
    s.wait_count(r"DISCONNECT \d+ 1000", 200, timeout=30)


# ---- TLS (SSL / SSLOptions) ---------------------------------------------


def tls_opts(files, **extra):
    from conftest import server_path

    opts = dict(ssl="on", cert=server_path(files.server),
                key=server_path(files.server_key), ca=server_path(files.inter))
    opts.update(extra)
    return opts


def client_context(files):
    import ssl

    ctx = ssl.create_default_context(cafile=files.root)
    return ctx


@pytest.mark.parametrize("deflate", ["on", "takeover"])
def test_per_message_deflate_extension(start_server, deflate):
    """Extensions.PerMessage_Deflate.Enabled: websockets negotiates it and
    messages round-trip compressed; MaxDecompressedSize stops a bomb
    (1009)."""
    import zlib
    from iws_helpers import OP_BINARY, handshake_request

    s = start_server(mode="nosync", deflate=deflate, maxdecompressed=100000)
    text = NON_ASCII * 2000

    async def go():
        async with connect(url(s), compression="deflate") as ws:
            ext = ws.response_headers.get("Sec-WebSocket-Extensions")
            assert ext and ext.startswith("permessage-deflate"), ext
            if deflate == "takeover":
                assert "server_max_window_bits" not in ext
                assert "server_no_context_takeover" not in ext
            else:
                assert "server_no_context_takeover" in ext
            for _ in range(3):
                assert await ask(ws, text, timeout=30) == text
            blob = bytes(MIB // 8)
            await send(ws, blob[:90000])
            assert await recv(ws, timeout=30) == blob[:90000]

    run(go())
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = comp.compress(bytes(10 * MIB)) + comp.flush(zlib.Z_SYNC_FLUSH)
    with RawClient(s.port) as c:
        request, _ = handshake_request(
            s.port, extra=["Sec-WebSocket-Extensions: permessage-deflate"])
        c.send(request)
        assert c.read_http_response().status == 101
        c.send_frame(OP_BINARY, bomb[:-4], rsv=4)
        f = c.expect_close()
        assert f.close_code == 1009, f


@pytest.mark.parametrize("mode", ["async", "nosync"])
def test_wss_echo_with_sgc_ssl_options(start_server, tls_files, mode):
    """SSL := True with SSLOptions.Port = 0: wss:// on Port, the chain
    completed by RootCertFile, an encrypted key opened with Password."""
    from conftest import TLS_PASSWORD, server_path

    s = start_server(mode=mode, **tls_opts(
        tls_files, key=server_path(tls_files.server_key_enc), password=TLS_PASSWORD))
    ctx = client_context(tls_files)

    async def go():
        async with connect(f"wss://localhost:{s.port}/tls", ssl=ctx) as ws:
            assert await ask(ws, NON_ASCII) == NON_ASCII
            await send(ws, b"\x07" * MIB)
            assert await recv(ws, timeout=30) == b"\x07" * MIB
        # no plain listener on that port
        with pytest.raises(Exception):
            await connect(f"ws://127.0.0.1:{s.port}/", open_timeout=3)

    run(go())
    s.wait_for(r"CONNECT \d+ /tls \w+")


def test_wss_sni_host_certificate(start_server, tls_files):
    """AddSSLHost: a client asking for other.test gets that certificate;
    one asking for localhost gets SSLOptions'."""
    from conftest import server_path

    chain = tls_files.path("other-chain.pem")  # the host entry carries its chain
    with open(chain, "w") as out:
        for part in (tls_files.other, tls_files.inter):
            out.write(open(part).read())
    sni = "|".join(["other.test", server_path(chain), server_path(tls_files.other_key)])
    s = start_server(**tls_opts(tls_files, sni=sni))
    ctx = client_context(tls_files)

    async def go():
        async with connect(f"wss://127.0.0.1:{s.port}/sni", ssl=ctx,
                           server_hostname="other.test") as ws:
            assert await ask(ws, "other") == "other"
            cert = ws.transport.get_extra_info("peercert")
            assert ("DNS", "other.test") in cert["subjectAltName"], cert
        async with connect(f"wss://localhost:{s.port}/main", ssl=ctx) as ws:
            cert = ws.transport.get_extra_info("peercert")
            assert ("DNS", "localhost") in cert["subjectAltName"], cert

    run(go())


@pytest.mark.parametrize("extra,code,text", [
    (dict(password="wrong"), "-500", ""),
    (dict(tlsversion="1.0"), "-105", "TLS 1.0 and 1.1 are not offered"),
    (dict(cert="/nonexistent/cert.pem"), "-500", ""),
])
def test_tls_configuration_errors_raise_eiocpws(start_server, tls_files, extra, code, text):
    from conftest import server_path

    opts = tls_opts(tls_files, **extra)
    if extra.get("password"):
        opts["key"] = server_path(tls_files.server_key_enc)
    if extra.get("cert"):
        opts["cert"] = server_path(extra["cert"])
    s = start_server(**opts)
    _, m = s.wait_for(r"START_FAILED (-?\d+) (.*)")
    assert m.group(1) == code, m.group(0)
    assert "iocpws: " in m.group(2) and text in m.group(2), m.group(2)


# ---- the Node ws client -----------------------------------------------


def _node_module():
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "iws_test_node_ws", os.path.join(here, "..", "integration", "test_node_ws.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("mode", ["async", "nosync"])
@pytest.mark.parametrize("scenario", ["echo", "fragments", "ping", "many"])
def test_node_ws_client(start_server, mode, scenario):
    """The integration tier's Node ws scenarios (echo up to 16 MiB,
    fragmented messages, pings, 200 connections) against the component."""
    s = start_server(mode=mode)
    _node_module().run_scenario(s, scenario)
    expected = 200 if scenario == "many" else 1
    found = s.wait_count(r"DISCONNECT \d+ (\d+)", expected, timeout=30)
    assert [m.group(1) for m in found] == ["1000"] * expected


# ---- the samples --------------------------------------------------------


class Sample:
    def __init__(self, env, stop_line):
        from conftest import program

        self.stop_line = stop_line
        self.proc = subprocess.Popen(
            [program(env), "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.lines = []
        self.ready = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()
        assert self.ready.wait(30), "the sample printed no port:\n" + "\n".join(self.lines)
        m = re.search(r"port (\d+)", self.lines[0])
        assert m, self.lines
        self.port = int(m.group(1))

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self.ready.set()

    def stop(self):
        self.proc.stdin.write(self.stop_line + "\n")
        self.proc.stdin.flush()
        return self.proc.wait(30)


def test_sample_echo_server():
    sample = Sample("IWS_PASCAL_ECHO", "")
    try:

        async def go():
            async with connect(url(sample)) as ws:
                assert await ask(ws, NON_ASCII) == NON_ASCII
                assert await ask(ws, b"\x01\x02") == b"\x01\x02"

        run(go())
    finally:
        assert sample.stop() == 0


def test_sample_chat_server():
    sample = Sample("IWS_PASCAL_CHAT", "quit")
    try:

        async def go():
            a = await connect(url(sample))
            assert (await recv(a)).startswith("welcome")
            b = await connect(url(sample))
            assert (await recv(b)).startswith("welcome")
            assert await recv(a) == "* someone joined"
            await send(a, NON_ASCII)
            assert await recv(b) == NON_ASCII
            await close(b)
            assert await recv(a) == "* someone left"
            await close(a)

        run(go())
    finally:
        assert sample.stop() == 0
    assert any("left (code 1000)" in line for line in sample.lines), sample.lines


# --------------------------------------------------------------------------
# RedisURL / RedisPrefix: channels across servers (under Wine in the
# pascal-win64/pascal-win32 tiers: iocpws.dll's statically linked hiredis)
# --------------------------------------------------------------------------


async def wait_redis_up(ws, timeout=20):
    """cmd:redis until GetStats.redis_connected is 1 (both links up)."""
    deadline = time.monotonic() + timeout
    while True:
        reply = await ask(ws, "cmd:redis")
        if reply.startswith("redis 1 "):
            return reply
        assert time.monotonic() < deadline, f"Redis links not up: {reply}"
        await asyncio.sleep(0.1)


async def expect_silence(ws, wait=0.5):
    try:
        got = await asyncio.wait_for(ws.recv(), wait)
    except asyncio.TimeoutError:
        return
    raise AssertionError(f"unexpected message {got!r}")


def test_redis_url_links_servers_exactly_once(start_server, tmp_path):
    redis = Redis(tmp_path)
    prefix = f"p{os.getpid()}:"
    try:
        a = start_server(redis=redis.url, redisprefix=prefix)
        b = start_server(redis=redis.url, redisprefix=prefix)
        other = start_server(redis=redis.url, redisprefix="other:")

        async def go():
            wa, wb, wo = [await connect(url(s)) for s in (a, b, other)]
            for ws in (wa, wb, wo):
                await wait_redis_up(ws)
                assert await ask(ws, "cmd:sub news") == "sub True"
            # Broadcast(aMessage, aChannel) on either server reaches the
            # subscribers of both, each once, and not another prefix's
            for k in range(5):
                assert await ask(wa, f"cmd:pubx news from-a-{k}") == "pub-done"
                assert await recv(wb) == f"from-a-{k}"
            assert await ask(wb, f"cmd:pubx news {NON_ASCII}") == "pub-done"
            assert await recv(wa) == NON_ASCII
            for ws in (wa, wb, wo):
                await expect_silence(ws)
            stats = await ask(wa, "cmd:redis")
            assert stats.split()[2:] == ["5", "1"], stats  # out 5, in 1

            # Redis goes away: OnError says so (once per link), local
            # subscribers still get messages; back, and linked again
            mark_a, mark_b = a.mark(), b.mark()
            redis.kill()
            a.wait_for(r"ERROR 0 redis subscriber link .*", since=mark_a, timeout=15)
            b.wait_for(r"ERROR 0 redis subscriber link .*", since=mark_b, timeout=15)
            # (the sender is a subscriber too: its copy comes before the reply)
            await send(wa, "cmd:pub news local")
            assert [await recv(wa), await recv(wa)] == ["local", "pub-done"]
            redis.start()
            for ws in (wa, wb):
                await wait_redis_up(ws)
            assert await ask(wb, "cmd:pubx news again") == "pub-done"
            assert await recv(wa) == "again"
            await expect_silence(wa)
            await expect_silence(wo, 0.1)
            for ws in (wa, wb, wo):
                await close(ws)

        run(go(), timeout=120)
    finally:
        redis.stop()
