"""Fixtures for black-box tests: the built `firebell` binary, a recording HTTP
receiver, and throwaway configs — all on 127.0.0.1 with free ports."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("FIREBELL_BIN") or str(REPO / ".build" / "debug" / "firebell")
KEY = "5f0c4d3e2b1a49c8a7d6e5f4c3b2a190"


def one_channel_config(name, channel, admin="", alerting="", severity_rules=()):
    """A daemon config with one project (key KEY), the channel `name: {channel}` and every
    issue routed to it; `{PORT}` and `{DIR}` are filled in by `Daemon`. `severity_rules`:
    (name, when, add) triples, critical at 100; `alerting`: lines under `alerting:`."""
    lines = [
        "server:",
        "  listen: 127.0.0.1:{PORT}",
        *([f"  admin_token: {admin}"] if admin else []),
        "storage:",
        "  url: sqlite:{DIR}/data/firebell.sqlite",
        "projects:",
        f"  - {{ id: 1, name: shop, keys: [{KEY}] }}",
    ]
    if severity_rules:
        lines += ["severity:", "  critical_at: 100", "  rules:"]
        for rule_name, when, add in severity_rules:
            lines += [f"    - name: {rule_name}", f"      when: {when}", f"      add: {add}"]
    lines += [
        "channels:",
        f"  {name}: {{ {channel} }}",
        "routes:",
        "  - when: { severity: [minor, critical] }",
        f"    notify: [{name}]",
    ]
    if alerting:
        lines += ["alerting:", *(f"  {line}" for line in alerting.splitlines())]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """An HTTP server that records every request and answers from a script of statuses."""

    def __init__(self, port=0):
        self.requests = []
        self.script = []  # statuses (or (status, headers[, body])) to answer, in order; 200 once empty
        self.answer = None  # optional function (path, body) -> bytes for the response body
        self.delay = 0.0  # seconds to wait before answering (a slow receiver)
        self.lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    answer = receiver.script.pop(0) if receiver.script else 200
                    answer = answer if isinstance(answer, tuple) else (answer, {})
                    status, extra, scripted_body = (answer + (None,))[:3]
                    receiver.requests.append(
                        {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body,
                         "status": status, "at": time.time()}
                    )
                    receiver.lock.notify_all()
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                if scripted_body is not None:
                    payload = scripted_body
                    self.send_header("Content-Type", "application/json")
                elif receiver.answer and status < 300:
                    payload = receiver.answer(self.path, body)
                    self.send_header("Content-Type", "application/json")
                else:
                    payload = b"ok" if status < 300 else b"receiver says no"
                    self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_PATCH = do_POST  # Discord edits its first message

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, count, timeout=15.0):
        """Waits until at least `count` requests arrived; returns them all."""
        deadline = time.time() + timeout
        with self.lock:
            while len(self.requests) < count:
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(self.requests)}")
                self.lock.wait(left)
            return list(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


class Daemon:
    """`firebell serve` on a free port with a config written for the test."""

    def __init__(self, workdir: Path, config_text: str, env=None):
        self.workdir = workdir
        self.env = env
        self.port = free_port()
        self.config_path = workdir / "firebell.yaml"
        self.config_path.write_text(config_text.replace("{PORT}", str(self.port)).replace("{DIR}", str(workdir)))
        self.stdout_path = workdir / "stdout.log"
        self.stderr_path = workdir / "stderr.log"
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            [BIN, "serve", "--config", str(self.config_path)],
            cwd=self.workdir,
            env={**os.environ, **self.env} if self.env else None,
            stdout=open(self.stdout_path, "wb"),
            stderr=open(self.stderr_path, "wb"),
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}: {self.stderr_path.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("daemon did not become ready: " + self.stderr_path.read_text())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stdout(self):
        return self.stdout_path.read_text(errors="replace")

    def cli(self, *args, check=True):
        result = subprocess.run([BIN, *args, "--config", str(self.config_path)], cwd=self.workdir, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"firebell {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result


@pytest.fixture
def daemon_factory(tmp_path):
    daemons = []

    def make(config_text, env=None):
        """`env`: extra environment variables for the daemon (e.g. a test-only knob)."""
        d = Daemon(tmp_path, config_text, env)
        daemons.append(d)
        return d

    yield make
    for d in daemons:
        d.stop()


def post(url, body, key=KEY, headers=None, method="POST", timeout=10):
    """POSTs `body` (dict/list → JSON, str/bytes as is); returns (status, headers, parsed JSON or text)."""
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body
    all_headers = {"Content-Type": "application/json"}
    if key is not None:
        all_headers["Authorization"] = f"Bearer {key}"
    all_headers.update(headers or {})
    request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, dict(r.headers), _parse(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), _parse(e.read())


def get(url, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, _parse(r.read())
    except urllib.error.HTTPError as e:
        return e.code, _parse(e.read())


def _parse(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def wait_until(predicate, timeout=15.0, interval=0.1, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


class Postgres:
    """A real PostgreSQL server on 127.0.0.1 (scripts/test-postgres), for the multi-node
    tests: `database()` makes a fresh database and returns its `postgres://` URL;
    `stop()` and `start()` take the server away and bring it back on the same port."""

    SCRIPT = REPO / "scripts" / "test-postgres"

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = None

    def start(self):
        # No skip: a test that needs PostgreSQL fails with the script's reason.
        result = subprocess.run(
            [str(self.SCRIPT), "start", str(self.directory), *([str(self.port)] if self.port else [])],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        )
        if result.returncode != 0:
            pytest.fail(f"PostgreSQL for the tests did not start: {result.stderr.strip()}", pytrace=False)
        self.port = int(result.stdout.strip())

    def stop(self):
        subprocess.run([str(self.SCRIPT), "stop", str(self.directory)], stdin=subprocess.DEVNULL, check=True, timeout=60)

    def sql(self, statement, database="postgres"):
        """Runs one statement with psql; its unaligned output."""
        psql = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))), None)
        result = subprocess.run(
            [str(psql or "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "firebell", "-d", database,
             "-v", "ON_ERROR_STOP=1", "-Atc", statement],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        )
        if result.returncode != 0:
            raise AssertionError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def database(self):
        name = f"t_{os.getpid()}_{int(time.time() * 1e6)}"
        self.sql(f"CREATE DATABASE {name}")
        return name, f"postgres://firebell@127.0.0.1:{self.port}/{name}?sslmode=disable"


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the test session, stopped at its end. Its directory is
    directly under the temporary directory: as root the server runs as the `postgres`
    user, which cannot enter pytest's private (0700) temporary directories."""
    directory = Path(tempfile.mkdtemp(prefix="firebell-pg-"))
    server = Postgres(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
