"""Faulty clients: peers that reset while the server is writing to them.

A reset peer makes the kernel answer writes with EPIPE/ECONNRESET; on POSIX
a plain write() would also raise SIGPIPE and kill the host process. The
library must report the connection lost (on_disconnect 1006) and go on.
"""

import socket
import struct
import time

from iws_helpers import MIB, RawClient, ask, connect, run, url


def reset(client):
    """Closes with SO_LINGER 0: the peer gets a TCP reset, not a FIN."""
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           struct.pack("ii", 1, 0))
    client.sock.close()


def wait_disconnects(server, since, count, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = server.snapshot()[since:]
        if sum(1 for line in lines if line.startswith("DISCONNECT ")) >= count:
            return
        assert server.proc.poll() is None, server.describe()
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} disconnects\n" + server.describe())


def test_clients_resetting_mid_send_do_not_hurt_the_server(start_server):
    server = start_server(max_message_size=2 * MIB, send_queue_limit=0,
                          io_threads=2)
    mark = server.mark()
    total = 0
    for _round in range(5):
        clients = []
        for _ in range(20):
            c = RawClient(server.port)
            c.handshake()
            clients.append(c)
        for c in clients:
            # The server floods from another thread and echoes 1 MiB back
            # while the client vanishes without reading: the I/O thread sees
            # the reset while the flooding thread is writing.
            c.send_text("cmd:foreign 100000")
            c.send_frame(0x2, b"x" * MIB)
        for c in clients:
            reset(c)
        total += len(clients)
        wait_disconnects(server, mark, total)

    async def still_serving():
        async with connect(url(server)) as ws:
            assert await ask(ws, "after the resets") == "after the resets"

    run(still_serving())
    assert server.proc.poll() is None, server.describe()


def test_reset_during_stop_goodbyes(start_server):
    server = start_server(stop_timeout_ms=2000)
    clients = []
    for _ in range(10):
        c = RawClient(server.port)
        c.handshake()
        c.send_text("cmd:foreign 5000")
        clients.append(c)
    for c in clients:
        reset(c)
    # The close 1001 of stop goes to sockets that were reset.
    server.command("stop")
    _, m = server.wait_for(r"STOPPED rc=(-?\d+) connects=(\d+) disconnects=(\d+)",
                           timeout=20)
    assert m.group(1) == "0"
    assert m.group(2) == m.group(3)


def drain_then_close(client):
    """Reads whatever has arrived, then closes with nothing unread: the
    server gets a FIN while it is still writing, then a reset for the bytes
    that arrive afterwards (its socket is in CLOSE_WAIT: the next write
    fails with EPIPE, the case where a plain write() raises SIGPIPE)."""
    client.sock.setblocking(False)
    try:
        while client.sock.recv(1 << 20):
            pass
    except BlockingIOError:
        pass
    client.sock.close()


def test_clients_closing_with_unread_echoes(start_server):
    """Pipelined 1 MiB echoes; the client closes in the middle of them."""
    server = start_server(max_message_size=2 * MIB, io_threads=2)
    mark = server.mark()
    total = 0
    for _round in range(10):
        clients = []
        for _ in range(4):
            c = RawClient(server.port)
            c.handshake()
            clients.append(c)
        for c in clients:
            c.send_frame(0x2, b"y" * MIB)
            c.send_frame(0x2, b"z" * MIB)
        for c in clients:
            c.sock.recv(65536)
            drain_then_close(c)
        total += len(clients)
        wait_disconnects(server, mark, total)
    assert server.proc.poll() is None, server.describe()


def test_data_and_fin_in_one_burst_are_both_seen(start_server):
    """A frame that gets no answer (an unsolicited pong) immediately
    followed by FIN often arrives as one edge-triggered event; the server
    must still notice the end of stream after the short read of the data,
    and close (nothing else would wake it: it writes nothing back)."""
    # One I/O thread kept busy by a large echo, so that each burst's data
    # and FIN are both waiting by the time the thread gets to the socket.
    server = start_server(io_threads=1, max_message_size=8 * MIB)
    busy = RawClient(server.port)
    busy.handshake()
    mark = server.mark()
    rounds = 0
    for _ in range(20):
        busy.send_frame(0x2, b"b" * (4 * MIB))
        clients = []
        for _ in range(10):
            c = RawClient(server.port)
            c.handshake()
            clients.append(c)
        for c in clients:
            c.send_frame(0xA, b"unsolicited pong: no reply comes")
            c.sock.shutdown(socket.SHUT_WR)
        for c in clients:
            c.sock.close()
        rounds += len(clients)
        while busy.recv_frame(timeout=30).opcode != 0x2:
            pass
    wait_disconnects(server, mark, rounds, timeout=30)
    busy.close()
