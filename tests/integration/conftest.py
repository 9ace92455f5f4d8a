"""Fixtures of the iocpws integration tests.

The tests drive ws_test_server (built from ws_test_server.c against the
library) with real clients. Its path comes from the environment variable
IWS_TEST_SERVER; a missing or unset path fails every test that needs the
server (it is never skipped).
"""

import os
import shutil
import re
import select
import subprocess
import threading
import time

import pytest

SERVER_ENV = "IWS_TEST_SERVER"


def pytest_configure(config):
    # Attacks as a hostile client would make them (floods, records during
    # on_connect, open redirects, smuggling-shaped heads): `-m hostile`
    # runs them alone; they also run with everything else.
    config.addinivalue_line(
        "markers", "hostile: an attack-shaped test (a hostile client)")


def server_binary():
    path = os.environ.get(SERVER_ENV)
    if not path:
        pytest.fail(
            f"{SERVER_ENV} is not set: point it at the ws_test_server binary "
            "built from tests/integration/ws_test_server.c "
            "(e.g. IWS_TEST_SERVER=build/ws_test_server)",
            pytrace=False,
        )
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        pytest.fail(
            f"{SERVER_ENV}={path!r} is not an executable file: build "
            "ws_test_server first",
            pytrace=False,
        )
    return os.path.abspath(path)


class ServerProcess:
    """One running ws_test_server and everything it printed."""

    def __init__(self, binary, options):
        self.options = dict(options)
        # _args: extra command-line arguments (e.g. ["--nofile", "64"]).
        args = [binary] + list(self.options.pop("_args", []))
        for name, value in self.options.items():
            args += ["--opt", f"{name}={value}"]
        self.args = args
        self.cond = threading.Condition()
        self._launch()
        found = None
        try:
            found = self.wait_for(r"PORT (\d+)", timeout=15)
        except pytest.fail.Exception:
            with self.cond:
                ended = bool(self.lines) and self.lines[-1] is None
            if not ended:
                raise
        if found is None:
            # Its output ended before PORT. Say how it ended: the exit code
            # and all of stderr (read at once, both may still be on the way;
            # under Wine, Wine's own "err:" lines tell why a program died
            # before main). Never started again: see scripts/README-windows.md
            # ("Wine start-up").
            self._reap()
            pytest.fail("server exited before printing /PORT (\\d+)/\n"
                        + self.describe(), pytrace=False)
        i, m = found
        self.port = int(m.group(1))
        # A TLS listener is announced just before PORT.
        self.tls_port = None
        for line in self.snapshot()[:i]:
            t = re.fullmatch(r"TLS_PORT (\d+)", line)
            if t:
                self.tls_port = int(t.group(1))

    def _launch(self):
        self.lines = []
        self.stderr_lines = []
        self.returncode = None
        self.proc = subprocess.Popen(
            self.args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
        # Both outputs are read straight from their pipes, non-blocking and
        # only under self.cond, by the pump threads and by snapshot(): so a
        # snapshot holds every line the server had written before it was
        # taken (a line printed before a reply the test already has is
        # never still on its way).
        self._ended = set()
        self._partial = {}
        out_fd = self.proc.stdout.fileno()
        err_fd = self.proc.stderr.fileno()
        os.set_blocking(out_fd, False)
        os.set_blocking(err_fd, False)
        self._out = threading.Thread(
            target=self._pump, args=(out_fd, self.lines), daemon=True
        )
        self._err = threading.Thread(
            target=self._pump, args=(err_fd, self.stderr_lines), daemon=True
        )
        self._out.start()
        self._err.start()

    def _reap(self):
        """Waits for the exit code (killing the process after 10 s) and
        for the end of both outputs."""
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._out.join(timeout=5)
        self._err.join(timeout=5)

    # -- output ------------------------------------------------------------

    def _pump(self, fd, sink):
        while True:
            select.select([fd], [], [])
            with self.cond:
                if not self._drain_locked(fd, sink):
                    return

    def _drain_locked(self, fd, sink):
        """Moves what the pipe holds into sink as lines; False at its end
        (then sink ends with None, the end-of-stream marker)."""
        if fd in self._ended:
            return False
        added = False
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                rest = self._partial.pop(fd, b"")
                if rest:
                    sink.append(rest.decode("utf-8", "replace"))
                sink.append(None)  # end of stream marker, removed in snapshots
                self._ended.add(fd)
                self.cond.notify_all()
                return False
            *whole, rest = (self._partial.get(fd, b"") + chunk).split(b"\n")
            self._partial[fd] = rest
            for line in whole:
                sink.append(line.rstrip(b"\r").decode("utf-8", "replace"))
                added = True
        if added:
            self.cond.notify_all()
        return True

    def _catch_up_locked(self):
        try:
            self._drain_locked(self.proc.stdout.fileno(), self.lines)
        except ValueError:
            pass  # the pipe is closed: the pump has everything

    def snapshot(self):
        with self.cond:
            self._catch_up_locked()
            return [line for line in self.lines if line is not None]

    def mark(self):
        """An index into the output: wait_for(..., since=mark) looks after it."""
        with self.cond:
            self._catch_up_locked()
            return len([line for line in self.lines if line is not None])

    def describe(self, tail=40):
        out = self.snapshot()[-tail:]
        with self.cond:
            err = [line for line in self.stderr_lines if line is not None][-tail:]
        text = "server: " + " ".join(self.args) + "\n"
        text += "--- stdout (tail) ---\n" + "\n".join(out) + "\n"
        if err:
            text += "--- stderr (tail) ---\n" + "\n".join(err) + "\n"
        if self.proc.poll() is not None:
            text += f"--- exited with {self.proc.returncode} ---\n"
        return text

    def wait_for(self, regex, since=0, timeout=10.0):
        """Waits for a stdout line fully matching regex at index >= since.

        Returns (index, match). Fails the test on timeout or if the server
        exits first."""
        pattern = re.compile(regex)
        deadline = time.monotonic() + timeout
        with self.cond:
            i = since
            while True:
                while i < len(self.lines):
                    line = self.lines[i]
                    if line is None:
                        pytest.fail(
                            f"server exited before printing /{regex}/\n"
                            + self._describe_locked(),
                            pytrace=False,
                        )
                    m = pattern.fullmatch(line)
                    if m:
                        return i, m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"timed out after {timeout}s waiting for /{regex}/\n"
                        + self._describe_locked(),
                        pytrace=False,
                    )
                self.cond.wait(left)

    def _describe_locked(self):
        out = [line for line in self.lines if line is not None][-40:]
        err = [line for line in self.stderr_lines if line is not None][-40:]
        text = "server: " + " ".join(self.args) + "\n"
        text += "--- stdout (tail) ---\n" + "\n".join(out) + "\n"
        if err:
            text += "--- stderr (tail) ---\n" + "\n".join(err) + "\n"
        return text

    def wait_count(self, regex, count, since=0, timeout=10.0):
        """Waits until at least count lines after since fully match regex;
        returns the list of matches."""
        pattern = re.compile(regex)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [
                    m
                    for m in (
                        pattern.fullmatch(line)
                        for line in self.lines[since:]
                        if line is not None
                    )
                    if m
                ]
                if len(found) >= count:
                    return found
                if self.lines and self.lines[-1] is None:
                    pytest.fail(
                        f"server exited with {len(found)}/{count} lines "
                        f"/{regex}/\n" + self._describe_locked(),
                        pytrace=False,
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"timed out after {timeout}s with {len(found)}/{count}"
                        f" lines /{regex}/\n" + self._describe_locked(),
                        pytrace=False,
                    )
                self.cond.wait(left)

    def matches(self, regex, since=0):
        pattern = re.compile(regex)
        return [
            m
            for m in (pattern.fullmatch(line) for line in self.snapshot()[since:])
            if m
        ]

    # -- control -----------------------------------------------------------

    def command(self, line):
        """Writes one command line to the server's standard input."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def disconnect_code(self, conn_id, timeout=10.0):
        _, m = self.wait_for(rf"DISCONNECT {conn_id} (\d+)", timeout=timeout)
        return int(m.group(1))

    def quit(self, timeout=60.0):
        """Sends quit (destroy) and waits; returns the exit code."""
        if self.proc.poll() is None:
            try:
                self.command("quit")
                self.proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.returncode = "timeout"
                return self.returncode
        self._out.join(5)
        self._err.join(5)
        self.returncode = self.proc.returncode
        return self.returncode


def is_wine_server(path):
    """The server is a wrapper that runs ws_test_server.exe under Wine."""
    try:
        with open(path, "rb") as f:
            return b"run-exe.sh" in f.read(4096)
    except OSError:
        return False


def server_path(path):
    """A file path as the server program sees it: under Wine, a Unix path
    is reached through drive Z:."""
    path = os.path.abspath(path)
    if is_wine_server(server_binary()):
        return "Z:" + path.replace("/", "\\")
    return path


@pytest.fixture
def start_server():
    """Factory: start_server(**options) -> ServerProcess (listening).

    At teardown every server gets "quit" and must exit with 0, which
    ws_test_server returns only when every accepted connection got exactly
    one on_disconnect."""
    servers = []

    def start(**options):
        # _program: a server program other than IWS_TEST_SERVER (the mixed
        # Wine + native clusters of test_redis.py)
        binary = options.pop("_program", None) or server_binary()
        server = ServerProcess(binary, options)
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
            problems.append(
                f"ws_test_server exit code {code!r} (0 expected: every "
                "accepted connection disconnected exactly once)\n"
                + server.describe()
            )
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def server(start_server):
    """A server with the default options (max_message_size raised to
    17 MiB so 16 MiB echoes fit)."""
    return start_server(max_message_size=17 * 1024 * 1024)


# --------------------------------------------------------------------------
# TLS: certificates made at test time with the openssl command-line tool
# --------------------------------------------------------------------------

TLS_PASSWORD = "s3cret-pass"


class TlsFiles:
    """A root CA, an intermediate CA, and leaf certificates it signed:
    `server` (localhost, 127.0.0.1), `other` (other.test, for SNI). The
    clients trust only the root, so the server must send the intermediate
    (tls_ca_file). Plus an encrypted copy of the server key and junk."""

    def __init__(self, directory):
        self.dir = directory
        self.root_key, self.root = self._ca("root", None)
        self.inter_key, self.inter = self._ca("inter", "root")
        self.server_key, self.server = self._leaf("server", "localhost",
                                                  "DNS:localhost,IP:127.0.0.1")
        self.other_key, self.other = self._leaf("other", "other.test",
                                                "DNS:other.test")
        self.server_key_enc = self.path("server-enc.key")
        self._openssl("pkey", "-in", self.server_key, "-aes256", "-passout",
                      f"pass:{TLS_PASSWORD}", "-out", self.server_key_enc)
        self.garbage = self.path("garbage.pem")
        with open(self.garbage, "w") as f:
            f.write("this is not a PEM file\n")

    def path(self, name):
        return os.path.join(self.dir, name)

    def _openssl(self, *args):
        proc = subprocess.run(["openssl", *args], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            pytest.fail(f"openssl {' '.join(args)}: {proc.stderr}",
                        pytrace=False)

    def _key(self, name):
        key = self.path(f"{name}.key")
        self._openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                      "ec_paramgen_curve:prime256v1", "-out", key)
        return key

    def _sign(self, name, subject, issuer, ext):
        key = self._key(name)
        csr, cert, extfile = (self.path(f"{name}.csr"),
                              self.path(f"{name}.pem"),
                              self.path(f"{name}.ext"))
        with open(extfile, "w") as f:
            f.write(ext)
        self._openssl("req", "-new", "-key", key, "-subj", subject,
                      "-out", csr)
        if issuer is None:
            self._openssl("x509", "-req", "-in", csr, "-signkey", key,
                          "-days", "3", "-extfile", extfile, "-out", cert)
        else:
            self._openssl("x509", "-req", "-in", csr,
                          "-CA", self.path(f"{issuer}.pem"),
                          "-CAkey", self.path(f"{issuer}.key"),
                          "-CAcreateserial", "-days", "3",
                          "-extfile", extfile, "-out", cert)
        return key, cert

    def _ca(self, name, issuer):
        return self._sign(name, f"/CN=iocpws test {name} CA", issuer,
                          "basicConstraints=critical,CA:true\n"
                          "keyUsage=critical,keyCertSign,cRLSign\n")

    def _leaf(self, name, cn, san):
        return self._sign(name, f"/CN={cn}", "inter",
                          "basicConstraints=CA:false\n"
                          f"subjectAltName={san}\n"
                          "extendedKeyUsage=serverAuth\n")


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is needed for the TLS tests",
                    pytrace=False)
    return TlsFiles(str(tmp_path_factory.mktemp("tls")))


def tls_options(files, **extra):
    """Options for a server with a TLS listener (and the plain one)."""
    options = {
        "tls_port": 0,
        "tls_cert_file": server_path(files.server),
        "tls_key_file": server_path(files.server_key),
        "tls_ca_file": server_path(files.inter),
        "max_message_size": 17 * 1024 * 1024,
        "log_level": 3,
    }
    options.update(extra)
    return options


@pytest.fixture
def tls_server(start_server, tls_files):
    """A server with plain and TLS listeners (tls_port / port)."""
    return start_server(**tls_options(tls_files))

