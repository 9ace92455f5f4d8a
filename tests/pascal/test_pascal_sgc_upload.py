"""sgc's HTTPUploadFiles on iocpws: tests/pascal/sgc_server.dpr with
upload=<folder> (a TsgcWebSocketHTTPServer with StreamType = pstFileStream
and every OnHTTPUpload* event) driven by curl -F and, for malformed and
hostile bodies, by a raw socket. Runs against both builds of the program
(mode delphi, mode delphiunicode), natively and under Wine."""

import os
import re
import socket
import subprocess

from conftest import server_path

BOUNDARY = "XyZ-bound4ry"


def start(sgc, tmp_path):
    folder = tmp_path / "saved" / "here"  # created by the server when needed
    s = sgc(upload=server_path(str(folder)))
    _, m = s.wait_for(r"HTTPPORT (\d+)")
    return s, int(m.group(1)), folder


def curl(port, *args, path="/up"):
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "60", "-o", "-", "-w", "\n%{http_code}",
         *args, f"http://127.0.0.1:{port}{path}"],
        check=True, capture_output=True, timeout=90)
    body, _, code = out.stdout.decode("utf-8").rpartition("\n")
    return int(code), body


def events(s, since=0):
    """The upload events and the handler's line, folder paths cut to their
    last component."""
    out = []
    for line in s.snapshot()[since:]:
        if re.match(r"(UPLOAD_\w+|HTTP) ", line):
            out.append(re.sub(r" \S*?([^\\/ ]+)[\\/]$", r" <\1>", line))
    return out


def raw_request(port, body, headers=None, piece=None):
    """POSTs body (bytes) with a multipart Content-Type; returns (status,
    response text). piece: send the body in pieces of that size."""
    head = (f"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n")
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.sendall(head.encode() + b"\r\n")
        try:
            if piece:
                for i in range(0, len(body), piece):
                    c.sendall(body[i:i + piece])
            else:
                c.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the whole body was sent
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        m = re.search(rb"Content-Length: (\d+)", head, re.I)
        if m:
            while len(rest) < int(m.group(1)):
                chunk = c.recv(65536)
                if not chunk:
                    break
                rest += chunk
        return status, rest.decode("utf-8", "replace")
    finally:
        c.close()


def part(name, content, filename=None, extra=""):
    disp = f'form-data; name="{name}"'
    if filename is not None:
        disp += f'; filename="{filename}"'
    return (f"--{BOUNDARY}\r\nContent-Disposition: {disp}\r\n{extra}\r\n").encode() \
        + content + b"\r\n"


def end():
    return f"--{BOUNDARY}--\r\n".encode()


def listing(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_upload_files_and_fields(sgc, tmp_path):
    s, port, folder = start(sgc, tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "small.txt").write_bytes(b"small file\r\n")
    big = os.urandom(1536 * 1024) + b"\r\n--XyZ-bound4r\r\n--" + os.urandom(999)
    (src / "big.bin").write_bytes(big)  # > 1 MiB, with boundary look-alikes
    (src / "rename-me.txt").write_bytes(b"renamed")
    (src / "skip.bin").write_bytes(b"not saved")
    (src / "empty.dat").write_bytes(b"")
    code, body = curl(port,
                      "-F", "note=hello wörld",
                      "-F", f"a=@{src / 'small.txt'}",
                      "-F", f"b=@{src / 'big.bin'}",
                      "-F", "second=two words",
                      "-F", f"c=@{src / 'rename-me.txt'}",
                      "-F", f"d=@{src / 'skip.bin'}",
                      "-F", f"e=@{src / 'empty.dat'}")
    assert (code, body) == (200, "done")
    s.wait_for(r"HTTP POST /up nil")
    assert (folder / "small.txt").read_bytes() == b"small file\r\n"
    assert (folder / "big.bin").read_bytes() == big
    assert (folder / "renamed.txt").read_bytes() == b"renamed"
    assert (folder / "empty.dat").read_bytes() == b""
    assert sorted(os.listdir(folder)) == ["big.bin", "empty.dat", "renamed.txt", "small.txt"]
    # sgc's events, in the body's order, then the request's handler
    assert events(s) == [
        "UPLOAD_CREATE multipart/form-data",
        "UPLOAD_INPUT note=hello wörld",
        "UPLOAD_BEFORE small.txt <here>",
        "UPLOAD_AFTER small.txt <here>",
        "UPLOAD_BEFORE big.bin <here>",
        "UPLOAD_AFTER big.bin <here>",
        "UPLOAD_INPUT second=two words",
        "UPLOAD_BEFORE rename-me.txt <here>",
        "UPLOAD_AFTER renamed.txt <here>",
        "UPLOAD_BEFORE skip.bin <here>",  # aFileName := '': skipped
        "UPLOAD_BEFORE empty.dat <here>",
        "UPLOAD_AFTER empty.dat <here>",
        "HTTP POST /up nil",
    ]
    assert not s.matches(r"(ERROR|EXCEPTION) .*")
    # an ordinary form post and a GET are untouched (the body in PostStream)
    mark = s.mark()
    assert curl(port, "-d", "x=1&y=2", path="/form") == (200, "done")
    s.wait_for(r"HTTP POST /form 7", since=mark)
    assert events(s, mark) == ["UPLOAD_CREATE application/x-www-form-urlencoded",
                               "HTTP POST /form 7"]


def test_upload_chunked_and_split_pieces(sgc, tmp_path):
    s, port, folder = start(sgc, tmp_path)
    src = tmp_path / "chunked.bin"
    data = os.urandom(300 * 1024)
    src.write_bytes(data)
    code, body = curl(port, "-H", "Transfer-Encoding: chunked", "-F", f"f=@{src}",
                      "-F", "k=v")
    assert (code, body) == (200, "done")
    assert (folder / "chunked.bin").read_bytes() == data
    # a body sent a few bytes at a time: boundaries and headers split across
    # the pieces the server reads
    content = b"\r\n-\r\n--XyZ\r\n--XyZ-bound4r\r" * 50  # prefixes of the delimiter
    body = part("name", b"value") + part("f", content, "pieces.bin") + end()
    mark = s.mark()
    assert raw_request(port, body, piece=7) == (200, "done")
    s.wait_for(r"HTTP POST /raw nil", since=mark)
    assert (folder / "pieces.bin").read_bytes() == content
    assert events(s, mark) == ["UPLOAD_CREATE multipart/form-data",
                               "UPLOAD_INPUT name=value",
                               "UPLOAD_BEFORE pieces.bin <here>",
                               "UPLOAD_AFTER pieces.bin <here>",
                               "HTTP POST /raw nil"]


def test_upload_file_names_never_leave_the_folder(sgc, tmp_path):
    s, port, folder = start(sgc, tmp_path)
    src = tmp_path / "x.txt"
    src.write_bytes(b"x")
    code, _ = curl(port, "-F", f"f=@{src};filename=../../evil.txt")
    assert code == 200
    names = ["..\\..\\win.txt", "/etc/abs.txt", "C:\\temp\\drive.txt", "..", "./.",
             "a:b*c?.txt", "NUL.txt", " .hidden. "]
    body = b"".join(part(f"f{i}", b"data", n) for i, n in enumerate(names)) + end()
    mark = s.mark()
    assert raw_request(port, body) == (200, "done")
    s.wait_for(r"HTTP POST /raw nil", since=mark)
    assert sorted(os.listdir(folder)) == sorted(
        ["evil.txt", "win.txt", "abs.txt", "drive.txt", "a_b_c_.txt", "_NUL.txt", "hidden"])
    # nothing anywhere else under tmp_path
    assert listing(tmp_path) == sorted(
        ["saved", "saved/here", "x.txt"] + [f"saved/here/{n}" for n in os.listdir(folder)])
    # '..' and './.' are no names: skipped without an event
    assert len(s.matches(r"UPLOAD_AFTER .*", mark)) == 6


def test_upload_malformed_bodies(sgc, tmp_path):
    s, port, folder = start(sgc, tmp_path)
    half = part("f", b"half of it", "half.bin")[:-2]  # no final boundary
    cases = [
        (half, 400, "the body ended before the final boundary"),
        (b"garbage, no boundary at all\r\n" * 3, 400, "no boundary delimiter in the body"),
        (b"--" + BOUNDARY.encode() + b"\r\nX-No-Disposition: 1\r\n\r\nabc\r\n" + end(), 400, None),
        (b"--" + BOUNDARY.encode() + b"trailing\r\n", 400, None),
        (b"--" + BOUNDARY.encode() + b"\r\nX: " + b"h" * 40000 + b"\r\n\r\n" + end(), 413, None),
    ]
    for body, status, text in cases:
        mark = s.mark()
        got_status, got_text = raw_request(port, body)
        assert got_status == status, (body[:80], got_status, got_text)
        if text:
            assert text in got_text, got_text
        s.wait_for(r"ERROR HTTPUploadFiles: (malformed )?multipart body: .* \(from 127\.0\.0\.1\)",
                   since=mark)
        assert not s.matches(r"HTTP .*", mark)  # OnCommandGet never runs
    # the half-written file is gone; nothing was written outside the folder
    assert not folder.exists() or os.listdir(folder) == []
    assert listing(tmp_path) in ([], ["saved"], ["saved", "saved/here"])
    # refused by OnHTTPUploadBeforeCreatePostStream: 403, nothing read
    mark = s.mark()
    assert raw_request(port, part("f", b"no", "no.bin") + end(), {"X-Refuse": "1"})[0] == 403
    s.wait_for(r"UPLOAD_CREATE multipart/form-data", since=mark)
    assert not s.matches(r"UPLOAD_(BEFORE|AFTER) .*|HTTP .*", mark)
    # and the server lives on
    src = tmp_path / "after.txt"
    src.write_bytes(b"still here")
    assert curl(port, "-F", f"f=@{src}") == (200, "done")
    assert (folder / "after.txt").read_bytes() == b"still here"
    assert not s.matches(r"EXCEPTION .*")


# ---- RemoveBoundaries = False: the raw body as PostStream ------------------

def fnv1a32(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return f"{h:08X}"


def start_raw(sgc, folder):
    s = sgc(uploadraw=server_path(str(folder)))
    _, m = s.wait_for(r"HTTPPORT (\d+)")
    return s, int(m.group(1))


def post_raw(port, body, chunked=False):
    """POSTs body as it is (curl --data-binary) with the multipart type."""
    body_file = f"/tmp/iws-raw-{os.getpid()}-{len(body)}.bin"
    with open(body_file, "wb") as f:
        f.write(body)
    try:
        args = ["-H", f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
                "-H", "Expect:", "--data-binary", f"@{body_file}"]
        if chunked:
            args += ["-H", "Transfer-Encoding: chunked"]
        return curl(port, *args)
    finally:
        os.unlink(body_file)


def sgc_ps_files(folder):
    return [n for n in os.listdir(folder) if n.endswith(".sgc_ps")] if folder.exists() else []


def test_upload_raw_body_kept_in_a_sgc_ps_file(sgc, tmp_path):
    """HTTPUploadFiles.RemoveBoundaries = False with pstFileStream: the
    multipart body is not parsed; it arrives byte for byte, boundaries
    included, as ARequestInfo.PostStream: a file stream at Position 0 on a
    '.sgc_ps' file in SaveDirectory, deleted once the request is done."""
    folder = tmp_path / "raw"
    s, port = start_raw(sgc, folder)
    rnd = os.urandom(5 * 1024 * 1024)
    body = (part("note", "hello wörld".encode()) + part("a", rnd[:3 << 20], "a.bin")
            + part("b", b"\r\n--" + BOUNDARY.encode() + b"x" + rnd[3 << 20:], "b.bin")
            + end())
    want = fnv1a32(body)
    for chunked in (False, True):
        mark = s.mark()
        code, text = post_raw(port, body, chunked)
        assert (code, text) == (200, f"{len(body)} {want}"), (chunked, code, text)
        _, m = s.wait_for(r"RAWPOST (\d+) (\w+) (\d+) (.*) (\w+)$", since=mark)
        size, digest, pos, name, exists = m.groups()
        assert (int(size), digest, pos, exists) == (len(body), want, "0", "exists")
        assert re.search(r"[\\/]raw[\\/][0-9A-F]{32}\.sgc_ps$", name), name
        # gone once answered; nothing else written (no files extracted)
        assert os.listdir(folder) == []
    # not parsed, so not checked: a cut body arrives as it is
    mark = s.mark()
    cut = body[:1000] + end()
    assert post_raw(port, cut) == (200, f"{len(cut)} {fnv1a32(cut)}")
    assert os.listdir(folder) == []
    # a non-multipart body is untouched: in memory as before
    assert curl(port, "-d", "x=1&y=2", path="/form") == (200, f"7 {fnv1a32(b'x=1&y=2')}")
    s.wait_for(r"RAWPOST 7 \w+ 0 TMemoryStream -", since=mark)
    assert not s.matches(r"(ERROR|EXCEPTION) .*")  # RemoveBoundaries not reported


def test_upload_raw_body_over_the_limit(sgc, tmp_path):
    """The body limit (MaxRequestBodySize 8 MiB) holds for a raw body: a
    declared length over it is refused at the head (413), a chunked one as
    it passes the limit; the handler never runs, no file stays."""
    folder = tmp_path / "raw"
    s, port = start_raw(sgc, folder)
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        c.sendall((f"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: {9 << 20}\r\n"
                   f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n").encode())
        data = c.recv(65536)
    finally:
        c.close()
    assert data.startswith(b"HTTP/1.1 413"), data[:100]
    s.wait_for(r"ERROR HTTPUploadFiles: the body \(Content-Length 9437184\) is over "
               r"HTTPOptions\.MaxBodySize \(8388608 bytes\): answered 413, nothing "
               r"written \(from 127\.0\.0\.1\)")
    # chunked: counted as it arrives
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    status = None
    try:
        c.sendall((f"POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n").encode())
        piece = os.urandom(1 << 20)
        try:
            for _ in range(10):
                c.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            c.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the whole body was sent
        try:
            data = c.recv(65536)
            if data:
                status = int(data.split(b" ")[1])
        except ConnectionResetError:
            pass  # the refusal was cut by the reset of the unread body
    finally:
        c.close()
    assert status in (None, 413), status
    s.wait_for(r"ERROR HTTPUploadFiles: the body went over HTTPOptions\.MaxBodySize "
               r"\(8388608 bytes\) as it arrived: answered 413, the connection closed, "
               r"deleted: \S*\.sgc_ps \(from 127\.0\.0\.1\)")
    # the server lives on, answers the next request, and nothing is left
    assert post_raw(port, part("a", b"x", "a.bin") + end())[0] == 200
    assert len(s.matches(r"RAWPOST .*")) == 1
    assert sgc_ps_files(folder) == []


def test_upload_raw_file_cannot_be_created(sgc, tmp_path):
    """A '.sgc_ps' file that cannot be created (SaveDirectory under a plain
    file): 500, OnError says why, the handler does not run."""
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"a file, not a folder")
    s, port = start_raw(sgc, blocker / "sub")
    status, _ = raw_request(port, part("a", b"x" * 1000, "a.bin") + end())
    assert status == 500
    s.wait_for(r"ERROR HTTPUploadFiles: the body cannot be kept in a file \(.*\): "
               r"answered 500 \(from 127\.0\.0\.1\)")
    assert not s.matches(r"RAWPOST .*")
    assert listing(tmp_path) == ["blocker"]


# ---- the body limit on parsed uploads (RemoveBoundaries = True) -----------

def post_declared_over(port, size):
    """A multipart head declaring a Content-Length of size, no body sent:
    the server answers from the head alone. Returns the status."""
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        c.sendall((f"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n"
                   f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n").encode())
        data = b""
        while b"\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        c.close()
    return int(data.split(b" ")[1])


def post_chunked(port, head_part, filler, total):
    """POSTs a chunked multipart body: head_part (bytes), then a file part
    'big.bin' of filler bytes until total bytes were sent (1 MiB chunks),
    then the end. Returns the status, None when the refusal was cut by the
    reset of the unread body."""
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    status = None
    try:
        c.sendall((f"POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n").encode())
        first = head_part + (f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
                             f'name="b"; filename="big.bin"\r\n\r\n').encode()
        try:
            c.sendall(b"%x\r\n" % len(first) + first + b"\r\n")
            sent = len(first)
            while sent < total:
                c.sendall(b"%x\r\n" % len(filler) + filler + b"\r\n")
                sent += len(filler)
            tail = b"\r\n" + end()
            c.sendall(b"%x\r\n" % len(tail) + tail + b"\r\n0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the whole body was sent
        try:
            data = c.recv(65536)
            if data:
                status = int(data.split(b" ")[1])
        except ConnectionResetError:
            pass
        # the server closes the connection after its answer
        try:
            while c.recv(65536):
                pass
        except ConnectionResetError:
            pass
    finally:
        c.close()
    return status


def test_upload_parsed_body_over_the_limit(sgc, tmp_path):
    """HTTPUploadFiles with RemoveBoundaries (MaxRequestBodySize 8 MiB): a
    declared length over the limit is answered 413 before any event or
    file; a chunked body is counted as it arrives: past the limit 413, the
    connection closed, every file of the request deleted (the complete one
    too), OnError says why, OnCommandGet never runs."""
    s, port, folder = start(sgc, tmp_path)
    folder.mkdir(parents=True)
    (folder / "keep.txt").write_bytes(b"not this request's")
    # declared: refused from the head
    mark = s.mark()
    assert post_declared_over(port, (8 << 20) + 1) == 413
    s.wait_for(r"ERROR HTTPUploadFiles: the body \(Content-Length 8388609\) is over "
               r"HTTPOptions\.MaxBodySize \(8388608 bytes\): answered 413, nothing "
               r"written \(from 127\.0\.0\.1\)", since=mark)
    assert not s.matches(r"UPLOAD_\w+ .*|HTTP .*", mark)
    assert os.listdir(folder) == ["keep.txt"]
    # exactly at the limit: accepted (the limit is inclusive)
    mark = s.mark()
    first = part("a", b"first file", "first.bin")
    rest = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"b\"; " \
           f"filename=\"exact.bin\"\r\n\r\n".encode()
    fill = (8 << 20) - len(first) - len(rest) - len(b"\r\n" + end())
    body = first + rest + b"e" * fill + b"\r\n" + end()
    assert len(body) == 8 << 20
    assert raw_request(port, body) == (200, "done")
    s.wait_for(r"HTTP POST /raw nil", since=mark)
    assert (folder / "exact.bin").stat().st_size == fill
    for n in ("first.bin", "exact.bin"):
        (folder / n).unlink()
    # chunked: a complete file, then one that goes past the limit
    mark = s.mark()
    status = post_chunked(port, part("a", b"first file", "first.bin"),
                          os.urandom(1 << 20), 10 << 20)
    assert status in (None, 413), status
    s.wait_for(r"ERROR HTTPUploadFiles: the body went over HTTPOptions\.MaxBodySize "
               r"\(8388608 bytes\) as it arrived: answered 413, the connection closed, "
               r"deleted: \S*first\.bin, \S*big\.bin \(from 127\.0\.0\.1\)", since=mark)
    assert events(s, mark) == ["UPLOAD_CREATE multipart/form-data",
                               "UPLOAD_BEFORE first.bin <here>",
                               "UPLOAD_AFTER first.bin <here>",
                               "UPLOAD_BEFORE big.bin <here>"]  # no OnCommandGet
    assert os.listdir(folder) == ["keep.txt"]
    # the server lives on
    src = tmp_path / "after.txt"
    src.write_bytes(b"still here")
    assert curl(port, "-F", f"f=@{src}") == (200, "done")
    assert sorted(os.listdir(folder)) == ["after.txt", "keep.txt"]
    assert not s.matches(r"EXCEPTION .*")
