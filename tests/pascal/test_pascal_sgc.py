"""sgcWebSockets programs on iocpws: tests/pascal/sgc_server.dpr (sgc's
names only, through sgcWebSocket_iocp) driven by real clients - Python
websockets for WebSocket, urllib (an HTTP client, as curl) for the session
login. Every test runs against the mode delphi build (IWS_PASCAL_SGC) and
the mode delphiunicode build (IWS_PASCAL_SGC_UNICODE) of the program."""

import asyncio
import base64
import os
import re
import time
import urllib.error
import urllib.request

import pytest
import websockets

from conftest import server_path
from iws_helpers import MIB, TalkLog, ask, close, connect, recv, run, send, url

def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def refused_status(u, **kwargs):
    """The HTTP status a refused handshake got (fails if it was accepted)."""
    try:
        async with connect(u, **kwargs):
            pass
    except websockets.exceptions.InvalidStatusCode as e:
        return e.status_code
    pytest.fail(f"{u} was accepted")


def connects(s):
    return [m.group(1) for m in s.matches(r"CONNECT (\S+) .*")]


def test_basic_authentication(sgc):
    s = sgc(auth="basic")

    async def go():
        assert await refused_status(url(s, "/x")) == 401  # no credentials
        assert await refused_status(url(s, "/x"), extra_headers=basic("user", "nope")) == 401
        async with connect(url(s, "/x"), extra_headers=basic("user", "pass")) as ws:
            assert await ask(ws, "hi") == "hi"
        async with connect(url(s, "/y"), extra_headers=basic("ünï", "pässwörd")) as ws:
            assert await ask(ws, "é") == "é"
        # not in AuthUsers: OnAuthentication decides
        async with connect(url(s, "/z"), extra_headers=basic("event", "ok")) as ws:
            assert await ask(ws, "x") == "x"
        assert await refused_status(url(s, "/x"), extra_headers=basic("event", "no")) == 401

    run(go())
    s.wait_count(r"DISCONNECT .*", 3)
    users = [m.group(1) for m in s.matches(r"CONNECT \S+ \S+ \d+ \d+ (.*)")]
    assert users == ["user", "ünï", "event"]  # refused clients never reach OnConnect
    assert len(s.matches(r"DISCONNECT .*")) == 3
    # OnAuthentication: for what AuthUsers did not accept (the last one's
    # line may still be on its way when the client has its 401)
    s.wait_count(r"AUTH .*", 3)
    assert [m.group(1) for m in s.matches(r"AUTH (\S+) .*")] == ["user", "event", "event"]
    # Connection.Authentication (sgc's TsgcWSConnectionAuthentication):
    # Authenticated, AuthType authBasic (3), User, Password, SessionID
    assert [m.group(1) for m in s.matches(r"CONNAUTH (.*)")] == [
        "True|3|user|pass|", "True|3|ünï|pässwörd|", "True|3|event|ok|"]


def test_url_authentication(sgc):
    s = sgc(auth="url")

    async def go():
        async with connect(url(s, "/sgc/auth/url/user/pass")) as ws:
            assert await ask(ws, "a") == "a"
        async with connect(url(s, "/sgc/auth/url/%C3%BCn%C3%AF/p%C3%A4ssw%C3%B6rd")) as ws:
            assert await ask(ws, "b") == "b"
        assert await refused_status(url(s, "/sgc/auth/url/user/wrong")) == 401
        assert await refused_status(url(s, "/plain")) == 401
        # Basic is not enabled: its header is not looked at
        assert await refused_status(url(s, "/x"), extra_headers=basic("user", "pass")) == 401

    run(go())
    s.wait_count(r"DISCONNECT .*", 2)
    assert len(connects(s)) == 2
    # AuthType authURL (2), the credentials from the path (decoded)
    assert [m.group(1) for m in s.matches(r"CONNAUTH (.*)")] == [
        "True|2|user|pass|", "True|2|ünï|pässwörd|"]


def test_session_authentication(sgc):
    s = sgc(auth="session")
    base = f"http://127.0.0.1:{s.port}/sgc/req/auth/session"
    token = urllib.request.urlopen(f"{base}/user/pass", timeout=10).read().decode()
    assert len(token) == 40
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{base}/user/bad", timeout=10)
    assert e.value.code == 401

    async def go():
        async with connect(url(s, f"/sgc/auth/session/{token}")) as ws:
            assert await ask(ws, "in") == "in"
        # a token opens one connection
        assert await refused_status(url(s, f"/sgc/auth/session/{token}")) == 401
        assert await refused_status(url(s, "/sgc/auth/session/0123")) == 401

    run(go())
    s.wait_for(r"DISCONNECT .*")
    assert s.matches(r"CONNECT \S+ \S+ \d+ \d+ user")
    # AuthType authSession (1), the user who logged in, the token used
    assert [m.group(1) for m in s.matches(r"CONNAUTH (.*)")] == [f"True|1|user||{token}"]


def test_allow_non_auth(sgc):
    s = sgc(auth="nonauth")

    async def go():
        async with connect(url(s, "/anyone")) as ws:  # no credentials: allowed
            assert await ask(ws, "x") == "x"
        # credentials that are wrong are still refused
        assert await refused_status(url(s, "/sgc/auth/url/user/bad")) == 401

    run(go())
    s.wait_for(r"DISCONNECT .*")
    # let in without credentials: not Authenticated, authNone (0)
    assert [m.group(1) for m in s.matches(r"CONNAUTH (.*)")] == ["False|0|||"]


def test_tcp_connect_refusal(sgc):
    s = sgc()

    async def go():
        assert await refused_status(url(s, "/refuse-tcp")) == 403
        async with connect(url(s, "/fine")) as ws:
            assert await ask(ws, "x") == "x"

    run(go())
    s.wait_for(r"DISCONNECT .*")
    assert len(s.matches(r"TCPCONNECT .*")) == 2
    assert len(connects(s)) == 1


def test_origins_allowed(sgc):
    s = sgc(origins="http://good.example, https://good.example")

    async def go():
        async with connect(url(s), origin="https://good.example") as ws:
            assert await ask(ws, "x") == "x"
        assert await refused_status(url(s), origin="http://evil.example") == 403
        assert await refused_status(url(s)) == 403  # no Origin header

    run(go())
    s.wait_for(r"DISCONNECT .*")
    assert len(connects(s)) == 1


def test_unknown_protocol(sgc):
    s = sgc(protocols="chat", unknown="on")

    async def go():
        async with connect(url(s, "/p"), subprotocols=["chat"]) as ws:
            assert ws.subprotocol == "chat"
        assert await refused_status(url(s, "/no"), subprotocols=["other"]) == 400
        async with connect(url(s, "/accept"), subprotocols=["other"]) as ws:
            assert ws.subprotocol is None
            assert await ask(ws, "x") == "x"

    run(go())
    s.wait_count(r"DISCONNECT .*", 2)
    assert [m.group(1) for m in s.matches(r"UNKNOWN (\S+)")] == ["/no", "/accept"]


def test_handshake_response_headers(sgc):
    s = sgc(handshake="add")

    async def go():
        async with connect(url(s), extra_headers={"X-A": "1"}) as ws:
            assert await ask(ws, "x") == "x"
            # lines OnHandshake added go out with the 101
            assert ws.response_headers["X-Extra"] == "1"
            assert ws.response_headers["Set-Cookie"] == "sid=7; Path=/"

    run(go())
    _, m = s.wait_for(r"HANDSHAKE (\d+) (\d+)")
    assert int(m.group(1)) >= 6 and int(m.group(2)) >= 2
    # a line that is not "Name: value" is reported, not sent
    s.wait_for(r'ERROR iocpws: handshake header "not a header" not sent.*')
    assert len(s.matches(r"ERROR .*")) == 1


def raw_upgrade(s, path, headers=None):
    """(status, headers) of a WebSocket upgrade sent with http.client."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    h = {"Upgrade": "websocket", "Connection": "Upgrade",
         "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
         "Sec-WebSocket-Version": "13"}
    h.update(headers or {})
    conn.request("GET", path, headers=h)
    r = conn.getresponse()
    result = r.status, r.getheaders()
    conn.close()
    return result


def test_basic_authentication_challenge(sgc):
    s = sgc(auth="basic")
    status, headers = raw_upgrade(s, "/x")
    assert status == 401
    assert ("WWW-Authenticate", 'Basic realm="iocpws"') in headers, headers
    s2 = sgc(auth="basic", basicheaders="on")
    status, headers = raw_upgrade(s2, "/x", basic("user", "nope"))
    assert status == 401
    assert ("X-Auth-Hint", "user=pass") in headers, headers  # CustomHeaders
    assert ("WWW-Authenticate", 'Basic realm="iocpws"') in headers, headers
    assert not s2.matches(r"ERROR .*")  # nothing reported at Start any more


@pytest.mark.parametrize("mode", ["all", "only"])
def test_fragmented_messages(sgc, mode):
    s = sgc(fragments=mode)

    async def go():
        async with connect(url(s)) as ws:
            await ws.send(["frag", "mented"])  # three frames on the wire
            await ws.send([b"\x01\x02", b"\x03"])
            if mode == "all":
                assert await recv(ws) == "fragmented"
                assert await recv(ws) == b"\x01\x02\x03"

    run(go())
    frags = s.wait_count(r"FRAGMENT (\d+) (\d+) (\w+)", 2)
    assert [(m.group(1), m.group(2), m.group(3)) for m in frags] == [
        ("1", "10", "False"), ("2", "3", "False")]
    s.wait_for(r"DISCONNECT .*")
    assert bool(s.matches(r"MESSAGE fragmented")) == (mode == "all")
    assert bool(s.matches(r"BINARY 3")) == (mode == "all")


def test_connection_members(sgc):
    s = sgc()

    async def go():
        async with connect(url(s, "/m")) as ws:
            info = (await ask(ws, "cmd:info")).split("|")
            assert info[0] == f"info 127.0.0.1:{s.port}"  # HeadersRequest Host
            assert info[1] == "Upgrade: websocket"  # HeadersResponse
            assert info[2] == "8"  # RecBytes: 'cmd:info'
            assert info[4] == "1"  # Transport = trpRFC6455
            assert info[5] == "127.0.0.1" and info[8] == str(s.port)  # LocalIP/LocalPort
            assert info[6] == "False" and info[7] == "False"  # LastPing, LastPong
            assert await ask(ws, "cmd:ping") == "pinged True"
            # websockets answered the ping before sending this
            info = (await ask(ws, "cmd:info")).split("|")
            assert info[6] == "True" and info[7] == "True"  # LastPing, LastPong
            assert (await ask(ws, "cmd:sub news")).startswith("sub True 1 news")
            assert await ask(ws, "cmd:stream middle") == "amiddlez"
            assert await ask(ws, "cmd:dosub a,b,c") == "dosub c b 3"  # news, a, c
            # Specification spRFC6455, IPVersion ipV4, Active, CreatedAt /
            # LastMsgRcv, AssignedCS, ConnectionsByGUID, Connections[0]
            assert await ask(ws, "cmd:more") == "more 0 0 True True True True True"
            reply = await ask(ws, "cmd:list")
            assert reply.startswith("list 1 iocpws ")
            await send(ws, "cmd:close bye now")
            await asyncio.wait_for(ws.wait_closed(), 10)
            assert ws.close_code == 4001

    run(go())
    _, m = s.wait_for(r"DISCONNECT (\d+) (.*) (\d+) (\d+)")
    assert m.group(1) == "4001" and m.group(2) == "bye now"
    assert int(m.group(3)) > 30 and int(m.group(4)) > 30  # RecBytes, SendBytes


@pytest.mark.parametrize("clean,expected", [("", 1006), ("on", 1000)])
def test_disconnect_and_clean_disconnect(sgc, clean, expected):
    s = sgc(cleandisconnect=clean) if clean else sgc()

    async def close_by(command):
        async with connect(url(s)) as ws:
            await send(ws, command)
            await asyncio.wait_for(ws.wait_closed(), 10)

    # One connection at a time: the client sees the socket closed before the
    # server's OnDisconnect has necessarily run, and two connections'
    # OnDisconnect (on different I/O threads) come in no promised order.
    run(close_by("cmd:disconnect"))
    first = [int(m.group(1)) for m in s.wait_count(r"DISCONNECT (\d+) .*", 1)]
    run(close_by("cmd:peer"))  # DisconnectPeer: always the socket
    codes = [int(m.group(1)) for m in s.wait_count(r"DISCONNECT (\d+) .*", 2)]
    assert first == [expected]
    assert codes == [expected, 1006]


def test_no_equivalent_is_reported_at_start(sgc):
    quiet = sgc()
    assert not quiet.matches(r"ERROR .*")  # sgc's defaults: nothing to say
    s = sgc(noequiv="on")
    reported = [m.group(1) for m in s.matches(r"ERROR iocpws: not supported, ignored: (\S+) .*")]
    for name in ["LoadBalancer.Enabled", "ThreadPool", "FallBack.ServerSentEvents.Enabled",
                 "Specifications.Drafts.Hixie76",
                 "IOHandlerOptions.IOCP.TimeOut", "Options.ReadTimeOut", "Options.WriteTimeOut",
                 "Options.HTMLFiles", "SSLOptions.OpenSSL_Options.APIVersion",
                 "Optimizations.Connections.Enabled", "Optimizations.ConnectionsFree.Interval",
                 "ClientLoadBalancer.Active", "OnSSLALPNSelect:",
                 "OnHTTPUpload*", "OnLoadBalancerError:",
                 "Firewall"]:
        assert name in reported, (name, reported)
    # set on the socket now (test_tcp_keepalive), so never reported
    assert not [r for r in reported if r.startswith("TCPKeepAlive")], reported
    # work now (test_heartbeat_*, test_unknown_authentication): not reported
    for name in ["HeartBeat.HeartBeatType", "OnBeforeHeartBeat:", "OnUnknownAuthentication:",
                 "OnSSLVerifyPeer:"]:
        assert name not in reported, (name, reported)
    startup, _ = s.wait_for(r"STARTUP")
    last_error = max(i for i, line in enumerate(s.snapshot()) if line.startswith("ERROR"))
    assert last_error < startup  # reported by Start itself

    async def go():  # and it still serves
        async with connect(url(s)) as ws:
            assert await ask(ws, "x") == "x"

    run(go())


def listeners(s):
    return {int(m.group(1)): (int(m.group(2)), m.group(3))
            for m in s.matches(r"LISTENER (\d+) (\d+) (plain|tls)")}


def test_verify_certificate_needs_root_cert_file(sgc, tls_files):
    """VerifyCertificate without the CA to verify against: Start refuses
    rather than accept clients unchecked."""
    s = sgc(ssl="0", cert=server_path(tls_files.server),
            key=server_path(tls_files.server_key), verifycert="on")
    _, m = s.wait_for(r"START_FAILED (.*)")
    assert "VerifyCertificate" in m.group(1) and "RootCertFile" in m.group(1)
    assert s.port == 0


@pytest.mark.parametrize("component, named", [
    ("firewall", "Firewall"), ("ratelimiter", "RateLimiter"), ("apikey", "APIKeyManager"),
    ("jwt", "Authentication.JWT.JWT"), ("oauth2", "Authentication.OAuth.OAuth2")])
def test_security_components_refuse_to_start(sgc, component, named):
    """sgc's Firewall, RateLimiter, APIKeyManager and JWT/OAuth2
    authentication have no equivalent in the engine: enabled, Start refuses
    (never a server that believes it is protected)."""
    s = sgc(secure=component)
    _, m = s.wait_for(r"START_FAILED (.*)")
    assert m.group(1).startswith("iocpws: " + named), m.group(1)
    assert "refusing to start" in m.group(1)
    assert s.port == 0


def test_freed_security_component_is_forgotten(sgc):
    s = sgc(secure="freed")  # assigned, freed: no dangling reference, it starts

    async def go():
        async with connect(url(s)) as ws:
            assert await ask(ws, "x") == "x"

    run(go())
    assert not s.matches(r"ERROR .*")


def test_groups(sgc):
    """sgc's Server.Groups: Add, BroadCast by mask, Remove; a connection
    leaves its groups when it disconnects (empty groups are deleted)."""
    s = sgc()

    async def go():
        async with connect(url(s)) as a, connect(url(s)) as b, connect(url(s)) as c:
            assert await ask(a, "cmd:join room.1") == "join True 1"
            assert await ask(a, "cmd:join room.1") == "join False 1"  # once per group
            assert await ask(b, "cmd:join room.2") == "join True 1"
            assert await ask(b, "cmd:join ROOM.1") == "join True 2"  # names: any case
            assert await ask(c, "cmd:join lobby") == "join True 1"
            assert await ask(c, "cmd:groups") == "groups 3 False"
            await send(c, "cmd:groupcast room.* hello rooms")
            assert await recv(a) == "hello rooms"
            assert await recv(b) == "hello rooms"  # in two groups: once
            await send(a, "cmd:groupcast r?om.2 only two")
            assert await recv(b) == "only two"
            await send(a, "cmd:groupcast nomatch* nobody")  # nobody: not everybody
            assert await ask(c, "cmd:leave") == "leave 2"  # lobby is gone
            assert await ask(a, "x") == "x"  # a got nothing in between
            assert await ask(b, "y") == "y"

    async def after():
        async with connect(url(s)) as d:  # a, b, c disconnected: no group left
            assert await ask(d, "cmd:groups") == "groups 0 True"

    run(go())
    s.wait_count(r"DISCONNECT .*", 3)  # they leave their groups before OnDisconnect
    run(after())
    # Groups.OnClientAdded / OnClientRemoved: once per real change (the
    # second join of room.1 is none), with the group's own name; every
    # connection that was added is removed, by Remove or at its disconnect
    added = [m.groups() for m in s.matches(r"GROUP_ADDED (\S+) (\S+)")]
    removed = [m.groups() for m in s.matches(r"GROUP_REMOVED (\S+) (\S+)")]
    assert sorted(g for g, _ in added) == ["lobby", "room.1", "room.1", "room.2"]
    assert sorted(removed) == sorted(added)
    assert len({c for _, c in added}) == 3
    assert not s.matches(r"ERROR .*")


@pytest.fixture(scope="module")
def client_certs(tls_files):
    """Client certificates (tests/integration/iws_client_certs.py) and a
    RootCertFile holding the server's intermediate (its chain) and the
    client CA (trusted for clients)."""
    from iws_client_certs import ClientCerts
    certs = ClientCerts(tls_files)
    certs.root_cert_file = tls_files.path("sgc-root-cert-file.pem")
    with open(certs.root_cert_file, "w") as out:
        for part in (tls_files.inter, certs.ca):
            with open(part) as f:
                out.write(f.read())
    return certs


def test_verify_certificate(sgc, tls_files, client_certs):
    """SSLOptions.VerifyCertificate with
    VerifyCertificate_Options.FailIfNoCertificate: only clients with a
    certificate from RootCertFile's CAs get in; the connection reports
    the certificate. Without FailIfNoCertificate a client may come
    without one."""
    base = dict(ssl="0", cert=server_path(tls_files.server),
                key=server_path(tls_files.server_key),
                ca=server_path(client_certs.root_cert_file), verifycert="on")
    s = sgc(failifnocert="on", **base)
    u = f"wss://127.0.0.1:{s.port}/"

    async def whoami(ctx):
        async with connect(u, ssl=ctx) as ws:
            return await ask(ws, "cmd:whoami")

    assert run(whoami(client_certs.context("alice"))) == (
        "whoami 0 CN=alice,O=iocpws test|CN=iocpws client CA")
    for who in (None, "mallory"):
        with pytest.raises((OSError, EOFError, websockets.exceptions.WebSocketException)):
            run(whoami(client_certs.context(who)))
    assert len(connects(s)) == 1  # the refused never reached OnConnect
    optional = sgc(**base)
    u = f"wss://127.0.0.1:{optional.port}/"
    assert run(whoami(client_certs.context())) == "whoami 0 |"
    assert run(whoami(client_certs.context("alice"))).startswith("whoami 0 CN=alice")



ALICE_SEEN = ("/O=iocpws test/CN=alice|/CN=iocpws client CA|CN=alice,O=iocpws test"
              " True 0 0 True")
CA_SEEN = "/CN=iocpws client CA|/CN=iocpws client CA|CN=iocpws client CA True {} 0 True"
# OnSSLVerifyPeer per certificate of the verified chain, deepest first
ALICE_CHAIN = [CA_SEEN.format(1), ALICE_SEEN]
BOB_CHAIN = [CA_SEEN.format(2),
             "/CN=iocpws client inter|/CN=iocpws client CA|CN=iocpws client inter"
             " True 1 0 True",
             "/CN=bob|/CN=iocpws client inter|CN=bob True 0 0 True"]


def verify_peer_base(tls_files, client_certs):
    return dict(ssl="0", cert=server_path(tls_files.server),
                key=server_path(tls_files.server_key),
                ca=server_path(client_certs.root_cert_file), verifycert="on")


@pytest.mark.parametrize("mode", ["refuse", "raise"])
def test_ssl_verify_peer(sgc, tls_files, client_certs, mode):
    """OnSSLVerifyPeer runs for each connection that presented a verified
    client certificate, once per certificate of its chain, deepest first
    (bob's: the CA at depth 2, his intermediate, bob at depth 0), before
    OnTCPConnect and OnConnect, with Indy's TIdX509 (Subject/Issuer.OneLine,
    PEM), AOk True, AError 0.
    Accept := False (or an exception) refuses with 403 and OnError says
    why; OnConnect never runs. A client without a certificate gets no
    call."""
    s = sgc(verifypeer=mode, **verify_peer_base(tls_files, client_certs))
    u = f"wss://127.0.0.1:{s.port}"

    async def go():
        async with connect(f"{u}/alice", ssl=client_certs.context("alice")) as ws:
            assert await ask(ws, "cmd:whoami") == (
                "whoami 0 CN=alice,O=iocpws test|CN=iocpws client CA")
        assert await refused_status(f"{u}/bob", ssl=client_certs.context("bob")) == 403
        async with connect(f"{u}/anonymous", ssl=client_certs.context()) as ws:
            assert await ask(ws, "x") == "x"

    run(go())
    s.wait_count(r"DISCONNECT .*", 2)
    seen = [m.group(1) for m in s.matches(r"VERIFYPEER (.*)")]
    assert seen == ALICE_CHAIN + BOB_CHAIN
    # before everything else of the connection; the refused one goes no further
    events = [line.split()[0] + " " + line.split()[-1] for line in s.snapshot()
              if line.split()[0] in ("VERIFYPEER", "TCPCONNECT")]
    assert events == (["VERIFYPEER True"] * 2 + ["TCPCONNECT /alice"] +
                      ["VERIFYPEER True"] * 3 + ["TCPCONNECT /anonymous"])
    assert [m.group(1) for m in s.matches(r"CONNECT \S+ (\S+) .*")] == ["/alice", "/anonymous"]
    errors = [m.group(1) for m in s.matches(r"ERROR (.*OnSSLVerifyPeer.*)")]
    assert len(errors) == 1 and '"CN=bob"' in errors[0], s.describe()
    if mode == "raise":
        assert s.matches(r"EXCEPTION \S+ bob is not welcome")


def test_ssl_verify_peer_http(sgc, tls_files, client_certs):
    """TsgcWebSocketHTTPServer: OnSSLVerifyPeer before OnCommandGet, once
    per connection (keep-alive requests share the answer); a refused
    certificate gets 403 for each request and never reaches OnCommandGet."""
    import http.client
    s = sgc(verifypeer="refuse", httpsessions="600000",
            **verify_peer_base(tls_files, client_certs))
    _, m = s.wait_for(r"HTTPPORT (\d+)")
    port = int(m.group(1))
    mark = s.mark()

    def get(conn, path):
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode()

    alice = http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                        context=client_certs.context("alice"))
    status, body = get(alice, "/s/get")
    assert status == 200 and body.startswith("id="), body
    assert get(alice, "/s/get")[0] == 200  # the same connection: not asked again
    alice.close()
    bob = http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                      context=client_certs.context("bob"))
    assert get(bob, "/s/get") == (403, "Forbidden")
    assert get(bob, "/s/get") == (403, "Forbidden")
    bob.close()
    anonymous = http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                            context=client_certs.context())
    assert get(anonymous, "/s/get")[0] == 200
    anonymous.close()
    seen = [m.group(1) for m in s.matches(r"VERIFYPEER (.*)", since=mark)]
    assert seen == ALICE_CHAIN + BOB_CHAIN * 2
    # OnCommandGet's sessions (no cookies kept here: one per request) for
    # alice's two requests and the anonymous one, none for bob
    assert len(s.matches(r"SESSION_START .*", since=mark)) == 3
    assert len(s.matches(r"ERROR .*OnSSLVerifyPeer refused.*CN=bob.*", since=mark)) == 2

def test_bindings(sgc, tls_files):
    """Every entry of Bindings listens; with SSL, the entry on
    SSLOptions.Port is TLS and the others plain; Connection.ListenerIndex
    names the entry."""
    s = sgc(bindings="127.0.0.1:0")

    async def go():
        async with connect(url(s)) as ws:
            assert await ask(ws, "x") == "x"

    run(go())
    two = sgc(bindings="127.0.0.1:0,127.0.0.2:0,[::1]:0")
    found = listeners(two)
    assert [found[i][1] for i in range(3)] == ["plain"] * 3
    hosts = ["127.0.0.1", "127.0.0.2", "[::1]"]

    async def whoami(u, **kw):
        async with connect(u, **kw) as ws:
            return await ask(ws, "cmd:whoami")

    for i, host in enumerate(hosts):
        assert run(whoami(f"ws://{host}:{found[i][0]}/")) == f"whoami {i} |"
    # A busy port: Start raises naming the listener; nothing stays open.
    busy = sgc(bindings=f"127.0.0.1:0,127.0.0.1:{found[0][0]}")
    _, m = busy.wait_for(r"START_FAILED (.*)")
    assert f"listener 1: bind 127.0.0.1 port {found[0][0]}" in m.group(1), m.group(1)
    # Plain and TLS side by side (SSLOptions.Port picks the TLS entry).
    tls_port = _free_port()
    mixed = sgc(bindings=f"127.0.0.1:0,127.0.0.1:{tls_port}", ssl=str(tls_port),
                cert=server_path(tls_files.server),
                key=server_path(tls_files.server_key),
                ca=server_path(tls_files.inter))
    found = listeners(mixed)
    assert found[1] == (tls_port, "tls") and found[0][1] == "plain"
    import ssl as _ssl
    ctx = _ssl.create_default_context(cafile=tls_files.root)
    assert run(whoami(f"wss://127.0.0.1:{tls_port}/", ssl=ctx)) == "whoami 1 |"
    assert run(whoami(f"ws://127.0.0.1:{found[0][0]}/")) == "whoami 0 |"


def _free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_epoll_handler_type_and_max_message_size(sgc):
    s = sgc(epoll="2", maxmsg="1000")

    async def go():
        async with connect(url(s)) as ws:
            assert await ask(ws, "x" * 1000) == "x" * 1000
            await send(ws, "y" * 1001)
            await asyncio.wait_for(ws.wait_closed(), 10)
            assert ws.close_code == 1009

    run(go())
    unlimited = sgc(maxmsg="0")  # sgc: 0 = no limit (beyond the 16 MiB engine default)

    async def big():
        async with connect(url(unlimited), max_size=None) as ws:
            blob = b"z" * (17 * MIB)
            await send(ws, blob, timeout=60)
            assert await recv(ws, timeout=60) == blob

    run(big(), timeout=120)


def server_keepalive_timers(port):
    """Keep-alive timers (seconds left) of the server's ends of its
    connections on `port`, from /proc/net/tcp (timer kind 02); getsockopt
    cannot reach the server's sockets from here."""
    tick = os.sysconf("SC_CLK_TCK")
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    kind, when = fields[5].split(":")
                    found.append((int(kind, 16), int(when, 16) / tick))
    return found


@pytest.mark.parametrize("keepalive", [False, True])
def test_tcp_keepalive(sgc, keepalive):
    s = sgc(keepalive="on") if keepalive else sgc()

    async def go():
        async with connect(url(s)) as ws:
            assert await ask(ws, "x") == "x"
            await asyncio.sleep(0.3)
            timers = server_keepalive_timers(s.port)
            assert len(timers) == 1, timers
            kind, left = timers[0]
            if keepalive:  # TCPKeepAlive.Time = 5000
                assert kind == 2 and 2.0 < left <= 5.0, timers
            else:
                assert kind != 2, timers

    run(go())
    assert not s.matches(r"ERROR .*")


def test_local_ip_and_port_per_connection(sgc):
    s = sgc(bindings="0.0.0.0:0")

    async def go():
        for host in ("127.0.0.1", "127.0.0.2"):
            async with connect(f"ws://{host}:{s.port}/l") as ws:
                info = (await ask(ws, "cmd:info")).split("|")
                assert info[5] == host and info[8] == str(s.port), info

    run(go())


def _pings_for(ws, seconds, talk_every=None, log=None):
    """Counts the server's pings a websockets client sees (it answers them
    itself) over `seconds`, sending "x" every talk_every seconds; a
    TalkLog, if given, records the sends, echoes and pings."""
    pings = 0
    orig = ws.pong

    async def counting_pong(data=b""):
        nonlocal pings
        pings += 1
        if log is not None:
            log.pinged()
        return await orig(data)

    ws.pong = counting_pong

    async def go():
        end = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < end:
            if talk_every is not None:
                if log is not None:
                    log.sent()
                assert await ask(ws, "x") == "x"
                if log is not None:
                    log.echoed()
                await asyncio.sleep(talk_every)
            else:
                await asyncio.sleep(0.05)

    return go, lambda: pings


@pytest.mark.parametrize("handled", ["ping", "handled"])
def test_heartbeat_before_heartbeat(sgc, handled):
    """HeartBeat every second with OnBeforeHeartBeat: called before each
    ping with the connection; Handled = True sends no ping."""
    s = sgc(heartbeat=f"1,always,{handled}")

    async def go():
        async with connect(url(s)) as ws:
            run_it, count = _pings_for(ws, 3.2)
            await run_it()
            await close(ws)
            return count()

    pings = run(go())
    s.wait_count(r"DISCONNECT .*", 1)
    guids = [m.group(1) for m in s.matches(r"BEFOREHEARTBEAT (\S+)")]
    assert len(guids) >= 2, s.snapshot()
    assert set(guids) == set(connects(s))
    if handled == "handled":
        assert pings == 0, f"{pings} pings although OnBeforeHeartBeat handled them"
    else:
        assert pings >= 2, f"only {pings} pings in 3 s at a 1 s interval"
    assert not s.matches(r"ERROR .*")


def test_heartbeat_handler_assigned_after_a_start(sgc):
    """OnBeforeHeartBeat assigned while stopped, after a Start without it:
    the engine's server was made without on_heartbeat (each beat through it
    costs the connection's gate), so the next Start makes a new one with
    it: the handler runs, and GetStats goes on counting."""
    s = sgc(heartbeat="1,always,handled,late")

    async def first():
        async with connect(url(s, "/first")) as ws:
            await close(ws)

    run(first())
    s.wait_count(r"DISCONNECT .*", 1)
    first_guid = s.wait_for(r"CONNECT (\S+) /first .*")[1].group(1)
    mark = s.mark()
    s.command("hbhandler")
    _, m = s.wait_for(r"RESTARTED (\d+) (\d+)", since=mark)
    port, total = int(m.group(1)), int(m.group(2))
    assert port > 0, s.snapshot()
    assert total >= 1, f"GetStats forgot the first run's connection: {m.group(0)}"

    async def second():
        async with connect(f"ws://127.0.0.1:{port}/second") as ws:
            _, m = await asyncio.to_thread(s.wait_for, r"CONNECT (\S+) /second .*", mark)
            # the next beat (1 s) calls the handler: waited for, not timed
            await asyncio.to_thread(
                s.wait_for, rf"BEFOREHEARTBEAT {re.escape(m.group(1))}", mark)
            await close(ws)
            return m.group(1)

    # the new engine server numbers connections from 1 again: the Guids
    # must still be new
    assert run(second()) != first_guid
    assert not s.matches(r"ERROR .*")


def test_heartbeat_only_if_no_message(sgc):
    """hbtOnlyIfNoMsgRcvInterval: a client that talks more often than the
    interval gets no ping and no OnBeforeHeartBeat; a quiet one gets both."""
    s = sgc(heartbeat="1,idle,ping")
    # The talker asks every 0.2 s, yet a stall of this process or of the
    # server (Wine, a loaded machine) can rightly leave the server a second
    # without a message from it: its pings are judged by what the server
    # had echoed (TalkLog), not counted.
    talk = TalkLog()

    async def go():
        async with connect(url(s, "/talker")) as talker, \
                connect(url(s, "/quiet")) as quiet:
            run_talk, _ = _pings_for(talker, 3.2, talk_every=0.2, log=talk)
            wait, quiet_pings = _pings_for(quiet, 3.2)
            await asyncio.gather(run_talk(), wait())
            await close(talker)
            await close(quiet)
            return quiet_pings()

    quiet_pings = run(go())
    assert talk.unjustified_pings(1.0) == [], f"a talking client got {talk.pings} pings"
    assert quiet_pings >= 2, f"a quiet client got {quiet_pings} pings in 3 s"
    s.wait_count(r"DISCONNECT .*", 2)
    talker_guid = s.wait_for(r"CONNECT (\S+) /talker .*")[1].group(1)
    quiet_guid = s.wait_for(r"CONNECT (\S+) /quiet .*")[1].group(1)
    guids = [m.group(1) for m in s.matches(r"BEFOREHEARTBEAT (\S+)")]
    # each OnBeforeHeartBeat for the talker was a ping it saw, judged above
    assert guids.count(talker_guid) <= talk.pings
    assert guids.count(quiet_guid) >= 2


def test_unknown_authentication(sgc):
    """OnUnknownAuthentication: an Authorization scheme other than Basic
    reaches the handler, which decides; its aUser is the connection's
    user. Basic still goes to AuthUsers/OnAuthentication."""
    s = sgc(auth="basic", bearer="on")

    async def go():
        bearer = {"Authorization": "Bearer good-token"}
        async with connect(url(s, "/t"), extra_headers=bearer) as ws:
            assert await ask(ws, "hi") == "hi"
        assert await refused_status(url(s, "/t"),
                                    extra_headers={"Authorization": "Bearer bad"}) == 401
        async with connect(url(s, "/b"), extra_headers=basic("user", "pass")) as ws:
            assert await ask(ws, "b") == "b"
        assert await refused_status(url(s, "/none")) == 401

    run(go())
    s.wait_count(r"DISCONNECT .*", 2)
    assert [m.groups() for m in s.matches(r"UNKNOWNAUTH (\S+) (\S+)")] == [
        ("Bearer", "good-token"), ("Bearer", "bad")]
    users = [m.group(1) for m in s.matches(r"CONNECT \S+ \S+ \d+ \d+ (.*)")]
    assert users == ["token-user", "user"]


def _get(port, path, cookie=None):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        r = c.getresponse()
        return r.status, r.getheader("Set-Cookie"), r.read().decode()
    finally:
        c.close()


def test_http_server_sessions(sgc):
    # TsgcWebSocketHTTPServer with Indy's sessions (iocpws.sessions, the
    # implementation IdHTTPServer_iocp uses): AutoStartSession starts one
    # with a cookie, Content survives across requests, OnInvalidSession,
    # EndSession and OnSessionEnd
    s = sgc(httpsessions="600000")
    _, m = s.wait_for(r"HTTPPORT (\d+)")
    port = int(m.group(1))
    status, set_cookie, body = _get(port, "/s/get")
    assert status == 200
    m = re.fullmatch(r"IDHTTPSESSIONID=([0-9A-F]{64}); Path=/", set_cookie or "")
    assert m, set_cookie
    sid = m.group(1)
    assert body == f"id={sid} v= ip=127.0.0.1"
    s.wait_for(rf"SESSION_START {sid}")
    s.wait_for(r"CREATE_SESSION")
    cookie = f"IDHTTPSESSIONID={sid}"
    status, set_cookie, body = _get(port, "/s/set?v=hello", "a=1; " + cookie)
    assert (status, set_cookie, body) == (200, None, f"set {sid}")
    assert _get(port, "/s/get", cookie)[2] == f"id={sid} v=hello ip=127.0.0.1"
    # a cookie naming no session: OnInvalidSession, then a new session
    status, set_cookie, body = _get(port, "/s/get", "IDHTTPSESSIONID=bogus")
    s.wait_for(r"INVALID_SESSION bogus")
    assert set_cookie and sid not in set_cookie and body.startswith("id=")
    # OnInvalidSession may stop the request (VContinueProcessing := False)
    status, set_cookie, body = _get(port, "/s/get", "IDHTTPSESSIONID=reject")
    assert (status, set_cookie, body) == (403, None, "refused")
    # EndSession: OnSessionEnd with its content; the cookie is then invalid
    assert _get(port, "/s/end", cookie)[2] == "ended"
    s.wait_for(rf"SESSION_END {sid} v=hello")
    status, set_cookie, body = _get(port, "/s/get", cookie)
    s.wait_for(rf"INVALID_SESSION {sid}")
    assert sid not in body


def test_http_server_close_session(sgc):
    # Indy's AResponseInfo.CloseSession on sgc's HTTP server: the session
    # ends now (OnSessionEnd), the cookie is expired in the browser, and
    # the old cookie then names no session
    s = sgc(httpsessions="600000")
    _, m = s.wait_for(r"HTTPPORT (\d+)")
    port = int(m.group(1))
    _, set_cookie, _ = _get(port, "/s/set?v=bye")
    sid = re.match(r"IDHTTPSESSIONID=([0-9A-F]{64})", set_cookie).group(1)
    cookie = f"IDHTTPSESSIONID={sid}"
    status, set_cookie, body = _get(port, "/s/logout", cookie)
    assert (status, body) == (200, "closed")
    assert set_cookie == "IDHTTPSESSIONID=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; Path=/"
    s.wait_for(rf"SESSION_END {sid} v=bye")
    _get(port, "/s/get", cookie)
    s.wait_for(rf"INVALID_SESSION {sid}")


def test_http_server_sessions_end_at_stop(sgc):
    # Active := False ends every session (OnSessionEnd), as Indy's
    # Shutdown does, not only freeing the server
    s = sgc(httpsessions="600000")
    _, m = s.wait_for(r"HTTPPORT (\d+)")
    port = int(m.group(1))
    sids = []
    for v in ("one", "two"):
        _, set_cookie, _ = _get(port, f"/s/set?v={v}")
        sids.append(re.match(r"IDHTTPSESSIONID=([0-9A-F]{64})", set_cookie).group(1))
    mark = s.mark()
    s.command("httpstop")
    stopped, _ = s.wait_for(r"HTTPSTOPPED", since=mark)
    for sid, v in zip(sids, ("one", "two")):
        ended, _ = s.wait_for(rf"SESSION_END {sid} v={v}", since=mark)
        assert ended < stopped  # during Active := False, not at free


def test_http_server_session_expiry(sgc):
    s = sgc(httpsessions="300")
    _, m = s.wait_for(r"HTTPPORT (\d+)")
    port = int(m.group(1))
    _, set_cookie, _ = _get(port, "/s/set?v=old")
    sid = re.match(r"IDHTTPSESSIONID=([0-9A-F]+)", set_cookie).group(1)
    assert _get(port, "/s/get", f"IDHTTPSESSIONID={sid}")[2].startswith(f"id={sid} v=old")
    # stale after SessionTimeOut (300 ms); the purge (at most once a second)
    # runs on a request's thread: requests without the cookie (which would
    # keep it fresh) until it has ended it, with a generous bound
    deadline = time.monotonic() + 30
    while not s.matches(rf"SESSION_END {sid} v=old"):
        assert time.monotonic() < deadline, s.snapshot()
        _get(port, "/s/get")
        time.sleep(0.1)
    status, set_cookie, body = _get(port, "/s/get", f"IDHTTPSESSIONID={sid}")
    assert sid not in body and set_cookie  # stale: a new one started


def _http(port, path, method="GET", headers=None):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        c.close()


def test_before_command(sgc):
    """sgc's OnBeforeCommand on TsgcWebSocketHTTPServer: runs before
    OnCommandGet / OnCommandOther, with aOptions empty; hcoUnauthorized
    answers 401 at once, hcoAuthorizedBasic lets only accepted Basic
    credentials through; the handler never runs for a refused request."""
    s = sgc(beforecommand="on")
    _, m = s.wait_for(r"HTTPPORT (\d+)")
    port = int(m.group(1))
    assert _http(port, "/public")[::2] == (200, "ok /public")
    s.wait_for(r"BEFORECOMMAND GET /public nil")
    status, headers, _ = _http(port, "/private", headers=basic("user", "pass"))
    assert status == 401
    assert headers.get("WWW-Authenticate") == 'Basic realm="iocpws"'
    assert headers.get("X-Auth-Hint") == "user=pass"  # Authentication.Basic.CustomHeaders
    assert _http(port, "/private", "DELETE")[0] == 401  # OnCommandOther too
    assert _http(port, "/basic")[0] == 401  # no credentials
    assert _http(port, "/basic", headers=basic("user", "wrong"))[0] == 401
    assert _http(port, "/basic", headers=basic("user", "pass"))[::2] == (200, "ok /basic")
    # not in AuthUsers: OnAuthentication decides
    assert _http(port, "/basic2", headers=basic("event", "ok"))[::2] == (200, "ok /basic2")
    assert _http(port, "/basic3", headers=basic("event", "no"))[0] == 401
    assert _http(port, "/raise")[0] == 500  # an exception refuses
    s.wait_for(r"EXCEPTION .*refused by raising")
    assert _http(port, "/other", "PUT")[::2] == (200, "ok /other")
    handled = [m.group(1) for m in s.matches(r"HTTP (\S+ \S+)")]
    assert handled == ["GET /public", "GET /basic", "GET /basic2", "PUT /other"]
    asked = [m.group(1) for m in s.matches(r"BEFORECOMMAND (\S+ \S+) nil")]
    assert len(asked) == 10, asked
    # OnBeforeForwardHTTP: declared, never called (no forwarding): reported
    reported = [m.group(1) for m in s.matches(r"ERROR iocpws: not supported, ignored: (.*)")]
    assert any(r.startswith("OnBeforeForwardHTTP") for r in reported), reported
    assert not s.matches(r"ERROR (?!iocpws: not supported).*")


def test_before_command_before_404(sgc):
    """OnBeforeCommand runs for every request, also one no handler takes
    (no OnCommandOther here): a refused request gets its 401 with the
    challenge, so paths cannot be probed without credentials; an accepted
    one then gets 404."""
    s = sgc(beforecommand="getonly")
    _, m = s.wait_for(r"HTTPPORT (\d+)")
    port = int(m.group(1))
    status, headers, _ = _http(port, "/private", "DELETE")
    assert status == 401
    assert headers.get("WWW-Authenticate") == 'Basic realm="iocpws"'
    assert headers.get("X-Auth-Hint") == "user=pass"
    status, headers, _ = _http(port, "/basic", "DELETE")  # no credentials
    assert status == 401
    assert headers.get("WWW-Authenticate") == 'Basic realm="iocpws"'
    assert _http(port, "/basic", "DELETE", headers=basic("user", "wrong"))[0] == 401
    assert _http(port, "/basic", "DELETE", headers=basic("user", "pass"))[0] == 404
    assert _http(port, "/public", "PUT")[0] == 404  # the gate lets it through
    assert _http(port, "/public")[::2] == (200, "ok /public")  # OnCommandGet
    asked = [m.group(1) for m in s.matches(r"BEFORECOMMAND (\S+ \S+) nil")]
    assert asked == ["DELETE /private", "DELETE /basic", "DELETE /basic",
                     "DELETE /basic", "PUT /public", "GET /public"], asked
    handled = [m.group(1) for m in s.matches(r"HTTP (\S+ \S+)")]
    assert handled == ["GET /public"]
    assert not s.matches(r"(ERROR (?!iocpws: not supported)|EXCEPTION ).*")


def test_before_command_with_document_root_refuses_to_start(sgc):
    """Files under DocumentRoot are answered before any event: with
    OnBeforeCommand assigned Start refuses rather than leave them ungated."""
    s = sgc(beforecommand="docroot")
    _, m = s.wait_for(r"START_FAILED (.*)")
    assert "OnBeforeCommand" in m.group(1) and "DocumentRoot" in m.group(1)
    assert "refusing to start" in m.group(1)


def test_connection_server_settings(sgc):
    """TsgcWSConnectionServer's copies of the server's settings
    (ServerOriginsAllowed, ServerSSL, EnforceWebSocketVersion,
    ValidateWebSocketKey, IOHandlerType, ReadTimeOut, MaxMessageSize),
    FirstPing (set by the first Ping), CanFree, Masked."""
    s = sgc(origins="*", maxmsg="4096")

    async def go():
        async with connect(url(s), origin="http://x.example") as ws:
            # iohIOCP = 1; ReadTimeOut's default 10
            assert await ask(ws, "cmd:conn") == "conn *|False|True|True|1|10|4096|False|False|False"
            assert await ask(ws, "cmd:ping") == "pinged True"
            assert (await ask(ws, "cmd:conn")).split("|")[7] == "True"

    run(go())


def test_connection_handshake_server(sgc):
    """sgc's Connection.HandShake (TsgcWSHandShakeServer): the upgrade
    request's fields, as the client sent them; Authentication without
    Authentication enabled: authNone."""
    s = sgc()

    async def go():
        async with connect(url(s, "/hs?x=1"), origin="http://example.test",
                           subprotocols=["chat", "superchat"],
                           compression="deflate") as ws:
            assert await ask(ws, "a") == "a"

    run(go())
    s.wait_for(r"DISCONNECT .*")
    _, m = s.wait_for(r"HANDSHAKESERVER (.*)")
    f = m.group(1).split("|")
    assert f[0] == "/hs?x=1"  # Get
    assert f[1] == f"127.0.0.1:{s.port}"  # Host
    assert f[2] == "http://example.test"  # Origin
    assert len(base64.b64decode(f[3])) == 16  # Key: the client's nonce
    assert f[4] == "13"  # Version
    assert f[5] == "0"  # Specification spRFC6455
    # Protocols, as offered (the engine cuts the header's value at its
    # first comma; the binding restores the whole offer)
    assert f[6] == "chat, superchat"
    assert f[7].startswith("permessage-deflate")  # Extensions, as offered
    assert [m.group(1) for m in s.matches(r"CONNAUTH (.*)")] == ["False|0|||"]


def test_connection_subscription_events(sgc):
    """Connection.OnSubscription / OnUnSubscription fire once per real
    change of the connection's channels, after it."""
    s = sgc()

    async def go():
        async with connect(url(s)) as ws:
            assert (await ask(ws, "cmd:sub news")).startswith("sub True 1 news")
            assert (await ask(ws, "cmd:sub news")).startswith("sub True 1 news")  # no change
            assert await ask(ws, "cmd:dosub a,b,c") == "dosub c b 3"  # news, a, c

    run(go())
    s.wait_for(r"DISCONNECT .*")
    assert [m.group(1) for m in s.matches(r"SUBSCRIPTION (.*)")] == [
        "news True", "a True", "b True", "c True"]
    assert [m.group(1) for m in s.matches(r"UNSUBSCRIPTION (.*)")] == ["b False"]
    assert not s.matches(r"UPDATE|SSEHEADERS")  # never called here


def test_connection_internals(sgc):
    """sgc's Msg* properties, and the members without an engine equivalent
    raising EIocpWs; Groups' Clients and list internals."""
    s = sgc()

    async def go():
        async with connect(url(s)) as ws:
            f = (await ask(ws, "cmd:internals")).split("|")
            assert f[0] == "internals cmd:internals"  # MsgReceived
            assert f[1] == ""  # MsgError: no error
            # SendResponseHTTP, AddTCPEndOfFrame, TCPEndOfFrameScanBuffer
            # := eofScanAllBytes, WriteAndWaitData: EIocpWs
            assert f[2:6] == ["ok", "ok", "ok", "ok"]
            assert f[6] == "0"  # still eofScanNone
            assert f[7] == "False"  # Forward_HTTP: empty
            assert f[8] == "True" and f[9] == "True"  # RawException nil, MsgBinaryReceived empty
            assert f[10] == "True"  # Enabled
            assert f[15] == ""  # MsgException: none yet
            await send(ws, "cmd:raise2")
            assert await ask(ws, b"\x01\x02") == b"\x01\x02"
            f = (await ask(ws, "cmd:internals")).split("|")
            assert f[15] == "boom2"  # MsgException
            assert await ask(ws, "cmd:join room.9") == "join True 1"
            # Clients.LockList: 1 connection, this one; Count; Connection[0]
            assert await ask(ws, "cmd:clients room.9") == "clients 1 1 True True"
            # AddItem, GetItem / GetValue (any case), AddKey (same key only),
            # Item[0] as TsgcQueueItemBase after SortByOrder, DeleteKey,
            # RemoveItem, Delete
            assert await ask(ws, "cmd:groupitems") == (
                "groupitems True addkey-refused manual -5 2 1 1 1")

    run(go())
    s.wait_for(r"DISCONNECT .*")
    _, m = s.wait_for(r"RAWEXCEPTION (.*)")
    assert m.group(1) == "True boom2"  # RawException is E during OnException
    assert s.matches(r"MSGBINARY True")  # MsgBinaryReceived is Data during OnBinary
