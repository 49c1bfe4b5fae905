"""Faults on the delivery side, against the built daemon: receivers that fail, stall,
refuse connections, answer 429 with Retry-After or 410 Gone. Each fault is handled
(retry, circuit breaker, parking) and nothing acknowledged is lost: every owed alert
ends delivered or still pending, never dead-lettered or gone.

Timings are the daemon's fixed defaults: 5 failures open a breaker for 30 s, a parked
channel is probed every 5 min (these tests unpark by reloading the config)."""

import base64
import hashlib
import hmac
import json
import re
import signal
import time

from conftest import KEY, Receiver, free_port, get, post, wait_until

SECRET = "whsec_" + base64.b64encode(b"firebell-fault-key-0123456789").decode()
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]


def config(url, extra=""):
    return f"""
server:
  listen: 127.0.0.1:{{PORT}}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - {{ id: 1, name: shop, keys: [{KEY}] }}
channels:
  audit: {{ type: webhook, url: "{url}/audit"{extra} }}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [audit]
"""


def owe(daemon, count, start=0):
    """`count` new issues (letters only: digits would group into one issue), one alert each."""
    for word in WORDS[start:start + count]:
        status, _, _ = post(daemon.url + "/v1/events", {"message": f"{word} failed", "environment": "production"})
        assert status == 200


def rows(daemon):
    """`firebell deliveries list`: the table rows as (id, status, last) and the notes under it."""
    out = daemon.cli("deliveries", "list", "--limit", "100").stdout.splitlines()
    table, notes = [], []
    for line in out[1:]:
        parts = line.split(None, 6)
        if len(parts) >= 6 and parts[0].isdigit():
            table.append({"id": parts[0], "status": parts[4], "tries": parts[5], "last": parts[6] if len(parts) > 6 else ""})
        else:
            notes.append(line)
    return table, notes


def metric(daemon, name):
    _, text = get(daemon.url + "/metrics")
    found = re.search(rf'^{name}\{{channel="audit"\}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else None


def log(daemon):
    return daemon.stderr_path.read_text(errors="replace") + daemon.stdout()


def sign(msg_id, timestamp, body):
    mac = hmac.new(base64.b64decode(SECRET[6:]), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def test_a_templated_signed_webhook_verifies_at_the_receiver(daemon_factory, receiver):
    template = ", template: '{\"text\": \"{{{json.title}}}\"}'"
    daemon = daemon_factory(config(receiver.url, f', secret: "{SECRET}"' + template)).start()
    owe(daemon, 1)
    request = receiver.wait_for(1)[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert json.loads(request["body"]) == {"text": "alpha failed"}
    assert sign(headers["webhook-id"], headers["webhook-timestamp"], request["body"]) in headers["webhook-signature"].split(" ")
    wait_until(lambda: all(r["status"] == "delivered" for r in rows(daemon)[0]) and rows(daemon)[0], what="delivered")


def test_410_parks_the_channel_once_and_a_reload_sends_what_waited(daemon_factory, receiver):
    receiver.script = [410] * 50
    daemon = daemon_factory(config(receiver.url)).start()
    owe(daemon, 3)
    wait_until(lambda: "channel parked" in log(daemon), what="the parking log line")
    wait_until(lambda: metric(daemon, "firebell_channel_parked") == 1, what="the parked gauge")
    time.sleep(2)
    # Parked: no request per alert, one loud line, nothing dead-lettered.
    assert len(receiver.requests) <= 3
    assert log(daemon).count("channel parked:") == 1
    table, notes = rows(daemon)
    assert len(table) == 3 and {r["status"] for r in table} == {"pending"}
    assert any(r["last"].startswith("channel parked: receiver answered 410 Gone") for r in table)
    assert any(note.startswith("audit: channel parked: receiver answered 410 Gone") for note in notes)

    # The operator fixed the hook and reloaded: unparked, everything that waited goes out.
    with receiver.lock:
        receiver.script = []
    daemon.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: (t := rows(daemon)[0]) and all(r["status"] == "delivered" for r in t), timeout=20, what="delivered")
    assert metric(daemon, "firebell_channel_parked") == 0
    assert {json.loads(r["body"])["data"]["title"] for r in receiver.requests if r["status"] == 200} == {
        "alpha failed", "bravo failed", "charlie failed"}


def test_a_failing_receiver_opens_the_breaker_and_costs_nothing_more_while_it_is_open(daemon_factory, receiver):
    receiver.script = [503] * 1000
    daemon = daemon_factory(config(receiver.url)).start()
    owe(daemon, 8)
    wait_until(lambda: metric(daemon, "firebell_channel_breaker_state") == 2, timeout=30, what="the breaker open")
    seen = len(receiver.requests)
    time.sleep(5)
    assert len(receiver.requests) == seen  # open for 30 s: not one request
    table, notes = rows(daemon)
    assert len(table) == 8 and {r["status"] for r in table} == {"pending"}
    assert any(note.startswith("audit: circuit open after 5 failures in a row") for note in notes)
    assert "circuit breaker open" in log(daemon)


def test_refused_connections_then_the_receiver_comes_up_and_the_probe_lets_everything_out(daemon_factory):
    port = free_port()  # nothing listens: connection refused
    daemon = daemon_factory(config(f"http://127.0.0.1:{port}")).start()
    owe(daemon, 6)
    wait_until(lambda: metric(daemon, "firebell_channel_breaker_state") == 2, timeout=30, what="the breaker open")
    assert {r["status"] for r in rows(daemon)[0]} == {"pending"}
    late = Receiver(port=port)
    try:
        # The half-open probe comes within 30 s and closes the breaker; the rest follow.
        wait_until(lambda: (t := rows(daemon)[0]) and all(r["status"] == "delivered" for r in t), timeout=45, what="delivered")
        assert len(late.requests) == 6
        assert metric(daemon, "firebell_channel_breaker_state") == 0
    finally:
        late.stop()


def test_429_waits_for_retry_after_and_a_stalled_receiver_is_timed_out_and_retried(daemon_factory, receiver):
    receiver.script = [(429, {"Retry-After": "2"})]
    daemon = daemon_factory(config(receiver.url, ", timeout: 1s")).start()
    owe(daemon, 1)
    first, second = receiver.wait_for(2, timeout=20)[:2]
    assert second["at"] - first["at"] >= 1.9
    wait_until(lambda: (t := rows(daemon)[0]) and t[0]["status"] == "delivered", what="delivered")
    assert metric(daemon, "firebell_channel_breaker_state") == 0

    # Stalled past the channel's timeout: a timeout, retried with backoff, delivered once it answers.
    receiver.delay = 3
    owe(daemon, 1, start=1)
    receiver.wait_for(4, timeout=20)
    receiver.delay = 0
    wait_until(lambda: (t := rows(daemon)[0]) and all(r["status"] == "delivered" for r in t), timeout=30, what="delivered")
    table, _ = rows(daemon)
    assert len(table) == 2 and int(table[0]["tries"]) >= 2
