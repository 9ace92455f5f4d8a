"""Static files from a document root (ws_test_server --docroot DIR): GET and
HEAD, MIME types, Last-Modified / If-Modified-Since / ETag, Range, large
files over plain and TLS connections (curl and Python's http.client),
concurrent downloads, keep-alive and pipelining, directory index and 301,
path traversal attempts, files that change while being sent, and
descriptors (Windows: handles) back to their baseline afterwards.

The same tests run against ws_test_server.exe under Wine (the IOCP back
end, TransmitFile); the symlinks are made on the Linux side, which Wine's
file system follows like any Unix program.
"""

import email.utils
import hashlib
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import is_wine_server, server_binary, server_path, tls_options

UNDER_WINE = bool(os.environ.get("IWS_TEST_SERVER")) and is_wine_server(
    os.environ["IWS_TEST_SERVER"])
STEP = 30.0 if UNDER_WINE else 10.0
MIB = 1024 * 1024
BIG = 50 * MIB
CURL = shutil.which("curl")

# name -> (content, Content-Type)
FILES = {
    "index.html": (b"<!doctype html><h1>home</h1>\n", "text/html; charset=utf-8"),
    "style.css": (b"body { color: #333 }\n", "text/css; charset=utf-8"),
    "app.js": (b"console.log('hi');\n", "text/javascript; charset=utf-8"),
    "mod.mjs": (b"export default 1;\n", "text/javascript; charset=utf-8"),
    "data.json": (b'{"a": 1}\n', "application/json"),
    "notes.txt": (b"plain text\n", "text/plain; charset=utf-8"),
    "feed.xml": (b"<a/>\n", "application/xml"),
    "logo.svg": (b"<svg xmlns='http://www.w3.org/2000/svg'/>\n", "image/svg+xml"),
    "pic.png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "image/png"),
    "photo.JPG": (b"\xff\xd8\xff" + b"j" * 100, "image/jpeg"),
    "anim.gif": (b"GIF89a", "image/gif"),
    "img.webp": (b"RIFF....WEBP", "image/webp"),
    "favicon.ico": (b"\x00\x00\x01\x00", "image/vnd.microsoft.icon"),
    "code.wasm": (b"\x00asm\x01\x00\x00\x00", "application/wasm"),
    "doc.pdf": (b"%PDF-1.4\n", "application/pdf"),
    "arch.zip": (b"PK\x03\x04", "application/zip"),
    "font.woff2": (b"wOF2", "font/woff2"),
    "clip.mp4": (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
    "song.mp3": (b"ID3", "audio/mpeg"),
    "noext": (b"no extension", "application/octet-stream"),
    "a b.txt": (b"space in name\n", "text/plain; charset=utf-8"),
    "empty.txt": (b"", "text/plain; charset=utf-8"),
    "sub/index.html": (b"<p>sub index</p>\n", "text/html; charset=utf-8"),
    "sub/page.txt": (b"sub page\n", "text/plain; charset=utf-8"),
}
MEDIUM = os.urandom(1 * MIB + 12345)  # concurrent downloads


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """base/root (the document root) and base/outside (a secret beside it)."""
    base = tmp_path_factory.mktemp("static")
    root = base / "root"
    (root / "sub").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "evil.com").mkdir()  # the open-redirect test's directory
    (base / "outside").mkdir()
    (base / "outside" / "secret.txt").write_bytes(b"TOP SECRET\n")
    for name, (content, _) in FILES.items():
        (root / name).write_bytes(content)
    (root / "medium.bin").write_bytes(MEDIUM)
    # 50 MiB, not random (fast to make), but no two MiB alike.
    h = hashlib.sha256()
    with open(root / "big.bin", "wb") as f:
        block = hashlib.sha256(b"seed").digest() * (MIB // 32)
        for i in range(BIG // MIB):
            chunk = i.to_bytes(4, "little") + block[4:]
            f.write(chunk)
            h.update(chunk)
    # symlinks: one that stays inside, three that lead out
    os.symlink("sub/page.txt", root / "link_in")
    os.symlink("sub", root / "link_dir")
    os.symlink(str(base / "outside" / "secret.txt"), root / "link_out")
    os.symlink("../outside", root / "outside_dir")
    os.symlink("/etc", root / "etc")
    return {"base": base, "root": root, "big_sha": h.hexdigest()}


def docroot_args(tree):
    return ["--docroot", server_path(str(tree["root"]))]


@pytest.fixture
def web(start_server, tree):
    return start_server(_args=docroot_args(tree), log_level=3)


def get(server, path, method="GET", headers=None, port=None):
    conn = http.client.HTTPConnection("127.0.0.1", port or server.port,
                                      timeout=STEP)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        conn.close()


# ---- raw HTTP: exact request targets, pipelining -------------------------

def read_response(sock, head=False, buf=b""):
    """Reads one response from sock (Content-Length bodies). Returns
    (status, headers, body, rest-of-buffer)."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise EOFError(f"connection closed in the head: {buf!r}")
        buf += data
    head_bytes, buf = buf.split(b"\r\n\r\n", 1)
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    length = 0 if head or status in (204, 304) else int(
        headers.get("content-length", "0"))
    while len(buf) < length:
        data = sock.recv(65536)
        if not data:
            raise EOFError("connection closed in the body")
        buf += data
    return status, headers, buf[:length], buf[length:]


def raw_get(server, target, method="GET"):
    with socket.create_connection(("127.0.0.1", server.port), STEP) as s:
        s.sendall(f"{method} {target} HTTP/1.1\r\nHost: x\r\n"
                  "Connection: close\r\n\r\n".encode("latin-1"))
        status, headers, body, _ = read_response(s, head=method == "HEAD")
        return status, headers, body


def mtime_of(tree, name):
    return int(os.stat(tree["root"] / name).st_mtime)


# ---- GET / HEAD / MIME ----------------------------------------------------

def test_get_every_type(web, tree):
    for name, (content, ctype) in FILES.items():
        path = "/" + name.replace(" ", "%20")
        status, h, body = get(web, path)
        assert status == 200, name
        assert body == content, name
        assert h["content-type"] == ctype, name
        assert int(h["content-length"]) == len(content), name
        assert h["accept-ranges"] == "bytes"
        assert h["etag"].startswith('W/"')
        lm = email.utils.parsedate_to_datetime(h["last-modified"])
        assert int(lm.timestamp()) == mtime_of(tree, name), name
        assert h["last-modified"].endswith(" GMT")


def test_head_has_headers_without_body(web):
    for name in ("index.html", "pic.png", "big.bin"):
        status, h, body = raw_get(web, "/" + name, method="HEAD")
        assert status == 200
        assert body == b""
        size = BIG if name == "big.bin" else len(FILES[name][0])
        assert int(h["content-length"]) == size
        assert "last-modified" in h and "etag" in h
    # http.client agrees, and the connection stays usable after a HEAD
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=STEP)
    conn.request("HEAD", "/notes.txt")
    r = conn.getresponse()
    assert r.status == 200 and r.read() == b""
    assert int(r.getheader("Content-Length")) == len(FILES["notes.txt"][0])
    conn.request("GET", "/notes.txt")
    r = conn.getresponse()
    assert r.read() == FILES["notes.txt"][0]
    conn.close()


def test_other_methods_are_not_served_from_the_root(web):
    status, _, body = get(web, "/index.html", method="POST")
    assert body != FILES["index.html"][0] or status != 200
    status, _, body = get(web, "/index.html", method="DELETE")
    assert body != FILES["index.html"][0] or status != 200


# ---- conditional requests -------------------------------------------------

def test_if_modified_since_in_all_three_date_forms(web, tree):
    _, h, _ = get(web, "/notes.txt")
    lm = h["last-modified"]
    t = email.utils.parsedate_to_datetime(lm)
    rfc850 = t.strftime("%A, %d-%b-%y %H:%M:%S GMT")
    asctime = t.strftime("%a %b ") + f"{t.day:2d}" + t.strftime(" %H:%M:%S %Y")
    for date in (lm, rfc850, asctime):
        status, h2, body = get(web, "/notes.txt",
                               headers={"If-Modified-Since": date})
        assert status == 304, date
        assert body == b""
        assert h2["etag"] == h["etag"]
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    assert get(web, "/notes.txt", headers={"If-Modified-Since": later})[0] == 304
    older = email.utils.formatdate(mtime_of(tree, "notes.txt") - 10,
                                   usegmt=True)
    status, _, body = get(web, "/notes.txt",
                          headers={"If-Modified-Since": older})
    assert status == 200 and body == FILES["notes.txt"][0]
    # a date that does not parse is ignored
    status, _, body = get(web, "/notes.txt",
                          headers={"If-Modified-Since": "yesterday"})
    assert status == 200 and body == FILES["notes.txt"][0]


def test_if_none_match(web):
    _, h, _ = get(web, "/data.json")
    etag = h["etag"]
    assert get(web, "/data.json", headers={"If-None-Match": etag})[0] == 304
    assert get(web, "/data.json",
               headers={"If-None-Match": f'"x", {etag[2:]}'})[0] == 304
    assert get(web, "/data.json", headers={"If-None-Match": "*"})[0] == 304
    status, _, body = get(web, "/data.json",
                          headers={"If-None-Match": 'W/"other"'})
    assert status == 200 and body == FILES["data.json"][0]
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    status, _, _ = get(web, "/data.json", headers={
        "If-None-Match": 'W/"other"', "If-Modified-Since": h["last-modified"]})
    assert status == 200


# ---- ranges ---------------------------------------------------------------

def test_single_ranges(web):
    data = MEDIUM
    size = len(data)
    cases = {
        "bytes=0-9": (0, 9),
        "bytes=10-": (10, size - 1),
        "bytes=-10": (size - 10, size - 1),
        "bytes=100-99999999": (100, size - 1),
        "bytes=-99999999": (0, size - 1),
        f"bytes={size - 1}-{size - 1}": (size - 1, size - 1),
        "bytes=500000-600000": (500000, 600000),
    }
    for spec, (a, b) in cases.items():
        status, h, body = get(web, "/medium.bin", headers={"Range": spec})
        assert status == 206, spec
        assert h["content-range"] == f"bytes {a}-{b}/{size}", spec
        assert int(h["content-length"]) == b - a + 1
        assert body == data[a:b + 1], spec


def test_unsatisfiable_and_ignored_ranges(web):
    size = len(MEDIUM)
    for spec in (f"bytes={size}-", f"bytes={size + 5}-{size + 10}",
                 "bytes=-0"):
        status, h, body = get(web, "/medium.bin", headers={"Range": spec})
        assert status == 416, spec
        assert h["content-range"] == f"bytes */{size}"
        assert body == b""
    # several ranges: the whole file with 200 (RFC 9110 allows it);
    # malformed or another unit: ignored
    for spec in ("bytes=0-1,5-9", "bytes=9-5", "bytes=abc", "lines=1-2"):
        status, h, body = get(web, "/medium.bin", headers={"Range": spec})
        assert status == 200, spec
        assert body == MEDIUM
    # an empty file has no satisfiable range
    assert get(web, "/empty.txt", headers={"Range": "bytes=0-"})[0] == 416


def test_if_range(web):
    _, h, _ = get(web, "/medium.bin")
    status, _, body = get(web, "/medium.bin", headers={
        "Range": "bytes=0-3", "If-Range": h["last-modified"]})
    assert status == 206 and body == MEDIUM[:4]
    status, _, body = get(web, "/medium.bin", headers={
        "Range": "bytes=0-3", "If-Range": "Sun, 06 Nov 1994 08:49:37 GMT"})
    assert status == 200 and body == MEDIUM
    # a weak entity tag never validates a range
    status, _, body = get(web, "/medium.bin", headers={
        "Range": "bytes=0-3", "If-Range": h["etag"]})
    assert status == 200 and body == MEDIUM


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_ranges_with_curl(web):
    out = subprocess.run(
        [CURL, "-s", "-r", "1000-1999", f"http://127.0.0.1:{web.port}/medium.bin"],
        capture_output=True, timeout=STEP * 2)
    assert out.returncode == 0
    assert out.stdout == MEDIUM[1000:2000]


# ---- large files ----------------------------------------------------------

def sha_of_download(server, path, port=None, context=None):
    if context:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=STEP * 4,
                                           context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port or server.port,
                                          timeout=STEP * 4)
    conn.request("GET", path)
    r = conn.getresponse()
    assert r.status == 200
    assert int(r.getheader("Content-Length")) == BIG
    h = hashlib.sha256()
    n = 0
    while True:
        chunk = r.read(1 << 20)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
    conn.close()
    assert n == BIG
    return h.hexdigest()


def curl_sha(url, *extra):
    assert CURL, "curl is needed for this test (Debian package curl)"
    out = subprocess.run([CURL, "-s", "-f", *extra, url], capture_output=True,
                         timeout=STEP * 6)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout) == BIG
    return hashlib.sha256(out.stdout).hexdigest()


def test_big_file_plain(web, tree):
    assert sha_of_download(web, "/big.bin") == tree["big_sha"]
    assert curl_sha(f"http://127.0.0.1:{web.port}/big.bin") == tree["big_sha"]


def test_big_file_tls(start_server, tree, tls_files):
    server = start_server(_args=docroot_args(tree), **tls_options(tls_files))
    ctx = ssl.create_default_context(cafile=tls_files.root)
    assert sha_of_download(server, "/big.bin", port=server.tls_port,
                           context=ctx) == tree["big_sha"]
    assert curl_sha(f"https://localhost:{server.tls_port}/big.bin",
                    "--cacert", tls_files.root,
                    "--resolve", f"localhost:{server.tls_port}:127.0.0.1"
                    ) == tree["big_sha"]
    # a range over TLS comes from the middle of the file
    conn = http.client.HTTPSConnection("127.0.0.1", server.tls_port,
                                       timeout=STEP, context=ctx)
    conn.request("GET", "/medium.bin", headers={"Range": "bytes=70000-"})
    r = conn.getresponse()
    assert r.status == 206 and r.read() == MEDIUM[70000:]
    # the plain listener serves the same file
    assert sha_of_download(server, "/big.bin") == tree["big_sha"]


def test_concurrent_downloads(web):
    results = []
    errors = []
    lock = threading.Lock()
    want = hashlib.sha256(MEDIUM).hexdigest()

    def one():
        try:
            status, _, body = get(web, "/medium.bin")
            with lock:
                results.append((status, hashlib.sha256(body).hexdigest()))
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=one) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(STEP * 6)
    assert not errors, errors[:5]
    assert len(results) == 100
    assert all(r == (200, want) for r in results)


# ---- keep-alive and pipelining -------------------------------------------

def test_keepalive_after_a_download(web, tree):
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=STEP * 4)
    conn.request("GET", "/big.bin")
    r = conn.getresponse()
    h = hashlib.sha256()
    while True:
        chunk = r.read(1 << 20)
        if not chunk:
            break
        h.update(chunk)
    assert h.hexdigest() == tree["big_sha"]
    sock = conn.sock
    conn.request("GET", "/notes.txt")
    r = conn.getresponse()
    assert r.status == 200 and r.read() == FILES["notes.txt"][0]
    assert conn.sock is sock  # the same connection
    conn.request("GET", "/medium.bin", headers={"Range": "bytes=-5"})
    r = conn.getresponse()
    assert r.status == 206 and r.read() == MEDIUM[-5:]
    assert conn.sock is sock
    conn.close()


def test_pipelined_file_responses_in_order(web):
    names = ["notes.txt", "medium.bin", "data.json", "pic.png", "medium.bin",
             "index.html"]
    req = b"".join(f"GET /{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                   for n in names)
    req += b"HEAD /medium.bin HTTP/1.1\r\nHost: x\r\n\r\n"
    req += b"GET /notes.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", web.port), STEP) as s:
        s.sendall(req)
        buf = b""
        for n in names:
            status, _, body, buf = read_response(s, buf=buf)
            want = MEDIUM if n == "medium.bin" else FILES[n][0]
            assert status == 200 and body == want, n
        status, h, body, buf = read_response(s, head=True, buf=buf)
        assert status == 200 and int(h["content-length"]) == len(MEDIUM)
        status, _, body, buf = read_response(s, buf=buf)
        assert body == FILES["notes.txt"][0]
        s.settimeout(STEP)
        assert buf == b"" and s.recv(1) == b""  # then closed


# ---- directories ----------------------------------------------------------

def test_directory_index_and_redirect(web):
    status, h, body = get(web, "/")
    assert status == 200 and body == FILES["index.html"][0]
    assert h["content-type"] == "text/html; charset=utf-8"
    status, h, _ = raw_get(web, "/sub")
    assert status == 301 and h["location"] == "/sub/"
    status, h, _ = raw_get(web, "/sub?x=1&y=%20")
    assert status == 301 and h["location"] == "/sub/?x=1&y=%20"
    status, h, _ = raw_get(web, "/link_dir")
    assert status == 301 and h["location"] == "/link_dir/"
    assert get(web, "/sub/")[2] == FILES["sub/index.html"][0]
    assert get(web, "/link_dir/page.txt")[2] == FILES["sub/page.txt"][0]
    # a directory without an index: not found
    assert get(web, "/empty/")[0] == 404
    assert raw_get(web, "/empty")[0] == 301


@pytest.mark.hostile
@pytest.mark.parametrize("target", ["//evil.com", "///evil.com",
                                    "//evil.com?x=1", "/%2Fevil.com",
                                    "/\\evil.com", "/%5Cevil.com"])
def test_no_open_redirect(web, target):
    """A directory asked without its '/' is redirected, but never to a
    Location a browser reads as another host ("//evil.com/" is
    protocol-relative; browsers read "/\\" as "//" too)."""
    status, h, _ = raw_get(web, target)
    location = h.get("location", "")
    assert not location.startswith(("//", "/\\")), (status, location)
    if status == 301:
        assert location.startswith("/"), location
        # and it still names the directory
        status2, _, _ = raw_get(web, location)
        assert status2 in (200, 404), (location, status2)
    else:
        assert status == 404, (status, h)


def test_no_index_file(start_server, tree):
    server = start_server(_args=docroot_args(tree), http_index_file="")
    assert get(server, "/")[0] == 404
    assert get(server, "/sub/")[0] == 404
    assert get(server, "/sub/page.txt")[2] == FILES["sub/page.txt"][0]


@pytest.mark.parametrize("what", ["missing", "a file"])
def test_bad_document_root_fails_the_start(tree, tmp_path, what):
    path = tmp_path / "nope"
    if what == "a file":
        path.write_bytes(b"x")
    proc = subprocess.run(
        [server_binary(), "--docroot", server_path(str(path))],
        input="quit\n", capture_output=True, text=True, timeout=90)
    lines = [l for l in proc.stdout.splitlines()
             if l.startswith("START_FAILED")]
    assert proc.returncode == 3 and lines, proc.stdout + proc.stderr
    assert "IWS_E_FILE" in lines[0] and "DOCUMENT_ROOT" in lines[0]


# ---- traversal ------------------------------------------------------------

TRAVERSALS = [
    "/../outside/secret.txt",
    "/sub/../../outside/secret.txt",
    "/%2e%2e/outside/secret.txt",
    "/%2E%2e%2foutside%2fsecret.txt",
    "/..%2foutside%2fsecret.txt",
    "/sub/%2e%2e/%2e%2e/outside/secret.txt",
    "/.%2e/outside/secret.txt",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/%00",
    "/index.html%00.txt",
    "/..\\outside\\secret.txt",
    "/%5c..%5coutside%5csecret.txt",
    "/sub%5c..%5c..%5coutside%5csecret.txt",
    "/C:/Windows/win.ini",
    "/C:%5cWindows%5cwin.ini",
    "/etc/passwd",            # root/etc -> /etc
    "/etc/",
    "/link_out",              # -> outside/secret.txt
    "/outside_dir/secret.txt",  # -> ../outside
    "/outside_dir/",
]


def test_traversal_is_refused(web):
    for target in TRAVERSALS:
        status, _, body = raw_get(web, target)
        assert status in (400, 404), target
        assert b"SECRET" not in body and b"root:" not in body, target
        assert b"[fonts]" not in body, target
    # a symlink that stays inside the root is served
    assert get(web, "/link_in")[2] == FILES["sub/page.txt"][0]
    # and the server is fine
    assert get(web, "/notes.txt")[2] == FILES["notes.txt"][0]


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_traversal_with_curl_path_as_is(web):
    for target in ("/../outside/secret.txt", "/%2e%2e/outside/secret.txt",
                   "/link_out", "/etc/passwd"):
        out = subprocess.run(
            [CURL, "-s", "--path-as-is", "-o", "-", "-w", "%{http_code}",
             f"http://127.0.0.1:{web.port}{target}"],
            capture_output=True, timeout=STEP)
        assert out.stdout.endswith(b"404") or out.stdout.endswith(b"400")
        assert b"SECRET" not in out.stdout and b"root:" not in out.stdout


# ---- files that change while being sent ----------------------------------

def start_slow_download(server, path, port=None):
    # Not read for a while: the server's socket buffers fill and the rest
    # of the file waits. (A tiny SO_RCVBUF would instead make loopback TCP
    # crawl: a window below the MSS.)
    s = socket.create_connection(("127.0.0.1", port or server.port), STEP)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    return s


def drain(sock):
    """Reads until the server ends the connection; returns the count."""
    sock.settimeout(STEP * 2)
    n = 0
    try:
        while True:
            data = sock.recv(1 << 20)
            if not data:
                break
            n += len(data)
    except (ConnectionResetError, socket.timeout):
        pass
    return n


@pytest.mark.parametrize("change", ["truncate", "delete"])
def test_file_changed_while_sent(start_server, tree, tmp_path, change):
    root = tmp_path / "changing"
    root.mkdir()
    victim = root / "victim.bin"
    size = 40 * MIB
    with open(victim, "wb") as f:
        f.write(os.urandom(MIB) * (size // MIB))
    server = start_server(_args=["--docroot", server_path(str(root))])
    s = start_slow_download(server, "/victim.bin")
    time.sleep(0.3)
    if change == "truncate":
        with open(victim, "r+b") as f:
            f.truncate(1000)
    else:
        os.remove(victim)
    got = drain(s)
    s.close()
    if change == "truncate":
        # what was promised cannot come: the connection ends early
        assert got < size
    # the server lives on and serves others
    (root / "ok.txt").write_bytes(b"ok")
    assert get(server, "/ok.txt")[2] == b"ok"


# ---- descriptors / handles ------------------------------------------------

def proc_fds(server):
    mark = server.mark()
    server.command("proc")
    _, m = server.wait_for(
        r"PROC rss=(-?\d+) fds=(-?\d+) threads=(-?\d+) cpu_ms=(-?\d+)(?: commit=-?\d+)?",
        since=mark)
    return int(m.group(2))


def open_files_under(directory):
    """Descriptors of any process that point under directory: the server's
    own, or, under Wine, those wineserver keeps for the server's handles
    (Wine's GetProcessHandleCount says 0)."""
    prefix = os.path.realpath(str(directory)) + os.sep
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith(prefix):
                found.append((pid, target))
    return found


def test_no_descriptor_leak(web, tree):
    get(web, "/notes.txt")  # warm up whatever is made on first use
    base = proc_fds(web)  # Wine: 0 (unknown); checked where it is known
    for i in range(60):
        get(web, "/medium.bin")
        get(web, "/medium.bin", headers={"Range": "bytes=10-20"})
        get(web, "/notes.txt", method="HEAD")
        get(web, "/notes.txt",
            headers={"If-None-Match": "*"})
        get(web, "/medium.bin", headers={"Range": "bytes=99999999-"})
        get(web, "/missing.txt")
        get(web, "/")
        # a client that leaves in the middle of a big file
        if i % 10 == 0:
            s = start_slow_download(web, "/big.bin")
            assert open_files_under(tree["root"])  # the check can see one
            s.close()
    # pipelined responses dropped by the client before they were sent
    with socket.create_connection(("127.0.0.1", web.port), STEP) as s:
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n" * 5)
    deadline = time.monotonic() + STEP
    while True:
        now = proc_fds(web)
        left = open_files_under(tree["root"])
        if (now <= base and not left) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not left, left
    assert now <= base, f"{now} open descriptors, {base} before"


# ---- iws_http_serve_file (ws_test_server's /serve?path=P route) ----------

def serve(server, path, headers=None):
    from urllib.parse import quote
    return get(server, "/serve?path=" + quote(server_path(path), safe=""),
               headers=headers)


def test_serve_file_by_path(start_server, tree):
    # no document root needed, and no root check: the application chose
    server = start_server()
    secret = str(tree["base"] / "outside" / "secret.txt")
    status, h, body = serve(server, secret)
    assert status == 200 and body == b"TOP SECRET\n"
    assert h["content-type"] == "text/plain; charset=utf-8"
    assert "last-modified" in h and h["accept-ranges"] == "bytes"
    status, h, body = serve(server, str(tree["root"] / "medium.bin"),
                            headers={"Range": "bytes=-100"})
    assert status == 206 and body == MEDIUM[-100:]
    assert h["content-type"] == "application/octet-stream"
    status, _, body = serve(server, str(tree["root"] / "notes.txt"), headers={
        "If-Modified-Since": email.utils.formatdate(time.time() + 60,
                                                    usegmt=True)})
    assert status == 304 and body == b""
    assert serve(server, str(tree["root"] / "big.bin"))[2] == open(
        tree["root"] / "big.bin", "rb").read()
    # not a regular file, or missing: IWS_E_FILE (-117), response untouched
    for bad in (str(tree["root"] / "sub"), str(tree["root"] / "nope.txt")):
        status, _, body = serve(server, bad)
        assert status == 404 and body == b"serve-rc -117", bad
    status, _, body = get(server, "/serve?path=")
    assert body == b"serve-rc -100"  # IWS_E_INVALID_ARG
