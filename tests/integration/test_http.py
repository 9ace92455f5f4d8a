"""Plain HTTP on the WebSocket port (Since 0.5): on_http_request, keep-alive,
pipelining, bodies, limits, timeouts, deferred responses, upgrades after
plain requests, HTTPS and worker threads - with curl, Python's http.client
and raw sockets."""

import asyncio
import http.client
import json
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from iws_helpers import OP_TEXT, RawClient, handshake_request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def error_code(name):
    """An IWS_E_* value from the public header (the test server prints
    return codes as numbers)."""
    with open(os.path.join(ROOT, "include", "iocpws.h")) as f:
        m = re.search(rf"#define {name} (-?\d+)", f.read())
    assert m, name
    return int(m.group(1))


def get(port, path, host="127.0.0.1"):
    return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()


def read_response(c, timeout=10.0):
    """One response on a RawClient; 1xx, HEAD and bodiless statuses are
    the caller's business (read_http_response uses Content-Length)."""
    return c.read_http_response(timeout)


def expect_eof(c, timeout=5.0):
    c.wait_eof(timeout)


def echo(conn, method="GET", path="/echo", body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    assert r.status == 200, (r.status, data)
    assert r.getheader("Content-Type") == "application/json"
    return json.loads(data)


def curl():
    path = shutil.which("curl")
    if path is None:
        pytest.fail("curl is needed (scripts/install-deps.sh installs it)",
                    pytrace=False)
    return path


# --------------------------------------------------------------------------
# requests and responses
# --------------------------------------------------------------------------


def test_get_reaches_the_handler(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    e = echo(conn, path="/ech%6F?a=1&b=x+y%21&flag&=skip&c=%zz")
    assert e["method"] == "GET"
    assert e["document"] == "/echo"  # percent-decoded
    assert e["query"] == "a=1&b=x+y%21&flag&=skip&c=%zz"  # as sent
    assert e["params"] == [["a", "1"], ["b", "x y!"], ["flag", ""], ["", "skip"],
                           ["c", "%zz"]]
    assert e["body"] == ""
    assert e["host"] == f"127.0.0.1:{server.port}"
    conn.close()


def test_response_headers(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/conn")
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200 and r.reason == "OK"
    assert body.startswith(b"conn ")
    assert r.getheader("Server") == "iocpws"
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", r.getheader("Date"))
    assert r.getheader("Content-Type") == "text/html; charset=utf-8"
    assert r.getheader("Content-Length") == str(len(body))
    conn.request("GET", "/reason")
    r = conn.getresponse()
    assert (r.status, r.reason, r.read()) == (299, "Fine Thanks", b"ok")
    conn.request("GET", "/status/418")
    r = conn.getresponse()
    assert (r.status, r.read()) == (418, b"status 418")
    conn.request("GET", "/nocontent")
    r = conn.getresponse()
    assert r.status == 204 and r.getheader("Content-Length") is None
    assert r.read() == b""
    conn.close()


def test_untouched_response_is_404(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for path in ("/untouched", "/no/such/route", "/a%20b"):
        conn.request("GET", path)
        r = conn.getresponse()
        assert r.status == 404, path
        assert r.read() == b"Not Found\n"
    conn.close()


@pytest.mark.parametrize(
    "name,value,ok",
    [
        ("X-Ok", "fine", True),
        ("Set-Cookie", "a=1; Path=/", True),
        ("Bad Name", "v", False),
        ("X-Inject", "a\r\nX-Evil: 1", False),
        ("Content-Length", "5", False),
        ("Transfer-Encoding", "chunked", False),
    ],
    ids=["ok", "cookie", "space-in-name", "crlf-in-value", "content-length",
         "transfer-encoding"],
)
def test_header_validation(server, name, value, ok):
    from urllib.parse import quote
    with RawClient(server.port) as c:
        c.send(get(server.port, f"/header?name={quote(name)}&value={quote(value, safe='%')}"))
        r = read_response(c)
        assert r.status == 200
        if ok:
            assert r.body == b"rc=0"
            assert r.header(name.lower()) == value
        else:
            assert r.body == f"rc={error_code('IWS_E_INVALID_ARG')}".encode()
            assert r.header("x-evil") is None


def test_form_body_and_content_length(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    e = echo(conn, "POST", "/echo?q=1", body="name=J%C3%BCrgen+X&empty=&x",
             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert e["params"] == [["q", "1"], ["name", "J\u00c3\u00bcrgen X"], ["empty", ""],
                           ["x", ""]]
    # not a form: the body is not parsed for parameters
    e = echo(conn, "PUT", "/echo", body="a=1", headers={"Content-Type": "text/plain"})
    assert e["method"] == "PUT" and e["params"] == [] and e["body"] == "a=1"
    big = os.urandom(300 * 1024).hex()  # 600 KiB of text
    e = echo(conn, "POST", "/echo", body=big)
    assert e["body"] == big
    conn.close()


def test_head_gets_gets_headers(server):
    with RawClient(server.port) as c:
        c.send(f"HEAD /big?n=1000 HTTP/1.1\r\nHost: x\r\n\r\n".encode() + get(server.port, "/conn"))
        head = c.read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head
        assert b"\r\nContent-Length: 1000" in head
        # no body: the next response follows at once
        r = read_response(c)
        assert r.status == 200 and r.body.startswith(b"conn ")


# --------------------------------------------------------------------------
# connections: keep-alive, HTTP/1.0, close
# --------------------------------------------------------------------------


def test_keep_alive_reuses_the_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    ids = set()
    for _ in range(5):
        conn.request("GET", "/conn")
        r = conn.getresponse()
        ids.add(r.read())
        sock = conn.sock
        assert sock is not None
    assert len(ids) == 1, ids  # one connection id: one TCP connection
    conn.request("GET", "/conn")
    r = conn.getresponse()
    r.read()
    assert conn.sock is sock
    conn.close()


def test_curl_keep_alive_and_chunked(server):
    base = f"http://127.0.0.1:{server.port}"
    out = subprocess.run(
        [curl(), "-sS", "-v", f"{base}/conn", f"{base}/conn"],
        capture_output=True, timeout=30, text=True)
    assert out.returncode == 0, out.stderr
    ids = re.findall(r"conn \d+", out.stdout)
    assert len(ids) == 2 and ids[0] == ids[1], out.stdout
    assert "Re-using existing connection" in out.stderr or "Reusing" in out.stderr
    body = "".join(f"line {i}\n" for i in range(2000))
    out = subprocess.run(
        [curl(), "-sS", "-H", "Transfer-Encoding: chunked", "-H",
         "Content-Type: text/plain", "--data-binary", "@-", f"{base}/echo"],
        input=body, capture_output=True, timeout=30, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["body"] == body


def test_http_1_0(server):
    with RawClient(server.port) as c:
        c.send(b"GET /conn HTTP/1.0\r\n\r\n")
        r = read_response(c)
        assert r.status == 200 and r.header("connection") == "close"
        expect_eof(c)
    with RawClient(server.port) as c:
        for _ in range(3):
            c.send(b"GET /conn HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            r = read_response(c)
            assert r.status == 200 and r.header("connection") == "keep-alive"
        c.send(b"GET /conn HTTP/1.0\r\n\r\n")
        assert read_response(c).status == 200
        expect_eof(c)


def test_connection_close(server):
    with RawClient(server.port) as c:
        c.send(b"GET /conn HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
               + get(server.port, "/never"))
        r = read_response(c)
        assert r.status == 200 and r.header("connection") == "close"
        expect_eof(c)
        assert b"never" not in c.buf
    with RawClient(server.port) as c:
        c.send(get(server.port, "/close"))
        r = read_response(c)
        assert r.body == b"closing" and r.header("connection") == "close"
        expect_eof(c)


def test_empty_lines_before_a_request(server):
    with RawClient(server.port) as c:
        c.send(b"\r\n\r\n" + get(server.port, "/conn"))
        assert read_response(c).status == 200


@pytest.mark.hostile
@pytest.mark.parametrize("split", [False, True])
def test_many_empty_lines_before_the_first_request(server, split):
    """More empty lines than the head limit (8 KiB) before the first
    request: they are skipped, and what follows them in the same read (or
    the next one) is served, not dropped."""
    junk = b"\r\n" * 6000
    with RawClient(server.port) as c:
        if split:
            c.send(junk)
            time.sleep(0.2)
            c.send(get(server.port, "/conn"))
        else:
            c.send(junk + get(server.port, "/conn"))
        r = read_response(c, timeout=5)
        assert r.status == 200 and r.body.startswith(b"conn "), r


def test_keep_alive_timeout(start_server):
    server = start_server(http_keepalive_timeout_ms=400)
    with RawClient(server.port) as c:
        c.send(get(server.port, "/conn"))
        assert read_response(c).status == 200
        t0 = time.monotonic()
        expect_eof(c, timeout=5)
        elapsed = time.monotonic() - t0
    assert elapsed >= 0.2, f"closed after {elapsed:.2f}s, before 400 ms"


def test_keep_alive_off(start_server):
    server = start_server(http_keepalive_timeout_ms=0)
    with RawClient(server.port) as c:
        c.send(get(server.port, "/conn"))
        assert read_response(c).header("connection") == "close"
        expect_eof(c)


def test_handshake_timeout_does_not_cut_keep_alive(start_server):
    server = start_server(handshake_timeout_ms=300)
    with RawClient(server.port) as c:
        c.send(get(server.port, "/conn"))
        first = read_response(c).body
        time.sleep(0.8)
        c.send(get(server.port, "/conn"))
        assert read_response(c).body == first


# --------------------------------------------------------------------------
# pipelining
# --------------------------------------------------------------------------


def test_pipelining_50_in_one_send(server):
    with RawClient(server.port) as c:
        c.send(b"".join(get(server.port, f"/echo?i={i}") for i in range(50)))
        for i in range(50):
            r = read_response(c)
            assert r.status == 200
            assert json.loads(r.body)["query"] == f"i={i}"


def test_pipelining_keeps_order_with_deferred_answers(server):
    # The first answer comes last from its thread; order must hold.
    paths = ["/defer?ms=400&tag=p1", "/defer?ms=10&tag=p2", "/echo?i=3",
             "/defer?ms=100&tag=p4", "/conn"]
    with RawClient(server.port) as c:
        c.send(b"".join(get(server.port, p) for p in paths))
        bodies = [read_response(c).body for _ in paths]
    assert bodies[0] == b"deferred p1"
    assert bodies[1] == b"deferred p2"
    assert json.loads(bodies[2])["query"] == "i=3"
    assert bodies[3] == b"deferred p4"
    assert bodies[4].startswith(b"conn ")
    for tag in ("p1", "p2", "p4"):
        server.wait_for(rf"HTTP_SEND {tag} 0")


def test_pipelining_beyond_the_limit(start_server):
    server = start_server(http_max_pipelined=2)
    with RawClient(server.port) as c:
        # answered two per turn: the connection yields and comes back
        c.send(b"".join(get(server.port, f"/echo?i={i}") for i in range(40)))
        for i in range(40):
            assert json.loads(read_response(c).body)["query"] == f"i={i}"
        c.send(b"".join(get(server.port, f"/defer?ms=5&tag=q{i}") for i in range(20)))
        for i in range(20):
            assert read_response(c).body == f"deferred q{i}".encode()


def test_pipelining_client_that_does_not_read(server):
    # 300 answers of 20 KB (6 MB) asked for at once, read only later: the
    # server stops answering (and reading) while its output is backed up,
    # then goes on as the client reads - every answer arrives, in order.
    n, size = 300, 20000
    # (a small receive window: the server's output backs up at once)
    with RawClient(server.port, timeout=30, rcvbuf=16384) as c:
        c.sock.settimeout(30)
        sender = threading.Thread(
            target=c.send,
            args=(b"".join(get(server.port, f"/big?n={size}&i={i}") for i in range(n)),))
        sender.start()
        time.sleep(0.5)
        for i in range(n):
            r = read_response(c, timeout=30)
            assert r.status == 200 and len(r.body) == size, i
        sender.join(30)
        assert not sender.is_alive()


def test_pipelined_bodies_split_anywhere(server):
    reqs = b""
    for i in range(10):
        body = f"body-{i}".encode() * (i + 1)
        reqs += (f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
                 .encode() + body)
    with RawClient(server.port) as c:
        pos = 0
        rng = random.Random(7)
        while pos < len(reqs):
            n = rng.randint(1, 40)
            c.send(reqs[pos:pos + n])
            pos += n
            time.sleep(0.001)
        for i in range(10):
            assert json.loads(read_response(c).body)["body"] == f"body-{i}" * (i + 1)


# --------------------------------------------------------------------------
# chunked bodies and Expect
# --------------------------------------------------------------------------


def test_chunked_raw_with_extensions_and_trailers(server):
    body = (b"1\r\na\r\n"
            b"1F;name=value;other\r\n" + b"b" * 31 + b"\r\n"
            b"0a \r\n" + b"c" * 10 + b"\r\n"
            b"0;last\r\nX-Trailer: yes\r\nAnother: one\r\n\r\n")
    req = (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body
           + get(server.port, "/conn"))
    with RawClient(server.port) as c:
        for i in range(len(req)):  # one byte at a time: every split point
            c.send(req[i:i + 1])
        assert json.loads(read_response(c).body)["body"] == "a" + "b" * 31 + "c" * 10
        assert read_response(c).status == 200


def test_expect_100_continue(server):
    with RawClient(server.port) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n")
        interim = c.read_until(b"\r\n\r\n")
        assert interim == b"HTTP/1.1 100 Continue"
        c.send(b"hello")
        assert json.loads(read_response(c).body)["body"] == "hello"


def test_expect_100_continue_too_large(start_server):
    server = start_server(http_max_body_size=100)
    with RawClient(server.port) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
               b"Expect: 100-continue\r\n\r\n")
        r = read_response(c)
        assert r.status == 413
        expect_eof(c)


# --------------------------------------------------------------------------
# refusals
# --------------------------------------------------------------------------


def answer_to(port, bad, after_keep_alive):
    """The bytes (Date blanked) the server answers `bad` with, up to its
    close: as a connection's first request, or after a plain request was
    answered on the same (kept-alive) connection."""
    with RawClient(port) as c:
        if after_keep_alive:
            c.send(get(port, "/conn"))
            r = read_response(c)
            assert r.status == 200 and r.body.startswith(b"conn "), r
        c.send(bad)
        raw = c.wait_eof(10)
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: -\r\n", raw)


@pytest.mark.parametrize(
    "bad",
    [
        b"GET /echo HTTP/1.1\r\nHost x\r\n\r\n",  # malformed header line
        b"GET /echo HTTP/1.1\r\n\r\n",  # no Host
        b"GET /echo HTTP/2.0\r\nHost: x\r\n\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",  # 414
        # WebSocket upgrades the handshake refuses: no key (400), an old
        # version (426, with the headers it needs), not GET (405)
        handshake_request(1, path="/echo", key=False)[0],
        handshake_request(1, path="/echo", version="8")[0],
        handshake_request(1, path="/echo", method="POST")[0],
        # refused by on_connect (the test server's /reject/403), after it
        # sent a welcome that must not go out
        handshake_request(1, path="/reject/403")[0],
    ],
    ids=["bad-header", "no-host", "http2", "uri-too-long", "no-key",
         "version-8", "post-upgrade", "on-connect-403"],
)
def test_same_refusal_first_and_on_keep_alive(server, bad):
    """One response writer answers every refusal: the same bad request gets
    the same bytes as a connection's first request and after a request
    answered on the same connection."""
    first = answer_to(server.port, bad, False)
    later = answer_to(server.port, bad, True)
    assert re.match(rb"HTTP/1\.1 [45]\d\d ", first), first[:200]
    assert b"\r\nConnection: close\r\n" in first, first[:400]
    assert first == later, (first[:400], later[:400])
    if b"Sec-WebSocket-Version: 8" in bad:
        assert b"\r\nSec-WebSocket-Version: 13\r\n" in first, first[:400]


def refused(port, data, status):
    with RawClient(port) as c:
        c.send(data)
        r = read_response(c)
        assert r.status == status, r
        assert r.header("connection") == "close"
        expect_eof(c)


@pytest.mark.parametrize(
    "head",
    [
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
        b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET /echo HTTP/1.1\r\n\r\n",
        b"GET /echo HTTP/1.1\r\nHost: x\r\n Folded: yes\r\n\r\n",
        b"GET /echo HTTP/1.1\r\nHost : x\r\n\r\n",
        b"GET echo HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET ftp://x/echo HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /a%zzb HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /echo?a=%00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /echo HTTP/1.1 extra\r\nHost: x\r\n\r\n",
    ],
    ids=["cl-and-te", "two-lengths", "length-list", "length-text", "length-negative",
         "length-plus", "length-huge", "chunk-size", "chunk-crlf", "te-in-1.0",
         "no-host", "obs-fold", "space-before-colon", "relative-target",
         "asterisk", "other-scheme", "encoded-nul", "bad-escape", "nul-param", "bad-version"],
)
def test_400_malformed(server, head):
    refused(server.port, head, 400)


@pytest.mark.hostile
@pytest.mark.parametrize(
    "host",
    [b"Host: a\r\nHost: a\r\n", b"Host: a\r\nhost: b\r\n",
     b"Host: a b\r\n", b"Host: a/b\r\n", b"Host: user@a\r\n",
     b"Host: a:80x\r\n", b"Host: [::1\r\n"],
    ids=["twice", "two-values", "space", "slash", "userinfo", "bad-port",
         "open-bracket"],
)
@pytest.mark.parametrize("version", [b"1.1", b"1.0"])
def test_400_repeated_or_invalid_host(server, host, version):
    """RFC 9112 3.2: several Host lines or an invalid value get 400 (also
    in HTTP/1.0, which may omit the header)."""
    refused(server.port,
            b"GET /echo HTTP/" + version + b"\r\n" + host + b"\r\n", 400)


def test_absolute_form_target(server):
    """RFC 9112 3.2.2: a server must accept the absolute-form; the path is
    taken from it and its authority is the Host."""
    with RawClient(server.port) as c:
        c.send(b"GET http://example.com:81/echo?a=1 HTTP/1.1\r\n"
               b"Host: example.com:81\r\n\r\n")
        r = read_response(c)
        assert r.status == 200, r
        body = json.loads(r.body)
        assert body["document"] == "/echo" and body["query"] == "a=1", body
        assert body["host"] == "example.com:81", body
        # the host comes from the target, whatever the header said
        c.send(b"GET HTTPS://target.test/echo HTTP/1.1\r\n"
               b"Host: header.test\r\n\r\n")
        body = json.loads(read_response(c).body)
        assert body["document"] == "/echo" and body["host"] == "target.test"
        # no path: "/"
        c.send(b"GET http://h HTTP/1.1\r\nHost: h\r\n\r\n")
        assert read_response(c).status == 404  # "/" is not a route


def test_options_asterisk(server):
    """OPTIONS * (RFC 9110 9.3.7) is answered by the library: 204 with
    Allow; the connection stays open."""
    with RawClient(server.port) as c:
        c.send(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        r = read_response(c)
        assert r.status == 204, r
        assert "OPTIONS" in r.header("allow") and "GET" in r.header("allow")
        assert r.body == b""
        c.send(get(server.port, "/conn"))
        assert read_response(c).status == 200
    assert not server.matches(r"HTTP_REQUEST .*\*.*")


@pytest.mark.parametrize(
    "te", [b"gzip, chunked", b"chunked, gzip", b"identity", b"chunked, chunked"])
def test_501_transfer_coding(server, te):
    refused(server.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
            + te + b"\r\n\r\n", 501)


def test_505_version(server):
    refused(server.port, b"GET /echo HTTP/2.0\r\nHost: x\r\n\r\n", 505)
    refused(server.port, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505)


def test_413_body_too_large(start_server):
    server = start_server(http_max_body_size=1000)
    refused(server.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", 413)
    chunked = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunked += b"200\r\n" + b"x" * 512 + b"\r\n" + b"200\r\n" + b"x" * 512 + b"\r\n0\r\n\r\n"
    refused(server.port, chunked, 413)
    # at the limit: fine
    with RawClient(server.port) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"y" * 1000)
        assert json.loads(read_response(c).body)["body"] == "y" * 1000


def test_414_uri_too_long(start_server):
    server = start_server(http_max_uri_length=1000, max_handshake_size=65536)
    refused(server.port, get(server.port, "/echo?" + "a" * 1000), 414)
    # seen from the request line alone, before the head is complete
    refused(server.port, b"GET /" + b"a" * 2000, 414)
    with RawClient(server.port) as c:
        c.send(get(server.port, "/echo?" + "a" * 900))
        assert read_response(c).status == 200


def test_431_head_too_large(server):
    refused(server.port, b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 9000
            + b"\r\n\r\n", 431)
    with RawClient(server.port) as c:
        # a later request on a keep-alive connection too
        c.send(get(server.port, "/conn"))
        assert read_response(c).status == 200
        c.send(b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 9000 + b"\r\n\r\n")
        r = read_response(c)
        assert r.status == 431
        expect_eof(c)


def test_408_request_timeout(start_server):
    server = start_server(http_request_timeout_ms=400)
    with RawClient(server.port) as c:
        c.send(get(server.port, "/conn"))
        assert read_response(c).status == 200
        t0 = time.monotonic()
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        r = read_response(c, timeout=5)
        assert r.status == 408
        assert time.monotonic() - t0 >= 0.2
        expect_eof(c)


def test_refusals_are_counted(start_server):
    server = start_server()
    refused(server.port, b"GET /echo HTTP/1.1\r\n\r\n", 400)
    with RawClient(server.port) as c:
        c.send(get(server.port, "/conn") + get(server.port, "/httpstats"))
        read_response(c)
        stats = read_response(c).body.decode()
    m = re.fullmatch(r"requests=(\d+) refused=(\d+) current=(\d+)", stats)
    assert m, stats
    # the 400, /conn; /httpstats is counted once answered
    assert int(m.group(1)) >= 2 and int(m.group(2)) == 1 and int(m.group(3)) >= 1


# --------------------------------------------------------------------------
# deferred responses
# --------------------------------------------------------------------------


def test_deferred_from_another_thread(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/defer?ms=150&tag=d1&status=201")
    r = conn.getresponse()
    assert (r.status, r.read()) == (201, b"deferred d1")
    server.wait_for(r"HTTP_SEND d1 0")
    conn.request("GET", "/deferquick")
    r = conn.getresponse()
    assert r.read() == b"quick"
    server.wait_for(r"HTTP_QUICK 0 0")
    conn.close()


def test_response_timeout_answers_503(start_server):
    server = start_server(http_response_timeout_ms=300)
    with RawClient(server.port) as c:
        t0 = time.monotonic()
        c.send(get(server.port, "/defer?ms=1500&tag=late"))
        r = read_response(c, timeout=5)
        assert r.status == 503
        assert time.monotonic() - t0 < 1.4
        # the connection goes on
        c.send(get(server.port, "/conn"))
        assert read_response(c).status == 200
    server.wait_for(rf"HTTP_SEND late {error_code('IWS_E_TIMEOUT')}", timeout=10)


def test_client_gone_before_the_deferred_send(server):
    with RawClient(server.port) as c:
        c.send(get(server.port, "/defer?ms=400&tag=gone"))
        time.sleep(0.1)
    server.wait_for(rf"HTTP_SEND gone {error_code('IWS_E_NO_CONNECTION')}", timeout=10)


def test_stop_with_deferred_outstanding(start_server):
    server = start_server()
    c = RawClient(server.port)
    c.send(get(server.port, "/defer?ms=800&tag=stopping"))
    time.sleep(0.1)
    t0 = time.monotonic()
    server.command("stop")
    server.wait_for(r"STOPPED rc=0 .*", timeout=10)
    assert time.monotonic() - t0 < 5
    server.wait_for(rf"HTTP_SEND stopping {error_code('IWS_E_NO_CONNECTION')}", timeout=10)
    c.sock.close()
    server.command("start")
    server.wait_for(r"PORT \d+", since=1)


# --------------------------------------------------------------------------
# WebSocket upgrade after plain requests
# --------------------------------------------------------------------------


def ws_echo_roundtrip(c, text):
    c.send_text(text)
    f = c.recv_frame()
    assert f.opcode == OP_TEXT and f.payload == text.encode()


def test_upgrade_after_plain_requests(server):
    with RawClient(server.port) as c:
        for _ in range(3):
            c.send(get(server.port, "/conn"))
            assert read_response(c).status == 200
        c.handshake("/after-http")
        ws_echo_roundtrip(c, "hello after http")
    server.wait_for(r"CONNECT \d+ /after-http .*")


def test_upgrade_pipelined_behind_a_request(server):
    request, _ = handshake_request(server.port, "/piped")
    with RawClient(server.port) as c:
        c.send(get(server.port, "/defer?ms=200&tag=before") + request)
        assert read_response(c).body == b"deferred before"
        r = read_response(c)
        assert r.status == 101
        ws_echo_roundtrip(c, "piped")


# --------------------------------------------------------------------------
# HTTPS, worker threads
# --------------------------------------------------------------------------


def test_https(tls_server, tls_files):
    ctx = ssl.create_default_context(cafile=tls_files.root)
    conn = http.client.HTTPSConnection("localhost", tls_server.tls_port, context=ctx,
                                       timeout=10)
    ids = set()
    for i in range(3):
        e = echo(conn, "POST", f"/echo?i={i}", body="secret")
        assert e["body"] == "secret" and e["query"] == f"i={i}"
        ids.add(e["id"])
    assert len(ids) == 1
    conn.request("GET", "/defer?ms=50&tag=tls")
    assert conn.getresponse().read() == b"deferred tls"
    conn.close()
    # pipelined over TLS
    raw = ctx.wrap_socket(socket.create_connection(("127.0.0.1", tls_server.tls_port)),
                          server_hostname="localhost")
    with RawClient.over(raw, tls_server.tls_port) as c:
        c.send(b"".join(get(tls_server.tls_port, f"/echo?i={i}") for i in range(20)))
        for i in range(20):
            assert json.loads(read_response(c).body)["query"] == f"i={i}"


@pytest.mark.parametrize("workers", [1, 3])
def test_worker_threads(start_server, workers):
    server = start_server(worker_threads=workers)
    with RawClient(server.port) as c:
        paths = [f"/defer?ms={(5 - i) * 20}&tag=w{i}" for i in range(5)] + ["/conn"]
        c.send(b"".join(get(server.port, p) for p in paths))
        for i in range(5):
            assert read_response(c).body == f"deferred w{i}".encode()
        assert read_response(c).status == 200
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3\r\nabc\r\n0\r\n\r\n")
        assert json.loads(read_response(c).body)["body"] == "abc"
        c.handshake("/worker-upgrade")
        ws_echo_roundtrip(c, "worker")


# --------------------------------------------------------------------------
# hostile and many clients
# --------------------------------------------------------------------------


def test_garbage_never_crashes(server):
    rng = random.Random(1234)
    samples = [b"\x00" * 100, b"\xff" * 5000, b"GET / HTTP/1.1\r\n" * 500,
               b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"ffffffffffffffffffff\r\n",
               b"GET /%%%%%%%% HTTP/1.1\r\nHost: x\r\n\r\n"]
    samples += [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 3000)))
                for _ in range(60)]
    samples += [b"GET /echo HTTP/1.1\r\nHost: x\r\n" + bytes(rng.getrandbits(8)
                for _ in range(200)) + b"\r\n\r\n" for _ in range(30)]
    for data in samples:
        try:
            with RawClient(server.port, timeout=5) as c:
                c.send(data)
                c.sock.shutdown(socket.SHUT_WR)
                deadline = time.monotonic() + 5
                while c._fill(deadline):
                    pass
        except (ConnectionError, TimeoutError, OSError):
            pass
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    assert echo(conn, path="/echo?alive=1")["query"] == "alive=1"


def test_500_concurrent_clients(server):
    port = server.port

    async def client(i):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for k in range(2):
                writer.write(get(port, f"/echo?c={i}&k={k}"))
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                m = re.search(rb"Content-Length: (\d+)", head)
                body = await reader.readexactly(int(m.group(1)))
                assert json.loads(body)["query"] == f"c={i}&k={k}"
        finally:
            writer.close()
        return True

    async def main():
        results = await asyncio.wait_for(
            asyncio.gather(*(client(i) for i in range(500)), return_exceptions=True), 120)
        failures = [r for r in results if r is not True]
        assert not failures, failures[:3]

    asyncio.run(main())


# ---------------------------------------------------------------------------
# back-pressure on a streamed response: iws_http_stream_wait
# ---------------------------------------------------------------------------

def _dechunk(raw):
    """The body of a chunked HTTP/1.1 message (raw: everything after the
    head); fails on a malformed frame."""
    out, i = bytearray(), 0
    while True:
        j = raw.index(b"\r\n", i)
        size = int(raw[i:j].split(b";")[0], 16)
        i = j + 2
        if size == 0:
            return bytes(out)
        out += raw[i:i + size]
        assert raw[i + size:i + size + 2] == b"\r\n"
        i += size + 2


def test_stream_wait_slow_reader_no_busy_loop(start_server):
    # A 1 MiB queue limit and an 8 MiB body: the writer fills the queue,
    # gets IWS_E_QUEUE_FULL, sleeps in iws_http_stream_wait, and resumes
    # as the slow client reads. Its CPU time stays small over seconds of
    # waiting (a polling loop would burn about the whole wall time).
    server = start_server(send_queue_limit=1 << 20)
    total, chunk = 8 << 20, 256 << 10
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
    sock.sendall(get(server.port, f"/streamwait?tag=s1&total={total}&chunk={chunk}"))
    server.wait_for(r"STREAM_WAIT_IN_CALLBACK s1 (-?\d+)")
    data = bytearray()
    started = time.monotonic()
    while True:
        piece = sock.recv(64 << 10)
        if not piece:
            break
        data += piece
        if data.endswith(b"\r\n0\r\n\r\n"):
            break
        time.sleep(0.02)  # ~3 MiB/s: well below what the writer makes
    elapsed = time.monotonic() - started
    sock.close()
    _, m = server.wait_for(r"STREAM_WAIT s1 (\d+) (\d+) (\d+) (-?\d+) (-?\d+)")
    sent, waits, _timeouts, cpu_ms, rc = (int(x) for x in m.groups())
    _, m_cb = server.wait_for(r"STREAM_WAIT_IN_CALLBACK s1 (-?\d+)")
    assert int(m_cb.group(1)) == error_code("IWS_E_IN_CALLBACK")
    assert rc == 0 and sent == total
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"transfer-encoding: chunked" in head.lower()
    body = _dechunk(rest)
    assert len(body) == total
    pattern = bytes((ord("a") + k % 26) for k in range(chunk))
    assert body == pattern * (total // chunk)
    assert waits >= 3, waits  # the queue did fill: the writer waited
    assert elapsed > 1.0, elapsed  # and the reader was the slow side
    # No busy loop: the waiting thread slept. Its work is copying 8 MiB
    # into the engine; a polling writer would spend ~elapsed here.
    assert 0 <= cpu_ms < max(250, elapsed * 1000 * 0.15), (cpu_ms, elapsed)


def test_stream_wait_ends_when_the_client_goes(start_server):
    server = start_server(send_queue_limit=1 << 20)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
    sock.sendall(get(server.port, "/streamwait?tag=s2&total=1073741824&chunk=262144"))
    sock.recv(4096)
    time.sleep(1.0)  # the writer has filled the queue and waits for room
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
    sock.close()  # a reset
    _, m = server.wait_for(r"STREAM_WAIT s2 (\d+) (\d+) (\d+) (-?\d+) (-?\d+)")
    sent, waits = int(m.group(1)), int(m.group(2))
    assert int(m.group(5)) == error_code("IWS_E_NO_CONNECTION")
    assert waits >= 1 and sent < 1073741824
