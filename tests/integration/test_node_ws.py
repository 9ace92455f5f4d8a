"""The server against the Node `ws` client (tests/node_modules, pinned by
tests/package-lock.json; install with `cd tests && npm ci`)."""

import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
NODE_MODULES = os.path.join(TESTS, "node_modules")
CLIENT = os.path.join(HERE, "node_client.js")
MIB = 1024 * 1024


def node_binary():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: install Node.js", pytrace=False)
    if not os.path.isfile(os.path.join(NODE_MODULES, "ws", "package.json")):
        pytest.fail(
            f"the ws package is missing from {NODE_MODULES}: run "
            "`cd tests && npm ci`",
            pytrace=False,
        )
    return node


def run_scenario(server, scenario, timeout=150):
    env = dict(os.environ)
    env["NODE_PATH"] = NODE_MODULES
    url = f"ws://127.0.0.1:{server.port}/node/{scenario}"
    try:
        proc = subprocess.run(
            [node_binary(), CLIENT, url, scenario],
            cwd=TESTS,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"node scenario {scenario} hung: {e}\n" + server.describe())
    assert proc.returncode == 0, (
        f"node_client.js {scenario} exited {proc.returncode}\n"
        f"stdout: {proc.stdout}\nstderr: {proc.stderr}\n" + server.describe()
    )
    assert f"OK {scenario}" in proc.stdout
    return proc


@pytest.mark.parametrize("scenario", ["echo", "fragments", "ping"])
def test_node_ws(server, scenario):
    mark = server.mark()
    run_scenario(server, scenario)
    _, m = server.wait_for(rf"CONNECT (\d+) /node/{scenario} - 127\.0\.0\.1", since=mark)
    assert server.disconnect_code(m.group(1)) == 1000


def test_node_ws_close(server):
    mark = server.mark()
    run_scenario(server, "close")
    found = server.wait_count(r"CONNECT (\d+) /node/close .*", 2, since=mark)
    first, second = (m.group(1) for m in found)
    assert server.disconnect_code(first) == 4000
    assert server.disconnect_code(second) == 4001


def test_node_ws_many(server):
    mark = server.mark()
    run_scenario(server, "many")
    found = server.wait_count(r"DISCONNECT \d+ (\d+)", 200, since=mark, timeout=30)
    assert [m.group(1) for m in found] == ["1000"] * 200
