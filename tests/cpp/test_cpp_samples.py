"""The C++ samples (samples/cpp) against the Python websockets client.

IWS_CPP_ECHO_SERVER and IWS_CPP_CHAT_SERVER name the programs (cpp_echo_server,
cpp_chat_server, or Wine wrappers of the .exe files); a test whose program is
not named fails. IWS_CPP_SAMPLES_SIGNALS=0 (under Wine, which does not turn
SIGINT into a console event) skips the check that Ctrl-C ends the program
with exit code 0; the program is then killed."""

import os
import re
import signal
import ssl
import subprocess
import threading

import pytest

from conftest import server_path, tls_files  # noqa: F401 (a fixture)
from iws_helpers import ask, close, connect, recv, run

PORT_LINE = re.compile(r".*listening on port (\d+).*")


class Sample:
    def __init__(self, env_name, *extra):
        path = os.environ.get(env_name)
        if not path or not os.access(path, os.X_OK):
            pytest.fail(f"{env_name} does not name the sample program ({path!r})",
                        pytrace=False)
        self.proc = subprocess.Popen([path, "0", *extra], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.lines = []
        self.port = None
        ready = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                m = PORT_LINE.fullmatch(line.strip())
                if m and self.port is None:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        self.thread = threading.Thread(target=pump, daemon=True)
        self.thread.start()
        ready.wait(30)
        if self.port is None:
            self.proc.kill()
            pytest.fail(f"{path} printed no port: {self.lines} "
                        f"{self.proc.stderr.read()}", pytrace=False)

    def url(self, path="/"):
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self):
        if os.environ.get("IWS_CPP_SAMPLES_SIGNALS", "1") == "0":
            self.proc.kill()
            self.proc.wait(10)
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("the sample did not stop on SIGINT")
        self.thread.join(5)
        assert code == 0, (code, self.lines)
        assert "stopping" in self.lines


def test_echo_sample():
    sample = Sample("IWS_CPP_ECHO_SERVER")
    try:
        async def main():
            async with connect(sample.url()) as ws:
                assert await ask(ws, "hello ✓") == "hello ✓"
                assert await ask(ws, b"\x00\xffbinary") == b"\x00\xffbinary"
                big = "x" * 200000
                assert await ask(ws, big) == big
                await close(ws)
        run(main())
    finally:
        sample.stop()


def test_echo_sample_tls(tls_files):
    f = tls_files
    chain = f.path("server-chain-sample.pem")  # the leaf, then its issuer
    with open(chain, "w") as out:
        out.write(open(f.server).read() + open(f.inter).read())
    sample = Sample("IWS_CPP_ECHO_SERVER", "--tls", server_path(chain),
                    server_path(f.server_key))
    try:
        assert any(line.endswith("(wss://) (Ctrl-C stops)")
                   for line in sample.lines), sample.lines
        ctx = ssl.create_default_context(cafile=f.root)

        async def main():
            async with connect(f"wss://127.0.0.1:{sample.port}/", ssl=ctx,
                               server_hostname="localhost") as ws:
                assert await ask(ws, "secure ✓") == "secure ✓"
                big = b"y" * 200000
                assert await ask(ws, big) == big
                await close(ws)
        run(main())
    finally:
        sample.stop()


def test_chat_sample():
    sample = Sample("IWS_CPP_CHAT_SERVER")
    try:
        async def main():
            async with connect(sample.url("/?name=alice")) as alice:
                async with connect(sample.url("/?name=bob")) as bob:
                    assert await recv(alice) == "* bob joined"
                    await alice.send("hi all")
                    assert await recv(alice) == "alice: hi all"
                    assert await recv(bob) == "alice: hi all"
                    await bob.send("/msg alice psst")
                    assert await recv(alice) == "(private) bob: psst"
                    assert await ask(bob, "/who") == "2 here"
                    assert await ask(bob, "/msg carol hey") == "nobody is called carol"
                    await bob.send(b"\x01")  # binary: refused with 1003
                    await bob.wait_closed()
                    assert bob.close_code == 1003
                assert await recv(alice) == "* bob left"
                async with connect(sample.url("/")) as guest:
                    joined = await recv(alice)
                    assert re.fullmatch(r"\* guest-\d+ joined", joined), joined
                    await close(guest)
                assert re.fullmatch(r"\* guest-\d+ left", await recv(alice))
                await close(alice)
        run(main())
    finally:
        sample.stop()


def test_http_server_sample():
    """cpp_http_server: the chat page from its document root, the JSON API,
    and /api/next, deferred and answered from the WebSocket's handler
    thread when a chat message arrives."""
    import asyncio
    import http.client
    import json

    web = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples", "web")
    sample = Sample("IWS_CPP_HTTP_SERVER", server_path(web))

    def fetch(method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", sample.port, timeout=30)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r, r.read()
        finally:
            c.close()

    try:
        r, data = fetch("GET", "/")
        assert r.status == 200 and b"iocpws chat" in data
        assert r.getheader("Content-Type").startswith("text/html")
        r, data = fetch("GET", "/api/hello?name=h%C3%A9")
        assert json.loads(data) == {"hello": "hé", "from": "127.0.0.1"}
        r, data = fetch("GET", "/nope")
        assert r.status == 404
        r, data = fetch("POST", "/api/say", body=b"", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 400
        polled = []
        poller = threading.Thread(target=lambda: polled.append(fetch("GET", "/api/next")))
        poller.start()

        async def go():
            async with connect(sample.url("/chat")) as ws:
                for _ in range(300):  # the poll is deferred once "waiting" shows
                    if any(l.startswith("waiting: ") for l in sample.lines):
                        break
                    await asyncio.sleep(0.05)
                assert any(l.startswith("waiting: ") for l in sample.lines), sample.lines
                await ws.send("hello pollers ☃")
                assert await recv(ws) == "hello pollers ☃"

        run(go())
        poller.join(30)
        assert polled, "the deferred /api/next was never answered"
        r, data = polled[0]
        assert r.status == 200 and json.loads(data) == {"text": "hello pollers ☃"}
    finally:
        sample.stop()
