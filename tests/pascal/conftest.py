"""Fixtures of the Pascal binding tests.

tests/pascal/iocpws_test (built by tests/pascal/run.sh from iocpws_test.dpr
with Free Pascal) is a TIocpWebSocketServer that prints one line per event;
the tests drive it with the Python websockets client. Paths come from the
environment (a missing one fails the tests that need it, never skips them):

  IWS_PASCAL_SERVER   the test server (or a Wine wrapper for the .exe)
  IWS_PASCAL_ECHO     samples/delphi/echo_server, built
  IWS_PASCAL_CHAT     samples/delphi/chat_server, built
  IWS_PASCAL_HTTP     samples/delphi/http_server, built
  IWS_PASCAL_SGC      tests/pascal/sgc_server.dpr built in mode delphi
  IWS_PASCAL_SGC_UNICODE  the same built in mode delphiunicode

The process handling (PORT line, event lines, quit, exit code) is the
integration tier's ServerProcess, loaded from tests/integration/conftest.py.
"""

import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(HERE, "..", "integration")
sys.path.insert(0, INTEGRATION)

_spec = importlib.util.spec_from_file_location(
    "iws_integration_conftest", os.path.join(INTEGRATION, "conftest.py")
)
_integration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_integration)
ServerProcess = _integration.ServerProcess


TlsFiles = _integration.TlsFiles
TLS_PASSWORD = _integration.TLS_PASSWORD


def server_path(path):
    """A file path as the test server sees it: under Wine (the server is a
    wrapper running the .exe through run-exe.sh) via drive Z:."""
    path = os.path.abspath(path)
    with open(program("IWS_PASCAL_SERVER"), "rb") as f:
        wine = b"run-exe.sh" in f.read(4096)
    return "Z:" + path.replace("/", "\\") if wine else path


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """Root CA, intermediate CA and a localhost certificate (openssl CLI)."""
    return TlsFiles(str(tmp_path_factory.mktemp("tls")))


def program(env):
    path = os.environ.get(env)
    if not path:
        pytest.fail(f"{env} is not set (tests/pascal/run.sh sets it)", pytrace=False)
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        pytest.fail(f"{env}={path!r} is not an executable file", pytrace=False)
    return os.path.abspath(path)


@pytest.fixture
def start_server():
    """Factory: start_server(**options) -> ServerProcess of iocpws_test.

    At teardown each server gets "quit" and must exit with 0: every
    connection that got OnConnect got exactly one OnDisconnect."""
    servers = []

    def start(**options):
        server = ServerProcess(program("IWS_PASCAL_SERVER"), options)
        servers.append(server)
        return server

    yield start

    problems = []
    for server in servers:
        code = server.quit()
        anomalies = server.matches(
            r"(DOUBLE_DISCONNECT|UNKNOWN_DISCONNECT|DUPLICATE_CONNECT) .*"
        )
        if code != 0 or anomalies:
            problems.append(f"iocpws_test exit code {code!r}\n" + server.describe())
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(params=["IWS_PASCAL_SGC", "IWS_PASCAL_SGC_UNICODE"])
def sgc(request):
    """Factory: sgc(**options) -> ServerProcess of sgc_server, once per
    build (mode delphi, mode delphiunicode). At teardown each server gets
    "quit" and must exit with 0."""
    servers = []
    binary = program(request.param)

    def start(**options):
        server = ServerProcess(binary, options)
        servers.append(server)
        return server

    yield start
    problems = []
    for server in servers:
        code = server.quit()
        if code != 0:
            problems.append(f"sgc_server exit code {code!r}\n" + server.describe())
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
