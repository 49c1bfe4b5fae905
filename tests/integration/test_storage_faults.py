"""Faults of the store's own machine (issue 11): another process holding SQLite's write
lock, a disk below `storage.min_free` or full, files readable by others, and retention.
Each: the documented answer (503 with Retry-After, /readyz 503), nothing acknowledged
lost, and recovery without a restart."""

import os
import sqlite3
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import KEY, get, post, wait_until

ADMIN = "storage-admin"


def config(data_dir, extra_storage="", receiver_url=None):
    channel = f'hook: {{ type: webhook, url: "{receiver_url}/hook" }}' if receiver_url else "out: { type: console }"
    name = "hook" if receiver_url else "out"
    return f"""
server:
  listen: 127.0.0.1:{{PORT}}
  admin_token: {ADMIN}
storage:
  url: sqlite:{data_dir}/firebell.sqlite
{extra_storage}
projects:
  - {{ id: 1, name: shop, keys: [{KEY}] }}
channels:
  {channel}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [{name}]
"""


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stored_count(daemon):
    status, listing = get(daemon.url + "/v1/issues?limit=1000", token=ADMIN)
    assert status == 200, listing
    return sum(issue["count"] for issue in listing["issues"])


def test_a_held_write_lock_gets_503_after_the_busy_timeout_without_spinning(daemon_factory, tmp_path):
    daemon = daemon_factory(config(tmp_path / "data")).start()
    assert post(daemon.url + "/v1/events", {"message": "before the lock"})[0] == 200

    holder = sqlite3.connect(tmp_path / "data" / "firebell.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        cpu_before, started = cpu_seconds(daemon.proc.pid), time.time()
        status, headers, body = post(daemon.url + "/v1/events", {"message": "during the lock"}, timeout=60)
        waited = time.time() - started
        cpu = cpu_seconds(daemon.proc.pid) - cpu_before
        assert status == 503, body
        assert headers.get("Retry-After") == "5"
        assert "locked by another process" in body["detail"] and "nothing was stored" in body["detail"]
        # SQLite's busy_timeout (5 s) sleeps; the driver's own handler spun a full core, forever.
        # (A delivery's write queued before the batch may wait out its own 5 s first.)
        assert 3 <= waited < 16, waited
        assert cpu < 0.5 * waited, f"{cpu:.2f} s of CPU in {waited:.1f} s of waiting: the writer spins"
        status, body = get(daemon.url + "/readyz")
        assert status == 503 and "locked" in body["detail"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert post(daemon.url + "/v1/events", {"message": "after the lock"})[0] == 200
    assert get(daemon.url + "/readyz")[0] == 200
    assert stored_count(daemon) == 2
    log = daemon.stderr_path.read_text()
    assert log.count("store unavailable") == 1, "one line per state change, not per request"
    assert "store recovered" in log


def test_the_store_files_firebell_creates_are_private(daemon_factory, tmp_path):
    data = tmp_path / "fresh" / "data"
    daemon = daemon_factory(config(data)).start()
    assert post(daemon.url + "/v1/events", {"message": "personal data"})[0] == 200
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("firebell.sqlite", "firebell.sqlite-wal", "firebell.sqlite-shm"):
        mode = stat.S_IMODE((data / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of a given size mounted on a fresh directory (root only), unmounted after."""
    mounts = []

    def make(megabytes):
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs for the data directory needs root; this test runs as uid "
                        f"{os.geteuid()}")
        where = tmp_path / f"disk{len(mounts)}"
        where.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(where)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounts.append(where)
        return where

    yield make
    for where in mounts:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk, leave_mb):
    """Writes a filler file until about `leave_mb` MiB of `disk` are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    size = max(0, free - leave_mb * 2**20)
    filler = disk / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * size)
    return filler


def test_below_min_free_ingest_and_readiness_answer_503_until_space_is_freed(daemon_factory, small_disk):
    disk = small_disk(64)
    daemon = daemon_factory(config(disk / "data", "  min_free: 40MiB")).start()
    assert post(daemon.url + "/v1/events", {"message": "while there is room"})[0] == 200

    filler = fill(disk, 30)
    wait_until(lambda: get(daemon.url + "/readyz")[0] == 503, timeout=5, what="/readyz to see the low disk")
    status, body = get(daemon.url + "/readyz")
    assert "storage.min_free" in body["detail"]
    status, headers, body = post(daemon.url + "/v1/events", {"message": "refused"})
    assert status == 503 and headers.get("Retry-After") == "30"
    assert "below storage.min_free" in body["detail"] and "nothing was stored" in body["detail"]
    metrics = get(daemon.url + "/metrics")[1]
    assert "firebell_storage_free_bytes" in metrics

    filler.unlink()
    wait_until(lambda: get(daemon.url + "/readyz")[0] == 200, timeout=5, what="/readyz to recover")
    assert post(daemon.url + "/v1/events", {"message": "room again"})[0] == 200
    assert stored_count(daemon) == 2
    log = daemon.stderr_path.read_text()
    assert log.count("below storage.min_free") == 1 and "above storage.min_free again" in log


def test_a_full_disk_without_a_floor_loses_nothing_acknowledged_and_recovers(daemon_factory, small_disk):
    disk = small_disk(24)
    daemon = daemon_factory(config(disk / "data", "  min_free: 0")).start()
    filler = fill(disk, 3)
    acknowledged, refused = 0, None
    padding = "x" * 4000
    for n in range(400):
        batch = [{"event_id": uuid.uuid4().hex, "message": f"disk test {padding}"} for _ in range(40)]
        status, headers, body = post(daemon.url + "/v1/events", batch)
        if status == 200:
            acknowledged += 40
        else:
            refused = (status, headers, body)
            break
    assert refused is not None, "the disk never filled"
    status, headers, body = refused
    assert status == 503 and headers.get("Retry-After") == "5", body
    assert "full" in body["detail"] and "nothing was stored" in body["detail"]

    filler.unlink()

    def accepted():
        return post(daemon.url + "/v1/events", {"message": "after the disk was freed"})[0] == 200

    wait_until(accepted, timeout=15, interval=0.5, what="ingest to work again")
    assert stored_count(daemon) == acknowledged + 1


def test_retention_prunes_events_finished_deliveries_users_and_threads(daemon_factory, receiver, tmp_path):
    data = tmp_path / "data"
    daemon = daemon_factory(config(data, "  retention: 60s", receiver_url=receiver.url)).start()
    for n, kind in enumerate(["alpha", "beta", "gamma"]):
        body = {"message": f"retention kind {kind}", "user": {"id": f"user-{n}"}}
        assert post(daemon.url + "/v1/events", body)[0] == 200
    receiver.wait_for(3)
    db = data / "firebell.sqlite"

    def counts():
        with sqlite3.connect(db) as c:
            return {table: c.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                    for table in ("events", "outbox", "issue_users", "issues")}

    wait_until(lambda: counts()["outbox"] == 3 and counts()["issue_users"] == 3, what="rows to be written")
    daemon.stop()
    assert counts() == {"events": 3, "outbox": 3, "issue_users": 3, "issues": 3}, "retention pruned too early"
    # Two minutes pass (the store's clock, moved back with the daemon stopped); a pass runs
    # at start and then hourly.
    with sqlite3.connect(db) as c:
        c.execute("UPDATE events SET received_at = received_at - 120")
        c.execute("UPDATE issues SET last_seen = last_seen - 120, seen_minute = seen_minute - 2")
        c.execute("UPDATE outbox SET created_at = created_at - 120, next_attempt_at = next_attempt_at - 120,"
                  " finished_at = finished_at - 120")
    daemon.start()
    wait_until(lambda: counts() == {"events": 0, "outbox": 0, "issue_users": 0, "issues": 3}, timeout=10,
               what="retention to prune")
    assert "pruned past storage.retention" in daemon.stderr_path.read_text()
    # The issues stay, with their counts.
    assert stored_count(daemon) == 3
