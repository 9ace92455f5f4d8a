"""Per-connection socket details (Since 0.6): TCP keep-alive on accepted
sockets, each connection's local address, the last pong, and headers
on_connect adds to its answer.

Keep-alive cannot be read back from outside the server process with
getsockopt, so it is checked where the kernel shows it: the timer column
of /proc/net/tcp for the server's end of the connection ("02" = the
keep-alive timer, then the clock ticks until it fires). Under Wine the
IOCP back end's SIO_KEEPALIVE_VALS lands on the same Linux socket, so the
same check covers both back ends."""

import os
import time

from iws_helpers import OP_PING, OP_PONG, RawClient

TICK = os.sysconf("SC_CLK_TCK")  # /proc/net/tcp counts timers in these


def server_end_timers(port):
    """(timer kind, seconds until it fires) of every ESTABLISHED socket
    whose local port is `port` (the server's ends of its connections)."""
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, timer = fields[1], fields[3], fields[5]
            if state != "01" or int(local.rsplit(":", 1)[1], 16) != port:
                continue
            kind, when = timer.split(":")
            found.append((int(kind, 16), int(when, 16) / TICK))
    return found


def one_timer(port):
    timers = server_end_timers(port)
    assert len(timers) == 1, f"expected one server-side socket on {port}: {timers}"
    return timers[0]


def test_keepalive_off_by_default(start_server):
    server = start_server()
    with RawClient(server.port) as c:
        c.handshake()
        c.conn_id()  # the answer was acknowledged: no retransmit timer left
        time.sleep(0.3)
        kind, _ = one_timer(server.port)
        assert kind != 2, "keep-alive timer armed although the option is off"


def test_keepalive_time_applies_to_accepted_socket(start_server):
    server = start_server(tcp_keepalive=1, tcp_keepalive_time_ms=5000,
                          tcp_keepalive_interval_ms=1000)
    with RawClient(server.port) as c:
        c.handshake()
        c.conn_id()
        time.sleep(0.3)
        kind, left = one_timer(server.port)
        assert kind == 2, f"no keep-alive timer on the server's socket ({kind})"
        assert 2.0 < left <= 5.0, f"first probe in {left} s, 5 s of silence asked"


def test_keepalive_interval_after_first_probe(start_server):
    # The first probe goes after 1 s of silence; the client's kernel answers
    # it, and the next one is due an interval (20 s) after that probe: the
    # timer then reads more than the 1 s idle time could give.
    server = start_server(tcp_keepalive=1, tcp_keepalive_time_ms=1000,
                          tcp_keepalive_interval_ms=20000)
    with RawClient(server.port) as c:
        c.handshake()
        c.conn_id()
        time.sleep(2.5)
        kind, left = one_timer(server.port)
        assert kind == 2, f"no keep-alive timer on the server's socket ({kind})"
        assert 10.0 < left <= 20.0, f"next probe in {left} s, 20 s interval asked"
        # the answered probes keep the connection
        assert c.conn_id() > 0


# --------------------------------------------------------------------------
# iws_conn_local
# --------------------------------------------------------------------------


def local_of(client):
    client.send_text("cmd:local")
    words = client.recv_message().payload.decode().split()
    assert words[0] == "local" and words[3] == "0", words
    return words[1], int(words[2])


def test_local_address_is_the_one_the_client_reached(start_server):
    server = start_server()  # bound to 0.0.0.0
    with RawClient(server.port, host="127.0.0.1") as a, \
            RawClient(server.port, host="127.0.0.2") as b:
        a.handshake()
        b.handshake()
        assert local_of(a) == ("127.0.0.1", server.port)
        assert local_of(b) == ("127.0.0.2", server.port)


def test_local_address_ipv6(start_server):
    server = start_server(bind="::")
    with RawClient(server.port, host="::1") as a, \
            RawClient(server.port, host="127.0.0.3") as b:
        a.handshake()
        b.handshake()
        assert local_of(a) == ("::1", server.port)
        # IPv4-mapped addresses read as IPv4, as iws_conn_peer shows them
        assert local_of(b) == ("127.0.0.3", server.port)


# --------------------------------------------------------------------------
# iws_conn_last_pong
# --------------------------------------------------------------------------


def last_pong(client):
    client.send_text("cmd:lastpong")
    words = client.recv_message().payload.decode().split()
    assert words[0] == "lastpong" and words[2] == "0", words
    return int(words[1])


def test_last_pong_counts_answers_and_unsolicited_pongs(start_server):
    server = start_server()
    with RawClient(server.port) as c:
        c.handshake()
        assert last_pong(c) == 0, "no pong sent yet"
        before = int(time.time() * 1000)
        c.send_frame(OP_PONG, b"unsolicited")
        first = last_pong(c)
        after = int(time.time() * 1000)
        assert before - 1000 <= first <= after + 1000, (before, first, after)
        time.sleep(0.05)
        # an answer to the server's ping
        c.send_text("cmd:ping")
        ping = None
        while ping is None:
            f = c.recv_frame()
            assert f is not None
            if f.opcode == OP_PING:
                ping = f
        assert c.recv_message().payload == b"ping-rc 0"
        assert last_pong(c) == first, "a ping alone is not a pong"
        c.send_frame(OP_PONG, ping.payload)
        second = last_pong(c)
        assert second > first, (first, second)


# --------------------------------------------------------------------------
# iws_request_add_response_header
# --------------------------------------------------------------------------

ADDED_OK = "0 0 0 0 -100 -100 -100"  # four added; CR LF, Upgrade, "" refused


def test_headers_added_to_the_101(start_server):
    server = start_server()
    with RawClient(server.port) as c:
        response = c.handshake("/hdr/welcome-headers")
        _, line = server.wait_for(r"ADDHDR \d+ .*")
        assert line.group(0).split(" ", 2)[2] == ADDED_OK, line.group(0)
        assert response.headers.get("x-iws-test") == ["one", "two"], response
        assert response.header("set-cookie") == "sid=42; Path=/; HttpOnly"
        assert response.header("www-authenticate") == 'Basic realm="iocpws"'
        assert response.header("x-injected") is None, "CR LF went through"
        assert response.header("x-bad") is None
        # the library's own lines are still there once
        assert response.headers.get("upgrade") == ["websocket"], response
        # and the connection works
        assert c.conn_id() > 0


def test_headers_added_to_a_refusal(start_server):
    server = start_server()
    with RawClient(server.port) as c:
        request = (
            f"GET /hdr/reject/401 HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        c.send(request.encode())
        response = c.read_http_response()
        assert response.status == 401, response
        assert response.header("www-authenticate") == 'Basic realm="iocpws"'
        assert response.headers.get("x-iws-test") == ["one", "two"], response
        assert response.header("connection") == "close"
        assert len(response.headers.get("content-length", [])) == 1
    server.wait_for(r"REJECT \d+ 401")


def test_curl_sees_the_basic_challenge(start_server):
    import subprocess
    server = start_server()
    out = subprocess.run(
        ["curl", "-s", "-i", "--max-time", "10",
         "-H", "Upgrade: websocket", "-H", "Connection: Upgrade",
         "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
         "-H", "Sec-WebSocket-Version: 13",
         f"http://127.0.0.1:{server.port}/hdr/reject/401"],
        capture_output=True, text=True, timeout=30)
    assert out.stdout.startswith("HTTP/1.1 401"), out.stdout
    assert 'WWW-Authenticate: Basic realm="iocpws"' in out.stdout, out.stdout


def test_add_response_header_outside_on_connect(start_server):
    import http.client
    server = start_server()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/answerheader")
    response = conn.getresponse()
    assert response.read() == b"rc=-101"  # IWS_E_BAD_STATE
    assert response.getheader("X-A") is None
    conn.close()
