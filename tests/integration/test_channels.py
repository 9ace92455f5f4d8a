"""Channels inside one server: subscribe / unsubscribe / publish / list,
subscriptions ending with the connection, bad names, slow receivers, and
the statistics. (Across servers through Redis: test_redis.py.)"""

import asyncio

from iws_helpers import (
    RawClient,
    ask,
    close,
    conn_id,
    connect,
    recv,
    run,
    send,
    url,
)

E_CHANNEL_NAME = -115
E_NO_CONNECTION = -200


async def expect_silence(ws, wait=0.3):
    """Nothing arrives on ws within `wait` seconds."""
    try:
        got = await asyncio.wait_for(ws.recv(), wait)
    except asyncio.TimeoutError:
        return
    raise AssertionError(f"unexpected message {got!r}")


async def collect(ws, count):
    return sorted([await recv(ws) for _ in range(count)], key=str)


def stats(text):
    assert text.startswith("chanstats "), text
    return {k: int(v) for k, v in (f.split("=") for f in text.split()[1:])}


def test_publish_reaches_subscribers_only(server):
    async def main():
        async with connect(url(server)) as a, connect(url(server)) as b, \
                connect(url(server)) as c:
            assert await ask(a, "cmd:subscribe news") == "subscribe-rc 0"
            assert await ask(b, "cmd:subscribe news") == "subscribe-rc 0"
            assert await ask(b, "cmd:subscribe sport") == "subscribe-rc 0"
            # the publisher is subscribed too: it gets the message first,
            # then the reply (both queued inside its own callback)
            await send(a, "cmd:publish news hello")
            assert [await recv(a), await recv(a)] == ["hello", "publish-sent 2"]
            assert await recv(b) == "hello"
            await expect_silence(c)
            # a channel nobody is in: not an error
            assert await ask(c, "cmd:publish nobody x") == "publish-sent 0"
            # excluding the sender, and binary
            await send(b, "cmd:publishx news only-a")
            assert await recv(b) == "publish-sent 1"
            assert await recv(a) == "only-a"
            await send(c, "cmd:publishbin sport bytes")
            assert await recv(c) == "publish-sent 1"
            assert await recv(b) == b"bytes"
            await expect_silence(a)
            for ws in (a, b, c):
                await close(ws)

    run(main())


def test_channel_list_join_order_and_unsubscribe(server):
    async def main():
        async with connect(url(server)) as a, connect(url(server)) as b:
            assert await ask(a, "cmd:channels") == "channels -"
            for ch in ("zeta", "alpha", "mid", "alpha"):  # alpha twice: once
                assert await ask(a, f"cmd:subscribe {ch}") == "subscribe-rc 0"
            assert await ask(a, "cmd:channels") == "channels zeta,alpha,mid"
            # unsubscribing from a channel we are not in does nothing
            assert await ask(a, "cmd:unsubscribe other") == "unsubscribe-rc 0"
            assert await ask(a, "cmd:unsubscribe alpha") == "unsubscribe-rc 0"
            assert await ask(a, "cmd:channels") == "channels zeta,mid"
            assert await ask(b, "cmd:publish alpha x") == "publish-sent 0"
            assert await ask(b, "cmd:publish mid y") == "publish-sent 1"
            assert await recv(a) == "y"
            # unsubscribe with no name: every channel
            assert await ask(a, "cmd:unsubscribe") == "unsubscribe-rc 0"
            assert await ask(a, "cmd:channels") == "channels -"
            assert await ask(b, "cmd:publish zeta z") == "publish-sent 0"
            await expect_silence(a)
            await close(a)
            await close(b)

    run(main())


def test_bad_channel_names(server):
    async def main():
        async with connect(url(server)) as a:
            assert await ask(a, "cmd:subscribe") == f"subscribe-rc {E_CHANNEL_NAME}"
            assert await ask(a, "cmd:subscribe a\tb") == f"subscribe-rc {E_CHANNEL_NAME}"
            long = "x" * 256
            assert await ask(a, f"cmd:subscribe {long}") == f"subscribe-rc {E_CHANNEL_NAME}"
            assert await ask(a, f"cmd:subscribe {long[:255]}") == "subscribe-rc 0"
            # UTF-8 names and spaces are fine
            assert await ask(a, "cmd:subscribe Küche 1") == "subscribe-rc 0"
            await send(a, "cmd:publish Küche 1 hallo")  # channel "Küche", text "1 hallo"
            assert await recv(a) == "publish-sent 0"
            assert await ask(a, "cmd:unsubscribe a\x01") == f"unsubscribe-rc {E_CHANNEL_NAME}"
            await close(a)

    run(main())


def test_subscriptions_vanish_with_the_connection(server):
    async def main():
        async with connect(url(server)) as watcher:
            for _ in range(3):
                async with connect(url(server)) as gone:
                    await ask(gone, "cmd:subscribe room")
                    await ask(gone, "cmd:subscribe lobby")
                    st = stats(await ask(watcher, "cmd:chanstats"))
                    assert st["channels"] == 2 and st["subs"] == 2, st
                    await close(gone)
            # the server removes them after on_disconnect: poll briefly
            for _ in range(50):
                st = stats(await ask(watcher, "cmd:chanstats"))
                if st["subs"] == 0:
                    break
                await asyncio.sleep(0.05)
            assert st["channels"] == 0 and st["subs"] == 0, st
            assert await ask(watcher, "cmd:publish room x") == "publish-sent 0"
            assert st["pub"] >= 0
            await close(watcher)

    run(main())


def test_subscribe_and_publish_from_another_thread(server):
    async def main():
        async with connect(url(server)) as a, connect(url(server)) as b:
            aid = await conn_id(a)
            bid = await conn_id(b)
            mark = server.mark()
            server.command(f"subscribe {aid} feed")
            server.command(f"subscribe {bid} feed")
            server.wait_count(r"SUBSCRIBE_RC 0", 2, since=mark)
            server.command("publishn feed 200")
            server.wait_for(r"PUBLISHN 200 rc=0", since=mark)
            for ws in (a, b):
                got = [await recv(ws) for _ in range(200)]
                assert got == [f"feed-{i}" for i in range(200)], "in order"
            server.command("publish feed last")
            server.wait_for(r"PUBLISH 2 rc=0", since=mark)
            assert await recv(a) == "last" and await recv(b) == "last"
            # an unknown id
            server.command("subscribe 999999 feed")
            server.wait_for(rf"SUBSCRIBE_RC {E_NO_CONNECTION}", since=mark)
            await close(a)
            await close(b)

    run(main())


def test_slow_subscriber_does_not_hold_up_the_others(start_server):
    server = start_server(send_queue_limit=65536, send_queue_policy="close",
                          close_timeout_ms=500)
    # 100 batches of 30 KiB: the fast subscriber reads each batch before the
    # next is published, so its queue stays under the 64 KiB limit even
    # under Wine; the slow one, which never reads, collects 3 MiB.
    batches, count, size = 100, 30, 1024
    with RawClient(server.port, rcvbuf=4096) as slow:
        slow.handshake()
        slow_id = slow.conn_id()
        slow.send_text("cmd:subscribe flood")
        assert slow.recv_message().payload == b"subscribe-rc 0"

        async def fast():
            async with connect(url(server)) as ws:
                assert await ask(ws, "cmd:subscribe flood") == "subscribe-rc 0"
                for _ in range(batches):
                    mark = server.mark()
                    server.command(f"publishn flood {count} {size}")
                    server.wait_for(r"PUBLISHN \d+ rc=0", since=mark, timeout=60)
                    got = [await recv(ws, timeout=30) for _ in range(count)]
                    assert [g.split(".")[0] for g in got] == [
                        f"flood-{i}" for i in range(count)]
                    assert all(len(g) == size for g in got)
                await close(ws)

        run(fast(), timeout=120)
        # the slow one met the queue policy: closed with 1008
        assert server.disconnect_code(slow_id, timeout=15) in (1008, 1006)
        slow.wait_eof(timeout=30)
