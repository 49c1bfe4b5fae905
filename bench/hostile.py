#!/usr/bin/env python3
"""What a hostile client with a public DSN key can make one request or one issue cost.

usage: python3 bench/hostile.py [--bin-dir DIR] [--output FILE]

Runs `firebell serve` (release binaries from .build-bench/release unless --bin-dir
says otherwise; `make bench` builds them) on 127.0.0.1 and measures, one daemon per
figure:
  A. one NDJSON request of N events for one issue (N = 3,000, 12,000, 24,000; 25,000 is the most a request may carry):
     seconds until its 200, and how long an unrelated one-event request sent
     0.1 s after it started waited for its own 200
  B. an issue with 15,000 distinct users in its users_in window: median seconds of
     a one-event request on it, against one on a fresh issue
  C. 150 gzip requests of one event whose message is 1,000,000 characters:
     the daemon's RSS and the store's size on disk (database, WAL and shm) after
Prints the figures and writes them as JSON (bench/hostile.json by default).
"""

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import KEY, PROCS, REPO, Daemon  # noqa: E402

CONFIG = """\
server:
  listen: 127.0.0.1:{port}
  max_body: 64MiB
storage:
  url: sqlite:{db}
projects:
  - {{ id: 1, name: hostile, keys: [{key}] }}
severity:
  rules:
    - name: spike
      when: {{ events_in: {{ window: 5m, over: 50 }} }}
      add: 100
    - name: many users
      when: {{ users_in: {{ window: 1h, over: 10 }} }}
      add: 40
channels:
  out: {{ type: console }}
routes:
  - when: {{ severity: critical }}
    notify: [out]
"""


def post(url, body, headers=None):
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {KEY}", "Content-Type": "application/x-ndjson", **(headers or {})})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=300) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, time.monotonic() - started


def ndjson(prefix, count, message, user=None):
    return "\n".join(
        json.dumps({"event_id": f"{prefix}-{n}", "message": message, **({"user": {"id": user(n)}} if user else {})})
        for n in range(count)).encode()


def figure_a(binary, workdir):
    results = {}
    for count in (3000, 12000, 24000):
        daemon = Daemon(binary, workdir, CONFIG, f"batch-{count}").start()
        url = daemon.url + "/v1/events"
        post(url, ndjson("warm", 200, "warm-up"))
        other = {}

        def unrelated():
            time.sleep(0.1)
            other["status"], other["seconds"] = post(url, ndjson("other", 1, "an unrelated failure"))

        thread = threading.Thread(target=unrelated)
        thread.start()
        status, seconds = post(url, ndjson("big", count, "one issue, many events"))
        thread.join()
        daemon.stop()
        results[str(count)] = {"status": status, "seconds": round(seconds, 3),
                               "unrelated_status": other["status"], "unrelated_seconds": round(other["seconds"], 3)}
        print(f"A  {count:>6} events for one issue: {status} in {seconds:.2f} s; "
              f"an unrelated event meanwhile: {other['status']} in {other['seconds']:.2f} s", flush=True)
    return results


def figure_b(binary, workdir):
    daemon = Daemon(binary, workdir, CONFIG, "users").start()
    url = daemon.url + "/v1/events"
    for part in range(5):
        post(url, ndjson(f"crowd{part}", 3000, "login failed", user=lambda n, part=part: f"user-{part}-{n}"))

    def median(message, prefix):
        times = [post(url, ndjson(f"{prefix}{n}", 1, message, user=lambda _, n=n: f"late-{n}"))[1] for n in range(15)]
        return statistics.median(times)

    crowded, fresh = median("login failed", "crowded"), median("a brand new failure", "fresh")
    daemon.stop()
    print(f"B  one event on an issue with 15,000 users: {crowded * 1000:.1f} ms; on a fresh issue: {fresh * 1000:.1f} ms", flush=True)
    return {"crowded_ms": round(crowded * 1000, 2), "fresh_ms": round(fresh * 1000, 2)}


def figure_c(binary, workdir):
    daemon = Daemon(binary, workdir, CONFIG, "big-text").start()
    url = daemon.url + "/v1/events"
    rss_before = daemon.rss()[0]
    statuses = []
    for n in range(150):
        message = f"{n} " + ("x" * 999_990)
        body = gzip.compress(json.dumps({"event_id": f"big-{n}", "message": message}).encode())
        statuses.append(post(url, body, {"Content-Type": "application/json", "Content-Encoding": "gzip"})[0])
    time.sleep(1)
    rss = daemon.rss()[0]
    daemon.stop()
    size = sum(f.stat().st_size for f in daemon.dir.glob("firebell.sqlite*"))
    accepted = statuses.count(200)
    print(f"C  150 one-megabyte messages ({accepted} accepted): RSS {rss_before / 2**20:.0f} → {rss / 2**20:.0f} MiB, "
          f"store {size / 2**20:.1f} MiB", flush=True)
    return {"accepted": accepted, "rss_before_mib": round(rss_before / 2**20, 1), "rss_mib": round(rss / 2**20, 1),
            "store_mib": round(size / 2**20, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", default=str(REPO / ".build-bench" / "release"))
    parser.add_argument("--output", default=str(REPO / "bench" / "hostile.json"))
    args = parser.parse_args()
    binary = str(Path(args.bin_dir).resolve() / "firebell")
    if not Path(binary).exists():
        raise SystemExit(f"hostile: {binary} is missing; `make bench` builds it, or pass --bin-dir")
    results = {}
    with tempfile.TemporaryDirectory(prefix="firebell-hostile-") as workdir:
        try:
            results["batch_one_issue"] = figure_a(binary, Path(workdir))
            results["many_users"] = figure_b(binary, Path(workdir))
            results["big_messages"] = figure_c(binary, Path(workdir))
        finally:
            PROCS.stop_all()
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
