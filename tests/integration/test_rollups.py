"""`alerting.channel_rate` collapses a flood into one roll-up; a route `digest` sends one
summary per period. Nothing is dropped: every issue is named."""

import json
import time

from conftest import KEY, post

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]


def config(receiver, alerting="", route_extra=""):
    return f"""
server:
  listen: 127.0.0.1:{{PORT}}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - id: 1
    name: shop
    keys: [{KEY}]
channels:
  hook: {{ type: webhook, url: "{receiver.url}/hook" }}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [hook]{route_extra}
alerting:
  repeat_after: 1h{alerting}
"""


def issue_titles(request):
    payload = json.loads(request["body"])
    if payload["type"] == "issue.rollup":
        return [a["title"] for a in payload["data"]["alerts"]]
    return [payload["data"]["title"]]


def test_channel_rate_turns_a_flood_into_a_rollup_naming_every_issue(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver, alerting="\n  channel_rate: 3/min")).start()
    status, _, _ = post(daemon.url + "/v1/events", [{"message": f"{w} broke"} for w in WORDS])
    assert status == 200
    requests = receiver.wait_for(2)
    time.sleep(1.0)
    assert len(receiver.requests) == 2
    # Minor alerts leave 3/min's one reserved token to critical ones: two tokens, one
    # alert alone and the rest in a roll-up. The two go out side by side, in any order.
    types = sorted(json.loads(r["body"])["type"] for r in requests)
    assert types == ["issue.new", "issue.rollup"]
    rollup = next(json.loads(r["body"])["data"] for r in requests if json.loads(r["body"])["type"] == "issue.rollup")
    assert "9 alerts held back by channel_rate 3/min" in rollup["headline"]
    named = sorted(t for r in requests for t in issue_titles(r))
    assert named == sorted(f"{w} broke" for w in WORDS)


def test_digest_route_sends_one_summary_per_period(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver, route_extra="\n    digest: 2s")).start()
    status, _, _ = post(daemon.url + "/v1/events", [{"message": f"{w} is slow"} for w in WORDS[:4]])
    assert status == 200
    requests = receiver.wait_for(1, timeout=10)
    time.sleep(2.5)
    assert len(receiver.requests) == 1
    payload = json.loads(requests[0]["body"])
    assert payload["type"] == "issue.rollup"
    assert payload["data"]["reason"] == "digest"
    assert sorted(issue_titles(requests[0])) == sorted(f"{w} is slow" for w in WORDS[:4])
