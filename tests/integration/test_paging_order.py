"""Every message right (issue 13), tried as an on-call engineer would with a recording
receiver: messages about one issue reach a channel in the order they were decided;
critical alerts are never held behind minor ones under `channel_rate`; alerts held
back go out as one roll-up, restart or not; a muted issue's held alerts stay unsent;
a digest says how each issue stands when it is sent."""

import json
import time

from conftest import KEY, get, post, wait_until

ADMIN = "order-admin"
# Distinct words for distinct issues: digits would be parameterized into one fingerprint.
SYLLABLES = ["go", "ku", "mi", "no", "pu", "ri", "so", "tu", "vo", "wy"]
NAMES = [a + b for a in SYLLABLES for b in SYLLABLES]


def config(receiver, alerting="", routes=None):
    """One webhook; `PAGE` in a message makes its issue critical; every issue routed to it."""
    routes = routes or ["  - when: { severity: [minor, critical] }", "    notify: [hook]"]
    return "\n".join([
        "server:",
        "  listen: 127.0.0.1:{PORT}",
        f"  admin_token: {ADMIN}",
        "storage:",
        "  url: sqlite:{DIR}/data/firebell.sqlite",
        "projects:",
        f"  - {{ id: 1, name: shop, keys: [{KEY}] }}",
        "severity:",
        "  critical_at: 100",
        "  rules:",
        "    - name: paged",
        "      when: { message: { contains: PAGE } }",
        "      add: 100",
        "    - name: burst",
        "      when: { events_in: { window: 5m, over: 3 } }",
        "      add: 100",
        "channels:",
        f'  hook: {{ type: webhook, url: "{receiver.url}/hook" }}',
        "routes:",
        *routes,
        "alerting:",
        "  repeat_after: 1h",
        *(f"  {line}" for line in alerting.splitlines()),
    ]) + "\n"


def messages(receiver):
    with receiver.lock:
        return [json.loads(r["body"]) for r in receiver.requests]


def event(daemon, text, **fields):
    status, _, body = post(daemon.url + "/v1/events", {"message": text, **fields})
    assert status == 200, body


def issue_id(daemon, title):
    _, listing = get(daemon.url + "/v1/issues", token=ADMIN)
    return next(issue["id"] for issue in listing["issues"] if issue["title"] == title)


def named(message):
    """(kind, title) of every alert a message carries."""
    data = message["data"]
    if message["type"] == "issue.rollup":
        return [(a["kind"], a["title"]) for a in data["alerts"]]
    return [(data["kind"], data["title"])]


def test_a_regression_right_after_a_resolve_arrives_after_the_resolve_message(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver)).start()
    # Six issues, each resolved and back 20-200 ms later: six tries of the race.
    for n, gap in enumerate([0.02, 0.05, 0.08, 0.12, 0.16, 0.2]):
        title = f"{NAMES[n]} broke"
        event(daemon, title)
        wait_until(lambda: any(("new", title) in named(m) for m in messages(receiver)), what=f"the new alert of {title}")
        status, _, _ = post(f"{daemon.url}/v1/issues/{issue_id(daemon, title)}/resolve", {}, key=ADMIN)
        assert status == 200
        time.sleep(gap)
        event(daemon, title)
    wait_until(lambda: len(messages(receiver)) == 18, what="new, resolved and regression for each issue")
    for n in range(6):
        kinds = [kind for m in messages(receiver) for kind, title in named(m) if title == f"{NAMES[n]} broke"]
        assert kinds == ["new", "resolved", "regression"], (n, kinds)


def test_a_critical_alert_is_not_held_behind_a_flood_of_minor_ones(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver, alerting="channel_rate: 6/min")).start()
    started = time.monotonic()
    minor = [f"minor thing {name} is off" for name in NAMES[:40]]
    paged_at = None
    for batch in range(8):  # 40 new minor issues in 2 s, a critical one 1 s in
        status, _, _ = post(daemon.url + "/v1/events", [{"message": m} for m in minor[batch * 5:batch * 5 + 5]])
        assert status == 200
        if batch == 4:
            paged_at = time.time()
            event(daemon, "PAGE checkout is down")
        time.sleep(0.25)
    wait_until(lambda: any(("new", "PAGE checkout is down") in named(m) for m in messages(receiver)), what="the critical alert")
    critical = next(m for m in messages(receiver) if ("new", "PAGE checkout is down") in named(m))
    # Its own message, within a second of being acknowledged.
    assert critical["type"] == "issue.new"
    arrived = next(r["at"] for r in receiver.requests if json.loads(r["body"]) == critical)
    assert arrived - paged_at < 1.0, arrived - paged_at
    # Every minor issue is accounted for: named alone or in a roll-up once tokens are back.
    wait_until(lambda: {t for m in messages(receiver) for _, t in named(m)} >= set(minor), timeout=40,
               what="every minor issue named")
    assert len(messages(receiver)) <= 8, [m["type"] for m in messages(receiver)]
    assert time.monotonic() - started < 60


def test_alerts_held_by_channel_rate_go_out_as_one_rollup_after_a_restart(daemon_factory, receiver):
    # Every page alone (incident_window: 0s): here they stand for channel_rate's burst, not an incident.
    daemon = daemon_factory(config(receiver, alerting="channel_rate: 4/min\nincident_window: 0s")).start()
    for name in NAMES[:4]:  # the whole burst, one message each
        event(daemon, f"PAGE service {name} is down")
    wait_until(lambda: len(messages(receiver)) == 4, what="four pages")
    for name in NAMES[4:7]:  # over the rate: held back for a roll-up 15 s from now
        event(daemon, f"PAGE service {name} is down")
    time.sleep(0.5)
    daemon.stop()
    daemon.start()
    wait_until(lambda: len(messages(receiver)) == 5, timeout=30, what="the roll-up")
    time.sleep(2)
    rest = messages(receiver)[4:]
    assert [m["type"] for m in rest] == ["issue.rollup"], [named(m) for m in rest]
    assert sorted(t for _, t in named(rest[0])) == sorted(f"PAGE service {name} is down" for name in NAMES[4:7])


def test_an_alert_held_by_channel_rate_is_not_sent_once_its_issue_is_muted(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver, alerting="channel_rate: 1/min")).start()
    event(daemon, "PAGE first thing")
    wait_until(lambda: len(messages(receiver)) == 1, what="the first page")
    event(daemon, "PAGE second thing")
    wait_until(lambda: "pending" in daemon.cli("deliveries", "list", "--status", "pending").stdout, what="the held alert")
    status, _, _ = post(f"{daemon.url}/v1/issues/{issue_id(daemon, 'PAGE second thing')}/mute", {}, key=ADMIN)
    assert status == 200
    listing = daemon.cli("deliveries", "list", "--status", "cancelled").stdout
    assert "not sent: the issue was muted" in listing
    assert "no deliveries" in daemon.cli("deliveries", "list", "--status", "pending").stdout
    assert len(messages(receiver)) == 1


def test_a_digest_says_how_each_issue_stands_when_it_is_sent(daemon_factory, receiver):
    routes = [
        "  - when: { severity: minor }",
        "    notify: [hook]",
        "    digest: 4s",
        "  - when: { severity: critical }",
        "    notify: [hook]",
    ]
    daemon = daemon_factory(config(receiver, routes=routes)).start()
    # Digests are due at multiples of the period: start just after one, so the resolve
    # and the escalation below surely come before the summary.
    time.sleep(4 - time.time() % 4 + 0.1)
    for title in ["cache is cold", "queue is slow", "disk is noisy"]:
        event(daemon, title)
    time.sleep(0.3)
    # Meanwhile one is resolved (its resolve goes out at once), one escalates (paged at once).
    post(f"{daemon.url}/v1/issues/{issue_id(daemon, 'cache is cold')}/resolve", {}, key=ADMIN)
    for _ in range(3):
        event(daemon, "queue is slow")
    wait_until(lambda: any(m["type"] == "issue.rollup" for m in messages(receiver)), timeout=10, what="the digest")
    digest = next(m for m in messages(receiver) if m["type"] == "issue.rollup")
    kinds = dict((t, k) for k, t in named(digest))
    assert kinds == {"cache is cold": "resolved", "queue is slow": "escalation", "disk is noisy": "new"}
    counts = {a["title"]: a["count"] for a in digest["data"]["alerts"]}
    assert counts["queue is slow"] == 4
    # Not a page of its own: the escalation was paged alone, before the digest.
    assert digest["data"]["headline"].startswith("[minor]")
    singles = [named(m)[0] for m in messages(receiver) if m["type"] != "issue.rollup"]
    assert ("escalation", "queue is slow") in singles and ("resolved", "cache is cold") in singles
