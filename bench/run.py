#!/usr/bin/env python3
"""`make bench`: Firebell's seven performance figures, measured in one run.

usage: python3 bench/run.py [--smoke] [--bin-dir DIR] [--keep]

Builds release binaries (`firebell`, `bench-noop`) into .build-bench unless
--bin-dir names a directory that has them; --smoke uses the debug binaries in
.build/debug, shortens every step to a second or two and only checks that each
figure produced a number (no bars). Everything runs on 127.0.0.1 with ports
the OS picks; every process started here is stopped on the way out, also on
Ctrl-C or failure. Prints one table and writes bench/results.json.

The figures (issue 5, DESIGN.md §7); load comes from wrk with 2 threads and
64 connections throughout:
  1. no-op Hummingbird handler (bench-noop), 1 KB POSTs/s: the ingest ceiling
  2. POST /v1/events, ~1 KB events over 10,000 issues (bench/events.lua): events/s,
     p50/p99, ratio to (1); the same load against PostgreSQL (a durable server started
     as the tests start theirs) with one node, and with three nodes on one database
     (one wrk thread per node, 3 x 21 connections), with ratios to (1) and to SQLite's (2)
  3. Sentry envelopes, gzip, captured from the real sentry-sdk (bench/sentry.lua)
  4. first event of a new critical issue → the Slack request at a loopback receiver,
     p50/p99 over 200 issues, idle and while (2) runs at half its measured maximum
  5. RSS after 1,000,000 events over 100,000 issues; RSS growth over 60 s at half rate
  6. 50 webhook receivers, one never answering: healthy receivers' p99 delivery
     latency with and without the dead one
  7. after a burst at full rate: time from wrk's end until the outbox is empty
     (no pending outbox row, read from the store file) and every issue and event is in the store
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import sqlite3
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
sys.path.insert(0, str(BENCH))
sys.dont_write_bytecode = True  # importing sentry_capture leaves no __pycache__ in bench/

KEY = "5f0c4d3e2b1a49c8a7d6e5f4c3b2a190"
ADMIN_TOKEN = "bench-admin-token"
THREADS = 2
CONNECTIONS = 64


class Profile:
    """How long each step runs: the full bench, or the smoke that checks the harness."""

    def __init__(self, smoke: bool):
        self.smoke = smoke
        # (1)-(3): warm-up then measured seconds of wrk at full rate.
        self.warmup = 0 if smoke else 2
        self.measure = 1 if smoke else 6
        self.sentry_envelopes = 10 if smoke else 200
        # (4): probes (new critical issues) idle and under half load, and their spacing.
        self.probes = 10 if smoke else 200
        self.probe_gap = 0.01 if smoke else 0.015
        self.calibrate = 0 if smoke else 2
        # (5): events and issues, the cap on sending them, and the steady window.
        self.memory_events = 2_000 if smoke else 1_000_000
        self.memory_issues = 1_000 if smoke else 100_000
        self.memory_cap = 1 if smoke else 200
        # Events per request in the fill (events.lua's FB_BATCH; 1 = the same requests as (2)).
        self.memory_batch = 1 if smoke else 8
        self.memory_settle_cap = 1 if smoke else 30
        self.steady = 1 if smoke else 60
        # (6): issues sent to 50 receivers.
        self.fanout_issues = 5 if smoke else 100
        self.fanout_gap = 0.02
        self.fanout_rounds = 1 if smoke else 2
        # (7): burst length and how long to wait for the drain.
        self.burst = 1 if smoke else 5
        self.drain_cap = 10 if smoke else 60


# ---------------------------------------------------------------------------
# processes


def _die_with_parent():
    """In the child before exec: get SIGTERM if the harness dies, so nothing outlives it."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Processes:
    """Every child process the harness starts; `stop_all` ends them, newest first."""

    def __init__(self):
        self.children = []

    def start(self, args, **kwargs):
        proc = subprocess.Popen(args, preexec_fn=_die_with_parent, **kwargs)
        self.children.append(proc)
        return proc

    def stop(self, proc, timeout=15):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc in self.children:
            self.children.remove(proc)

    def stop_all(self):
        for proc in reversed(list(self.children)):
            try:
                self.stop(proc, timeout=5)
            except Exception:
                pass


PROCS = Processes()


def wait_http(url, timeout=30.0, proc=None, what="server"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status < 500:
                    return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} at {url} not ready after {timeout}s")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receivers:
    """bench/receiver.py in its own process: `count` HTTP receivers, one maybe dead."""

    def __init__(self, count, dead=None):
        args = [sys.executable, str(BENCH / "receiver.py"), str(count)]
        if dead is not None:
            args += ["--dead", str(dead)]
        self.proc = PROCS.start(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("receiver.py did not start")
        self.ports = json.loads(line)["ports"]
        self.dead = dead
        control = next(i for i in range(count) if i != dead)
        self.control = f"http://127.0.0.1:{self.ports[control]}"

    def url(self, index, path=""):
        return f"http://127.0.0.1:{self.ports[index]}{path}"

    def records(self):
        with urllib.request.urlopen(self.control + "/_records", timeout=10) as r:
            return json.loads(r.read())

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:
            pass
        PROCS.stop(self.proc)


class Daemon:
    """`firebell serve` with a generated config and a fresh SQLite store in its own directory."""

    def __init__(self, binary, workdir: Path, config_text: str, name: str):
        self.binary = binary
        self.dir = workdir / name
        n = 1
        while self.dir.exists():
            n += 1
            self.dir = workdir / f"{name}-{n}"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = self.dir / "firebell.sqlite"
        self.config = self.dir / "firebell.yaml"
        self.config.write_text(config_text.format(port=self.port, db=self.db, key=KEY, admin=ADMIN_TOKEN))
        self.proc = None

    def start(self):
        self.proc = PROCS.start(
            [self.binary, "serve", "--config", str(self.config)], cwd=self.dir,
            stdout=open(self.dir / "stdout.log", "wb"), stderr=open(self.dir / "stderr.log", "wb"))
        try:
            wait_http(self.url + "/readyz", proc=self.proc, what="firebell serve")
        except RuntimeError as e:
            raise RuntimeError(f"{e}: {(self.dir / 'stderr.log').read_text(errors='replace')[-2000:]}")
        return self

    def stop(self):
        if self.proc is not None:
            PROCS.stop(self.proc)

    def metrics(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as r:
            text = r.read().decode()
        values = {"pending": None, "dead": 0, "stored": 0, "not_stored": 0}
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            m = re.match(r"^(\w+)(\{[^}]*\})?\s+(\S+)$", line)
            if not m:
                continue
            name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
            if name == "firebell_outbox_pending":
                values["pending"] = int(value)
            elif name == "firebell_outbox_dead":
                values["dead"] = int(value)
            elif name == "firebell_events_total":
                if 'outcome="stored"' in labels:
                    values["stored"] += int(value)
                else:
                    values["not_stored"] += int(value)
        return values

    def rss(self):
        """(VmRSS, VmHWM) in bytes."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024
        hwm = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024
        return rss, hwm

    def store_pending(self):
        """Pending outbox rows, read-only from the store's file: the gauge
        `firebell_outbox_pending` is refreshed off the request path, once a second."""
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
        finally:
            db.close()

    def store_counts(self):
        """(issues, events) as the store has them, read-only from its SQLite file."""
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            issues = db.execute("SELECT COUNT(*) FROM issues").fetchone()[0]
            events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            return issues, events
        finally:
            db.close()


# ---------------------------------------------------------------------------
# configs

BASE_CONFIG = """\
server:
  listen: 127.0.0.1:{{port}}
  base_url: http://127.0.0.1:{{port}}
  admin_token: {{admin}}
  max_body: 1MiB
storage:
  url: sqlite:{{db}}
  retention: 14d
projects:
  - id: 1
    name: bench
    keys: [{{key}}]
severity:
  critical_at: 100
  rules:
    - name: production errors
      when: {{{{ environment: production, level: [error, fatal] }}}}
      add: 60
    - name: new issue
      when: {{{{ new_issue: true }}}}
      add: 20
    - name: paged
      when: {{{{ tags.page: "yes" }}}}
      add: 100
{channels}
alerting:
  repeat_after: 1h
"""


def main_config(receivers: Receivers) -> str:
    """Load events score 80 (minor) → a webhook; probes (tags.page) score 180 (critical) → Slack."""
    channels = f"""\
channels:
  oncall: {{{{ type: slack, url: "{receivers.url(0, '/slack')}" }}}}
  audit: {{{{ type: webhook, url: "{receivers.url(1, '/webhook')}" }}}}
routes:
  - when: {{{{ severity: critical }}}}
    notify: [oncall]
  - when: {{{{ severity: minor }}}}
    notify: [audit]"""
    return BASE_CONFIG.format(channels=channels)


def memory_config(receivers: Receivers) -> str:
    """(5): as `main_config`, but minor issues notify no one (a team that pages only on
    critical ones). The fill opens 100 k minor issues; with them routed, the fill measured
    delivering 100 k webhooks to a Python receiver as much as memory, and took a third longer."""
    channels = f"""\
channels:
  oncall: {{{{ type: slack, url: "{receivers.url(0, '/slack')}" }}}}
routes:
  - when: {{{{ severity: critical }}}}
    notify: [oncall]"""
    return BASE_CONFIG.format(channels=channels)


def fanout_config(receivers: Receivers, dead_index: int) -> str:
    """Every alert to all receivers, each its own webhook channel."""
    lines = ["channels:"]
    names = []
    for i in range(len(receivers.ports)):
        name = f"r{i:02d}"
        names.append(name)
        timeout = ", timeout: 2s" if i == dead_index else ""
        lines.append(f'  {name}: {{{{ type: webhook, url: "{receivers.url(i, "/hook")}"{timeout} }}}}')
    lines += ["routes:", "  - when: {{ severity: [critical, minor] }}", f"    notify: [{', '.join(names)}]"]
    return BASE_CONFIG.format(channels="\n".join(lines))


# ---------------------------------------------------------------------------
# load


def letters(n, width=4):
    s = ""
    for _ in range(width):
        s += chr(97 + n % 26)
        n //= 26
    return s


def nonce():
    return f"{random.getrandbits(32):08x}"


class Wrk:
    """One wrk run: 2 threads, 64 connections (unless told), a Lua script, parsed FBJSON summary."""

    def __init__(self, url, script, duration, env=None, threads=THREADS, connections=CONNECTIONS):
        self.env = dict(os.environ, FB_KEY=KEY, FB_THREADS=str(threads), FB_NONCE=nonce(), **(env or {}))
        self.args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, int(round(duration)))}s",
                     "--timeout", "10s", "--latency", "-s", str(script), url]
        self.proc = None
        self.ended = None

    def start(self):
        self.proc = PROCS.start(self.args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                cwd=str(BENCH))
        return self

    def interrupt(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def wait(self, timeout=None):
        out, _ = self.proc.communicate(timeout=timeout)
        self.ended = time.monotonic()
        PROCS.stop(self.proc)
        text = out.decode(errors="replace")
        m = re.search(r"^FBJSON (\{.*\})$", text, re.M)
        if not m:
            raise RuntimeError(f"wrk gave no summary (exit {self.proc.returncode}):\n{text}")
        s = json.loads(m.group(1))
        seconds = s["duration_us"] / 1e6
        s["seconds"] = seconds
        s["ok"] = s["requests"] - s["status"]
        s["ok_per_s"] = s["ok"] / seconds if seconds > 0 else 0.0
        s["per_s"] = s["requests"] / seconds if seconds > 0 else 0.0
        s["socket_errors"] = s["connect"] + s["read"] + s["write"] + s["timeout"]
        t = re.search(r"^FBTHREADS (\[.*\])$", text, re.M)
        s["per_thread"] = json.loads(t.group(1)) if t else None
        return s

    def run(self):
        self.start()
        return self.wait()


def load_summary(s):
    return {"events_per_s": round(s["ok_per_s"], 1), "requests": s["requests"], "non_2xx": s["status"],
            "socket_errors": s["socket_errors"], "seconds": round(s["seconds"], 2),
            "p50_ms": s["p50_us"] / 1000, "p90_ms": s["p90_us"] / 1000, "p99_ms": s["p99_us"] / 1000,
            "max_ms": s["max_us"] / 1000}


def delay_for(rate, latency_ms=0.0):
    """Mean per-connection pause (ms) for about `rate` requests/s over 64 connections."""
    return max(0.0, CONNECTIONS * 1000.0 / rate - latency_ms)


# ---------------------------------------------------------------------------
# probes: the first event of a new critical issue, timed from just before the POST


class Prober:
    def __init__(self, daemon: Daemon, tag: str):
        self.daemon = daemon
        self.tag = tag + "".join(random.choice(string.ascii_lowercase) for _ in range(5))
        self.sent = {}  # token → monotonic time just before the request went out
        self.failures = 0
        self.conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)

    def send(self, i):
        token = f"fbprobe{self.tag}{letters(i)}"
        body = json.dumps({
            "level": "error", "environment": "production", "service": "checkout",
            "message": f"probe {token} fired",
            "exception": {"type": "ProbeError", "value": f"probe {token} fired"},
            "tags": {"page": "yes"},
        }).encode()
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        t0 = time.monotonic()
        try:
            self.conn.request("POST", "/v1/events", body, headers)
            response = self.conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=30)
            ok = False
        if ok:
            self.sent[token] = t0
        else:
            self.failures += 1

    def run(self, count, gap):
        for i in range(count):
            self.send(i)
            time.sleep(gap)
        self.conn.close()

    def latencies(self, receivers: Receivers, servers=None, wait=10.0):
        """Latency (ms) per (server, token) arrival of this prober's tokens; waits for stragglers."""
        want = len(self.sent) * (len(servers) if servers is not None else 1)
        deadline = time.monotonic() + wait
        while True:
            records = receivers.records()
            got = {}
            for server, token, t in records["probes"]:
                if token in self.sent and (servers is None or server in servers):
                    got.setdefault((server, token), t)
            if len(got) >= want or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        lat = [(t - self.sent[token]) * 1000 for (server, token), t in got.items()]
        return lat, want - len(got)


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def latency_summary(lat, missing):
    return {"n": len(lat), "missing": missing, "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
            "max_ms": max(lat) if lat else None}


# ---------------------------------------------------------------------------
# the figures


def fig1_noop(bins, p: Profile, results):
    port = free_port()
    proc = PROCS.start([bins["bench-noop"], str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/v1/events"
        wait_http(url, proc=proc, what="bench-noop")
        if p.warmup:
            Wrk(url, BENCH / "events.lua", p.warmup).run()
        s = Wrk(url, BENCH / "events.lua", p.measure).run()
        results["1_noop"] = load_summary(s)
    finally:
        PROCS.stop(proc)


def fig2_generic(daemon, p: Profile, results):
    url = daemon.url + "/v1/events"
    env = {"FB_ISSUES": "10000"}
    # The warm-up opens most of the 10,000 issues (and their alerts), as a long-running daemon has them.
    if p.warmup:
        Wrk(url, BENCH / "events.lua", p.warmup, env).run()
    s = Wrk(url, BENCH / "events.lua", p.measure, env).run()
    r = load_summary(s)
    if "1_noop" in results:
        r["ratio_to_noop"] = r["events_per_s"] / results["1_noop"]["events_per_s"]
    results["2_generic"] = r


class Postgres:
    """A PostgreSQL server on 127.0.0.1 for (2) on PostgreSQL, started as the tests start
    theirs (scripts/test-postgres: initdb into a temporary directory, pg_ctl on a free
    port), but durable like a production server (fsync and full-page writes on), so its
    commits compare with SQLite's fdatasync'd ones. Its directory is directly under the
    temporary directory: as root the server runs as the `postgres` user."""

    SCRIPT = REPO / "scripts" / "test-postgres"

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="firebell-bench-pg-"))
        self.port = None
        self.databases = 0

    def start(self):
        env = dict(os.environ, TEST_POSTGRES_OPTIONS="-c fsync=on -c full_page_writes=on")
        result = subprocess.run([str(self.SCRIPT), "start", str(self.dir)], env=env, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr.strip()}")
        self.port = int(result.stdout.strip())
        return self

    def database(self):
        """A fresh database; its postgres:// URL."""
        self.databases += 1
        name = f"bench{self.databases}"
        psql = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))), "psql")
        subprocess.run([str(psql), "-h", "127.0.0.1", "-p", str(self.port), "-U", "firebell", "-d", "postgres",
                        "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"],
                       stdin=subprocess.DEVNULL, check=True, capture_output=True, timeout=60)
        return f"postgres://firebell@127.0.0.1:{self.port}/{name}?sslmode=disable"

    def stop(self):
        if self.port is not None:
            subprocess.run([str(self.SCRIPT), "stop", str(self.dir)], stdin=subprocess.DEVNULL, timeout=60)
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)


def fig2_postgres(bins, workdir, p: Profile, results):
    """(2)'s load against PostgreSQL: one node, then three nodes on one database (one wrk
    thread per node, 21 connections each), each on a fresh database, warmed up as (2)."""
    server = Postgres()
    receivers = None
    daemons = []
    try:
        server.start()
        receivers = Receivers(2)
        out = {}
        for label, count in (("one_node", 1), ("three_nodes", 3)):
            text = main_config(receivers).replace("url: sqlite:{db}", f'url: "{server.database()}"')
            nodes = [Daemon(bins["firebell"], workdir, text, f"pg-{count}-{n}") for n in range(count)]
            daemons += nodes
            for node in nodes:
                node.start()
            env = {"FB_ISSUES": "10000", "FB_PORTS": ",".join(str(node.port) for node in nodes)}
            threads, connections = (THREADS, CONNECTIONS) if count == 1 else (count, CONNECTIONS // count * count)
            url = nodes[0].url + "/v1/events"
            if p.warmup:
                Wrk(url, BENCH / "events.lua", p.warmup, env, threads, connections).run()
            r = load_summary(Wrk(url, BENCH / "events.lua", p.measure, env, threads, connections).run())
            r["nodes"], r["wrk"] = count, f"wrk -t{threads} -c{connections}"
            if "1_noop" in results:
                r["ratio_to_noop"] = r["events_per_s"] / results["1_noop"]["events_per_s"]
            if "2_generic" in results:
                r["ratio_to_sqlite"] = r["events_per_s"] / results["2_generic"]["events_per_s"]
            out[label] = r
            for node in nodes:
                node.stop()
        results["2_postgres"] = out
    finally:
        for daemon in daemons:
            daemon.stop()
        if receivers is not None:
            receivers.stop()
        server.stop()


def fig3_sentry(daemon, workdir, p: Profile, results):
    import sentry_capture
    started = time.monotonic()
    n = sentry_capture.write(workdir, p.sentry_envelopes)
    capture_s = time.monotonic() - started
    url = daemon.url + "/api/1/envelope/"
    env = {"FB_SENTRY_DIR": str(workdir / "sentry"), "FB_PROJECT": "1"}
    before = daemon.metrics()["stored"]
    if p.warmup:
        Wrk(url, BENCH / "sentry.lua", p.warmup, env).run()
    mid = daemon.metrics()["stored"]
    s = Wrk(url, BENCH / "sentry.lua", p.measure, env).run()
    after = daemon.metrics()["stored"]
    r = load_summary(s)
    if "1_noop" in results:
        r["ratio_to_noop"] = r["events_per_s"] / results["1_noop"]["events_per_s"]
    r["envelopes"] = n
    r["capture_seconds"] = round(capture_s, 2)
    # Every 200 must be a stored event (fresh event_id each request), not a duplicate.
    r["stored_during_measure"] = after - mid
    r["stored_total"] = after - before
    results["3_sentry"] = r


def fig4_alert_latency(daemon, receivers, p: Profile, results):
    out = {}
    # (a) idle: first let the alerts (2) and (3) opened go out, so nothing else is in flight.
    waited = time.monotonic()
    while time.monotonic() - waited < (5 if p.smoke else 30) and daemon.metrics()["pending"] != 0:
        time.sleep(0.2)
    time.sleep(0.5)
    out["idle_wait_seconds"] = round(time.monotonic() - waited, 1)
    prober = Prober(daemon, "idle")
    prober.run(p.probes, p.probe_gap)
    lat, missing = prober.latencies(receivers, servers={0})
    out["idle"] = latency_summary(lat, missing)
    out["idle"]["post_failures"] = prober.failures

    # (b) while (2)'s load runs at half its measured maximum
    target = max(1.0, results["2_generic"]["events_per_s"] / 2)
    url = daemon.url + "/v1/events"
    env = {"FB_ISSUES": "10000"}
    latency_ms = 0.0
    if p.calibrate:
        d0 = delay_for(target)
        c = Wrk(url, BENCH / "events.lua", p.calibrate, dict(env, FB_DELAY_MS=f"{d0:.3f}")).run()
        latency_ms = max(0.0, CONNECTIONS * 1000.0 / max(c["ok_per_s"], 1.0) - d0)
    delay = delay_for(target, latency_ms)
    lead = 0.3 if p.smoke else 2.0
    # wrk runs until the probes are done (then SIGINT ends it and it reports); -d is only a cap.
    duration = lead + p.probes * (p.probe_gap + 0.1) + 10
    load = Wrk(url, BENCH / "events.lua", duration, dict(env, FB_DELAY_MS=f"{delay:.3f}")).start()
    try:
        time.sleep(lead)
        prober = Prober(daemon, "load")
        prober.run(p.probes, p.probe_gap)
        time.sleep(0.2)
        load.interrupt()
        s = load.wait(timeout=60)
    finally:
        load.interrupt()
    lat, missing = prober.latencies(receivers, servers={0})
    out["half_load"] = latency_summary(lat, missing)
    out["half_load"]["post_failures"] = prober.failures
    out["half_load"]["target_events_per_s"] = round(target, 1)
    out["half_load"]["delay_ms"] = round(delay, 3)
    out["half_load"]["load"] = load_summary(s)
    results["4_alert_latency"] = out
    return delay


def fig5_memory(bins, workdir, p: Profile, results, half_delay):
    receivers = Receivers(2)
    daemon = Daemon(bins["firebell"], workdir, memory_config(receivers), "memory")
    try:
        daemon.start()
        url = daemon.url + "/v1/events"
        env = {"FB_ISSUES": str(p.memory_issues)}
        rss_start, _ = daemon.rss()
        load = Wrk(url, BENCH / "events.lua", p.memory_cap, dict(env, FB_BATCH=str(p.memory_batch))).start()
        started = time.monotonic()
        stored = 0
        try:
            while load.proc.poll() is None:
                time.sleep(0.25 if p.smoke else 1.0)
                stored = daemon.metrics()["stored"]
                if stored >= p.memory_events:
                    load.interrupt()
                    break
            s = load.wait(timeout=p.memory_cap + 60)
        finally:
            load.interrupt()
        send_s = time.monotonic() - started
        m = daemon.metrics()
        rss_after, hwm = daemon.rss()
        issues, events = daemon.store_counts()
        # Let the alerts those new issues owe go out before the steady minute, so it measures steady state.
        settle_start = time.monotonic()
        while time.monotonic() - settle_start < p.memory_settle_cap:
            if daemon.metrics()["pending"] == 0:
                break
            time.sleep(0.5)
        settle_s = time.monotonic() - settle_start
        rss_settled, _ = daemon.rss()

        # Steady load at half rate, RSS sampled every second.
        steady = Wrk(url, BENCH / "events.lua", p.steady, dict(env, FB_DELAY_MS=f"{half_delay:.3f}")).start()
        samples = []
        try:
            t0 = time.monotonic()
            while steady.proc.poll() is None and time.monotonic() - t0 < p.steady + 30:
                samples.append((round(time.monotonic() - t0, 2), daemon.rss()[0]))
                time.sleep(1.0 if not p.smoke else 0.5)
            st = steady.wait(timeout=p.steady + 30)
        finally:
            steady.interrupt()
        samples.append((round(time.monotonic() - t0, 2), daemon.rss()[0]))
        start_rss = samples[0][1]
        end_rss = samples[-1][1]
        results["5_memory"] = {
            "rss_idle_bytes": rss_start,
            "events_stored": m["stored"], "events_target": p.memory_events, "issues": issues,
            "events_per_request": p.memory_batch, "fill_capped": m["stored"] < p.memory_events,
            "events_in_store": events, "send_seconds": round(send_s, 1), "load": load_summary(s),
            "rss_after_bytes": rss_after, "rss_peak_bytes": hwm,
            "outbox_pending_after_load": m["pending"], "settle_seconds": round(settle_s, 1),
            "rss_settled_bytes": rss_settled,
            "steady": load_summary(st), "steady_rss_start_bytes": start_rss, "steady_rss_end_bytes": end_rss,
            "steady_rss_max_bytes": max(v for _, v in samples),
            "steady_growth_pct": (end_rss - start_rss) / start_rss * 100,
            "steady_samples": samples,
        }
    finally:
        daemon.stop()
        receivers.stop()


def fig6_fanout(bins, workdir, p: Profile, results):
    """Both setups twice, alternating (without, with, without, with), each run on a fresh
    daemon; the p99s compared are over the pooled deliveries of each setup, so a burst of
    load from elsewhere on a shared machine weighs on both sides instead of one."""
    count, dead_index = 50, 49
    healthy = set(range(49))
    pooled = {"without_dead": [], "with_dead": []}
    missing = {"without_dead": 0, "with_dead": 0}
    failures = {"without_dead": 0, "with_dead": 0}
    rounds = []
    for round_ in range(p.fanout_rounds):
        for name, dead in (("without_dead", None), ("with_dead", dead_index)):
            receivers = Receivers(count, dead=dead)
            daemon = Daemon(bins["firebell"], workdir, fanout_config(receivers, dead_index), f"fanout-{name}")
            try:
                daemon.start()
                # A few unmeasured issues first, so both runs start with connections to the receivers open.
                warm = Prober(daemon, "warm" + name[:4])
                warm.run(3, p.fanout_gap)
                warm.latencies(receivers, servers=healthy, wait=10.0)
                prober = Prober(daemon, "fan" + name[:4])
                prober.run(p.fanout_issues, p.fanout_gap)
                lat, miss = prober.latencies(receivers, servers=healthy, wait=20.0)
                pooled[name] += lat
                missing[name] += miss
                failures[name] += prober.failures
                rounds.append({"round": round_ + 1, "setup": name, "p99_ms": percentile(lat, 99)})
            finally:
                daemon.stop()
                receivers.stop()
    out = {}
    for name in pooled:
        out[name] = latency_summary(pooled[name], missing[name])
        out[name]["post_failures"] = failures[name]
    out["rounds"] = rounds
    a, b = out["without_dead"]["p99_ms"], out["with_dead"]["p99_ms"]
    out["ratio"] = b / a if a and b is not None else None
    results["6_fanout"] = out


def fig7_drain(bins, workdir, p: Profile, results):
    receivers = Receivers(2)
    daemon = Daemon(bins["firebell"], workdir, main_config(receivers), "drain")
    try:
        daemon.start()
        url = daemon.url + "/v1/events"
        issues = 10_000
        # A fresh namespace: every issue in the burst is new and owes an alert.
        env = {"FB_ISSUES": str(issues), "FB_NS": "dr"}
        s = Wrk(url, BENCH / "events.lua", p.burst, env).run()
        ended = time.monotonic()
        drained_pending = None
        drained_store = None
        last = {}
        # Thread t sent words t, t+2, t+4, ... (events.lua); all but its last in-flight requests
        # (one per connection) were acknowledged, so at least this many issues must exist.
        per_thread = s["per_thread"] or [s["ok"] // THREADS] * THREADS
        expected_issues = sum(min(max(0, c - CONNECTIONS // THREADS - 1), issues // THREADS) for c in per_thread)
        while time.monotonic() - ended < p.drain_cap:
            last = daemon.metrics()
            last["pending"] = daemon.store_pending()
            now = time.monotonic()
            if drained_pending is None and last["pending"] == 0:
                drained_pending = now - ended
            if drained_pending is not None:
                n_issues, n_events = daemon.store_counts()
                last["issues"], last["events"] = n_issues, n_events
                if n_issues >= expected_issues and n_events >= s["ok"]:
                    drained_store = time.monotonic() - ended
                    break
            time.sleep(0.05)
        counts = receivers.records()["counts"]
        results["7_drain"] = {
            "burst": load_summary(s), "acknowledged": s["ok"], "expected_issues": expected_issues,
            "drained_seconds": max(drained_pending, drained_store) if drained_store is not None else None,
            "outbox_empty_seconds": drained_pending, "issues": last.get("issues"), "events": last.get("events"),
            "outbox_dead": last.get("dead"), "alerts_received": sum(counts),
        }
    finally:
        daemon.stop()
        receivers.stop()


# ---------------------------------------------------------------------------
# report

MB = 1_000_000


def fmt(v, spec=",.0f"):
    return "n/a" if v is None else format(v, spec)


def rows(r):
    """(figure, value, bar, verdict) for the table; verdict True/False/None (no bar)."""
    out = []
    n = r.get("1_noop")
    out.append(("(1) no-op Hummingbird, 1 KB POSTs/s", f"{fmt(n and n['events_per_s'])}/s" if n else "n/a",
                "baseline", None))
    g = r.get("2_generic")
    if g:
        out.append(("(2) generic ingest /v1/events",
                    f"{fmt(g['events_per_s'])}/s, p50 {g['p50_ms']:.2f} ms, p99 {g['p99_ms']:.2f} ms", "", None))
        ratio = g.get("ratio_to_noop")
        out.append(("(2)/(1)", fmt(ratio, ".2f"), ">= 0.5", ratio is not None and ratio >= 0.5))
    else:
        out.append(("(2) generic ingest /v1/events", "n/a", ">= 0.5 of (1)", False))
    pg = r.get("2_postgres")
    for label, name in (("one_node", "1 node"), ("three_nodes", "3 nodes")):
        q = (pg or {}).get(label)
        value = "n/a" if not q else (
            f"{fmt(q['events_per_s'])}/s, p50 {q['p50_ms']:.2f} ms, p99 {q['p99_ms']:.2f} ms; "
            f"{fmt(q.get('ratio_to_sqlite'), '.2f')} of (2), {fmt(q.get('ratio_to_noop'), '.2f')} of (1)")
        out.append((f"(2) on PostgreSQL, {name}", value, "", None))
    s = r.get("3_sentry")
    if s:
        out.append(("(3) Sentry envelopes, gzip",
                    f"{fmt(s['events_per_s'])}/s ({fmt(s.get('ratio_to_noop'), '.2f')} of (1))", ">= 10,000/s",
                    s["events_per_s"] >= 10_000))
    else:
        out.append(("(3) Sentry envelopes, gzip", "n/a", ">= 10,000/s", False))
    a = r.get("4_alert_latency")
    if a:
        i, h = a["idle"], a["half_load"]
        ok_i = i["p99_ms"] is not None and i["p99_ms"] <= 3 and i["missing"] == 0
        ok_h = h["p99_ms"] is not None and h["p99_ms"] <= 50 and h["missing"] == 0
        out.append(("(4) new critical issue -> Slack, idle",
                    f"p50 {fmt(i['p50_ms'], '.2f')} ms, p99 {fmt(i['p99_ms'], '.2f')} ms (n={i['n']}"
                    + (f", {i['missing']} missing" if i["missing"] else "") + ")", "p99 <= 3 ms", ok_i))
        out.append(("(4) ... at half load",
                    f"p50 {fmt(h['p50_ms'], '.2f')} ms, p99 {fmt(h['p99_ms'], '.2f')} ms (n={h['n']}"
                    + (f", {h['missing']} missing" if h["missing"] else "")
                    + f", load {fmt(h['load']['events_per_s'])}/s)", "p99 <= 50 ms", ok_h))
    else:
        out.append(("(4) new critical issue -> Slack", "n/a", "p99 <= 3 ms idle, <= 50 ms half load", False))
    m = r.get("5_memory")
    if m:
        out.append(("(5) RSS after events/issues",
                    f"{m['rss_after_bytes'] / MB:.0f} MB ({fmt(m['events_stored'])} ev"
                    + (f" of {fmt(m['events_target'])}: capped at {p_cap(m)} s" if m["fill_capped"] else "")
                    + f", {fmt(m['issues'])} issues; peak {m['rss_peak_bytes'] / MB:.0f} MB)", "<= 200 MB",
                    m["rss_after_bytes"] <= 200 * MB and not m["fill_capped"]))
        out.append(("(5) RSS growth, steady half load",
                    f"{m['steady_growth_pct']:+.1f} % ({m['steady_rss_start_bytes'] / MB:.0f} -> "
                    f"{m['steady_rss_end_bytes'] / MB:.0f} MB, {fmt(m['steady']['events_per_s'])}/s)",
                    "< 5 %", m["steady_growth_pct"] < 5))
    else:
        out.append(("(5) memory", "n/a", "<= 200 MB; growth < 5 %", False))
    f = r.get("6_fanout")
    if f:
        a_, b_ = f["without_dead"], f["with_dead"]
        ok = f["ratio"] is not None and f["ratio"] <= 1.10 and a_["missing"] == 0 and b_["missing"] == 0
        out.append(("(6) healthy 49 p99, without / with dead",
                    f"{fmt(a_['p99_ms'], '.2f')} / {fmt(b_['p99_ms'], '.2f')} ms (x{fmt(f['ratio'], '.2f')})"
                    + (f", {a_['missing'] + b_['missing']} missing" if a_["missing"] + b_["missing"] else ""),
                    "within 10 %", ok))
    else:
        out.append(("(6) fan-out isolation", "n/a", "within 10 %", False))
    d = r.get("7_drain")
    if d:
        out.append(("(7) drained after a burst",
                    f"{fmt(d['drained_seconds'], '.2f')} s ({fmt(d['acknowledged'])} ev, "
                    f"{fmt(d['expected_issues'])} new issues)", "<= 2 s",
                    d["drained_seconds"] is not None and d["drained_seconds"] <= 2))
    else:
        out.append(("(7) drained after a burst", "n/a", "<= 2 s", False))
    return out


def p_cap(m):
    return f"{m['send_seconds']:.0f}"


def numbers_present(r):
    """Smoke: did every figure produce a number?"""
    try:
        checks = [
            r["1_noop"]["events_per_s"] > 0,
            r["2_generic"]["events_per_s"] > 0,
            r["2_postgres"]["one_node"]["events_per_s"] > 0 and r["2_postgres"]["three_nodes"]["events_per_s"] > 0,
            r["3_sentry"]["events_per_s"] > 0 and r["3_sentry"]["stored_during_measure"] > 0,
            r["4_alert_latency"]["idle"]["p99_ms"] is not None,
            r["4_alert_latency"]["half_load"]["p99_ms"] is not None,
            r["5_memory"]["rss_after_bytes"] > 0 and r["5_memory"]["steady_growth_pct"] is not None,
            r["6_fanout"]["ratio"] is not None,
            r["7_drain"]["drained_seconds"] is not None,
        ]
    except (KeyError, TypeError):
        return False
    return all(checks)


def print_table(table, smoke):
    headers = ("figure", "value", "bar", "result")
    body = [(a, b, c, "-" if v is None or smoke else ("PASS" if v else "FAIL")) for a, b, c, v in table]
    widths = [max(len(str(x[i])) for x in [headers] + body) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print(line)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print(line)
    for row in body:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))
    print(line)


# ---------------------------------------------------------------------------


def build(args):
    if args.bin_dir:
        bin_dir = Path(args.bin_dir).resolve()
    elif args.smoke:
        bin_dir = REPO / ".build" / "debug"
    else:
        print("building release binaries (.build-bench)...", flush=True)
        # One build of every executable (firebell and bench-noop): their links overlap. No
        # debug info: it is a fifth of a fresh release build's CPU (7.1 -> 5.2-5.5 min here), and
        # perf still names every function from the symbol table and unwinds by frame pointers.
        started = time.monotonic()
        subprocess.run(["swift", "build", "-c", "release", "-debug-info-format", "none", "--scratch-path", ".build-bench"],
                       cwd=REPO, check=True)
        args.build_seconds = round(time.monotonic() - started, 1)
        bin_dir = REPO / ".build-bench" / "release"
    bins = {name: str(bin_dir / name) for name in ("firebell", "bench-noop")}
    for name, path in bins.items():
        if not os.access(path, os.X_OK):
            raise SystemExit(f"bench: {path} is missing; build it (swift build --product {name}) or pass --bin-dir")
    return bins


def machine_busy():
    """(1-minute load average, compiler/build processes running) right now: how shared the machine is."""
    names = ("swift-frontend", "swift-build", "swift-test", "swiftc", "clang", "cc1", "ld", "gold", "lld", "cargo", "rustc")
    builds = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    builds += 1
            except OSError:
                pass
    return round(os.getloadavg()[0], 2), builds


def git_commit():
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="seconds-long run that checks the harness, no bars")
    parser.add_argument("--bin-dir", help="directory with firebell and bench-noop (skips the build)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (daemon logs, stores)")
    parser.add_argument("--output", default=str(BENCH / "results.json"), help="where to write the JSON results")
    parser.add_argument("--only", help="comma-separated figure numbers to measure (e.g. 2,3); for profiling, bars "
                                       "of skipped figures count as not measured")
    args = parser.parse_args()
    if not any(os.access(os.path.join(d, "wrk"), os.X_OK) for d in os.environ.get("PATH", "").split(os.pathsep)):
        raise SystemExit("bench: wrk is not installed (apt-get install wrk; scripts/bootstrap does it)")

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started from a script with SIGINT ignored

    p = Profile(args.smoke)
    bins = build(args)
    started = time.monotonic()
    load_before = os.getloadavg()
    results = {
        "mode": "smoke" if args.smoke else "full",
        "commit": git_commit(),
        "cpu_count": os.cpu_count(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg_before": [round(x, 2) for x in load_before],
        "binaries": bins,
        "build_seconds": getattr(args, "build_seconds", None),
        "load_generator": f"wrk -t{THREADS} -c{CONNECTIONS}",
    }
    errors = []
    keep = args.keep
    workdir = Path(tempfile.mkdtemp(prefix="firebell-bench-"))

    only = set(args.only.split(",")) if args.only else None

    def step(name, fn, *a):
        figures = set(re.findall(r"\d", name.split(" ")[0] if name.startswith("(") else name))
        if only is not None and not figures & only:
            return None
        t = time.monotonic()
        results.setdefault("machine_by_step", {})[name] = dict(zip(("loadavg_1m", "build_processes"), machine_busy()))
        print(f"bench: {name}...", flush=True)
        try:
            return fn(*a)
        except Exception as e:  # one figure failing must not hide the others
            errors.append(f"{name}: {type(e).__name__}: {e}")
            print(f"bench: {name} failed: {e}", file=sys.stderr, flush=True)
            return None
        finally:
            results.setdefault("step_seconds", {})[name] = round(time.monotonic() - t, 1)

    try:
        step("(1) no-op baseline", fig1_noop, bins, p, results)

        def main_daemon():
            # (2), (3) and (4) share one daemon, as a long-running one would be.
            receivers = Receivers(2)
            daemon = Daemon(bins["firebell"], workdir, main_config(receivers), "main")
            try:
                daemon.start()
                step("(2) generic ingest", fig2_generic, daemon, p, results)
                step("(3) sentry ingest", fig3_sentry, daemon, workdir, p, results)
                if "2_generic" in results:
                    return step("(4) alert latency", fig4_alert_latency, daemon, receivers, p, results)
            finally:
                daemon.stop()
                receivers.stop()

        half_delay = step("firebell for (2), (3), (4)", main_daemon)
        step("(2) generic ingest on PostgreSQL", fig2_postgres, bins, workdir, p, results)
        if half_delay is None:
            rate = results.get("2_generic", {}).get("events_per_s") or 2000.0
            half_delay = delay_for(rate / 2)
        step("(5) memory", fig5_memory, bins, workdir, p, results, half_delay)
        step("(6) fan-out isolation", fig6_fanout, bins, workdir, p, results)
        step("(7) drained", fig7_drain, bins, workdir, p, results)
    except KeyboardInterrupt:
        errors.append("interrupted")
        print("bench: interrupted; stopping everything", file=sys.stderr)
    finally:
        PROCS.stop_all()
        if keep or (errors and "interrupted" not in errors):
            print(f"bench: work directory kept for inspection: {workdir}", file=sys.stderr)
        else:
            import shutil
            shutil.rmtree(workdir, ignore_errors=True)

    results["seconds"] = round(time.monotonic() - started, 1)
    results["build_processes_seen"] = max((v["build_processes"] for v in results.get("machine_by_step", {}).values()),
                                          default=0)
    results["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    results["errors"] = errors
    table = rows(results)
    results["table"] = [{"figure": a, "value": b, "bar": c, "pass": v} for a, b, c, v in table]
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")

    print()
    print(f"Firebell bench ({results['mode']}), {results['cpu_count']} cores, commit {results['commit']}, "
          f"load average before {results['loadavg_before'][0]}, measured in {results['seconds']} s"
          + (f" after a {results['build_seconds']} s build" if results.get("build_seconds") is not None else ""))
    if results["build_processes_seen"]:
        print(f"note: other builds were running during the run ({results['build_processes_seen']} compiler processes "
              "at a step's start): a shared, busy machine, numbers are noisy")
    print_table(table, args.smoke)
    if args.smoke:
        print("smoke: second-long steps (debug binaries unless --bin-dir); the numbers check the harness, bars are not enforced")
    for e in errors:
        print(f"error: {e}")
    print(f"results: {args.output}")

    if args.smoke:
        ok = not errors and numbers_present(results)
        print("smoke: every figure produced a number" if ok else "smoke: FAILED, a figure produced no number")
        return 0 if ok else 1
    if errors:
        return 2
    return 0 if all(v is not False for *_, v in table) else 1


if __name__ == "__main__":
    sys.exit(main())
