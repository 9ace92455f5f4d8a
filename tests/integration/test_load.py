"""Many connections, stop/start under load, foreign threads, worker threads."""

import asyncio
import socket

import pytest
import websockets

from iws_helpers import ask, close, conn_id, connect, recv, run, url


def stats_of(reply):
    assert reply.startswith("stats "), reply
    return {k: int(v) for k, v in (kv.split("=") for kv in reply.split()[1:])}


def test_thousand_concurrent_connections(start_server):
    server = start_server()
    n = 1000
    mark = server.mark()

    async def main():
        handshakes = asyncio.Semaphore(100)

        async def open_one():
            async with handshakes:
                return await connect(url(server), open_timeout=30)

        conns = await asyncio.gather(*(open_one() for _ in range(n)))
        try:
            # all of them are open at the same time
            stats = stats_of(await ask(conns[0], "cmd:stats"))
            assert stats["current"] == n, stats

            async def talk(i, ws):
                for j in range(3):
                    msg = f"client {i} message {j}"
                    assert await ask(ws, msg, timeout=60) == msg

            await asyncio.gather(*(talk(i, ws) for i, ws in enumerate(conns)))
        finally:
            await asyncio.gather(
                *(close(ws, timeout=60) for ws in conns), return_exceptions=True
            )
        return [ws.close_code for ws in conns]

    codes = run(main(), timeout=150)
    assert codes == [1000] * n
    found = server.wait_count(r"DISCONNECT \d+ (\d+)", n, since=mark, timeout=30)
    assert [m.group(1) for m in found] == ["1000"] * n
    assert len(server.matches(r"CONNECT .*", since=mark)) == n


def test_stop_under_load_then_start_again(start_server):
    server = start_server(stop_timeout_ms=3000)
    n = 50

    async def load():
        conns = await asyncio.gather(*(connect(url(server)) for _ in range(n)))
        ids = [await conn_id(ws) for ws in conns]

        async def pump(i, ws):
            payload = f"load {i} " + "x" * 1000
            count = 0
            try:
                while True:
                    await ws.send(payload)
                    assert await recv(ws, timeout=15) == payload
                    count += 1
            except websockets.ConnectionClosed:
                pass
            return count, ws.close_code

        tasks = [asyncio.create_task(pump(i, ws)) for i, ws in enumerate(conns)]
        await asyncio.sleep(1.0)
        mark = server.mark()
        server.command("stop")
        results = await asyncio.wait_for(asyncio.gather(*tasks), 30)
        return ids, results, mark

    ids, results, mark = run(load(), timeout=60)
    _, m = server.wait_for(
        r"STOPPED rc=(-?\d+) connects=(\d+) disconnects=(\d+)", since=mark, timeout=30
    )
    rc, connects, disconnects = (int(x) for x in m.groups())
    assert rc == 0
    assert connects == disconnects == n, m.group(0)
    for count, code in results:
        assert count > 0, "every client echoed something before the stop"
        assert code in (1001, 1006), f"client saw close code {code}"
    codes = [int(x.group(1)) for x in server.matches(r"DISCONNECT \d+ (\d+)")]
    assert len(codes) == n and set(codes) <= {1001, 1006}, codes
    assert codes.count(1001) > 0, "stop must close with 1001 (going away)"

    # the listener is gone
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()

    # and the server starts again; ids keep growing
    mark = server.mark()
    server.command("start")
    _, m = server.wait_for(r"PORT (\d+)", since=mark, timeout=15)
    server.port = int(m.group(1))

    async def again():
        async with connect(url(server)) as ws:
            assert await ask(ws, "after restart") == "after restart"
            new_id = await conn_id(ws)
            await close(ws)
            return new_id

    new_id = run(again())
    assert new_id > max(ids), f"id {new_id} reused after restart (old max {max(ids)})"
    assert server.disconnect_code(new_id) == 1000


def test_stop_twice_and_start_stop_cycles(start_server):
    server = start_server()
    for cycle in range(3):
        async def one():
            async with connect(url(server)) as ws:
                assert await ask(ws, f"cycle {cycle}") == f"cycle {cycle}"
                await close(ws)

        run(one())
        mark = server.mark()
        server.command("stop")
        i, _ = server.wait_for(
            r"STOPPED rc=0 connects=(\d+) disconnects=\1", since=mark
        )
        server.command("stop")  # stopping a stopped server is fine
        server.wait_for(r"STOPPED rc=0 .*", since=i + 1)
        server.command("start")
        _, m = server.wait_for(r"PORT (\d+)", since=mark)
        server.port = int(m.group(1))


def test_foreign_thread_sends_in_order(server):
    async def main():
        async with connect(url(server)) as ws:
            await ws.send("cmd:foreign 1000")
            got = [await recv(ws) for _ in range(1000)]
            assert got == [f"foreign-{i}" for i in range(1000)]
            await close(ws)

    run(main())
    server.wait_for(r"FOREIGN_DONE \d+ 1000")


def test_foreign_thread_sends_mixed_with_echo(server):
    async def main():
        async with connect(url(server)) as ws:
            await ws.send("cmd:foreign 2000")
            for i in range(200):
                await ws.send(f"echo-{i}")
            got = [await recv(ws) for _ in range(2200)]
            foreign = [m for m in got if m.startswith("foreign-")]
            echoes = [m for m in got if m.startswith("echo-")]
            assert foreign == [f"foreign-{i}" for i in range(2000)]
            assert echoes == [f"echo-{i}" for i in range(200)]
            await close(ws)

    run(main())


def test_foreign_thread_sends_to_many_connections(server):
    async def main():
        conns = await asyncio.gather(*(connect(url(server)) for _ in range(10)))
        for ws in conns:
            await ws.send("cmd:foreign 300")

        async def drain(ws):
            return [await recv(ws) for _ in range(300)]

        results = await asyncio.gather(*(drain(ws) for ws in conns))
        for got in results:
            assert got == [f"foreign-{i}" for i in range(300)]
        await asyncio.gather(*(close(ws) for ws in conns))

    run(main())


def test_worker_threads_pin_each_connection(start_server):
    server = start_server(worker_threads=2)

    async def client(i):
        async with connect(url(server)) as ws:
            replies = []
            for j in range(20):
                replies.append(await ask(ws, "cmd:thread"))
                # interleave some echo traffic
                assert await ask(ws, f"{i}/{j}") == f"{i}/{j}"
            await close(ws)
            return replies

    async def main():
        return await asyncio.gather(*(client(i) for i in range(20)))

    results = run(main())
    flat = [r for replies in results for r in replies]
    assert len(flat) == 400
    assert set(flat) == {"thread 1"}, sorted(set(flat))


def test_broadcast_to_many(start_server):
    server = start_server(worker_threads=2)
    n = 200

    async def main():
        conns = await asyncio.gather(*(connect(url(server)) for _ in range(n)))
        stats = stats_of(await ask(conns[0], "cmd:stats"))
        assert stats["current"] == n
        mark = server.mark()
        server.command("sendall to everyone")
        got = await asyncio.gather(*(recv(ws) for ws in conns))
        assert got == ["to everyone"] * n
        assert await ask(conns[1], "cmd:broadcast from one") == f"broadcast-sent {n - 1}"
        others = [ws for i, ws in enumerate(conns) if i != 1]
        got = await asyncio.gather(*(recv(ws) for ws in others))
        assert got == ["from one"] * (n - 1)
        await asyncio.gather(*(close(ws) for ws in conns))
        return mark

    mark = run(main())
    server.wait_for(rf"SENDALL {n} rc=0", since=mark)
