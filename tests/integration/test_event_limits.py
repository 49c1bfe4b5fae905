"""A client with a public key sending megabyte messages cannot grow the store or the
daemon's memory: every event is cut to the fixed caps of docs/configuration.md
("Limits") when it is decoded, and still accepted and stored."""

import gzip
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import KEY, get, one_channel_config

ADMIN = "limits-admin-token"
REQUESTS = 150
MESSAGE_CHARACTERS = 1_000_000


def words(index):
    """A distinct run of letters per request (the parameterizer keeps letters), so each
    request opens its own issue, as a client varying its messages would."""
    letters = "bcdfghjklmnpqrstvwxz"
    name = ""
    for _ in range(3):
        index, digit = divmod(index, len(letters))
        name += letters[digit]
    return f"crash {name} "


def message(index):
    head = words(index) * 10
    return head + "x" * (MESSAGE_CHARACTERS - len(head))


def post_gzip(url, index):
    body = (
        '{"event_id": "%s", "level": "error", "environment": "production", "message": "%s"}'
        % (uuid.uuid4().hex, message(index))
    ).encode()
    assert len(body) < 1024 * 1024  # within the default max_body, after decompression too
    request = urllib.request.Request(
        url + "/v1/events",
        data=gzip.compress(body),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip", "Authorization": f"Bearer {KEY}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def status_kib(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def test_megabyte_messages_are_cut_and_stored_within_bounded_memory_and_disk(daemon_factory, tmp_path):
    daemon = daemon_factory(one_channel_config("console", "type: console", admin=ADMIN)).start()

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda index: post_gzip(daemon.url, index), range(REQUESTS)))
    assert statuses == [200] * REQUESTS

    rss = status_kib(daemon.proc.pid, "VmRSS") * 1024
    peak = status_kib(daemon.proc.pid, "VmHWM") * 1024
    files = {path.name: path.stat().st_size for path in (tmp_path / "data").glob("firebell.sqlite*")}
    store = sum(files.values())
    print(f"RSS {rss / 1e6:.0f} MB (peak {peak / 1e6:.0f} MB), store {store / 1e6:.1f} MB: {files}")
    assert rss < 200e6
    assert store < 60e6

    status, answer = get(daemon.url + "/v1/issues?limit=1000", token=ADMIN)
    assert status == 200
    issues = answer["issues"]
    assert sum(issue["count"] for issue in issues) == REQUESTS
    assert len(issues) == REQUESTS
    for issue in issues:
        assert len(issue["title"]) <= 256 and issue["title"].endswith("…")
        assert issue["title"].startswith("crash ")
