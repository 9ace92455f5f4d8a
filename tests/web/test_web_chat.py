"""The browser sample: samples/c/web_chat_server serves samples/web (its
document root) and the chat WebSocket on one port; headless Chromium opens
the page in two tabs (tests/web/web_chat_browser.js, playwright-core), each
tab sends a message, and both logs show both messages in the same order.

  IWS_WEB_SERVER   the web_chat_server program (or a Wine wrapper)
  IWS_WEB_ROOT     its document root as the program sees it (default
                   samples/web of this tree)
  IWS_WEB_SIGNALS  0 under Wine (which does not pass SIGTERM on as a
                   console event): the server is killed at the end and its
                   exit code not checked
A missing program, Node module or Chromium fails the test, never skips it.
"""

import http.client
import json
import os
import re
import signal
import subprocess
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WEB = os.path.join(ROOT, "samples", "web")


class WebServer:
    def __init__(self):
        program = os.environ.get("IWS_WEB_SERVER")
        if not program or not os.access(program, os.X_OK):
            pytest.fail(f"IWS_WEB_SERVER={program!r} is not an executable "
                        "(scripts/test.sh sets it)", pytrace=False)
        root = os.environ.get("IWS_WEB_ROOT", WEB)
        self.proc = subprocess.Popen([program, "0", root], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, encoding="utf-8", errors="replace")
        self.lines = []
        ready = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if "listening on port" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        assert ready.wait(60), "no port printed:\n" + "\n".join(self.lines)
        m = [re.search(r"listening on port (\d+)", l) for l in self.lines]
        m = [x for x in m if x]
        assert m, "the server did not start:\n" + "\n".join(self.lines)
        self.port = int(m[0].group(1))

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.getheader("Content-Type", ""), r.read()
        finally:
            c.close()

    def stop(self):
        if os.environ.get("IWS_WEB_SIGNALS", "1") == "0":
            self.proc.kill()
            self.proc.wait(60)
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)


@pytest.fixture
def web_server():
    s = WebServer()
    yield s
    code = s.stop()
    assert code == 0, "web_chat_server exit code %r:\n%s" % (code, "\n".join(s.lines))


def test_assets_are_served_with_their_content_types(web_server):
    status, ctype, body = web_server.get("/")
    assert status == 200 and ctype.startswith("text/html"), (status, ctype)
    assert body == open(os.path.join(WEB, "index.html"), "rb").read()
    status, ctype, body = web_server.get("/chat.js")
    assert status == 200 and re.match(r"(text|application)/javascript", ctype), ctype
    assert body == open(os.path.join(WEB, "chat.js"), "rb").read()
    status, ctype, _ = web_server.get("/chat.css")
    assert status == 200 and ctype.startswith("text/css"), ctype
    status, ctype, body = web_server.get("/stats")
    assert status == 200 and ctype.startswith("application/json"), ctype
    assert "connections" in json.loads(body)
    status, _, _ = web_server.get("/no-such-page")
    assert status == 404


def test_two_tabs_exchange_messages(web_server):
    node = subprocess.run(
        ["node", os.path.join(HERE, "web_chat_browser.js"), f"http://127.0.0.1:{web_server.port}/"],
        cwd=HERE, capture_output=True, text=True, encoding="utf-8", timeout=240)
    assert node.returncode == 0, f"the browser run failed:\n{node.stdout}\n{node.stderr}"
    result = json.loads(node.stdout.strip().splitlines()[-1])
    expected = ["alice:hello from tab A — é", "bob:hi from tab B 日本 🎉"]
    assert result["a"] == expected, result
    assert result["b"] == expected, result
    assert result["title"] == "iocpws chat"
    assert not result["errors"], result["errors"]
    assets = result["assets"]
    assert assets.get("/", "").startswith("200 text/html"), assets
    assert re.match(r"200 (text|application)/javascript", assets.get("/chat.js", "")), assets
    assert assets.get("/chat.css", "").startswith("200 text/css"), assets
