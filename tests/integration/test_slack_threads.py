"""Slack token mode keeps an issue's follow-ups together: repeats go into the first
message's thread, and a resolve edits that message (issue 4)."""

import itertools
import json
import time

from conftest import KEY, get, one_channel_config, post, wait_until

ADMIN = "slack-admin"


def test_repeat_threads_under_the_first_message_and_resolve_edits_it(daemon_factory, receiver):
    counter = itertools.count(1)
    receiver.answer = lambda path, body: json.dumps(
        {"ok": True, "channel": "C042", "ts": f"1700000000.{next(counter):06d}"}).encode()
    daemon = daemon_factory(f"""
server:
  listen: 127.0.0.1:{{PORT}}
  admin_token: {ADMIN}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - {{ id: 1, name: shop, keys: [{KEY}] }}
channels:
  oncall: {{ type: slack, token: xoxb-test-token, channel: "#oncall", url: "{receiver.url}/api" }}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [oncall]
alerting:
  repeat_after: 1s
""").start()
    post(daemon.url + "/v1/events", {"message": "cache cluster down", "environment": "production"})
    first = receiver.wait_for(1)[0]
    assert first["path"] == "/api/chat.postMessage"
    assert first["headers"]["Authorization"] == "Bearer xoxb-test-token"
    first_body = json.loads(first["body"])
    assert first_body["channel"] == "#oncall" and "thread_ts" not in first_body

    time.sleep(1.2)
    post(daemon.url + "/v1/events", {"message": "cache cluster down", "environment": "production"})
    reply = json.loads(receiver.wait_for(2)[1]["body"])
    assert reply["thread_ts"] == "1700000000.000001"
    assert reply["channel"] == "C042"
    assert "more event" in json.dumps(reply)

    _, listing = get(daemon.url + "/v1/issues", token=ADMIN)
    post(f"{daemon.url}/v1/issues/{listing['issues'][0]['id']}/resolve", {}, key=ADMIN)
    update = receiver.wait_for(3)[2]
    assert update["path"] == "/api/chat.update"
    edited = json.loads(update["body"])
    assert edited["ts"] == "1700000000.000001" and edited["channel"] == "C042"
    assert "resolved" in json.dumps(edited).lower()


def test_a_resolve_of_a_deleted_first_message_is_posted_anew(daemon_factory, receiver):
    counter = itertools.count(1)
    receiver.answer = lambda path, body: json.dumps(
        {"ok": True, "channel": "C042", "ts": f"1700000000.{next(counter):06d}"}).encode()
    daemon = daemon_factory(one_channel_config(
        "oncall", f'type: slack, token: xoxb-test-token, channel: "#oncall", url: "{receiver.url}/api"', admin=ADMIN)).start()
    post(daemon.url + "/v1/events", {"message": "disk full", "environment": "production"})
    assert receiver.wait_for(1)[0]["path"] == "/api/chat.postMessage"
    # Someone deleted the first message: chat.update answers message_not_found.
    receiver.script = [(200, {}, b'{"ok": false, "error": "message_not_found"}')]
    _, listing = get(daemon.url + "/v1/issues", token=ADMIN)
    post(f"{daemon.url}/v1/issues/{listing['issues'][0]['id']}/resolve", {}, key=ADMIN)
    update, repost = receiver.wait_for(3)[1:3]
    assert update["path"] == "/api/chat.update"
    assert repost["path"] == "/api/chat.postMessage"
    body = json.loads(repost["body"])
    assert "thread_ts" not in body and "resolved" in json.dumps(body).lower()
    wait_until(lambda: "no deliveries" in daemon.cli("deliveries", "list", "--status", "pending").stdout,
               what="the resolve delivered")
    assert "no deliveries" in daemon.cli("deliveries", "list", "--status", "dead").stdout
