"""HTTP on the WebSocket port through the Pascal component: OnCommandGet /
OnCommandOther with Indy-shaped request and response objects, in every
NotifyEvents mode, driven by a real HTTP client (Python's http.client) and,
on the same port, the websockets client."""

import base64
import http.client
import json
import os
import re
import subprocess
import threading

import pytest

from iws_helpers import MIB, ask, connect, run, url

MODES = ["async", "sync", "nosync"]
NON_ASCII = "héllo wörld — € ☃ 日本語 🎉"
THREAD = {"async": "main", "sync": "main", "nosync": "other"}


def fetch(s, method, path, body=None, headers=None, conn=None):
    """One request; returns (response, body bytes). conn: a keep-alive
    connection to reuse."""
    c = conn or http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r, r.read()
    finally:
        if conn is None:
            c.close()


def lines_of(data):
    return data.decode("utf-8").splitlines()


@pytest.mark.parametrize("mode", MODES)
def test_get_with_params(start_server, mode):
    s = start_server(mode=mode)
    r, data = fetch(s, "GET", "/params?a=1&b=x%20y&c=%C3%A9&d=1+2&e")
    assert r.status == 200
    assert r.getheader("Content-Type") == "text/plain; charset=utf-8"
    got = lines_of(data)
    assert "cmd=GET" in got and "doc=/params" in got
    assert "uri=/params?a=1&b=x%20y&c=%C3%A9&d=1+2&e" in got
    assert "query=a=1&b=x%20y&c=%C3%A9&d=1+2&e" in got
    assert f"thread={THREAD[mode]}" in got
    assert "len=-1" in got and "body=" in got
    assert [l for l in got if l.startswith("p:")] == ["p:a=1", "p:b=x y", "p:c=é", "p:d=1 2", "p:e="]
    s.wait_for(rf"HTTP GET /params {THREAD[mode]}")


@pytest.mark.parametrize("mode", MODES)
def test_post_urlencoded_fills_params_and_form_params(start_server, mode):
    s = start_server(mode=mode)
    body = "x=1&y=h%C3%A9+l%C3%A0"
    r, data = fetch(s, "POST", "/params?q=0", body=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200
    got = lines_of(data)
    assert "cmd=POST" in got
    assert f"form={body}" in got and f"unparsed=q=0&{body}" in got
    assert f"body={body}" in got and f"len={len(body)}" in got
    assert [l for l in got if l.startswith("p:")] == ["p:q=0", "p:x=1", "p:y=hé là"]


@pytest.mark.parametrize("mode", MODES)
def test_post_raw_body_in_post_stream(start_server, mode):
    s = start_server(mode=mode)
    body = '{"name": "%s"}' % NON_ASCII
    raw = body.encode("utf-8")
    r, data = fetch(s, "POST", "/params", body=raw,
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status == 200
    got = lines_of(data)
    assert f"body={body}" in got and f"len={len(raw)}" in got
    assert "ct=application/json; charset=utf-8" in got
    assert "form=" in got and not [l for l in got if l.startswith("p:")]


@pytest.mark.parametrize("mode", MODES)
def test_content_text_is_utf8(start_server, mode):
    s = start_server(mode=mode)
    r, data = fetch(s, "GET", "/text")
    assert r.status == 200
    assert r.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert data.decode("utf-8") == NON_ASCII
    assert int(r.getheader("Content-Length")) == len(NON_ASCII.encode("utf-8"))


@pytest.mark.parametrize("mode", MODES)
def test_content_stream_1mib(start_server, mode):
    s = start_server(mode=mode)
    r, data = fetch(s, "GET", f"/stream?n={MIB}")
    assert r.status == 200
    assert r.getheader("Content-Type") == "application/octet-stream"
    assert len(data) == MIB
    assert data == bytes((i * 7 + 3) & 0xFF for i in range(MIB))


@pytest.mark.parametrize("mode", MODES)
def test_custom_headers_and_request_headers(start_server, mode):
    s = start_server(mode=mode)
    r, data = fetch(s, "GET", "/headers", headers={"X-Test": "v1 v2"})
    assert r.status == 200
    assert r.getheader("X-One") == "1" and r.getheader("X-Two") == "2"
    assert r.headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert r.getheader("Cache-Control") == "no-store"
    assert data == b"v1 v2"


@pytest.mark.parametrize("mode", MODES)
def test_response_no_404_and_redirect(start_server, mode):
    s = start_server(mode=mode)
    r, data = fetch(s, "GET", "/missing")
    assert r.status == 404 and data == b"nothing here"
    r, data = fetch(s, "GET", "/redirect")
    assert r.status == 302 and r.getheader("Location") == "/text"


@pytest.mark.parametrize("mode", MODES)
def test_on_command_other_gets_put_delete_options_patch(start_server, mode):
    s = start_server(mode=mode)
    r, data = fetch(s, "PUT", "/thing", body=b"abc")
    assert r.status == 200 and data == b"other PUT /thing abc"
    r, data = fetch(s, "PATCH", "/thing", body="é".encode())
    assert r.status == 200 and data.decode() == "other PATCH /thing é"
    r, data = fetch(s, "OPTIONS", "/x")
    assert r.status == 200 and data == b"other OPTIONS /x "
    r, data = fetch(s, "DELETE", "/thing")
    assert r.status == 204 and data == b""
    s.wait_for(rf"HTTP DELETE /thing {THREAD[mode]}")
    # GET, HEAD and POST never reach OnCommandOther
    r, data = fetch(s, "GET", "/thing")
    assert data == b"get GET /thing"


@pytest.mark.parametrize("mode", MODES)
def test_head_gets_no_body(start_server, mode):
    s = start_server(mode=mode)
    r, data = fetch(s, "HEAD", "/text")
    assert r.status == 200 and data == b""
    s.wait_for(r"HTTP HEAD /text \w+")


@pytest.mark.parametrize("mode", MODES)
def test_exception_in_handler_answers_500(start_server, mode):
    s = start_server(mode=mode)
    r, data = fetch(s, "GET", "/raise")
    assert r.status == 500
    _, m = s.wait_for(r"EXCEPTION (\d+) (\S+) (.*)")
    assert m.group(2) == "Exception" and m.group(3) == "boom in http handler"
    r, data = fetch(s, "GET", "/text")
    assert r.status == 200 and data.decode() == NON_ASCII


def test_exception_goes_to_on_error_without_on_exception(start_server):
    s = start_server(mode="async", onexception="none")
    r, _ = fetch(s, "GET", "/raise")
    assert r.status == 500
    s.wait_for(r"ERROR 0 Exception: boom in http handler")


@pytest.mark.parametrize("mode", MODES)
def test_basic_auth_and_peer(start_server, mode):
    s = start_server(mode=mode)
    cred = base64.b64encode("user:pä ss:x".encode()).decode()
    r, data = fetch(s, "GET", "/auth", headers={"Authorization": "Basic " + cred})
    assert data.decode() == "auth True user pä ss:x"
    r, data = fetch(s, "GET", "/auth")
    assert data.decode() == "auth False  "
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    c.connect()
    local_port = c.sock.getsockname()[1]
    r, data = fetch(s, "GET", "/peer", conn=c)
    c.close()
    assert data.decode() == f"peer 127.0.0.1 127.0.0.1 {local_port}"


@pytest.mark.parametrize("mode", MODES)
def test_http_and_websocket_on_one_port_with_keep_alive(start_server, mode):
    s = start_server(mode=mode)
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    for i in range(3):
        r, data = fetch(s, "GET", f"/params?i={i}", conn=c)
        assert r.status == 200 and f"p:i={i}" in lines_of(data)
    c.close()

    async def go():
        async with connect(url(s, "/ws")) as ws:
            assert await ask(ws, NON_ASCII) == NON_ASCII
            r, data = fetch(s, "GET", "/text")
            assert data.decode() == NON_ASCII
            assert await ask(ws, "again") == "again"

    run(go())
    s.wait_for(r"CONNECT \d+ /ws \w+")


def test_keep_alive_off_closes_after_one_response(start_server):
    s = start_server(keepalive="off")
    r, data = fetch(s, "GET", "/text")
    assert r.status == 200 and r.getheader("Connection", "").lower() == "close"


def test_no_handler_answers_404(start_server):
    s = start_server(handlers="none")
    r, _ = fetch(s, "GET", "/anything")
    assert r.status == 404
    r, _ = fetch(s, "PUT", "/anything", body=b"x")
    assert r.status == 404


@pytest.mark.parametrize("mode", MODES)
def test_document_root_and_serve_file(start_server, tmp_path, mode):
    from conftest import server_path

    root = tmp_path / "www"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<h1>index " + NON_ASCII + "</h1>", encoding="utf-8")
    (root / "style.css").write_text("body { color: red }")
    (root / "sub" / "data.json").write_text('{"a": 1}')
    (root / "served.txt").write_text("served by ServeFile")
    s = start_server(mode=mode, docroot=server_path(str(root)))
    r, data = fetch(s, "GET", "/")
    assert r.status == 200 and data.decode() == "<h1>index " + NON_ASCII + "</h1>"
    assert r.getheader("Content-Type").startswith("text/html")
    r, data = fetch(s, "GET", "/style.css")
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/css")
    r, data = fetch(s, "GET", "/sub/data.json")
    assert r.status == 200 and data == b'{"a": 1}'
    # not a file under the root: the handler runs
    r, data = fetch(s, "GET", "/file?name=served.txt")
    assert r.status == 200 and data == b"served by ServeFile"
    assert r.getheader("Content-Type").startswith("text/plain")
    r, data = fetch(s, "GET", "/file?name=nope.txt")
    assert r.status == 404
    r, data = fetch(s, "GET", "/../etc/passwd")
    assert r.status != 200 or b"root:" not in data
    assert not s.matches(r"HTTP GET /style.css"), "the document root answers before OnCommandGet"


@pytest.mark.parametrize("mode", MODES)
def test_stop_with_http_requests_outstanding(start_server, mode):
    """Active := False while slow handlers are running or queued: no
    deadlock; the server stops and starts again."""
    s = start_server(mode=mode)
    results = []

    def client():
        try:
            r, data = fetch(s, "GET", "/slow")
            results.append(r.status)
        except Exception as e:  # noqa: BLE001 - the stop may cut it
            results.append(type(e).__name__)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    s.wait_for(r"HTTP GET /slow \w+")
    mark = s.mark()
    s.command("stop")
    s.wait_for(r"STOPPED active=0 .*", since=mark, timeout=60)
    for t in threads:
        t.join(60)
    assert len(results) == 8, results
    mark = s.mark()
    s.command("start")
    _, m = s.wait_for(r"PORT (\d+)", since=mark)
    s.port = int(m.group(1))
    r, data = fetch(s, "GET", "/text")
    assert data.decode() == NON_ASCII


@pytest.mark.parametrize("mode", ["async", "nosync"])
def test_many_http_clients_at_once(start_server, mode):
    s = start_server(mode=mode)
    errors = []

    def client(i):
        try:
            c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
            for j in range(5):
                r, data = fetch(s, "GET", f"/params?i={i}&j={j}", conn=c)
                assert r.status == 200 and f"p:j={j}" in lines_of(data), data
            c.close()
        except Exception as e:  # noqa: BLE001 - collected and reported
            errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]


def test_sample_http_server():
    """samples/delphi/http_server: the chat page from its document root,
    the JSON API from OnCommandGet/OnCommandOther, and the chat WebSocket,
    all on one port."""
    from conftest import program, server_path

    web = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples", "web")
    proc = subprocess.Popen([program("IWS_PASCAL_HTTP"), "0", server_path(web)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, encoding="utf-8",
                            errors="replace")
    lines, ready = [], threading.Event()

    def pump():
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert ready.wait(60), "no output"
        m = re.search(r"port (\d+)", lines[0])
        assert m, lines

        class S:
            port = int(m.group(1))

        r, data = fetch(S, "GET", "/")
        assert r.status == 200 and b"iocpws chat" in data
        assert r.getheader("Content-Type").startswith("text/html")
        r, data = fetch(S, "GET", "/api/time")
        assert r.status == 200 and "time" in json.loads(data)
        r, data = fetch(S, "POST", "/api/echo", body="text=h%C3%A9+there",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert json.loads(data) == {"text": "hé there"}
        r, data = fetch(S, "DELETE", "/api/messages")
        assert r.status == 204
        r, data = fetch(S, "PUT", "/api/messages", body=b"x")
        assert r.status == 405 and r.getheader("Allow") == "GET, HEAD, POST, DELETE"
        r, data = fetch(S, "GET", "/old-chat")
        assert r.status == 302 and r.getheader("Location") == "/"

        async def go():
            async with connect(f"ws://127.0.0.1:{S.port}/chat") as a:
                await a.send(NON_ASCII)
                assert await a.recv() == NON_ASCII

        run(go())
    finally:
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(60) == 0, lines


@pytest.mark.parametrize("mode", MODES)
def test_request_version(start_server, mode):
    s = start_server(mode=mode)
    r, data = fetch(s, "GET", "/version")
    assert data == b"HTTP/1.1"
    import socket
    with socket.create_connection(("127.0.0.1", s.port), timeout=30) as c:
        c.sendall(b"GET /version HTTP/1.0\r\n\r\n")
        raw = b""
        while True:
            piece = c.recv(65536)
            if not piece:
                break
            raw += piece
    assert raw.startswith(b"HTTP/1.") and raw.endswith(b"\r\n\r\nHTTP/1.0")


@pytest.mark.parametrize("mode", MODES)
def test_write_header_and_write_content_stream(start_server, mode):
    # WriteHeader sends the head, each WriteContent what ContentText (else
    # ContentStream) is then; the body goes chunked and nothing more is
    # sent when the handler returns
    s = start_server(mode=mode)
    r, data = fetch(s, "GET", "/write")
    assert r.status == 200
    assert r.getheader("Transfer-Encoding") == "chunked"
    assert r.getheader("Content-Length") is None
    assert r.getheader("X-Streamed") == "yes"
    assert r.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert data == b"part1;01 again refused;stream;"
    # the connection goes on after a streamed answer
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    try:
        for _ in range(2):
            r, data = fetch(s, "GET", "/write", conn=c)
            assert data == b"part1;01 again refused;stream;"
    finally:
        c.close()


@pytest.mark.parametrize("mode", MODES)
def test_write_content_4mib(start_server, mode):
    s = start_server(mode=mode)
    r, data = fetch(s, "GET", "/bigwrite?mb=4")
    assert r.status == 200 and r.getheader("Transfer-Encoding") == "chunked"
    assert data == bytes((i * 7 + 3) & 0xFF for i in range(MIB)) * 4
    s.wait_for(r"BIGWRITE ok")


def test_write_content_48mib_to_a_slow_reader(start_server):
    # neAsynchronous: the handler's thread waits for room while the client
    # reads slowly; every byte arrives in order (the body passes the
    # engine's 32 MiB send-queue limit)
    import socket
    import time
    s = start_server(mode="async")
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=60)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
    sock.sendall(b"GET /bigwrite?mb=48 HTTP/1.1\r\nHost: x\r\n\r\n")
    raw = bytearray()
    while b"\r\n0\r\n\r\n" not in raw[-16:]:
        piece = sock.recv(256 << 10)
        assert piece, "closed before the body's end"
        raw += piece
        time.sleep(0.002)
    sock.close()
    s.wait_for(r"BIGWRITE ok")
    head, _, rest = bytes(raw).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    body, i = bytearray(), 0
    while True:
        j = rest.index(b"\r\n", i)
        n = int(rest[i:j], 16)
        if n == 0:
            break
        body += rest[j + 2:j + 2 + n]
        i = j + 2 + n + 2
    assert body == bytes((i * 7 + 3) & 0xFF for i in range(MIB)) * 48


@pytest.mark.parametrize("mode", ["sync", "nosync"])
def test_write_content_over_the_queue_inside_the_callback_raises(start_server, mode):
    # neNoSync / neSynchronous: the handler runs inside the engine's
    # callback, whose streamed bytes go only as it returns: past the send
    # queue limit WriteContent raises (a clear error, never a hang)
    s = start_server(mode=mode)
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    try:
        c.request("GET", "/bigwrite?mb=40")
        # the connection is dropped: never a complete-looking answer
        with pytest.raises((http.client.HTTPException, OSError)):
            c.getresponse().read()
    finally:
        c.close()
    s.wait_for(r"BIGWRITE -202")
