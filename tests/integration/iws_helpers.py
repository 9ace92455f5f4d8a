"""Client-side helpers: a raw-socket WebSocket client for malformed traffic,
frame encoding, and small asyncio wrappers around the websockets library."""

import asyncio
import base64
import hashlib
import os
import socket
import struct
import time

import websockets
from websockets.client import connect as ws_connect

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

# Every await in the tests is bounded by one of these.
STEP = 10.0  # one send/receive or handshake
MIB = 1024 * 1024


# --------------------------------------------------------------------------
# asyncio + websockets
# --------------------------------------------------------------------------


def run(coro, timeout=60.0):
    """Runs a coroutine to completion with an overall time bound."""

    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def connect(url, **kwargs):
    """websockets.client.connect with test defaults: no compression, no
    client-side keepalive pings, bounded open and close."""
    kwargs.setdefault("compression", None)
    kwargs.setdefault("ping_interval", None)
    kwargs.setdefault("open_timeout", STEP)
    kwargs.setdefault("close_timeout", 5)
    kwargs.setdefault("max_size", 32 * MIB)
    return ws_connect(url, **kwargs)


def url(server, path="/", host="127.0.0.1"):
    return f"ws://{host}:{server.port}{path}"


async def recv(ws, timeout=STEP):
    return await asyncio.wait_for(ws.recv(), timeout)


async def send(ws, message, timeout=STEP):
    await asyncio.wait_for(ws.send(message), timeout)


async def ask(ws, message, timeout=STEP):
    """Sends a message and returns the next message received."""
    await send(ws, message, timeout)
    return await recv(ws, timeout)


async def conn_id(ws):
    reply = await ask(ws, "cmd:id")
    assert reply.startswith("id "), reply
    return int(reply.split()[1])


async def close(ws, code=1000, reason="", timeout=STEP):
    await asyncio.wait_for(ws.close(code, reason), timeout)


async def wait_closed(ws, timeout=STEP):
    await asyncio.wait_for(ws.wait_closed(), timeout)


# --------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------


def frame(opcode, payload=b"", fin=True, rsv=0, mask=True, length=None):
    """Encodes one frame. rsv is the 3-bit RSV1..3 field (4 = RSV1).
    length overrides the announced payload length (the payload bytes given
    are still what is sent)."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    return struct.pack("!H", code) + reason


def ws_key(raw=None):
    return base64.b64encode(raw if raw is not None else os.urandom(16)).decode()


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def handshake_request(
    port,
    path="/",
    host="127.0.0.1",
    method="GET",
    http="HTTP/1.1",
    key=None,
    version="13",
    upgrade="websocket",
    connection="Upgrade",
    protocols=None,
    extra=(),
):
    """Builds an opening handshake request; a None field is left out."""
    key = ws_key() if key is None else key
    lines = [f"{method} {path} {http}", f"Host: {host}:{port}"]
    if upgrade is not None:
        lines.append(f"Upgrade: {upgrade}")
    if connection is not None:
        lines.append(f"Connection: {connection}")
    if key is not False:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    if protocols:
        lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), key


class Frame:
    def __init__(self, fin, rsv, opcode, masked, payload):
        self.fin = fin
        self.rsv = rsv
        self.opcode = opcode
        self.masked = masked
        self.payload = payload

    @property
    def close_code(self):
        if len(self.payload) >= 2:
            return struct.unpack("!H", self.payload[:2])[0]
        return None

    @property
    def close_reason(self):
        return self.payload[2:]

    def __repr__(self):
        body = self.payload[:40]
        return (
            f"Frame(fin={self.fin}, rsv={self.rsv}, opcode={self.opcode}, "
            f"len={len(self.payload)}, payload={body!r})"
        )


class HttpResponse:
    def __init__(self, status_line, headers, body):
        self.status_line = status_line
        parts = status_line.split(" ", 2)
        self.version = parts[0]
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        self.headers = headers  # lower-case name -> list of values
        self.body = body

    def header(self, name):
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def __repr__(self):
        return f"HttpResponse({self.status_line!r}, {self.headers!r})"


class ConnectionClosedEarly(AssertionError):
    pass


class TalkLog:
    """What a talking client saw, to judge the heartbeat pings it got under
    IWS_OPT_HEARTBEAT_IF_IDLE by what the server had demonstrably received,
    not by wall-clock luck: on a loaded machine a stall of the client or
    of the server can rightly leave the server an interval without a
    message from a client that "talks every 50 ms".

    Call sent() for each message sent, echoed() for each echo read (echoes
    come back in order) and pinged() for each ping read. A ping is
    unjustified when the server had echoed a message sent less than half
    an interval before the ping arrived, and no echo arrivals around it
    were half an interval apart (which a stall would show)."""

    def __init__(self):
        self._unechoed = []
        self._last_echoed_send = None
        self._echo_arrivals = []
        self._pings = []

    def sent(self):
        self._unechoed.append(time.monotonic())

    def echoed(self):
        if self._unechoed:
            self._last_echoed_send = self._unechoed.pop(0)
        self._echo_arrivals.append(time.monotonic())

    def pinged(self):
        self._pings.append((time.monotonic(), self._last_echoed_send,
                            list(self._echo_arrivals)))

    @property
    def pings(self):
        return len(self._pings)

    def unjustified_pings(self, interval):
        """The arrival times (monotonic) of the pings that a server keeping
        to the rule could not have sent."""
        half = interval / 2
        bad = []
        for arrival, echoed_send, arrivals in self._pings:
            if echoed_send is None or arrival - echoed_send >= half:
                continue  # nothing recent had reached the server
            start = arrival - 1.5 * interval
            points = [a for a in arrivals if a > start]
            if len(points) < len(arrivals):
                points.insert(0, start)  # the talk began before the window
            points.append(arrival)
            if max(b - a for a, b in zip(points, points[1:])) >= half:
                continue  # echoes paused: the server (or we) stalled
            bad.append(arrival)
        return bad


class RawClient:
    """A blocking TCP client speaking WebSocket byte by byte."""

    def __init__(self, port, host="127.0.0.1", timeout=STEP, rcvbuf=None):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if rcvbuf:
            # Before connect, so the advertised window stays small: a client
            # that stops reading then backs the server up after a few KiB
            # instead of the megabytes loopback buffers hold.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.connect((host, port))
        self.port = port
        self.host = host
        self._data = bytearray()
        self.pos = 0
        self.eof = False

    @classmethod
    def over(cls, sock, port):
        """A RawClient on a socket that is already connected (e.g. an
        ssl.SSLSocket, for wss://)."""
        self = cls.__new__(cls)
        self.sock = sock
        self.port = port
        self.host = "127.0.0.1"
        self._data = bytearray()
        self.pos = 0
        self.eof = False
        return self

    # -- bytes -------------------------------------------------------------

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Reads more bytes; returns False at EOF (or reset)."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out waiting for data from the server")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise TimeoutError("timed out waiting for data from the server")
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        if self.pos > (1 << 20):
            del self._data[: self.pos]
            self.pos = 0
        self._data += chunk
        return True

    @property
    def buf(self):
        """The bytes received and not consumed yet."""
        return bytes(self._data[self.pos :])

    @buf.setter
    def buf(self, value):
        self._data = bytearray(value)
        self.pos = 0

    def _available(self):
        return len(self._data) - self.pos

    def _take(self, n, deadline):
        while self._available() < n:
            if not self._fill(deadline):
                raise ConnectionClosedEarly(
                    f"connection closed with {self._available()}/{n} bytes read"
                )
        data = bytes(self._data[self.pos : self.pos + n])
        self.pos += n
        return data

    def read_until(self, marker, timeout=STEP):
        """Consumes bytes up to and including marker; returns the bytes that
        came before it. Fails at EOF or timeout."""
        deadline = time.monotonic() + timeout
        start = self.pos
        search = start
        while True:
            i = self._data.find(marker, search)
            if i >= 0:
                before = bytes(self._data[start:i])
                self.pos = i + len(marker)
                return before
            search = max(start, len(self._data) - len(marker) + 1)
            if not self._fill(deadline):
                raise ConnectionClosedEarly(f"connection closed before {marker!r}")
            if start > 0 and self.pos == 0:
                # _fill compacted the buffer
                search -= start
                start = 0

    # -- HTTP --------------------------------------------------------------

    def read_http_response(self, timeout=STEP):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise ConnectionClosedEarly(
                    f"connection closed before a full HTTP response: {self.buf!r}"
                )
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        self.buf = rest
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        body = b""
        length = headers.get("content-length")
        if length and length[0].isdigit():
            body = self._take(int(length[0]), deadline)
        return HttpResponse(lines[0], headers, body)

    def handshake(self, path="/", protocols=None, timeout=STEP):
        request, key = handshake_request(self.port, path, protocols=protocols)
        self.send(request)
        response = self.read_http_response(timeout)
        assert response.status == 101, f"expected 101, got {response!r}"
        assert (response.header("upgrade") or "").lower() == "websocket", response
        assert "upgrade" in (response.header("connection") or "").lower(), response
        assert response.header("sec-websocket-accept") == accept_for(key), response
        return response

    # -- frames ------------------------------------------------------------

    def send_frame(self, opcode, payload=b"", **kwargs):
        self.send(frame(opcode, payload, **kwargs))

    def send_text(self, text):
        self.send_frame(OP_TEXT, text)

    def recv_frame(self, timeout=STEP):
        """The next frame, or None when the server closed the TCP link."""
        deadline = time.monotonic() + timeout
        try:
            b0, b1 = self._take(2, deadline)
        except ConnectionClosedEarly:
            if not self._available():
                return None
            raise
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._take(2, deadline))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._take(8, deadline))
        key = self._take(4, deadline) if b1 & 0x80 else None
        payload = self._take(n, deadline)
        if key:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, key is not None, payload)

    def recv_message(self, timeout=STEP):
        """The next data frame (opcode, payload), answering nothing; fails on
        a close frame or EOF."""
        deadline = time.monotonic() + timeout
        while True:
            f = self.recv_frame(max(0.01, deadline - time.monotonic()))
            assert f is not None, "connection closed while waiting for a message"
            if f.opcode in (OP_PING, OP_PONG):
                continue
            assert f.opcode != OP_CLOSE, f"unexpected close frame {f!r}"
            return f

    def conn_id(self):
        self.send_text("cmd:id")
        f = self.recv_message()
        text = f.payload.decode()
        assert text.startswith("id "), text
        return int(text.split()[1])

    def expect_close(self, timeout=STEP, reply=True):
        """Reads frames until the server's close frame and returns it; data
        frames before it are returned too as a list (frames_before).
        Fails if the connection ends without a close frame. With reply, a
        close frame is sent back as a well-behaved client would."""
        deadline = time.monotonic() + timeout
        before = []
        while True:
            f = self.recv_frame(max(0.01, deadline - time.monotonic()))
            if f is None:
                raise AssertionError(
                    "connection closed without a close frame; frames seen: "
                    f"{before!r}"
                )
            if f.opcode == OP_CLOSE:
                self.frames_before = before
                if reply:
                    try:
                        self.send_frame(OP_CLOSE, close_payload(f.close_code))
                    except OSError:
                        pass
                return f
            before.append(f)

    def wait_eof(self, timeout=STEP):
        """Drains until the server closes the TCP link; returns the frames'
        raw bytes seen meanwhile. Fails on timeout."""
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        data = self.buf
        self.buf = b""
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def http_exchange(port, request, timeout=STEP, host="127.0.0.1"):
    """Sends raw bytes, reads the HTTP response and then waits until the
    server closes the socket. Returns (response, closed)."""
    with RawClient(port, host) as c:
        c.send(request)
        response = c.read_http_response(timeout)
        try:
            c.wait_eof(timeout)
            closed = True
        except TimeoutError:
            closed = False
        return response, closed


def expected_close(frame_, codes):
    """Asserts a close frame carries one of codes."""
    assert frame_.opcode == OP_CLOSE, frame_
    assert frame_.close_code in codes, (
        f"close code {frame_.close_code} (reason {frame_.close_reason!r}), "
        f"expected one of {codes}"
    )


__all__ = [name for name in dir() if not name.startswith("_")] + ["websockets"]
