"""permessage-deflate (RFC 7692) against real clients that negotiate it:
Python websockets (its compression options), Node ws (perMessageDeflate),
and a raw client for what well-behaved clients never send: RSV1 on control
and continuation frames, corrupt deflate data, a decompression bomb."""

import os
import struct
import time
import zlib

import pytest

from iws_helpers import (
    MIB,
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_TEXT,
    RawClient,
    ask,
    close,
    connect,
    expected_close,
    handshake_request,
    recv,
    run,
    send,
    url,
)
from test_node_ws import run_scenario
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
)

RSV1 = 4
SIZES = [0, 1, 125, 126, 65535, 65536, MIB, 16 * MIB]


def deflate_server(start_server, **options):
    opts = {"deflate": 1, "max_message_size": 17 * MIB}
    opts.update(options)
    return start_server(**opts)


def compressible(n):
    return ("0123456789abcdef" * (n // 16 + 1))[:n]


def extension_header(ws):
    headers = getattr(ws, "response_headers", None)
    if headers is None:
        headers = ws.response.headers
    return headers.get("Sec-WebSocket-Extensions")


def deflate_message(data, wbits=15, compressor=None):
    """One message compressed as RFC 7692 7.2.1 says (tail removed)."""
    c = compressor or zlib.compressobj(6, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def inflate_message(payload, decompressor=None):
    d = decompressor or zlib.decompressobj(-15)
    return d.decompress(payload + b"\x00\x00\xff\xff")


def deflate_handshake(client, offer="permessage-deflate"):
    request, _ = handshake_request(
        client.port, extra=[f"Sec-WebSocket-Extensions: {offer}"]
    )
    client.send(request)
    response = client.read_http_response()
    assert response.status == 101, response
    return response


# --------------------------------------------------------------------------
# round trips with Python websockets
# --------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_python_round_trips(start_server, size):
    server = deflate_server(start_server)

    async def main():
        async with connect(url(server), compression="deflate") as ws:
            assert extension_header(ws).startswith("permessage-deflate")
            text = compressible(size)
            assert await ask(ws, text, timeout=60) == text
            data = os.urandom(size)  # incompressible
            assert await ask(ws, data, timeout=60) == data
            zeros = bytes(size)
            assert await ask(ws, zeros, timeout=60) == zeros
            await close(ws)

    run(main(), timeout=180)


# (server options, client factory options, expected answer parameters)
COMBINATIONS = [
    ({}, {}, {"server_no_context_takeover", "client_no_context_takeover",
              "client_max_window_bits=15"}),
    (
        {"deflate_server_no_context_takeover": 0,
         "deflate_client_no_context_takeover": 0},
        {},
        {"client_max_window_bits=15"},
    ),
    (
        {"deflate_server_no_context_takeover": 0,
         "deflate_client_no_context_takeover": 0},
        {"server_no_context_takeover": True},
        {"server_no_context_takeover", "client_max_window_bits=15"},
    ),
    (
        {"deflate_server_no_context_takeover": 0,
         "deflate_client_no_context_takeover": 0},
        {"client_no_context_takeover": True},
        {"client_no_context_takeover", "client_max_window_bits=15"},
    ),
    (
        {"deflate_server_no_context_takeover": 0,
         "deflate_client_no_context_takeover": 0},
        {"server_max_window_bits": 10, "client_max_window_bits": 11},
        {"server_max_window_bits=10", "client_max_window_bits=11"},
    ),
    (
        {"deflate_server_no_context_takeover": 0,
         "deflate_client_no_context_takeover": 0,
         "deflate_server_max_window_bits": 9,
         "deflate_client_max_window_bits": 9,
         "deflate_mem_level": 1, "deflate_level": 1},
        {"server_max_window_bits": 12},
        {"server_max_window_bits=9", "client_max_window_bits=9"},
    ),
    (
        {"deflate_client_max_window_bits": 12},
        {"client_max_window_bits": None},
        {"server_no_context_takeover", "client_no_context_takeover"},
    ),
    (
        {"deflate_server_max_window_bits": 12, "deflate_threshold": 0},
        {"server_max_window_bits": 15, "client_max_window_bits": 9,
         "server_no_context_takeover": True,
         "client_no_context_takeover": True},
        {"server_no_context_takeover", "client_no_context_takeover",
         "server_max_window_bits=12", "client_max_window_bits=9"},
    ),
    # The longest answer: both flags and two two-digit sizes make exactly
    # 128 characters (it once did not fit, the 101 went out without the
    # header and the client got RSV1 frames: 1002).
    (
        {},
        {"server_max_window_bits": 12, "client_max_window_bits": 12,
         "server_no_context_takeover": True,
         "client_no_context_takeover": True},
        {"server_no_context_takeover", "client_no_context_takeover",
         "server_max_window_bits=12", "client_max_window_bits=12"},
    ),
]


@pytest.mark.parametrize("server_opts,client_opts,expect", COMBINATIONS)
def test_parameter_combinations(start_server, server_opts, client_opts,
                                expect):
    server = deflate_server(start_server, **server_opts)
    client_opts = dict(client_opts)
    # websockets offers client_max_window_bits unless told None
    factory = ClientPerMessageDeflateFactory(**client_opts)

    async def main():
        async with connect(url(server), compression=None,
                           extensions=[factory]) as ws:
            header = extension_header(ws)
            params = {p.strip() for p in header.split(";")}
            assert params == {"permessage-deflate"} | expect, header
            # Repeated, similar messages exercise the kept contexts.
            for i in range(40):
                msg = '{"seq":%d,"name":"quote","data":"%s"}' % (
                    i, compressible(200 + i * 37))
                assert await ask(ws, msg) == msg
            for size in (0, 10, 5000, 300000):
                data = os.urandom(size)
                assert await ask(ws, data) == data
                text = compressible(size)
                assert await ask(ws, text) == text
            await close(ws)

    run(main(), timeout=120)


def test_disabled_by_default(start_server):
    server = start_server()

    async def main():
        async with connect(url(server), compression="deflate") as ws:
            assert extension_header(ws) is None
            assert await ask(ws, "plain") == "plain"

    run(main())


# --------------------------------------------------------------------------
# Node ws
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario,server_opts,expect",
    [
        ("deflate", {}, "permessage-deflate"),
        ("deflate-takeover",
         {"deflate_server_no_context_takeover": 0,
          "deflate_client_no_context_takeover": 0},
         "permessage-deflate"),
        ("deflate-small-windows",
         {"deflate_server_no_context_takeover": 0,
          "deflate_client_no_context_takeover": 0},
         "permessage-deflate"),
        ("deflate", {"deflate": 0}, "none"),
    ],
)
def test_node_ws_deflate(start_server, monkeypatch, scenario, server_opts,
                         expect):
    server = deflate_server(start_server, **server_opts)
    monkeypatch.setenv("IWS_DEFLATE_EXPECT", expect)
    run_scenario(server, scenario)


# --------------------------------------------------------------------------
# the wire, seen by a raw client
# --------------------------------------------------------------------------


def test_server_compresses_above_the_threshold(start_server):
    server = deflate_server(start_server, deflate_threshold=100)
    with RawClient(server.port) as c:
        response = deflate_handshake(c)
        assert response.header("sec-websocket-extensions") == (
            "permessage-deflate; server_no_context_takeover; "
            "client_no_context_takeover")
        big = compressible(5000).encode()
        c.send_frame(OP_TEXT, deflate_message(big), rsv=RSV1)
        f = c.recv_message()
        assert f.rsv == RSV1 and f.opcode == OP_TEXT
        assert len(f.payload) < len(big) // 10
        assert inflate_message(f.payload) == big
        # under the threshold: plain
        c.send_frame(OP_TEXT, deflate_message(b"short"), rsv=RSV1)
        f = c.recv_message()
        assert f.rsv == 0 and f.payload == b"short"
        # an uncompressed message is fine too
        c.send_frame(OP_BINARY, b"\x01\x02" * 200)
        f = c.recv_message()
        assert f.rsv == RSV1 and inflate_message(f.payload) == b"\x01\x02" * 200
        # incompressible data goes out as it is (no context to keep)
        noise = os.urandom(4000)
        c.send_frame(OP_BINARY, noise)
        f = c.recv_message()
        assert f.rsv == 0 and f.payload == noise
        # a compressed message in fragments: RSV1 on the first only
        z = deflate_message(big)
        c.send_frame(OP_TEXT, z[:10], fin=False, rsv=RSV1)
        c.send_frame(OP_CONT, z[10:20], fin=False)
        c.send_frame(OP_CONT, z[20:])
        f = c.recv_message()
        assert inflate_message(f.payload) == big
        c.send_frame(OP_CLOSE, struct.pack("!H", 1000))
        expected_close(c.expect_close(reply=False), (1000,))


def test_context_takeover_on_the_wire(start_server):
    server = deflate_server(start_server,
                            deflate_server_no_context_takeover=0,
                            deflate_client_no_context_takeover=0,
                            deflate_threshold=0)
    with RawClient(server.port) as c:
        response = deflate_handshake(c)
        assert response.header("sec-websocket-extensions") == "permessage-deflate"
        tx = zlib.compressobj(6, zlib.DEFLATED, -15)
        rx = zlib.decompressobj(-15)
        msg = b'{"type":"quote","symbol":"ACME","bid":101.25,"ask":101.5}'
        sizes = []
        for _ in range(5):
            c.send_frame(OP_TEXT, deflate_message(msg, compressor=tx),
                         rsv=RSV1)
            f = c.recv_message()
            assert f.rsv == RSV1
            assert inflate_message(f.payload, rx) == msg
            sizes.append(len(f.payload))
        # later copies refer back to the first
        assert sizes[-1] < sizes[0] // 2, sizes


@pytest.mark.parametrize(
    "offer,expect",
    [
        ("permessage-deflate; server_max_window_bits=8", None),
        ("permessage-deflate; unknown=1", None),
        ("permessage-deflate; client_max_window_bits=20", None),
        ("permessage-deflate; server_no_context_takeover; "
         "server_no_context_takeover", None),
        ("x-webkit-deflate-frame, permessage-deflate; foo, "
         "permessage-deflate; client_max_window_bits=10",
         "permessage-deflate; server_no_context_takeover; "
         "client_no_context_takeover; client_max_window_bits=10"),
    ],
)
def test_offers_the_server_cannot_honour_are_declined(start_server, offer,
                                                      expect):
    server = deflate_server(start_server)
    with RawClient(server.port) as c:
        response = deflate_handshake(c, offer)
        assert response.header("sec-websocket-extensions") == expect
        c.send_text("hello")
        f = c.recv_message()
        assert f.rsv == 0 and f.payload == b"hello"


@pytest.mark.parametrize(
    "offer",
    [
        "permessage-deflate;",
        "permessage-deflate; client_max_window_bits=\"10",
        "permessage-deflate client_max_window_bits",
        "permessage-deflate; =15",
    ],
)
def test_unparseable_extension_header_is_400(start_server, offer):
    server = deflate_server(start_server)
    with RawClient(server.port) as c:
        request, _ = handshake_request(
            c.port, extra=[f"Sec-WebSocket-Extensions: {offer}"])
        c.send(request)
        assert c.read_http_response().status == 400


@pytest.mark.parametrize(
    "case",
    ["ping", "continuation", "not-negotiated", "close"],
)
def test_rsv1_where_it_is_not_allowed_is_1002(start_server, case):
    server = deflate_server(start_server)
    with RawClient(server.port) as c:
        if case == "not-negotiated":
            c.handshake()
            c.send_frame(OP_TEXT, deflate_message(b"hello"), rsv=RSV1)
        else:
            deflate_handshake(c)
            if case == "ping":
                c.send_frame(OP_PING, b"x", rsv=RSV1)
            elif case == "close":
                c.send_frame(OP_CLOSE, struct.pack("!H", 1000), rsv=RSV1)
            else:
                z = deflate_message(b"hello hello hello")
                c.send_frame(OP_TEXT, z[:3], fin=False, rsv=RSV1)
                c.send_frame(OP_CONT, z[3:], rsv=RSV1)
        expected_close(c.expect_close(), (1002,))


def test_corrupt_deflate_data_is_1007(start_server):
    server = deflate_server(start_server)
    with RawClient(server.port) as c:
        deflate_handshake(c)
        c.send_frame(OP_BINARY, b"\xff\xff\xff\xff garbage", rsv=RSV1)
        expected_close(c.expect_close(), (1007,))
    server.wait_for(r"ERROR \d+ -?\d+ compressed message is not valid .*")


def test_invalid_utf8_inside_compressed_text_is_1007(start_server):
    server = deflate_server(start_server)
    with RawClient(server.port) as c:
        deflate_handshake(c)
        c.send_frame(OP_TEXT, deflate_message(b"ok \xc3\x28 not utf-8"),
                     rsv=RSV1)
        expected_close(c.expect_close(), (1007,))


def zeros_bomb(total):
    """`total` zero bytes deflated in one message, made in pieces."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = bytes(1 << 20)
    out = []
    for _ in range(total // len(piece)):
        out.append(comp.compress(piece))
    out.append(comp.flush(zlib.Z_SYNC_FLUSH))
    data = b"".join(out)
    assert data.endswith(b"\x00\x00\xff\xff")
    return data[:-4]


def server_rss_kib(server):
    try:
        with open(f"/proc/{server.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def test_decompression_bomb_closes_1009(start_server):
    """1 GiB of zeros, about 1 MiB deflated: the server inflates no more
    than its limit (16 MiB by default) and closes with 1009."""
    server = deflate_server(start_server, max_message_size=16 * MIB)
    bomb = zeros_bomb(1 << 30)
    assert len(bomb) < 2 * MIB
    with RawClient(server.port, timeout=60) as c:
        deflate_handshake(c)
        c.send_text("before")
        assert c.recv_message().payload == b"before"
        start = time.monotonic()
        c.send_frame(OP_BINARY, bomb, rsv=RSV1)
        expected_close(c.expect_close(timeout=60), (1009,))
        assert time.monotonic() - start < 30
    server.wait_for(r"ERROR \d+ -?\d+ compressed message inflates past .*")
    peak = server_rss_kib(server)
    if peak is not None:  # a native server (not Wine): its peak memory
        assert peak < 200 * 1024, f"server peak RSS {peak} KiB"


def test_max_inflated_size_option(start_server):
    server = deflate_server(start_server, deflate_max_inflated_size=1000)
    with RawClient(server.port) as c:
        deflate_handshake(c)
        c.send_frame(OP_TEXT, deflate_message(b"a" * 1000), rsv=RSV1)
        f = c.recv_message()
        assert inflate_message(f.payload) == b"a" * 1000
        c.send_frame(OP_TEXT, deflate_message(b"a" * 1001), rsv=RSV1)
        expected_close(c.expect_close(), (1009,))


# --------------------------------------------------------------------------
# broadcast
# --------------------------------------------------------------------------


def test_broadcast_to_mixed_receivers(start_server):
    """One broadcast reaches receivers without deflate, with the default
    (no context takeover), with context takeover and with a small window;
    every receiver's later messages still decode."""
    server = deflate_server(start_server,
                            deflate_server_no_context_takeover=0,
                            deflate_client_no_context_takeover=0,
                            deflate_threshold=0)

    factories = [
        None,
        ClientPerMessageDeflateFactory(server_no_context_takeover=True,
                                       client_max_window_bits=True),
        ClientPerMessageDeflateFactory(client_max_window_bits=True),
        ClientPerMessageDeflateFactory(server_max_window_bits=10,
                                       client_max_window_bits=True),
    ]

    async def main():
        clients = []
        for f in factories:
            ws = await connect(url(server), compression=None,
                               extensions=[f] if f else None).__aenter__()
            clients.append(ws)
        sender = await connect(url(server), compression="deflate").__aenter__()
        warm = '{"warm":"%s"}' % compressible(500)
        for ws in clients:  # fill the contexts before the broadcast
            assert await ask(ws, warm) == warm
        text = '{"news":"%s"}' % compressible(3000)
        reply = await ask(sender, "cmd:broadcast " + text)
        assert reply == "broadcast-sent %d" % len(clients), reply
        for ws in clients:
            assert await recv(ws) == text
        for ws in clients:  # the same again, after the shared frame
            assert await ask(ws, warm) == warm
            assert await ask(ws, text) == text
        for ws in clients + [sender]:
            await close(ws)

    run(main(), timeout=60)


def test_broadcast_many_compressed_receivers(start_server):
    server = deflate_server(start_server)

    async def main():
        clients = []
        for _ in range(50):
            clients.append(await connect(url(server),
                                         compression="deflate").__aenter__())
        text = compressible(100000)
        for i in range(5):
            await send(clients[0], "cmd:broadcast %d %s" % (i, text))
            assert (await recv(clients[0])).startswith("broadcast-sent 49")
            for ws in clients[1:]:
                assert await recv(ws) == "%d %s" % (i, text)
        for ws in clients:
            await close(ws)

    run(main(), timeout=120)


def test_publish_is_compressed_like_a_broadcast(start_server):
    """A channel publish reaches a subscriber that negotiated
    permessage-deflate compressed (RSV1), as a broadcast does, and one
    without it in plain text; both decode to the message."""
    server = deflate_server(start_server, deflate_threshold=100)
    big = compressible(5000)
    with RawClient(server.port) as deflating, RawClient(server.port) as plain:
        deflate_handshake(deflating)
        plain.handshake()
        for c in (deflating, plain):
            c.send_frame(OP_TEXT, b"cmd:subscribe news")
            f = c.recv_message()
            if f.rsv == RSV1:
                assert inflate_message(f.payload) == b"subscribe-rc 0"
            else:
                assert f.payload == b"subscribe-rc 0"
        server.command(f"publish news {big}")
        server.wait_for(r"PUBLISH 2 rc=0")
        f = deflating.recv_message()
        assert f.rsv == RSV1 and f.opcode == OP_TEXT, f
        assert len(f.payload) < len(big) // 10
        assert inflate_message(f.payload) == big.encode()
        f = plain.recv_message()
        assert f.rsv == 0 and f.payload == big.encode(), f
