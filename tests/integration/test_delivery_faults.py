"""Faults on the delivery side, against the built daemon: receivers that fail, stall,
refuse connections, answer 429 with Retry-After, 410 Gone, or 401 again and again.
Each fault is handled (retry, circuit breaker, parking) and nothing owed is lost:
every alert is delivered, once, when the receiver recovers, and none is dead-lettered.

The daemon's breaker timings (30 s open, doubling to 5 min; parked channels probed
every 5 min) are shortened per test with FIREBELL_TEST_BREAKER, a knob for tests only;
the counts (5 failures open, 3 refusals park) are the defaults."""

import json
import re
import signal
import time

from conftest import KEY, Receiver, free_port, get, post, wait_until

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


def breaker(**timings):
    """The daemon's environment with shortened breaker timings, e.g. open="1s"."""
    return {"FIREBELL_TEST_BREAKER": ",".join(f"{key}={value}" for key, value in timings.items())}


def owe(daemon, count, start=0):
    """`count` new issues (letters only: digits would group into one issue), one alert each."""
    titles = []
    for word in WORDS[start:start + count]:
        status, _, _ = post(daemon.url + "/v1/events", {"message": f"{word} failed", "environment": "production"})
        assert status == 200
        titles.append(f"{word} failed")
    return titles


def rows(daemon):
    """`firebell deliveries list`: the table rows as dicts and the notes under it."""
    out = daemon.cli("deliveries", "list", "--limit", "100").stdout.splitlines()
    table, notes = [], []
    for line in out[1:]:
        parts = line.split(None, 6)
        if len(parts) >= 6 and parts[0].isdigit():
            table.append({"id": parts[0], "status": parts[4], "tries": parts[5], "last": parts[6] if len(parts) > 6 else ""})
        else:
            notes.append(line)
    return table, notes


def all_delivered(daemon, count):
    table, _ = rows(daemon)
    return len(table) == count and all(r["status"] == "delivered" for r in table)


def delivered_titles(receiver):
    """The title of every alert the receiver took (2xx), in order: each owed alert once."""
    with receiver.lock:
        return [json.loads(r["body"])["data"]["title"] for r in receiver.requests if r["status"] < 300]


def metric(daemon, name):
    _, text = get(daemon.url + "/metrics")
    found = re.search(rf'^{name}\{{channel="audit"\}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else None


def log(daemon):
    return daemon.stderr_path.read_text(errors="replace") + daemon.stdout()


def test_410_parks_the_channel_once_and_a_reload_sends_what_waited(daemon_factory, receiver):
    receiver.script = [410] * 50
    daemon = daemon_factory(config(receiver.url), env=breaker(parked_probe="1h")).start()
    titles = owe(daemon, 3)
    wait_until(lambda: "channel parked" in log(daemon), what="the parking log line")
    wait_until(lambda: metric(daemon, "firebell_channel_parked") == 1, what="the parked gauge")
    time.sleep(1)
    # Parked: no request per alert or per retry, one loud line, nothing dead-lettered.
    assert len(receiver.requests) <= 3
    assert log(daemon).count("channel parked:") == 1
    table, notes = rows(daemon)
    assert len(table) == 3 and {r["status"] for r in table} == {"pending"}
    assert any(r["last"].startswith("channel parked: receiver answered 410 Gone") for r in table)
    assert any(note.startswith("audit: channel parked: receiver answered 410 Gone") for note in notes)

    # The operator fixed the hook and reloaded: unparked, everything that waited goes out
    # now (not at the next probe, an hour away).
    with receiver.lock:
        receiver.script = []
    daemon.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: all_delivered(daemon, 3), timeout=10, what="delivered")
    assert metric(daemon, "firebell_channel_parked") == 0
    assert sorted(delivered_titles(receiver)) == sorted(titles)
    assert "channel unparked: the config was reloaded" in log(daemon)


def test_401_three_times_in_a_row_parks_and_a_probe_that_is_taken_unparks(daemon_factory, receiver):
    receiver.script = [(401, {}, b'{"error": "invalid token"}')] * 1000
    daemon = daemon_factory(config(receiver.url), env=breaker(parked_probe="2s")).start()
    titles = owe(daemon, 5)
    wait_until(lambda: metric(daemon, "firebell_channel_parked") == 1, what="the parked gauge")
    time.sleep(0.5)  # requests already on their way when it parked arrive
    parked_at = len(receiver.requests)
    time.sleep(1.5)
    # Parked: at most one probe per 2 s, not a retry per alert.
    assert len(receiver.requests) <= parked_at + 1
    table, notes = rows(daemon)
    assert len(table) == 5 and {r["status"] for r in table} == {"pending"}
    assert any(note.startswith("audit: channel parked: receiver answered 401 3 times in a row") for note in notes)
    assert log(daemon).count("channel parked:") == 1

    # The token works again; the next probe is taken and everything that waited follows.
    with receiver.lock:
        receiver.script = []
    wait_until(lambda: all_delivered(daemon, 5), timeout=10, what="delivered")
    assert metric(daemon, "firebell_channel_parked") == 0
    assert sorted(delivered_titles(receiver)) == sorted(titles)
    assert "channel unparked: an alert was delivered" in log(daemon)


def test_a_failing_receiver_opens_the_breaker_costs_nothing_while_open_and_gets_everything_back(daemon_factory, receiver):
    receiver.script = [503] * 1000
    daemon = daemon_factory(config(receiver.url), env=breaker(open="3s", max_open="3s")).start()
    titles = owe(daemon, 8)
    wait_until(lambda: metric(daemon, "firebell_channel_breaker_state") == 2, timeout=20, what="the breaker open")
    time.sleep(0.5)  # requests already on their way when it opened arrive
    seen = len(receiver.requests)
    time.sleep(1.5)
    assert len(receiver.requests) == seen  # open for 3 s: not one request
    table, notes = rows(daemon)
    assert len(table) == 8 and {r["status"] for r in table} == {"pending"}
    assert any(note.startswith("audit: circuit open after 5 failures in a row") for note in notes)
    assert any(r["last"] == "waiting: circuit open" for r in table)
    assert log(daemon).count("circuit breaker open:") == 1

    # The receiver recovers: the half-open probe closes the breaker and the rest follow.
    with receiver.lock:
        receiver.script = []
    wait_until(lambda: all_delivered(daemon, 8), timeout=15, what="delivered")
    assert metric(daemon, "firebell_channel_breaker_state") == 0
    assert sorted(delivered_titles(receiver)) == sorted(titles)


def test_refused_connections_open_the_breaker_and_the_probe_lets_everything_out_when_the_receiver_comes_up(daemon_factory):
    port = free_port()  # nothing listens: connection refused
    daemon = daemon_factory(config(f"http://127.0.0.1:{port}"), env=breaker(open="1s", max_open="2s")).start()
    titles = owe(daemon, 6)
    wait_until(lambda: metric(daemon, "firebell_channel_breaker_state") == 2, timeout=20, what="the breaker open")
    assert {r["status"] for r in rows(daemon)[0]} == {"pending"}
    time.sleep(3)  # a few failed probes: still pending, none dead
    assert {r["status"] for r in rows(daemon)[0]} == {"pending"}
    late = Receiver(port=port)
    try:
        wait_until(lambda: all_delivered(daemon, 6), timeout=15, what="delivered")
        assert sorted(delivered_titles(late)) == sorted(titles)  # each once: a probe is a delivery
        assert metric(daemon, "firebell_channel_breaker_state") == 0
    finally:
        late.stop()


def test_429_waits_for_retry_after_and_never_opens_the_breaker(daemon_factory, receiver):
    # Six 429s in a row: a breaker that counted them would open after five.
    receiver.script = [(429, {"Retry-After": "1"})] * 6
    daemon = daemon_factory(config(receiver.url), env=breaker(open="1h")).start()
    titles = owe(daemon, 6)
    receiver.wait_for(6)
    wait_until(lambda: all_delivered(daemon, 6), timeout=15, what="delivered")
    assert metric(daemon, "firebell_channel_breaker_state") == 0
    assert "circuit breaker open" not in log(daemon)
    assert sorted(delivered_titles(receiver)) == sorted(titles)
    # Each alert's retry waited the second the receiver asked for.
    with receiver.lock:
        requests = list(receiver.requests)
    for title in titles:
        tries = [r for r in requests if json.loads(r["body"])["data"]["title"] == title]
        assert [r["status"] for r in tries] == [429, 200]
        assert tries[1]["at"] - tries[0]["at"] >= 0.9


def test_a_stalled_receiver_is_timed_out_opens_the_breaker_and_gets_everything_when_it_answers(daemon_factory, receiver):
    receiver.delay = 3  # past the channel's 1 s timeout
    daemon = daemon_factory(config(receiver.url, ", timeout: 1s"), env=breaker(open="1s", max_open="2s")).start()
    titles = owe(daemon, 5)
    wait_until(lambda: metric(daemon, "firebell_channel_breaker_state") == 2, timeout=20, what="the breaker open")
    table, notes = rows(daemon)
    assert {r["status"] for r in table} == {"pending"}
    assert any("timeout" in note for note in notes)
    receiver.delay = 0
    recovered_at = time.time()
    wait_until(lambda: all_delivered(daemon, 5), timeout=15, what="delivered")
    assert metric(daemon, "firebell_channel_breaker_state") == 0
    # The stalled requests were cut off by the timeout: every alert went again once it answered.
    with receiver.lock:
        answered = {json.loads(r["body"])["data"]["title"] for r in receiver.requests if r["at"] >= recovered_at}
    assert answered == set(titles)


def test_the_gauges_name_only_channels_in_the_config_in_force(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver.url)).start()
    assert metric(daemon, "firebell_channel_breaker_state") == 0
    assert metric(daemon, "firebell_channel_parked") == 0
    # Renamed by a reload: the old name leaves /metrics, the new one is there from the start.
    daemon.config_path.write_text(daemon.config_path.read_text().replace("audit", "ledger"))
    daemon.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: metric(daemon, "firebell_channel_parked") is None, what="the old channel's gauges gone")
    assert metric(daemon, "firebell_channel_breaker_state") is None
    _, text = get(daemon.url + "/metrics")
    assert 'firebell_channel_breaker_state{channel="ledger"} 0' in text
    assert 'firebell_channel_parked{channel="ledger"} 0' in text
