"""Channels across servers through a real redis-server.

Each test starts its own redis-server on a free loopback port with no
persistence, then two or three test servers on their own ports sharing it,
with clients on each. A message published on any server must reach every
subscriber on every server exactly once; when Redis dies, publishing
degrades to local delivery with IWS_E_REDIS reports, and the servers
reconnect when it is back.

Mixed clusters: IWS_TEST_PEER_SERVER names a second server program, and the
servers of a cluster alternate between IWS_TEST_SERVER and it. The Windows
tiers run these tests against the DLL under Wine with the native Linux
ws_test_server as the peer (a Wine process and a Linux one share the
loopback and the Redis), so "some servers under Wine, some native" is what
every Redis test checks there; under Wine the peer is required. Nothing here
skips: a missing redis-server, a missing peer under Wine, or a library
built without Redis fails (scripts/install-deps.sh installs redis-server
and libhiredis-dev; scripts/build-windows-deps.sh builds hiredis for the
DLL).
"""

import asyncio
import os
import signal
import subprocess
import time

import pytest


SERVER_ENV = "IWS_TEST_SERVER"
PEER_ENV = "IWS_TEST_PEER_SERVER"


def server_binary():
    # Not imported from conftest: under the cpp tiers tests/cpp/conftest.py
    # may be the module named "conftest".
    path = os.environ.get(SERVER_ENV)
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"{SERVER_ENV} must name the test server binary",
                    pytrace=False)
    return os.path.abspath(path)


def is_wine_server(path):
    """The server is a wrapper that runs the .exe under Wine."""
    try:
        with open(path, "rb") as f:
            return b"run-exe.sh" in f.read(4096)
    except OSError:
        return False


def server_kinds():
    """[IWS_TEST_SERVER, the peer]: the programs a cluster alternates."""
    main = server_binary()
    peer = os.environ.get(PEER_ENV)
    if not peer:
        if is_wine_server(main):
            pytest.fail(f"{PEER_ENV} must name a native (Linux) ws_test_server "
                        "when the servers run under Wine (scripts/test.sh sets "
                        "it to build/ws_test_server)", pytrace=False)
        return [main, main]
    if not os.access(peer, os.X_OK):
        pytest.fail(f"{PEER_ENV}={peer!r} is not an executable file",
                    pytrace=False)
    peer = os.path.abspath(peer)
    if is_wine_server(main) == is_wine_server(peer):
        pytest.fail(f"{PEER_ENV} must be of the other kind than {SERVER_ENV} "
                    "(one under Wine, one native)", pytrace=False)
    return [main, peer]


from iws_helpers import ask, close, connect, recv, run, url
from iws_redis import Redis, RespClient

E_UNSUPPORTED = -116
E_REDIS = -403


@pytest.fixture
def redis(tmp_path):
    r = Redis(tmp_path)
    yield r
    r.stop()


@pytest.fixture
def cluster(start_server, redis):
    """cluster(n, first=0, **options) -> n servers sharing `redis`, all
    linked up; server k runs server_kinds()[(first + k) % 2]."""
    kinds = server_kinds()

    def make(n, first=0, **options):
        opts = dict(redis_url=redis.url, redis_prefix=f"t{os.getpid()}:",
                    log_level=3, redis_reconnect_max_ms=400)
        opts.update(options)
        servers = []
        for k in range(n):
            servers.append(start_server(_program=kinds[(first + k) % 2],
                                        **opts))
        for s in servers:
            wait_linked(s)
        return servers

    return make


def wait_linked(server, since=0, timeout=15):
    server.wait_for(r"LOG 3 redis subscriber link .* up .*", since=since,
                    timeout=timeout)
    server.wait_for(r"LOG 3 redis publisher link .* up", since=since,
                    timeout=timeout)


async def drain(ws, count, timeout=20):
    return [await recv(ws, timeout) for _ in range(count)]


async def expect_silence(ws, wait=0.5):
    try:
        got = await asyncio.wait_for(ws.recv(), wait)
    except asyncio.TimeoutError:
        return
    raise AssertionError(f"unexpected message {got!r}")


async def subscribed_clients(servers, channels, per_server=2):
    """per_server clients on each server, each subscribed to channels; plus
    one unsubscribed bystander per server."""
    clients, bystanders = [], []
    for s in servers:
        for _ in range(per_server):
            ws = await connect(url(s))
            for ch in channels:
                assert await ask(ws, f"cmd:subscribe {ch}") == "subscribe-rc 0"
            clients.append(ws)
        bystanders.append(await connect(url(s)))
    return clients, bystanders


@pytest.mark.parametrize("n", [2, 3])
def test_every_message_everywhere_exactly_once(cluster, n):
    servers = cluster(n)
    per_origin = 100
    channels = [f"ch{k}" for k in range(n)]

    async def main():
        clients, bystanders = await subscribed_clients(servers, channels)
        for k, s in enumerate(servers):
            s.command(f"publishn ch{k} {per_origin}")
        for k, s in enumerate(servers):
            s.wait_for(rf"PUBLISHN {per_origin} rc=0", timeout=30)
        total = n * per_origin
        for ws in clients:
            got = await drain(ws, total)
            assert len(set(got)) == total, "a duplicate arrived"
            for k in range(n):
                mine = [g for g in got if g.startswith(f"ch{k}-")]
                assert mine == [f"ch{k}-{i}" for i in range(per_origin)], \
                    f"origin {k}: missing or out of order"
            await expect_silence(ws, 0.5)  # and nothing more (no loops)
        for ws in bystanders:
            await expect_silence(ws, 0.1)
        # a client publishing from its callback, on a 'foreign' server
        assert await ask(bystanders[0], "cmd:publish ch0 from-client") \
            == "publish-sent 2"
        for ws in clients:
            assert await recv(ws) == "from-client"
        for ws in clients + bystanders:
            await close(ws)

    run(main(), timeout=120)
    for s in servers:
        assert not s.matches(r"ERROR 0 .*"), s.describe()


def test_redis_killed_and_restarted(cluster, redis):
    a, b = cluster(2)

    async def main():
        clients, bystanders = await subscribed_clients([a, b], ["news"], 1)
        ca, cb = clients
        assert await ask(bystanders[0], "cmd:publish news before") \
            == "publish-sent 1"
        assert await recv(ca) == "before" and await recv(cb) == "before"

        mark_a, mark_b = a.mark(), b.mark()
        redis.kill()
        a.wait_for(rf"ERROR 0 {E_REDIS} redis subscriber link .*", since=mark_a)
        b.wait_for(rf"ERROR 0 {E_REDIS} redis subscriber link .*", since=mark_b)
        # a publisher link learns of the outage when it next writes; keep
        # publishing: local subscribers get every message meanwhile
        for i in range(20):
            reply = await ask(bystanders[0], f"cmd:publish news during-{i}")
            assert reply == "publish-sent 1", reply
            assert await recv(ca) == f"during-{i}"
            await asyncio.sleep(0.05)
        a.wait_for(rf"ERROR 0 {E_REDIS} redis publisher link .*", since=mark_a,
                   timeout=15)
        # ... and the other server's subscribers miss them (documented loss)
        await expect_silence(cb, 0.3)

        mark_a, mark_b = a.mark(), b.mark()
        redis.start()
        wait_linked(a, since=mark_a)
        wait_linked(b, since=mark_b)
        for i in range(10):
            assert await ask(bystanders[1], f"cmd:publish news after-{i}") \
                == "publish-sent 1"
        assert await drain(ca, 10) == [f"after-{i}" for i in range(10)]
        assert await drain(cb, 10) == [f"after-{i}" for i in range(10)]
        await expect_silence(ca, 0.3)
        await expect_silence(cb, 0.1)
        st = await ask(bystanders[0], "cmd:chanstats")
        assert "redis_up=1" in st, st
        for ws in clients + bystanders:
            await close(ws)

    run(main(), timeout=120)
    # one report per outage and link, not one per retry
    for s in (a, b):
        assert len(s.matches(rf"ERROR 0 {E_REDIS} redis subscriber .*")) == 1


def test_prefix_isolates_applications(cluster, redis):
    # one server of each kind (under Wine and native, where there are two)
    (a,) = cluster(1, redis_prefix="app1:")
    (b,) = cluster(1, first=1, redis_prefix="app2:")

    async def main():
        wa = await connect(url(a))
        wb = await connect(url(b))
        for ws in (wa, wb):
            assert await ask(ws, "cmd:subscribe x") == "subscribe-rc 0"
        assert await ask(wa, "cmd:publishx x hi") == "publish-sent 0"
        await expect_silence(wb, 0.5)
        await close(wa)
        await close(wb)

    run(main())


def test_slow_subscriber_link_dropped_by_redis(cluster, redis):
    """What the README says about client-output-buffer-limit pubsub: Redis
    closes a subscriber connection that falls that far behind. One server is
    frozen (SIGSTOP: its subscriber link reads nothing) while messages flow;
    Redis drops its link; thawed, it reports IWS_E_REDIS once, links up
    again, and later messages reach its clients exactly once. The frozen
    server is a native one (a Wine process is not stopped that way)."""
    kinds = server_kinds()
    first = 1 if is_wine_server(kinds[1]) else 0  # servers[1] is native
    rc = RespClient(redis.port)
    try:
        assert rc.command("CONFIG", "SET", "client-output-buffer-limit",
                          "pubsub 1mb 256kb 1") == "OK"
        prefix = f"t{os.getpid()}:"
        a, b = cluster(2, first=first, redis_prefix=prefix)

        def subscriber_links():
            return sum(" psub=1 " in line
                       for line in rc.command("CLIENT", "LIST").splitlines())

        async def main():
            clients, bystanders = await subscribed_clients([a, b], ["news"], 1)
            ca, cb = clients
            assert subscriber_links() == 2
            mark_b = b.mark()
            os.kill(b.proc.pid, signal.SIGSTOP)
            try:
                # Not ours (no "iws1" header: every server ignores them), but
                # they fill the frozen server's link: 1 MiB per 50 ms.
                junk = b"x" * 65536
                deadline = time.monotonic() + 60
                while subscriber_links() != 1:
                    assert time.monotonic() < deadline, \
                        "redis-server never dropped the frozen subscriber"
                    for _ in range(16):
                        rc.send("PUBLISH", prefix + "junk", junk)
                    for _ in range(16):
                        rc.reply()
                    await asyncio.sleep(0.05)
            finally:
                os.kill(b.proc.pid, signal.SIGCONT)
            b.wait_for(rf"ERROR 0 {E_REDIS} redis subscriber link .*",
                       since=mark_b, timeout=20)
            wait_linked(b, since=mark_b, timeout=20)
            for ws in bystanders:  # both links up on both servers again
                deadline = time.monotonic() + 20
                while "redis_up=1" not in await ask(ws, "cmd:chanstats"):
                    assert time.monotonic() < deadline, "Redis links not up"
                    await asyncio.sleep(0.1)
            assert await ask(bystanders[0], "cmd:publish news after") \
                == "publish-sent 1"
            assert await recv(ca) == "after"
            assert await recv(cb) == "after"
            await expect_silence(ca, 0.3)
            await expect_silence(cb, 0.1)
            for ws in clients + bystanders:
                await close(ws)

        run(main(), timeout=120)
    finally:
        rc.close()
    assert len(b.matches(rf"ERROR 0 {E_REDIS} redis subscriber .*")) == 1


def test_bad_redis_url_fails_start():
    proc = subprocess.run([server_binary(), "--opt", "redis_url=http://nope"],
                          input="quit\n", text=True, capture_output=True,
                          timeout=60)
    # iws_start refuses it with IWS_E_OPTION_RANGE and says why
    assert "-105" in proc.stdout and "redis://" in proc.stdout, proc.stdout
    assert "PORT" not in proc.stdout.split()


def test_library_has_redis():
    """Linux builds come with hiredis (scripts/install-deps.sh), and so does
    the Windows DLL (scripts/build-windows-deps.sh): a library without it
    fails here."""
    proc = subprocess.run([server_binary(), "--opt", "redis_url=redis://127.0.0.1:1",
                           "--opt", "log_level=0"], input="quit\n", text=True,
                          capture_output=True, timeout=60)
    assert "IWS_E_UNSUPPORTED" not in proc.stderr + proc.stdout and \
        f"refused: {E_UNSUPPORTED}" not in proc.stderr, \
        "this library was built without hiredis (IWS_WITH_REDIS=OFF)"
    assert proc.returncode == 0, proc.stdout + proc.stderr
