"""Several listeners (iws_add_listener: Indy's and sgc's Bindings) and
client certificates (IWS_OPT_TLS_VERIFY_CLIENT), against real clients:
Python websockets and ssl, http.client, and openssl s_client.
Certificates are made at test time (conftest TlsFiles, plus the client
CAs and client certificates below)."""

import http.client
import os
import re
import socket
import ssl
import subprocess

import pytest
from websockets.exceptions import WebSocketException

from conftest import server_binary, server_path, tls_options
import iws_helpers
from iws_client_certs import ClientCerts
from iws_helpers import recv, run, send


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def listeners(server):
    """{index: (port, 'plain'|'tls')} from the LISTENER lines."""
    found = {}
    for line in server.snapshot():
        m = re.fullmatch(r"LISTENER (\d+) (\d+) (plain|tls)", line or "")
        if m:
            found[int(m.group(1))] = (int(m.group(2)), m.group(3))
    return found


def free_port(host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ask(url, command, **kwargs):
    """Opens a WebSocket, sends `command`, returns the reply."""
    async def go():
        async with iws_helpers.connect(url, **kwargs) as ws:
            await send(ws, command)
            return await recv(ws)
    return run(go())


def whoami(host, port, context=None):
    """GET /whoami over HTTP or HTTPS (context given)."""
    if context is None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
    else:
        conn = http.client.HTTPSConnection(host, port, timeout=10,
                                           context=context)
    try:
        conn.request("GET", "/whoami")
        response = conn.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        conn.close()


def host_url(scheme, host, port, path="/"):
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}{path}"


def ipv6_available():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------
# several listeners
# --------------------------------------------------------------------------


def test_default_listeners_are_the_options(start_server, tls_files):
    """Without iws_add_listener: listener 0 is IWS_OPT_PORT, 1 the TLS
    port, exactly as before."""
    server = start_server(**tls_options(tls_files))
    found = listeners(server)
    assert found == {0: (server.port, "plain"), 1: (server.tls_port, "tls")}
    assert ask(iws_helpers.url(server), "cmd:listener") == "listener 0"
    ctx = ssl.create_default_context(cafile=tls_files.root)
    assert ask(f"wss://127.0.0.1:{server.tls_port}/", "cmd:listener",
               ssl=ctx) == "listener 1"
    # TLS only (port -1): the TLS listener is 0.
    server = start_server(**tls_options(tls_files, port=-1))
    assert listeners(server) == {0: (server.tls_port, "tls")}


def test_every_binding_listens(start_server, tls_files):
    """Plain and TLS listeners on several addresses and ports, IPv4 and
    IPv6 side by side: each answers WebSocket and HTTP, and the connection
    knows which listener took it."""
    if not ipv6_available():
        pytest.fail("IPv6 loopback (::1) is not available here", pytrace=False)
    opts = tls_options(tls_files, tls_port=-1)
    args = ["--listen", "127.0.0.1/0", "--listen", "::1/0",
            "--listen-tls", "127.0.0.1/0", "--listen", "/0",
            "--listen-tls", "::1/0"]
    server = start_server(_args=args, **opts)
    found = listeners(server)
    assert [found[i][1] for i in range(5)] == [
        "plain", "plain", "tls", "plain", "tls"]
    assert len(found) == 5
    assert len({p for p, _ in found.values()}) == 5
    hosts = ["127.0.0.1", "::1", "127.0.0.1", "127.0.0.1", "::1"]
    ctx = ssl.create_default_context(cafile=tls_files.root)
    ctx.check_hostname = False  # the leaf names 127.0.0.1, not ::1
    for index, host in enumerate(hosts):
        port, kind = found[index]
        tls = kind == "tls"
        url = host_url("wss" if tls else "ws", host, port)
        reply = ask(url, "cmd:listener", **({"ssl": ctx} if tls else {}))
        assert reply == f"listener {index}", (index, reply)
        body = whoami(host, port, ctx if tls else None)
        assert body == f"listener={index} subject=", (index, body)
    # iws_get_port: the first plain listener; the TLS port option stays -1.
    assert server.port == found[0][0]
    assert server.tls_port is None


def test_bind_failure_names_the_listener_and_leaves_nothing(start_server):
    """One listener that cannot bind fails iws_start with IWS_E_BIND and a
    message naming it; the listeners opened before it are closed again;
    the next start (the port free again) works."""
    server = start_server()
    server.command("stop")
    server.wait_for(r"STOPPED rc=0 .*")
    first = free_port()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    busy_port = busy.getsockname()[1]
    try:
        mark = server.mark()
        server.command("clearlisteners")
        server.wait_for(r"CLEARLISTENERS_RC 0", since=mark)
        for spec in (f"127.0.0.1/{first}", "127.0.0.1/0",
                     f"127.0.0.1/{busy_port}"):
            mark = server.mark()
            server.command(f"addlistener {spec}")
            server.wait_for(r"ADDLISTENER_RC 0", since=mark)
        mark = server.mark()
        server.command("start")
        _, m = server.wait_for(r"START_FAILED rc=(-?\d+) (\S+): (.*)",
                               since=mark)
        assert m.group(2) == "IWS_E_BIND", m.group(0)
        assert f"listener 2: bind 127.0.0.1 port {busy_port}" in m.group(3)
        # The first listener was bound, then closed again.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", first), timeout=5).close()
        server.wait_for(r"LOG \d start failed: listener 2: bind .*",
                        since=mark)
    finally:
        busy.close()
    mark = server.mark()
    server.command("start")
    server.wait_for(r"PORT \d+", since=mark)
    found = {}
    for line in server.snapshot()[mark:]:
        m = re.fullmatch(r"LISTENER (\d+) (\d+) (plain|tls)", line or "")
        if m:
            found[int(m.group(1))] = int(m.group(2))
    assert found[0] == first and found[2] == busy_port
    assert ask(f"ws://127.0.0.1:{busy_port}/", "cmd:listener") == "listener 2"
    # Back to the options once cleared.
    server.command("stop")
    mark = server.mark()
    server.command("clearlisteners")
    server.wait_for(r"CLEARLISTENERS_RC 0", since=mark)
    server.command("start")
    _, m = server.wait_for(r"PORT (\d+)", since=mark)
    assert ask(f"ws://127.0.0.1:{m.group(1)}/", "cmd:listener") == "listener 0"


def test_listener_refusals(start_server):
    """Bad listeners are refused when added; adding while running is
    IWS_E_BAD_STATE (-101)."""
    server = start_server()
    for spec, rc in (("not-an-ip/80", -400), ("127.0.0.1/70000", -100),
                     ("127.0.0.1/0", -101)):
        mark = server.mark()
        server.command(f"addlistener {spec}")
        server.wait_for(rf"ADDLISTENER_RC {rc}", since=mark)
    mark = server.mark()
    server.command("clearlisteners")
    server.wait_for(r"CLEARLISTENERS_RC -101", since=mark)


def test_tls_listener_needs_a_certificate():
    """A TLS listener added without the TLS options fails the start with
    IWS_E_TLS_CONFIG, not a client later."""
    proc = subprocess.run([server_binary(), "--listen-tls", "127.0.0.1/0"],
                          input="quit\n", capture_output=True, text=True,
                          timeout=90)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert re.search(r"START_FAILED rc=-500 IWS_E_TLS_CONFIG: .*certificate",
                     proc.stdout), proc.stdout


# --------------------------------------------------------------------------
# client certificates
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client_certs(tls_files):
    return ClientCerts(tls_files)


def verify_server(start_server, tls_files, client_certs, mode, **extra):
    opts = tls_options(tls_files, tls_verify_client=mode,
                       tls_client_ca_file=server_path(client_certs.ca))
    opts.update(extra)
    return start_server(**opts)


def wss_url(server):
    return f"wss://127.0.0.1:{server.tls_port}/"


def refused(server, ctx):
    """The TLS handshake fails (in TLS 1.3 the client learns it on its
    first read: the server's alert, or the end of the stream, instead of
    the HTTP answer)."""
    with pytest.raises((ssl.SSLError, ConnectionError, EOFError, OSError,
                        WebSocketException)):
        ask(wss_url(server), "cmd:cert 0", ssl=ctx)


def test_required_client_certificate(start_server, tls_files, client_certs):
    server = verify_server(start_server, tls_files, client_certs, 2)
    ctx = client_certs.context("alice")
    assert ask(wss_url(server), "cmd:cert 0",
               ssl=ctx) == "cert 0 CN=alice,O=iocpws test"
    assert ask(wss_url(server), "cmd:cert 1",
               ssl=ctx) == "cert 0 CN=iocpws client CA"
    pem = ask(wss_url(server), "cmd:cert 2", ssl=ctx)
    with open(client_certs.alice[1]) as f:
        expected = f.read()
    assert pem.startswith("cert 0 -----BEGIN CERTIFICATE-----")
    assert pem[len("cert 0 "):].strip() == expected.strip()
    # HTTPS on the same listener, through http.client.
    assert whoami("127.0.0.1", server.tls_port, ctx) == (
        "listener=1 subject=CN=alice,O=iocpws test")
    connects = len(server.matches(r"CONNECT .*"))
    # No certificate, or one from a CA the server does not trust: refused
    # in the TLS handshake, never reaching on_connect; the log says why.
    mark = server.mark()
    refused(server, client_certs.context())
    server.wait_for(r"LOG \d .*(certificate|no certificate).*", since=mark)
    mark = server.mark()
    refused(server, client_certs.context("mallory"))
    server.wait_for(r"LOG \d .*client certificate does not verify.*",
                    since=mark)
    assert len(server.matches(r"CONNECT .*")) == connects
    # The plain listener is not affected.
    assert ask(iws_helpers.url(server), "cmd:cert 0") == "cert 0 "


def test_requested_client_certificate(start_server, tls_files, client_certs):
    """IWS_TLS_VERIFY_REQUEST: a client may come without one; one it sends
    must verify."""
    server = verify_server(start_server, tls_files, client_certs, 1)
    assert ask(wss_url(server), "cmd:cert 0",
               ssl=client_certs.context()) == "cert 0 "
    assert ask(wss_url(server), "cmd:cert 0",
               ssl=client_certs.context("alice")) == (
        "cert 0 CN=alice,O=iocpws test")
    refused(server, client_certs.context("mallory"))


def test_verify_depth(start_server, tls_files, client_certs):
    """bob's certificate is one intermediate away from the trusted CA:
    depth 0 refuses it, depth 1 accepts it; alice passes both."""
    server = verify_server(start_server, tls_files, client_certs, 2,
                           tls_verify_depth=0)
    assert ask(wss_url(server), "cmd:cert 0",
               ssl=client_certs.context("alice")).startswith("cert 0 CN=alice")
    refused(server, client_certs.context("bob"))
    server = verify_server(start_server, tls_files, client_certs, 2,
                           tls_verify_depth=1)
    assert ask(wss_url(server), "cmd:cert 0",
               ssl=client_certs.context("bob")) == "cert 0 CN=bob"


def test_verified_chain(start_server, tls_files, client_certs):
    """iws_conn_peer_chain_cert: bob's chain as OpenSSL verified it, from
    bob (depth 0) through the intermediate he sent to the trusted CA;
    alice's is two long; a plain connection's is empty."""
    server = verify_server(start_server, tls_files, client_certs, 2)
    assert ask(wss_url(server), "cmd:chain 0",
               ssl=client_certs.context("bob")) == (
        "chain [CN=bob] [CN=iocpws client inter] [CN=iocpws client CA] "
        "end=-118")
    assert ask(wss_url(server), "cmd:chain 1",
               ssl=client_certs.context("bob")) == (
        "chain [CN=iocpws client inter] [CN=iocpws client CA] "
        "[CN=iocpws client CA] end=-118")
    pems = ask(wss_url(server), "cmd:chain 2", ssl=client_certs.context("bob"))
    with open(client_certs.inter) as f:
        assert f.read().strip() in pems
    assert ask(wss_url(server), "cmd:chain 0",
               ssl=client_certs.context("alice")) == (
        "chain [CN=alice,O=iocpws test] [CN=iocpws client CA] end=-118")
    assert ask(iws_helpers.url(server), "cmd:chain 0") == "chain [] end=-118"


def test_verified_chain_after_resumption(start_server, tls_files,
                                         client_certs):
    """A resumed TLS session is not verified again: it reports the chain
    of the handshake that verified it (carried in the session ticket),
    not the client's certificate alone."""
    server = verify_server(start_server, tls_files, client_certs, 2)
    ctx = client_certs.context("bob")

    def chain(session=None):
        with socket.create_connection(("127.0.0.1", server.tls_port),
                                      timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost",
                                 session=session) as tls:
                tls.sendall(b"GET /chain HTTP/1.1\r\nHost: localhost\r\n"
                            b"Connection: close\r\n\r\n")
                data = b""
                while True:
                    part = tls.recv(65536)
                    if not part:
                        break
                    data += part
                return (data.split(b"\r\n\r\n", 1)[1].decode(),
                        tls.session, tls.session_reused)

    first, session, reused = chain()
    assert not reused
    assert first == "CN=bob|CN=iocpws client inter|CN=iocpws client CA"
    again, _, reused = chain(session)
    assert reused, "the session was not resumed"
    assert again == first


def test_client_ca_in_memory_and_s_client(start_server, tls_files,
                                          client_certs):
    """The CA as PEM text (IWS_OPT_TLS_CLIENT_CA_PEM), and openssl s_client
    presenting alice's certificate to an HTTPS request."""
    opts = tls_options(tls_files, tls_verify_client=2,
                       tls_client_ca_pem=server_path(client_certs.ca))
    server = start_server(**opts)
    key, cert = client_certs.alice
    proc = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{server.tls_port}",
         "-CAfile", tls_files.root, "-cert", cert, "-key", key, "-quiet",
         "-verify_return_error"],
        input="GET /whoami HTTP/1.1\r\nHost: localhost\r\n"
              "Connection: close\r\n\r\n",
        capture_output=True, text=True, timeout=30)
    assert "listener=1 subject=CN=alice,O=iocpws test" in proc.stdout, (
        proc.stdout + proc.stderr)
    # The acceptable issuers the server names are the client CAs.
    proc = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{server.tls_port}",
         "-CAfile", tls_files.root, "-cert", cert, "-key", key],
        input="", capture_output=True, text=True, timeout=30)
    assert "Acceptable client certificate CA names" in proc.stdout
    assert "CN = iocpws client CA" in proc.stdout, proc.stdout


def start_failure(options):
    args = [server_binary()]
    for name, value in options.items():
        args += ["--opt", f"{name}={value}"]
    proc = subprocess.run(args, input="quit\n", capture_output=True,
                          text=True, timeout=90)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("START_FAILED")]
    assert proc.returncode == 3 and lines, proc.stdout + proc.stderr
    return lines[0]


def test_verify_configuration_errors(tls_files, client_certs):
    line = start_failure(tls_options(tls_files, tls_verify_client=2))
    assert "IWS_E_TLS_CONFIG" in line and "TLS_CLIENT_CA" in line, line
    line = start_failure(tls_options(
        tls_files, tls_verify_client=1,
        tls_client_ca_file=server_path(tls_files.garbage)))
    assert "IWS_E_TLS_CONFIG" in line and "client CA" in line, line
    line = start_failure(tls_options(
        tls_files, tls_verify_client=1,
        tls_client_ca_file=server_path(tls_files.path("missing.pem"))))
    assert "IWS_E_TLS_CONFIG" in line and "missing.pem" in line, line
