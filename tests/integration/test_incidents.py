"""Incidents: a cascade of critical issues on one route pages once, and the issues that
join go out as at most one update per `alerting.incident_update`, naming every one of
them; `incident_window: 0s` pages every issue alone."""

import itertools
import json
import time

from conftest import get, one_channel_config, post

SERVICES = ["checkout", "cart", "orders", "payments", "search", "auth"]
ADMIN = "incident-admin-token"


def key(n):
    return f"{n:032x}"


def config(receiver, alerting=""):
    projects = "\n".join(f"  - {{ id: {n}, name: {name}, keys: [{key(n)}] }}" for n, name in enumerate(SERVICES, start=1))
    return f"""
server:
  listen: 127.0.0.1:{{PORT}}
  admin_token: {ADMIN}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
{projects}
severity:
  critical_at: 100
  rules:
    - name: fatal
      when: {{ level: fatal }}
      add: 100
    - name: many users
      when: {{ users_in: {{ window: 1h, over: 5 }} }}
      add: 100
channels:
  pager: {{ type: webhook, url: "{receiver.url}/pager" }}
  chat: {{ type: webhook, url: "{receiver.url}/chat" }}
routes:
  - when: {{ severity: critical }}
    notify: [pager]
  - when: {{ severity: minor }}
    notify: [chat]
alerting:
  repeat_after: 1h{alerting}
"""


def title(service):
    return f"{service} down: connection to primary database refused"


def event(service, user, fatal):
    return {"message": title(service), "level": "fatal" if fatal else "error", "environment": "production",
            "service": service, "user": {"id": user}}


def send(daemon, n, events):
    status, _, body = post(daemon.url + "/v1/events", events, key=key(n))
    assert status == 200, body
    return time.time()


def pager(receiver):
    return [r for r in receiver.requests if r["path"] == "/pager"]


def named(request):
    payload = json.loads(request["body"])
    if payload["type"] == "issue.rollup":
        return [a["title"] for a in payload["data"]["alerts"]]
    return [payload["data"]["title"]]


def cascade(daemon):
    """Six services fail within 8 s: checkout, orders and search with fatal errors
    (critical at once), cart, payments and auth with errors that turn critical as
    users pile up (more than 5). Each keeps sending, from more and more users, until
    12 s in. Returns when the first event was acknowledged."""
    start = time.time()
    first_ack = None
    started = {}
    for step in range(25):  # every 0.5 s for 12 s
        now = step * 0.5
        for n, service in enumerate(SERVICES, start=1):
            begins = (n - 1) * 1.5  # 0, 1.5, 3, 4.5, 6, 7.5 s
            if now < begins:
                continue
            count = started.get(service, 0)
            started[service] = count + 1
            fatal = n % 2 == 1
            events = [event(service, f"user-{count}-{i}" if fatal else f"user-{count}", fatal) for i in range(2 if fatal else 1)]
            acked = send(daemon, n, events)
            first_ack = first_ack or acked
        time.sleep(max(0.0, start + (step + 1) * 0.5 - time.time()))
    return first_ack


def test_a_cascade_pages_once_then_names_every_issue_in_at_most_two_updates(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver)).start()
    first_ack = cascade(daemon)
    receiver.wait_for(1)
    first = pager(receiver)[0]
    assert first["at"] - first_ack < 1.0, "the first page took longer than a second"
    assert json.loads(first["body"])["type"] == "issue.new"
    assert json.loads(first["body"])["data"]["title"] == title("checkout")

    deadline = first_ack + 30
    time.sleep(max(0.0, deadline - time.time()))
    pages = [r for r in pager(receiver) if r["at"] <= deadline]
    assert len(pages) <= 3, [named(r) for r in pages]
    assert sorted({t for r in pages for t in named(r)}) == sorted(title(s) for s in SERVICES)
    # The follow-ups are incident updates, each naming what joined since the one before.
    for update in pages[1:]:
        data = json.loads(update["body"])["data"]
        assert data["reason"] == "incident"
        assert "more" in data["headline"] and "critical" in data["headline"]
    assert len(pages) >= 2

    # One incident, with every issue and its timeline.
    status, listed = get(daemon.url + "/v1/incidents", token=ADMIN)
    assert status == 200, listed
    assert len(listed["incidents"]) == 1
    incident = listed["incidents"][0]
    assert incident["channels"] == ["pager"] and incident["issue_count"] == 6
    assert incident["first_page"]["title"] == title("checkout")
    status, shown = get(daemon.url + f"/v1/incidents/{incident['id']}", token=ADMIN)
    assert status == 200, shown
    assert sorted(i["title"] for i in shown["issues"]) == sorted(title(s) for s in SERVICES)
    assert [step["event"] for step in shown["timeline"]][:2] == ["paged", "joined"]
    assert get(daemon.url + "/v1/incidents", token="wrong")[0] == 403
    assert get(daemon.url + "/v1/incidents?status=later", token=ADMIN)[0] == 400

    listing = daemon.cli("incidents", "list").stdout
    assert f"{incident['id']}" in listing and "pager" in listing
    assert json.loads(daemon.cli("incidents", "show", str(incident["id"])).stdout)["issue_count"] == 6


def test_incident_window_zero_pages_every_issue_alone(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver, alerting="\n  incident_window: 0s")).start()
    for n in (1, 3, 5):
        send(daemon, n, [event(SERVICES[n - 1], "u1", fatal=True)])
        time.sleep(0.3)
    receiver.wait_for(3)
    time.sleep(1.5)
    pages = pager(receiver)
    assert len(pages) == 3
    assert [json.loads(r["body"])["type"] for r in pages] == ["issue.new"] * 3
    assert sorted(t for r in pages for t in named(r)) == sorted(title(SERVICES[n - 1]) for n in (1, 3, 5))
    status, listed = get(daemon.url + "/v1/incidents", token=ADMIN)
    assert status == 200 and listed["incidents"] == []


def test_on_slack_with_a_token_the_issues_that_join_reply_in_the_first_pages_thread(daemon_factory, receiver):
    counter = itertools.count(1)
    receiver.answer = lambda path, body: json.dumps(
        {"ok": True, "channel": "C042", "ts": f"1700000000.{next(counter):06d}"}).encode()
    daemon = daemon_factory(one_channel_config(
        "oncall", f'type: slack, token: xoxb-test-token, channel: "#oncall", url: "{receiver.url}/api"',
        alerting="incident_update: 1s", severity_rules=[("production", "{ environment: production }", 100)])).start()
    for word in ["primary database unreachable", "cart service failing", "order queue stuck"]:
        post(daemon.url + "/v1/events", {"message": word, "environment": "production"})
    first, update = receiver.wait_for(2)[:2]
    assert "thread_ts" not in json.loads(first["body"])
    assert "primary database unreachable" in first["body"].decode()
    body = json.loads(update["body"])
    assert update["path"] == "/api/chat.postMessage"
    assert body["thread_ts"] == "1700000000.000001" and body["channel"] == "C042"
    assert body["reply_broadcast"] is False
    text = json.dumps(body)
    assert "+2 more new critical issues in shop" in text
    assert "cart service failing" in text and "order queue stuck" in text
    time.sleep(1.5)
    assert len(receiver.requests) == 2
