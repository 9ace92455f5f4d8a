"""The Indy drop-in (bindings/pascal/IdHTTPServer_iocp.pas): a TIdHTTPServer
loaded from a form as Delphi's IDE writes it, built in {$mode delphi}
(IWS_PASCAL_INDY) and {$mode delphiunicode} (IWS_PASCAL_INDY_U), driven by
curl, Python's http.client and the websockets client; and
samples/delphi/indy_http_server (IWS_PASCAL_INDY_SAMPLE), an Indy program
whose uses clause is the only change.

Every member the drop-in promises is used by tests/pascal/indy_compat.dpr;
these tests check what each one did on the wire."""

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import ServerProcess, program
from iws_helpers import RawClient, ask, connect, recv, run, url


from conftest import TLS_PASSWORD, ServerProcess, program
from iws_helpers import ask, connect, recv, run, url

BUILDS = ["IWS_PASCAL_INDY", "IWS_PASCAL_INDY_U"]
CURL = shutil.which("curl")


def as_seen_by(prog, path):
    """A file path as the server sees it: through drive Z: under Wine."""
    with open(prog, "rb") as f:
        wine = b"run-exe.sh" in f.read(4096)
    return "Z:" + path.replace("/", "\\") if wine else path


@pytest.fixture(params=BUILDS, ids=["delphi", "delphiunicode"])
def indy(request, tmp_path):
    """Factory: indy(**options) -> ServerProcess of indy_compat; at teardown
    quit must give exit code 0 (every OnConnect got its OnDisconnect,
    AContext.Data was the handler's object in every event)."""
    servers = []
    served = tmp_path / "served.txt"
    served.write_bytes(b"file body 0123456789")

    def start(**options):
        options.setdefault("file", as_seen_by(program(request.param), str(served)))
        s = ServerProcess(program(request.param), options)
        servers.append(s)
        return s

    start.path = program(request.param)
    yield start
    problems = []
    for s in servers:
        code = s.quit()
        if code != 0:
            problems.append(f"indy_compat exit code {code!r}\n" + s.describe())
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def fetch(s, method, path, body=None, headers=None, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r, r.read()
    finally:
        if conn is None:
            c.close()


def curl(*args):
    assert CURL, "curl is not installed"
    p = subprocess.run([CURL, "-s", "-S", "-i", "--max-time", "30", *args],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    while body.startswith(b"HTTP/"):  # curl -i shows every response of an exchange
        head, _, body = body.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    return status, headers, body


def lines(data):
    return data.decode("utf-8").splitlines()


def test_request_info_members(indy):
    s = indy()
    r, data = fetch(s, "GET", "/info?a=1&b=x%20y&c=%C3%A9",
                    headers={"X-Custom": "hi", "Cookie": "c1=v1; c2=\"v2\"",
                             "Referer": "http://ref/", "User-Agent": "ua/1",
                             "Accept": "text/plain", "Accept-Charset": "utf-8",
                             "Accept-Encoding": "identity", "Accept-Language": "fr",
                             "Range": "bytes=5-9", "Connection": "keep-alive"})
    assert r.status == 200
    assert r.getheader("Server") == "IndyCompat/1.0"  # ServerSoftware from the form
    got = lines(data)
    for want in ["cmd=GET", "type=2", "is_get=1", "doc=/info", "uri=/info",
                 "query=a=1&b=x%20y&c=%C3%A9", "form=", "unparsed=a=1&b=x%20y&c=%C3%A9",
                 "raw=GET /info?a=1&b=x%20y&c=%C3%A9 HTTP/1.1", "version=HTTP/1.1",
                 "v11=1", f"host=127.0.0.1:{s.port}", "ua=ua/1", "referer=http://ref/",
                 "accept=text/plain", "accept_charset=utf-8", "accept_encoding=identity",
                 "accept_language=fr", "connection=keep-alive", "range=bytes=5-9",
                 "ranges=1", "range0=5-9", "remote=127.0.0.1", f"local=127.0.0.1:{s.port}",
                 "thread=other", "x_custom=hi", "cookie:c1=v1", "cookie:c2=v2",
                 "p:a=1", "p:b=x y", "p:c=é", "auth=0   "]:
        assert want in got, (want, got)
    assert any(re.fullmatch(r"peer=127\.0\.0\.1:\d+", l) for l in got)


def test_request_version_is_the_clients(indy):
    """RequestInfo.Version, VersionMajor/Minor and RawHTTPCommand carry the
    request line's version (iws_request_version), not a fixed HTTP/1.1."""
    import socket
    s = indy()
    with socket.create_connection(("127.0.0.1", s.port), timeout=30) as sock:
        sock.sendall(b"GET /info HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        while True:  # HTTP/1.0 without keep-alive: the server closes
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head
    got = lines(body)
    for want in ["version=HTTP/1.0", "v11=0", "raw=GET /info HTTP/1.0"]:
        assert want in got, (want, got)


def test_post_form_fills_form_params_and_params(indy):
    s = indy()
    body = "x=1&y=h%C3%A9+l%C3%A0"
    r, data = fetch(s, "POST", "/info?q=0", body=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    got = lines(data)
    assert r.status == 200
    assert "cmd=POST" in got and "type=3" in got
    assert f"form={body}" in got and f"unparsed={body}&q=0" in got
    assert ["p:x=1", "p:y=hé là", "p:q=0"] == [l for l in got if l.startswith("p:")]
    assert "charset=utf-8" in got and f"clen={len(body)}" in got
    assert "post_stream=TMemoryStream 21" in got


def test_post_stream_created_by_on_create_post_stream(indy):
    s = indy()
    r, data = fetch(s, "POST", "/post", body=b"hello world",
                    headers={"X-Own-Stream": "1", "Content-Type": "text/plain",
                             "Content-Encoding": "identity"})
    assert r.status == 200 and data == b"TTestPostStream 11 hello world"
    s.wait_for(r"DONE_POST_STREAM TTestPostStream 11")
    r, data = fetch(s, "POST", "/post", body=b"abc")
    assert data == b"TMemoryStream 3 abc"
    s.wait_for(r"DONE_POST_STREAM TMemoryStream 3")


def test_post_stream_takes_a_body_over_max_request_body_size(indy, tmp_path):
    """OnCreatePostStream gives a TFileStream at the head: a 5 MiB body,
    five times MaxRequestBodySize (1 MiB), is written into it as it
    arrives and reaches OnCommandGet whole, at position 0; the same body
    without a stream of the application's is refused 413 as before."""
    s = indy()
    target = tmp_path / "upload.bin"
    body = os.urandom(5 * 1024 * 1024 + 7)
    r, data = fetch(s, "POST", "/upload", body=body,
                    headers={"X-File-Stream": as_seen_by(indy.path, str(target)),
                             "Content-Type": "application/octet-stream"})
    assert r.status == 200, data
    assert data == b"TFileStream %d 0" % len(body)
    s.wait_for(r"DONE_POST_STREAM TFileStream %d" % len(body))
    assert target.read_bytes() == body  # freed by DoneWithPostStream: closed
    # chunked, through the same stream
    c = RawClient(s.port, timeout=30)
    try:
        c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               b"X-File-Stream: " + as_seen_by(indy.path, str(target)).encode() +
               b"\r\n\r\n")
        for i in range(0, len(body), 300000):
            piece = body[i:i + 300000]
            c.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
        c.send(b"0\r\n\r\n")
        resp = c.read_http_response(timeout=30)
    finally:
        c.close()
    assert resp.status == 200 and resp.body == b"TFileStream %d 0" % len(body)
    r, data = fetch(s, "POST", "/upload", body=body)
    assert r.status == 413


def test_headers_available_refuses_before_the_body(indy):
    """OnHeadersAvailable saying no to a request with a body: the engine
    answers OnHeadersBlocked's VResponseNo, VResponseText and VContentText
    at once (as Indy; iws_http_head_refuse), a client that expects
    100-continue gets it instead of 100, and the body is never read."""
    s = indy()
    c = RawClient(s.port, timeout=10)
    try:
        c.send(b"POST /post HTTP/1.1\r\nHost: x\r\nX-Block: yes\r\n"
               b"Content-Length: 100000000\r\nExpect: 100-continue\r\n\r\n")
        r = c.read_http_response()
        assert (r.status, r.status_line.split(" ", 2)[2], r.body) == (
            418, "Blocked Here", b"blocked yes"), r
        assert r.header("content-type") == "text/html; charset=utf-8"
        c.wait_eof(10)
        assert c.buf == b""
    finally:
        c.close()
    # a refused Expect: 417, also before the body
    c = RawClient(s.port, timeout=10)
    try:
        c.send(b"POST /post HTTP/1.1\r\nHost: x\r\n"
               b"Content-Length: 10\r\nExpect: something-else\r\n\r\n")
        assert c.read_http_response().status == 417
    finally:
        c.close()


def test_blocking_handler_while_50_others_are_answered(indy):
    # /sleep blocks its handler until "wake": the 50 others are answered
    # while it still blocks, whatever the machine's speed
    s = indy()
    result = {}

    def slow():
        result["r"] = fetch(s, "GET", "/sleep")

    t = threading.Thread(target=slow)
    t.start()
    s.wait_for(r"SLEEPING")
    for i in range(50):
        r, data = fetch(s, "GET", "/fast")
        assert r.status == 200 and data == b"fast"
    assert t.is_alive() and "r" not in result, "the blocked handler answered"
    s.command("wake")
    t.join(30)
    assert not t.is_alive(), "the handler did not answer once woken"
    r, data = result["r"]
    assert r.status == 200 and data == b"slept other"


def test_basic_auth_challenge_with_curl(indy):
    s = indy()
    status, h, body = curl(f"http://127.0.0.1:{s.port}/auth")
    assert status == 401
    assert h["www-authenticate"] == ['Basic realm="iocpws test"']
    assert b"401 Unauthorized" in body
    status, h, body = curl("-u", "alice:secret", f"http://127.0.0.1:{s.port}/auth")
    assert status == 200 and body == b"welcome alice"
    status, h, body = curl("-u", "alice:wrong", f"http://127.0.0.1:{s.port}/auth")
    assert status == 401
    # curl answers the challenge itself with --anyauth
    status, h, body = curl("--anyauth", "-u", "alice:secret", f"http://127.0.0.1:{s.port}/auth")
    assert status == 200 and body == b"welcome alice"
    # a scheme the server does not know: 401 asking for Basic (Indy)
    status, h, body = curl("-H", "Authorization: Weird abc", f"http://127.0.0.1:{s.port}/info")
    assert status == 401 and h["www-authenticate"] == ["Basic"]
    # OnParseAuthentication handles one
    status, h, body = curl("-H", "Authorization: Token abc", f"http://127.0.0.1:{s.port}/info")
    assert status == 200 and "auth=1 Token token:abc " in lines(body)
    status, h, body = curl("-u", "bob:p:w", f"http://127.0.0.1:{s.port}/info")
    assert "auth=1 Basic bob p:w" in lines(body)


def test_sessions_across_requests_and_expiry(indy):
    s = indy(sessiontimeout=1500)
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    r, data = fetch(s, "GET", "/session", conn=c)
    cookie = r.getheader("Set-Cookie")
    m = re.fullmatch(r"IDHTTPSESSIONID=([0-9A-F]{64}); Path=/", cookie)
    assert m, cookie
    sid = m.group(1)
    assert data.decode() == f"n=1 id={sid} same=1"
    s.wait_for(rf"CREATE_SESSION \d+")
    s.wait_for(rf"SESSION_START {sid}")
    # the cookie brings the session back, also on another connection
    r, data = fetch(s, "GET", "/session", headers={"Cookie": f"IDHTTPSESSIONID={sid}"})
    assert r.getheader("Set-Cookie") is None
    assert data.decode() == f"n=2 id={sid} same=1"
    r, data = fetch(s, "GET", "/sessions", headers={"Cookie": f"IDHTTPSESSIONID={sid}"})
    assert data == b"1"  # SessionList
    # SessionTimeOut: ended by the cleaner, OnSessionEnd sees its content
    s.wait_for(rf"SESSION_END {sid} 2", timeout=10)
    r, data = fetch(s, "GET", "/session", headers={"Cookie": f"IDHTTPSESSIONID={sid}"})
    s.wait_for(rf"INVALID_SESSION {sid}")
    new = re.fullmatch(r"IDHTTPSESSIONID=([0-9A-F]{64}); Path=/", r.getheader("Set-Cookie"))
    assert new and new.group(1) != sid
    assert data.decode().startswith("n=1 ")
    # CloseSession: ended now, the cookie expired in the browser
    r, data = fetch(s, "GET", "/logout", headers={"Cookie": f"IDHTTPSESSIONID={new.group(1)}"})
    assert data == b"bye"
    assert re.fullmatch(r"IDHTTPSESSIONID=; Expires=\w{3}, \d\d-\w{3}-\d{4} \d\d:\d\d:\d\d GMT",
                        r.getheader("Set-Cookie")), r.getheader("Set-Cookie")
    s.wait_for(rf"SESSION_END {new.group(1)} 1")
    c.close()


def test_response_info_members(indy):
    s = indy()
    r, data = fetch(s, "GET", "/resp")
    assert (r.status, r.reason) == (201, "Made It")
    assert data == b'{"ok": true}'
    h = {k.lower(): v for k, v in r.getheaders() if k.lower() != "set-cookie"}
    assert h["content-type"] == "application/json; charset=utf-8"
    assert h["x-one"] == "1" and h["x-two"] == "two"
    assert h["cache-control"] == "no-store" and h["etag"] == '"v1"'
    assert h["pragma"] == "no-cache" and h["location"] == "/resp/1"
    assert h["server"] == "Custom/2"
    assert h["content-disposition"] == 'inline; filename="r.json"'
    assert h["content-encoding"] == "identity" and h["content-language"] == "en"
    assert re.fullmatch(r"\w{3}, 0[12] Jan 2030 \d\d:\d\d:00 GMT", h["expires"])
    assert re.fullmatch(r"\w{3}, 0[34] Mar 2020 \d\d:\d\d:00 GMT", h["last-modified"])
    assert re.fullmatch(r"\w{3}, 0[56] May 2025 \d\d:\d\d:00 GMT", h["date"])
    cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
    assert "plain=p" in cookies
    full = [c for c in cookies if c.startswith("full=")]
    assert len(full) == 1 and re.fullmatch(
        r"full=v; Path=/p; Domain=example\.com; Secure; HttpOnly; Max-Age=60; "
        r"Expires=\w{3}, 0[78]-Jul-2031 \d\d:\d\d:00 GMT; SameSite=Strict", full[0]), full
    s.wait_for(r"RESP 2030-01-02 2020-03-04 Custom/2 201 IdHTTPServer1")


def test_redirect_stream_file_write_and_defaults(indy):
    s = indy()
    r, data = fetch(s, "GET", "/redirect")
    assert r.status == 302 and r.getheader("Location") == "/info?from=redirect"
    r, data = fetch(s, "GET", "/stream")
    assert data == b"from a stream" and r.getheader("Content-Type") == "text/plain"
    r, data = fetch(s, "GET", "/file")
    assert r.status == 200 and data == b"file body 0123456789"
    assert r.getheader("Content-Type") == "text/plain"  # ServeFile: MIMETable, as Indy
    assert r.getheader("Content-Disposition") == "attachment"
    etag = r.getheader("ETag")
    r, data = fetch(s, "GET", "/smartfile", headers={"Range": "bytes=5-8"})
    assert r.status == 206 and data == b"body"
    assert r.getheader("Content-Range") == "bytes 5-8/20"
    r, data = fetch(s, "GET", "/smartfile", headers={"Range": "bytes=-4"})
    assert r.status == 206 and data == b"6789"
    r, data = fetch(s, "GET", "/smartfile", headers={"Range": "bytes=100-"})
    assert r.status == 416 and r.getheader("Content-Range") == "bytes */20"
    r, data = fetch(s, "GET", "/smartfile", headers={"If-None-Match": etag})
    assert r.status == 304 and data == b""
    lm = r.getheader("ETag")
    r, data = fetch(s, "GET", "/smartfile",
                    headers={"If-Modified-Since": "Sat, 01 Jan 2100 00:00:00 GMT"})
    assert r.status == 304 and lm == etag
    r, data = fetch(s, "GET", "/smartfile",
                    headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert r.status == 200 and data == b"file body 0123456789"
    r, data = fetch(s, "GET", "/mime?f=a.PNG")
    assert data == b"image/png"
    # WriteHeader sends the head, WriteContent the ContentText of that
    # moment, IOHandler.Write goes out as written (chunked, as Indy streams
    # it); the later change of ContentText is not sent
    r, data = fetch(s, "GET", "/write")
    assert data == b"head;raw;line\r\nagain refused"
    assert r.getheader("Transfer-Encoding") == "chunked"
    assert r.getheader("Content-Length") is None
    assert r.getheader("Content-Type") == "text/plain"
    r, data = fetch(s, "GET", "/rewrite")
    assert data == b"/rewritten"
    r, data = fetch(s, "GET", "/default")
    assert r.status == 200 and data == b"<HTML><BODY><B>200 OK</B></BODY></HTML>"
    r, data = fetch(s, "GET", "/nocontent")
    assert r.status == 204 and data == b""
    r, data = fetch(s, "GET", "/nothing")
    assert r.status == 404 and b"404 Not Found" in data
    r, data = fetch(s, "HEAD", "/info")
    assert r.status == 200 and data == b"" and int(r.getheader("Content-Length")) > 100


def test_command_other_error_and_blocked_headers(indy):
    s = indy()
    for method, ctype in [("DELETE", 4), ("PUT", 5), ("OPTIONS", 7), ("PATCH", 8)]:
        r, data = fetch(s, method, "/thing", body=b"" if method in ("PUT", "PATCH") else None)
        assert data.decode() == f"other {method} {ctype} /thing other", data
        assert r.status == (201 if method == "PUT" else 200)
    r, data = fetch(s, "GET", "/error")
    assert r.status == 500 and data == b"handled: boom"
    s.wait_for(r"COMMAND_ERROR boom")
    r, data = fetch(s, "GET", "/info", headers={"X-Block": "yes"})
    assert (r.status, r.reason, data) == (418, "Blocked Here", b"blocked yes")


def test_keep_alive_context_and_connection_events(indy):
    s = indy()
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    peers = set()
    for n in (1, 2, 3):
        r, data = fetch(s, "GET", "/info", conn=c)
        got = lines(data)
        assert f"requests={n}" in got  # AContext.Data lives as long as the connection
        peers.add([l for l in got if l.startswith("peer=")][0])
    port = int(peers.pop().rsplit(":", 1)[1])
    assert not peers
    r, data = fetch(s, "GET", "/close", conn=c)
    assert r.getheader("Connection") == "close" and data == b"closing"
    c.close()
    s.wait_for(rf"CONTEXT_CREATED {port}")
    s.wait_for(rf"CONNECT {port} other")
    s.wait_for(rf"DISCONNECT {port} 4 other", timeout=10)
    assert len(s.matches(rf"CONNECT {port} other")) == 1


def test_connect_at_accept_and_disconnect_without_a_request(indy):
    """OnContextCreated and OnConnect fire at accept (the engine's on_open),
    before the client sent a byte, on a pool thread; OnDisconnect follows
    the end of a connection that never sent a request (on_close)."""
    import socket
    s = indy()
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    port = sock.getsockname()[1]
    s.wait_for(rf"CONTEXT_CREATED {port}")
    s.wait_for(rf"CONNECT {port} other")
    sock.close()
    s.wait_for(rf"DISCONNECT {port} 0 other")
    assert len(s.matches(rf"CONNECT {port} other")) == 1


def test_keep_alive_off_closes_after_each_response(indy):
    s = indy(ka=0)
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    r, data = fetch(s, "GET", "/info", conn=c)
    assert r.getheader("Connection") == "close"
    assert "requests=1" in lines(data)
    c.close()


def test_stop_with_requests_in_flight(indy):
    # TerminateWaitTime far beyond the test: only "wake" ends the handler
    s = indy(terminatewait=60000)
    result = {}

    def slow():
        try:
            result["r"] = fetch(s, "GET", "/sleep")
        except Exception as e:  # noqa: BLE001 - reported below
            result["e"] = e

    t = threading.Thread(target=slow)
    t.start()
    s.wait_for(r"SLEEPING")
    mark = s.mark()
    s.command("stop")
    # while stopping (the blocked handler holds the stop): new requests are
    # refused with 503; until the stop has begun they are still answered
    deadline = time.monotonic() + 20
    while True:
        r, data = fetch(s, "GET", "/fast")
        if r.status == 503:
            break
        assert r.status == 200 and time.monotonic() < deadline, (r.status, data)
        time.sleep(0.05)
    assert not s.matches(r"STOPPED .*", since=mark), "stopped under a running handler"
    s.command("wake")
    woke, _ = s.wait_for(r"WAKE", since=mark)
    stopped, m = s.wait_for(r"STOPPED (\d+) 0", since=mark, timeout=20)
    assert woke < stopped  # the stop waited for the handler
    t.join(30)
    assert "e" not in result, result.get("e")
    r, data = result["r"]
    assert r.status == 200 and data == b"slept other"  # the handler's answer went out
    with pytest.raises(OSError):
        fetch(s, "GET", "/fast")
    s.command("start")
    _, m = s.wait_for(r"PORT (\d+)", since=mark)
    s.port = int(m.group(1))
    r, data = fetch(s, "GET", "/fast")
    assert data == b"fast"


def test_sessions_end_at_stop(indy):
    # Indy's Shutdown (SessionList.Clear): Active := False ends every
    # session (OnSessionEnd with its content), not only freeing the server
    s = indy(sessiontimeout=600000)
    sids = []
    for _ in range(2):
        r, _ = fetch(s, "GET", "/session")
        sids.append(re.match(r"IDHTTPSESSIONID=([0-9A-F]{64})", r.getheader("Set-Cookie")).group(1))
    mark = s.mark()
    s.command("stop")
    stopped, _ = s.wait_for(r"STOPPED \d+ 0", since=mark, timeout=20)
    for sid in sids:
        ended, _ = s.wait_for(rf"SESSION_END {sid} 1", since=mark)
        assert ended < stopped  # during Active := False, not at free


def test_io_handler_freed_by_its_owner(indy):
    # IOHandler := an SSL IOHandler another component owns; freeing it
    # clears the server's property (FreeNotification, as Indy), and a
    # server freed first is not touched when the IOHandler goes later
    s = indy()
    mark = s.mark()
    s.command("iohandler")
    _, m = s.wait_for(r"IOHANDLER (\d) (\d)", since=mark)
    assert m.groups() == ("1", "1")
    s.wait_for(r"IOHANDLER_FREED", since=mark)


def test_terminate_wait_time_bounds_stop(indy):
    s = indy(terminatewait=300)
    result = {}

    def slow():
        try:
            result["r"] = fetch(s, "GET", "/sleep")
        except Exception as e:  # noqa: BLE001
            result["e"] = e

    t = threading.Thread(target=slow)
    t.start()
    s.wait_for(r"SLEEPING")
    mark = s.mark()
    s.command("stop")
    # the handler blocks until "wake": the stop ended by TerminateWaitTime
    s.wait_for(r"STOP_TIMEOUT (\d+) EIdTerminateThreadTimeout", since=mark, timeout=20)
    t.join(30)
    assert "e" in result  # the connection was closed under the handler
    assert not s.matches(r"DISCONNECT \d+ 1 other", since=mark), "the handler ended before wake"
    s.command("wake")
    s.wait_for(r"DISCONNECT \d+ 1 other", since=mark, timeout=10)  # once the late handler ended


def test_several_bindings_listen(indy):
    """Bindings on two addresses: each listens (its Port is the one it got),
    and a request sees the Binding it came through (AContext.Binding)."""
    s = indy(bindings="two")
    found = {int(m.group(1)): (m.group(2), int(m.group(3)))
             for m in s.matches(r"BINDING (\d+) (\S+) (\d+)")}
    assert found[0] == ("127.0.0.1", s.port) and found[1][0] == "127.0.0.2"
    assert found[1][1] not in (0, s.port)
    for ip, port in found.values():
        c = http.client.HTTPConnection(ip, port, timeout=30)
        try:
            c.request("GET", "/info")
            got = lines(c.getresponse().read())
        finally:
            c.close()
        assert f"local={ip}:{port}" in got, (ip, port, got)


def test_a_binding_that_cannot_listen_refuses_to_start(indy):
    """Two Bindings on one address and port: Active := True raises, naming
    the second, and nothing is left listening."""
    p = subprocess.run([indy.path, "--opt", "bindings=busy"], capture_output=True, text=True,
                       timeout=60, input="")
    assert p.returncode == 3, p.stdout + p.stderr
    assert re.search(r"START_FAILED \S+ .*listener 1: bind 127.0.0.1 port 28411", p.stdout), p.stdout


def test_dual_stack_binding(indy):
    s = indy(dual=1)
    r, data = fetch(s, "GET", "/fast")
    assert data == b"fast"
    try:
        c = http.client.HTTPConnection("::1", s.port, timeout=10)
        c.request("GET", "/fast")
        assert c.getresponse().read() == b"fast"
        c.close()
    except OSError as e:
        pytest.fail(f"IPv6 loopback: {e}")


def test_binding_ip_is_the_local_end(indy):
    # Bound to 0.0.0.0 and ::, Binding.IP/Port are the address each client
    # reached (the engine's iws_conn_local), not the bind address.
    s = indy(dual=1)
    for host in ("127.0.0.1", "127.0.0.2", "::1"):
        c = http.client.HTTPConnection(host, s.port, timeout=10)
        try:
            c.request("GET", "/info")
            got = lines(c.getresponse().read())
        finally:
            c.close()
        assert f"local={host}:{s.port}" in got, (host, got)


def test_websocket_on_the_same_component(indy):
    s = indy()

    async def go():
        async with connect(url(s, "/ws?room=7")) as ws:
            assert await ask(ws, "héllo") == "echo: héllo"
            await ws.send(b"\x00\x01\xff")
            assert await recv(ws) == b"\x00\x01\xff"
            await ws.send("broadcast")
            assert await recv(ws) == "to all"
            await ws.send("raise")
            await ws.send("close")
            try:
                await recv(ws)
            except Exception:  # noqa: BLE001 - the close ends recv
                pass
            await ws.wait_closed()
            assert ws.close_code == 4001
        try:
            async with connect(url(s, "/other")):
                pass
        except Exception as e:  # noqa: BLE001
            return str(e)
        return "accepted"

    refused = run(go())
    assert "403" in refused
    s.wait_for(r"WS_CONNECT /ws 7 1")
    s.wait_for(r"WS_CONNECT /other  0")
    s.wait_for(r"EXCEPTION Exception ws boom")
    s.wait_for(r"WS_DISCONNECT 4001")


def test_sample_indy_http_server():
    s = ServerProcess(program("IWS_PASCAL_INDY_SAMPLE"), {"_args": ["0"]})
    try:
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        r, data = fetch(s, "GET", "/", conn=c)
        assert r.status == 200 and b"Visit 1 of this session" in data
        cookie = r.getheader("Set-Cookie").split(";")[0]
        r, data = fetch(s, "GET", "/", headers={"Cookie": cookie}, conn=c)
        assert b"Visit 2 of this session" in data
        r, data = fetch(s, "GET", "/hello?name=Ann")
        assert data == b"Hello, Ann!"
        status, h, body = curl(f"http://127.0.0.1:{s.port}/admin")
        assert status == 401 and h["www-authenticate"] == ['Basic realm="Sample"']
        status, h, body = curl("-u", "admin:admin", f"http://127.0.0.1:{s.port}/admin")
        assert status == 200 and body == b"Welcome, administrator."
        status, h, body = curl("-d", "note=hi", f"http://127.0.0.1:{s.port}/notes")
        assert body == b"hi\n" or body == b"hi\r\n"
        status, h, body = curl("-X", "DELETE", f"http://127.0.0.1:{s.port}/notes")
        assert status == 204
        c.close()
    finally:
        code = s.quit()
    assert code == 0, s.describe()


def test_indy_default_session_timeout_zero(indy):
    """SessionTimeOut 0 (Indy's default): a session is stale at once; the
    cleaner ends it only after the request that made it is done."""
    s = indy(sessiontimeout=0)
    ids = set()
    for i in range(30):
        r, data = fetch(s, "GET", "/session")
        text = data.decode()
        assert r.status == 200 and text.startswith("n=1 id=") and text.endswith(" same=1"), text
        ids.add(text.split()[1][3:])
    assert len(ids) == 30
    s.wait_count(r"SESSION_END [0-9A-F]{64} 1", 30, timeout=10)


def _rss_kib(pid):
    """VmHWM (peak resident set) of a process and its descendants (under
    Wine the program runs in a child of the wrapper), in KiB."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    best, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        best = max(best, int(line.split()[1]))
        except OSError:
            pass
    return best


def test_write_content_64mib_to_a_slow_reader(indy):
    # WriteContent of a 64 MiB ContentStream (made as it is read) to a
    # client that reads slowly: the handler's thread sleeps in
    # iws_http_stream_wait while the engine's send queue (32 MiB) is full,
    # every byte arrives in order, and the server's peak memory grows by
    # less than the body (it never holds it whole).
    s = indy()
    total = 64 << 20
    fetch(s, "GET", "/info")  # warmed up: pool threads and buffers exist
    before = _rss_kib(s.proc.pid)
    assert before > 0
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=60)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
    sock.sendall(f"GET /bigwrite?mb=64 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    raw = bytearray()
    while b"\r\n0\r\n\r\n" not in raw[-16:]:
        piece = sock.recv(64 << 10)
        assert piece, "the connection closed before the body's end"
        raw += piece
        time.sleep(0.004)  # ~15 MiB/s: slower than the handler makes it
    sock.close()
    s.wait_for(r"BIGWRITE_DONE 67108864")
    after = _rss_kib(s.proc.pid)
    head, _, rest = bytes(raw).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"chunked" in head.lower()
    body, i = bytearray(), 0
    while True:
        j = rest.index(b"\r\n", i)
        n = int(rest[i:j], 16)
        if n == 0:
            break
        body += rest[j + 2:j + 2 + n]
        i = j + 2 + n + 2
    pattern = bytes(range(251))
    expected = (pattern * (total // 251 + 1))[:total]
    assert len(body) == total and body == expected
    assert after - before < 56 * 1024, (before, after)


# ---------------------------------------------------------------------------
# HTTPS: Indy's TIdServerIOHandlerSSLOpenSSL (IdSSLOpenSSL_iocp) on the engine
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def indy_client_certs(tls_files):
    """Client certificates and a RootCertFile holding the server's
    intermediate (its chain) and the client CA (trusted for clients)."""
    from iws_client_certs import ClientCerts
    certs = ClientCerts(tls_files)
    certs.root_cert_file = tls_files.path("indy-root-cert-file.pem")
    with open(certs.root_cert_file, "w") as out:
        for part in (tls_files.inter, certs.ca):
            with open(part) as f:
                out.write(f.read())
    return certs


def _tls_opts(indy, tls_files, **extra):
    opts = dict(tls="on", cert=as_seen_by(indy.path, tls_files.server),
                key=as_seen_by(indy.path, tls_files.server_key_enc),
                password=TLS_PASSWORD, ca=as_seen_by(indy.path, tls_files.inter))
    opts.update(extra)
    return opts


def _https_get(port, ctx, path="/info"):
    c = http.client.HTTPSConnection("localhost", port, timeout=30, context=ctx)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def test_https_with_the_ssl_iohandler(indy, tls_files):
    # SSLOptions.CertFile/KeyFile (encrypted: OnGetPassword), RootCertFile
    # (the chain), Method/SSLVersions/Mode: curl and Python ssl verify it
    s = indy(**_tls_opts(indy, tls_files))
    s.wait_for(r"GET_PASSWORD")
    s.wait_for(rf"QUERY_SSL_PORT 0")
    ctx = ssl.create_default_context(cafile=tls_files.root)
    status, body = _https_get(s.port, ctx)
    assert status == 200 and b"cmd=GET" in body
    assert CURL, "curl is not installed"
    p = subprocess.run([CURL, "-s", "-S", "--max-time", "30", "--cacert", tls_files.root,
                        "--resolve", f"localhost:{s.port}:127.0.0.1",
                        f"https://localhost:{s.port}/info"], capture_output=True, timeout=60)
    assert p.returncode == 0 and b"cmd=GET" in p.stdout, p.stderr
    # never plain: an HTTP request on the TLS port gets no HTTP answer
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
        c.sendall(b"GET /info HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = c.recv(4096)
        except OSError:
            data = b""
        assert not data.startswith(b"HTTP/")


def test_https_client_certificates(indy, tls_files, indy_client_certs):
    # VerifyMode [sslvrfPeer, sslvrfFailIfNoPeerCert]: only a client whose
    # certificate chains to RootCertFile's CAs gets in; [sslvrfPeer]: a
    # client may come without one, but one it sends must verify
    certs = indy_client_certs
    base = dict(ca=as_seen_by(indy.path, certs.root_cert_file))
    s = indy(**_tls_opts(indy, tls_files, verify="require", depth="2", **base))
    assert _https_get(s.port, certs.context("alice"))[0] == 200
    assert _https_get(s.port, certs.context("bob"))[0] == 200  # via its intermediate
    for who in (None, "mallory"):
        with pytest.raises((OSError, http.client.HTTPException)):
            _https_get(s.port, certs.context(who))
    optional = indy(**_tls_opts(indy, tls_files, verify="peer", **base))
    assert _https_get(optional.port, certs.context())[0] == 200
    assert _https_get(optional.port, certs.context("alice"))[0] == 200
    with pytest.raises((OSError, http.client.HTTPException)):
        _https_get(optional.port, certs.context("mallory"))


INDY_CA_SEEN = "/CN=iocpws client CA|/CN=iocpws client CA|CN=iocpws client CA True 0 True"
INDY_INTER_SEEN = ("1 /CN=iocpws client inter|/CN=iocpws client CA|CN=iocpws client inter"
                   " True 0 True")
INDY_BOB_SEEN = "0 /CN=bob|/CN=iocpws client inter|CN=bob True 0 True"
INDY_ALICE_SEEN = ("0 /O=iocpws test/CN=alice|/CN=iocpws client CA|CN=alice,O=iocpws test"
                   " True 0 True")


@pytest.mark.parametrize("refuse", ["/CN=bob", "/CN=iocpws client inter"])
def test_https_on_verify_peer(indy, tls_files, indy_client_certs, refuse):
    """OnVerifyPeer: once per certificate of the verified chain, deepest
    first (bob's: the CA at depth 2, his intermediate, bob), AOk True,
    AError 0, once per connection, before OnCommandGet and before the
    WebSocket upgrade. False refuses (403, OnException says why) and ends
    the calls; the request never reaches OnCommandGet."""
    certs = indy_client_certs
    base = dict(ca=as_seen_by(indy.path, certs.root_cert_file))
    s = indy(**_tls_opts(indy, tls_files, verify="peer", depth="2",
                         verifypeer=refuse, **base))
    mark = s.mark()
    # alice: two certificates, accepted; keep-alive requests are not asked again
    c = http.client.HTTPSConnection("localhost", s.port, timeout=30,
                                    context=certs.context("alice"))
    try:
        for _ in range(2):
            c.request("GET", "/info")
            r = c.getresponse()
            assert r.status == 200 and b"cmd=GET" in r.read()
    finally:
        c.close()
    seen = [m.group(1) for m in s.matches(r"VERIFY_PEER (.*)", since=mark)]
    assert seen == ["1 " + INDY_CA_SEEN, INDY_ALICE_SEEN]
    # bob: refused at the subject asked for; the calls stop there
    mark = s.mark()
    status, body = _https_get(s.port, certs.context("bob"))
    assert status == 403 and b"cmd=GET" not in body  # not OnCommandGet's /info
    seen = [m.group(1) for m in s.matches(r"VERIFY_PEER (.*)", since=mark)]
    expected = ["2 " + INDY_CA_SEEN, INDY_INTER_SEEN, INDY_BOB_SEEN]
    assert seen == (expected if refuse == "/CN=bob" else expected[:2])
    s.wait_for(r"EXCEPTION EIdHTTPServerError .*OnVerifyPeer refused the client "
               rf"certificate \"{re.escape(refuse)}\" \(depth {0 if 'bob' in refuse else 1}\).*403",
               since=mark)
    # a client without a certificate: no call
    mark = s.mark()
    assert _https_get(s.port, certs.context())[0] == 200
    assert s.matches(r"VERIFY_PEER .*", since=mark) == []

    # the WebSocket upgrade: asked before OnWebSocketConnect
    async def ws(who):
        async with connect(f"wss://localhost:{s.port}/ws", ssl=certs.context(who)):
            pass

    mark = s.mark()
    run(ws("alice"))
    s.wait_for(r"WS_CONNECT /ws .*", since=mark)
    assert [m.group(1) for m in s.matches(r"VERIFY_PEER (.*)", since=mark)] == [
        "1 " + INDY_CA_SEEN, INDY_ALICE_SEEN]
    mark = s.mark()
    with pytest.raises(Exception) as refused:
        run(ws("bob"))
    assert "403" in str(refused.value)
    assert s.matches(r"WS_CONNECT .*", since=mark) == []


def test_https_and_a_plain_binding_by_on_query_ssl_port(indy, tls_files):
    # every binding speaks TLS unless OnQuerySSLPort says VUseSSL := False
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        plain = probe.getsockname()[1]
    s = indy(**_tls_opts(indy, tls_files, plain=str(plain)))
    s.wait_for(rf"QUERY_SSL_PORT {plain}")
    ctx = ssl.create_default_context(cafile=tls_files.root)
    assert _https_get(s.port, ctx)[0] == 200
    r, body = fetch(type("P", (), {"port": plain})(), "GET", "/info")
    assert r.status == 200 and b"cmd=GET" in body


@pytest.mark.parametrize("what", ["verifydirs", "dhparams", "client", "sslv3", "nocert"])
def test_ssl_settings_the_engine_cannot_honour_raise_at_active(indy, tls_files, what):
    opts = _tls_opts(indy, tls_files, unsupported=what)
    args = [indy.path]
    for k, v in opts.items():
        args += ["--opt", f"{k}={v}"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60, input="")
    assert p.returncode == 3, p.stdout + p.stderr
    assert re.search(r"START_FAILED EIdIocpUnsupported .*IdServerIOHandlerSSLOpenSSL1", p.stdout), p.stdout
