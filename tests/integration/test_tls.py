"""wss://: the TLS listener against real clients (Python websockets and ssl,
Node ws, openssl s_client), configuration errors at start, and hostile
clients on the TLS port. Certificates are made at test time (conftest
TlsFiles: root CA -> intermediate -> leaf)."""

import asyncio
import os
import socket
import ssl
import subprocess
import time

import pytest

from conftest import TLS_PASSWORD, server_binary, server_path, tls_options
from iws_helpers import (
    MIB,
    OP_CLOSE,
    RawClient,
    close,
    frame,
    handshake_request,
    recv,
    run,
    send,
)
import iws_helpers
from test_node_ws import CLIENT, NODE_MODULES, TESTS, node_binary


def client_context(files, **kw):
    ctx = ssl.create_default_context(cafile=files.root)
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def wss(server, path="/", host="127.0.0.1"):
    return f"wss://{host}:{server.tls_port}{path}"


def connect_wss(server, files, path="/", **kwargs):
    kwargs.setdefault("ssl", client_context(files))
    return iws_helpers.connect(wss(server, path), **kwargs)


def tls_socket(server, files, hostname="localhost", timeout=10.0):
    """A blocking TLS socket to the TLS port; no ragged EOF hiding, so a
    close without close_notify raises."""
    raw = socket.create_connection(("127.0.0.1", server.tls_port), timeout)
    return client_context(files).wrap_socket(
        raw, server_hostname=hostname, suppress_ragged_eofs=False)


def read_until_closed(sock, timeout=10.0):
    """Reads until the peer closes; returns (bytes, how) with how in
    'eof' (TCP FIN), 'reset'."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, "eof"
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        return data, "reset"


def client_hello():
    """The bytes of a real TLS ClientHello (from Python's ssl)."""
    ctx = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def start_failure(options, timeout=90):
    """Runs the server with options that must make iws_start fail; returns
    the START_FAILED line."""
    args = [server_binary()]
    for name, value in options.items():
        args += ["--opt", f"{name}={value}"]
    proc = subprocess.run(args, input="quit\n", capture_output=True,
                          text=True, timeout=timeout)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("START_FAILED")]
    assert proc.returncode == 3 and lines, (
        f"expected START_FAILED, got exit {proc.returncode}\n"
        f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return lines[0]


# --------------------------------------------------------------------------
# echo and the WebSocket protocol over TLS
# --------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [0, 2])
def test_wss_echo_sizes(start_server, tls_files, workers):
    server = start_server(**tls_options(tls_files, worker_threads=workers))
    sizes = [0, 1, 125, 126, 65535, 65536, 1 * MIB, 16 * MIB]

    async def go():
        async with connect_wss(server, tls_files) as ws:
            for n in sizes:
                data = os.urandom(n)
                await send(ws, data, timeout=60)
                assert await recv(ws, timeout=60) == data, n
                text = ("wss✓" * (n // 6 + 1))[: max(n // 4, 1)]
                await send(ws, text, timeout=60)
                assert await recv(ws, timeout=60) == text
            await close(ws)

    run(go(), timeout=240)
    _, m = server.wait_for(r"CONNECT (\d+) / - 127\.0\.0\.1")
    assert server.disconnect_code(m.group(1)) == 1000


def test_wss_fragments_and_ping(tls_server, tls_files):
    async def go():
        async with connect_wss(tls_server, tls_files) as ws:
            await ws.send(["frag-", "ments ", "over TLS"])
            assert await recv(ws) == "frag-ments over TLS"
            parts = [os.urandom(10), os.urandom(200000), os.urandom(1)]
            await ws.send(parts)
            assert await recv(ws) == b"".join(parts)
            pong = await ws.ping(b"tls-ping")
            await asyncio.wait_for(pong, 10)
            await close(ws)

    run(go())


def test_wss_close_handshake_both_ways(tls_server, tls_files):
    async def go():
        async with connect_wss(tls_server, tls_files) as ws:
            await close(ws, 4000, "client-bye")
        async with connect_wss(tls_server, tls_files) as ws:
            await send(ws, "cmd:close 4001 server-bye")
            await iws_helpers.wait_closed(ws)
            assert ws.close_code == 4001
            assert ws.close_reason == "server-bye"

    run(go())
    codes = [int(m.group(1)) for m in tls_server.wait_count(r"DISCONNECT \d+ (\d+)", 2)]
    assert sorted(codes) == [4000, 4001]


def test_close_notify_on_clean_close(tls_server, tls_files):
    """After the close handshake the server ends TLS with close_notify
    before TCP: the client sees a clean TLS EOF, not a truncation."""
    sock = tls_socket(tls_server, tls_files)
    raw = RawClient.over(sock, tls_server.tls_port)
    request, _ = handshake_request(tls_server.tls_port)
    sock.sendall(request)
    response = raw.read_http_response()
    assert response.status == 101, response
    sock.sendall(frame(OP_CLOSE, b"\x03\xe8bye"))
    reply = raw.recv_frame()
    assert reply.opcode == OP_CLOSE and reply.close_code == 1000
    try:
        rest = sock.recv(100)
    except ssl.SSLEOFError as e:  # TCP FIN without close_notify
        pytest.fail(f"no close_notify before the TCP close: {e}")
    assert rest == b""
    sock.close()


def test_plain_and_tls_side_by_side(tls_server, tls_files):
    assert tls_server.tls_port and tls_server.port != tls_server.tls_port

    async def go():
        async with iws_helpers.connect(iws_helpers.url(tls_server)) as plain, \
                connect_wss(tls_server, tls_files) as secure:
            assert await iws_helpers.ask(plain, "plain") == "plain"
            assert await iws_helpers.ask(secure, "secure") == "secure"
            await send(secure, "cmd:broadcast to-all")
            assert await recv(plain) == "to-all"
            assert await recv(secure) == "broadcast-sent 1"
            await close(plain)
            await close(secure)

    run(go())


def test_tls_only_server(start_server, tls_files):
    server = start_server(**tls_options(tls_files, port=-1))
    assert server.port == server.tls_port

    async def go():
        async with connect_wss(server, tls_files) as ws:
            assert await iws_helpers.ask(ws, "only") == "only"
            await close(ws)

    run(go())


def test_500_concurrent_tls_connections(start_server, tls_files):
    server = start_server(**tls_options(tls_files, handshake_timeout_ms=60000,
                                        tls_handshake_timeout_ms=60000))
    n = 500

    async def one(i, gate):
        async with connect_wss(server, tls_files, open_timeout=120,
                               close_timeout=60) as ws:
            await gate.wait()
            for j in range(3):
                msg = f"c{i}-{j}"
                assert await iws_helpers.ask(ws, msg, timeout=60) == msg
            await close(ws, timeout=60)

    async def go():
        gate = asyncio.Event()
        tasks = [asyncio.ensure_future(one(i, gate)) for i in range(n)]
        # Every connection open at the same time, then the messages.
        deadline = time.monotonic() + 120
        while server.matches(r"CONNECT \d+ / - 127\.0\.0\.1").__len__() < n:
            if time.monotonic() > deadline or any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.1)
        gate.set()
        await asyncio.gather(*tasks)

    run(go(), timeout=300)
    assert len(server.wait_count(r"DISCONNECT \d+ 1000", n, timeout=60)) == n


# --------------------------------------------------------------------------
# Node ws over wss://
# --------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["echo", "fragments", "close", "many"])
def test_node_ws_over_tls(tls_server, tls_files, scenario):
    env = dict(os.environ, NODE_PATH=NODE_MODULES, IWS_CA=tls_files.root)
    url = wss(tls_server, f"/node/{scenario}", host="localhost")
    proc = subprocess.run([node_binary(), CLIENT, url, scenario], cwd=TESTS,
                          env=env, capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, (
        f"node {scenario}: {proc.stdout} {proc.stderr}\n" + tls_server.describe())
    assert f"OK {scenario}" in proc.stdout


# --------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------


def test_chain_needs_the_ca_file(start_server, tls_files):
    """Without tls_ca_file the intermediate is missing: a client that trusts
    only the root cannot verify the server."""
    server = start_server(**tls_options(tls_files, tls_ca_file=""))
    with pytest.raises(ssl.SSLCertVerificationError):
        tls_socket(server, tls_files)


def test_cert_key_and_chain_from_memory(start_server, tls_files):
    server = start_server(**tls_options(
        tls_files, tls_cert_file="", tls_key_file="", tls_ca_file="",
        tls_cert_pem=server_path(tls_files.server),
        tls_key_pem=server_path(tls_files.server_key),
        tls_ca_pem=server_path(tls_files.inter)))

    async def go():
        async with connect_wss(server, tls_files) as ws:
            assert await iws_helpers.ask(ws, "pem") == "pem"
            await close(ws)

    run(go())


def test_encrypted_key_with_password(start_server, tls_files):
    server = start_server(**tls_options(
        tls_files, tls_key_file=server_path(tls_files.server_key_enc),
        tls_password=TLS_PASSWORD))

    async def go():
        async with connect_wss(server, tls_files) as ws:
            assert await iws_helpers.ask(ws, "enc") == "enc"
            await close(ws)

    run(go())


@pytest.mark.parametrize("case", [
    "missing_cert", "garbage_cert", "garbage_key", "wrong_password",
    "no_password", "key_mismatch", "bad_ciphers", "missing_ca"])
def test_bad_tls_configuration_fails_start(tls_files, case):
    f = tls_files
    opts = tls_options(f)
    if case == "missing_cert":
        opts["tls_cert_file"] = server_path(f.path("nope.pem"))
        expect = ["certificate file", "error:"]
    elif case == "garbage_cert":
        opts["tls_cert_file"] = server_path(f.garbage)
        expect = ["certificate file", "no start line"]
    elif case == "garbage_key":
        opts["tls_key_file"] = server_path(f.garbage)
        expect = ["private key file", "error:"]
    elif case == "wrong_password":
        opts["tls_key_file"] = server_path(f.server_key_enc)
        opts["tls_password"] = "wrong"
        expect = ["private key file", "error:"]
    elif case == "no_password":
        opts["tls_key_file"] = server_path(f.server_key_enc)
        expect = ["private key file", "error:"]
    elif case == "key_mismatch":
        opts["tls_key_file"] = server_path(f.other_key)
        expect = ["mismatch"]
    elif case == "bad_ciphers":
        opts["tls_ciphers"] = "NOT-A-CIPHER"
        expect = ["cipher", "error:"]
    else:
        opts["tls_ca_file"] = server_path(f.path("nope-ca.pem"))
        expect = ["CA file", "error:"]
    line = start_failure(opts)
    assert "IWS_E_TLS_CONFIG" in line, line
    for text in expect:
        assert text in line, line


def test_minimum_version_tls13(start_server, tls_files):
    server = start_server(**tls_options(tls_files, tls_min_version=13))
    ctx = client_context(tls_files, maximum_version=ssl.TLSVersion.TLSv1_2)
    raw = socket.create_connection(("127.0.0.1", server.tls_port), 10)
    with pytest.raises(ssl.SSLError):
        ctx.wrap_socket(raw, server_hostname="localhost")
    raw.close()
    server.wait_for(r"LOG 3 connection \d+ from 127\.0\.0\.1: TLS handshake "
                    r"failed: .*", timeout=10)
    sock = tls_socket(server, tls_files)
    assert sock.version() == "TLSv1.3"
    sock.close()


def test_tls12_works_by_default(tls_server, tls_files):
    ctx = client_context(tls_files, maximum_version=ssl.TLSVersion.TLSv1_2)
    raw = socket.create_connection(("127.0.0.1", tls_server.tls_port), 10)
    sock = ctx.wrap_socket(raw, server_hostname="localhost")
    assert sock.version() == "TLSv1.2"
    sock.close()


def test_sni_picks_the_host_certificate(start_server, tls_files):
    f = tls_files
    bundle = f.path("other-chain.pem")
    with open(bundle, "w") as out:
        out.write(open(f.other).read() + open(f.inter).read())
    server = start_server(**tls_options(
        f, tls_host=f"OTHER.test,{server_path(bundle)},"
                    f"{server_path(f.other_key)}"))
    for name in ("other.test", "localhost"):
        sock = tls_socket(server, f, hostname=name)  # verifies name + chain
        cn = dict(x[0] for x in sock.getpeercert()["subject"])["commonName"]
        assert cn == name
        sock.close()


# --------------------------------------------------------------------------
# hostile and broken clients on the TLS port
# --------------------------------------------------------------------------


def assert_still_serving(server, files):
    async def go():
        async with connect_wss(server, files) as ws:
            assert await iws_helpers.ask(ws, "alive") == "alive"
            await close(ws)

    run(go())


def test_garbage_on_the_tls_port(tls_server, tls_files):
    mark = tls_server.mark()
    sock = socket.create_connection(("127.0.0.1", tls_server.tls_port), 10)
    # Random bytes, but the first one is no TLS content type and has the top
    # bit clear: random ones sometimes form a plausible record header (or an
    # SSLv2 hello) whose length OpenSSL then waits for until the handshake
    # timeout, longer than this test reads.
    sock.sendall(b"\x00" + os.urandom(2999))
    read_until_closed(sock)
    sock.close()
    tls_server.wait_for(r"LOG 3 connection \d+ from 127\.0\.0\.1: TLS "
                        r"handshake failed: .*error:.*", since=mark)
    assert not tls_server.matches(r"CONNECT .*", since=mark)
    assert_still_serving(tls_server, tls_files)


def test_plain_http_on_the_tls_port(tls_server, tls_files):
    mark = tls_server.mark()
    sock = socket.create_connection(("127.0.0.1", tls_server.tls_port), 10)
    request, _ = handshake_request(tls_server.tls_port)
    sock.sendall(request)
    data, _ = read_until_closed(sock)
    sock.close()
    assert b"HTTP/1.1 101" not in data
    tls_server.wait_for(r"LOG 3 connection \d+ from 127\.0\.0\.1: TLS "
                        r"handshake failed: .*http request.*", since=mark)
    # A real ws:// client on the wss:// port fails too.
    with pytest.raises(Exception):
        async def go():
            async with iws_helpers.connect(
                    f"ws://127.0.0.1:{tls_server.tls_port}/", open_timeout=5):
                pass
        run(go())
    assert_still_serving(tls_server, tls_files)


@pytest.mark.parametrize("cut", ["half", "whole"])
def test_client_vanishes_mid_handshake(tls_server, tls_files, cut):
    mark = tls_server.mark()
    hello = client_hello()
    sock = socket.create_connection(("127.0.0.1", tls_server.tls_port), 10)
    if cut == "half":
        sock.sendall(hello[: len(hello) // 2])
    else:
        sock.sendall(hello)
        sock.recv(100)  # the server's answer has started
    sock.close()
    tls_server.wait_for(r"LOG 3 connection \d+ from 127\.0\.0\.1: the client "
                        r"left during the TLS handshake", since=mark)
    assert_still_serving(tls_server, tls_files)


def test_tls_handshake_timeout(start_server, tls_files):
    server = start_server(**tls_options(tls_files,
                                        tls_handshake_timeout_ms=300))
    sock = socket.create_connection(("127.0.0.1", server.tls_port), 10)
    t0 = time.monotonic()
    read_until_closed(sock)
    took = time.monotonic() - t0
    sock.close()
    assert 0.2 < took < 5, took
    server.wait_for(r"LOG 3 connection \d+ from 127\.0\.0\.1: TLS handshake "
                    r"timeout")
    assert_still_serving(server, tls_files)


def test_truncated_record_then_close(tls_server, tls_files):
    """A WebSocket is open; the client sends the start of a TLS record and
    vanishes: the connection ends with 1006 and an error, nothing leaks."""
    sock = tls_socket(tls_server, tls_files)
    raw = RawClient.over(sock, tls_server.tls_port)
    request, _ = handshake_request(tls_server.tls_port)
    sock.sendall(request)
    assert raw.read_http_response().status == 101
    _, m = tls_server.wait_for(r"CONNECT (\d+) / - 127\.0\.0\.1")
    # An application-data record that promises 200 bytes and brings 20.
    os.write(sock.fileno(), b"\x17\x03\x03\x00\xc8" + os.urandom(20))
    sock.close()
    assert tls_server.disconnect_code(m.group(1)) == 1006
    tls_server.wait_for(rf"ERROR {m.group(1)} -501 .*truncated.*")


def test_corrupt_record_in_an_open_connection(tls_server, tls_files):
    sock = tls_socket(tls_server, tls_files)
    raw = RawClient.over(sock, tls_server.tls_port)
    request, _ = handshake_request(tls_server.tls_port)
    sock.sendall(request)
    assert raw.read_http_response().status == 101
    _, m = tls_server.wait_for(r"CONNECT (\d+) / - 127\.0\.0\.1")
    # A whole record of random bytes: it fails authentication.
    os.write(sock.fileno(), b"\x17\x03\x03\x00\x40" + os.urandom(64))
    assert tls_server.disconnect_code(m.group(1)) == 1006
    tls_server.wait_for(rf"ERROR {m.group(1)} -501 TLS error: .*error:.*")
    sock.close()


def test_renegotiation_attempt_ends_the_connection(tls_server, tls_files):
    """openssl s_client under TLS 1.2 renegotiates on an 'R' line."""
    proc = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{tls_server.tls_port}",
         "-tls1_2", "-servername", "localhost", "-CAfile", tls_files.root,
         "-crlf"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    try:
        request, _ = handshake_request(tls_server.tls_port)
        proc.stdin.write(request.replace(b"\r\n", b"\n"))
        proc.stdin.flush()
        _, m = tls_server.wait_for(r"CONNECT (\d+) / - 127\.0\.0\.1",
                                   timeout=15)
        time.sleep(0.3)
        proc.stdin.write(b"R\n")
        proc.stdin.flush()
        conn = m.group(1)
        tls_server.wait_for(rf"ERROR {conn} -501 .*renegotiate.*", timeout=15)
        assert tls_server.disconnect_code(conn) == 1006
        proc.wait(15)  # the server closed: s_client ends
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert_still_serving(tls_server, tls_files)


def test_http_refusal_over_tls(tls_server, tls_files):
    """on_connect refuses: the HTTP answer is encrypted, close_notify
    follows, then the TCP close."""
    sock = tls_socket(tls_server, tls_files)
    request, _ = handshake_request(tls_server.tls_port, path="/reject/403")
    sock.sendall(request)
    data = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except ssl.SSLEOFError as e:
            pytest.fail(f"no close_notify after the refusal: {e}")
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1.1 403 "), data
    sock.close()
    tls_server.wait_for(r"REJECT \d+ 403")


def test_heartbeat_over_tls(start_server, tls_files):
    """The tick thread's pings are encrypted too; a client that answers
    stays, the 20 B echo still works after several pings."""
    server = start_server(**tls_options(tls_files,
                                        heartbeat_interval_ms=100,
                                        heartbeat_timeout_ms=2000))

    async def go():
        async with connect_wss(server, tls_files) as ws:
            await asyncio.sleep(0.8)  # ~8 pings, answered by websockets
            assert await iws_helpers.ask(ws, "x" * 20) == "x" * 20
            await close(ws)

    run(go())
    _, m = server.wait_for(r"CONNECT (\d+) / - 127\.0\.0\.1")
    assert server.disconnect_code(m.group(1)) == 1000


def test_stop_with_tls_connections_open(tls_server, tls_files):
    """iws_stop says 1001 over TLS to every open connection, then they
    close; a TLS handshake in progress is dropped."""
    half = socket.create_connection(("127.0.0.1", tls_server.tls_port), 10)

    async def go():
        clients = [await connect_wss(tls_server, tls_files) for _ in range(5)]
        for ws in clients:
            assert await iws_helpers.ask(ws, "hi") == "hi"
        tls_server.command("stop")
        for ws in clients:
            await iws_helpers.wait_closed(ws)
            assert ws.close_code == 1001

    run(go())
    tls_server.wait_for(r"STOPPED rc=0 connects=5 disconnects=5")
    half.close()


def test_upgrade_timeout_starts_after_the_tls_handshake(start_server,
                                                         tls_files):
    """The TLS handshake has its own limit; once it is done, the HTTP
    upgrade gets IWS_OPT_HANDSHAKE_TIMEOUT_MS."""
    server = start_server(**tls_options(tls_files,
                                        tls_handshake_timeout_ms=10000,
                                        handshake_timeout_ms=300))
    sock = tls_socket(server, tls_files)  # TLS done, no HTTP request
    t0 = time.monotonic()
    try:
        data = sock.recv(100)
    except (ssl.SSLError, ConnectionResetError):
        data = b""
    took = time.monotonic() - t0
    sock.close()
    assert data == b"" and 0.2 < took < 5, (data, took)
    server.wait_for(r"LOG 3 connection \d+ from 127\.0\.0\.1: handshake "
                    r"timeout")


@pytest.mark.hostile
@pytest.mark.parametrize("transport", ["tls", "plain"])
def test_welcome_from_on_connect_follows_the_101(start_server, tls_files,
                                                 transport):
    """on_connect runs on a worker thread and sends a welcome message; the
    client sends a record (a ping) while on_connect still runs. The I/O
    thread that reads the record must not write the welcome ahead of the
    101: the client reads the handshake answer first, then the frames."""
    server = start_server(**tls_options(tls_files, worker_threads=1))
    if transport == "tls":
        sock = tls_socket(server, tls_files)
        port = server.tls_port
    else:
        sock = socket.create_connection(("127.0.0.1", server.port), 10)
        port = server.port
    c = RawClient.over(sock, port)
    try:
        request, key = handshake_request(port, path="/welcome/1500")
        c.send(request)
        server.wait_for(r"WELCOMED \d+ 0")
        # on_connect sleeps now: this arrives while it runs (its own TLS
        # record on the TLS port).
        c.send(frame(0x9, b"early"))
        response = c.read_http_response()
        # The very first bytes are the status line (a frame written ahead
        # of it would sit in front of "HTTP/1.1").
        assert response.status_line.startswith("HTTP/1.1 101 "), \
            response.status_line
        assert response.header("sec-websocket-accept") == \
            iws_helpers.accept_for(key)
        got = {}
        for _ in range(2):
            f = c.recv_frame()
            got[f.opcode] = f.payload
        assert got == {0x1: b"welcome", 0xA: b"early"}, got
        c.send(frame(0x8, iws_helpers.close_payload(1000)))
        c.expect_close(reply=False)
    finally:
        sock.close()
    _, m = server.wait_for(r"CONNECT (\d+) /welcome/1500 - 127\.0\.0\.1")
    server.disconnect_code(m.group(1))
