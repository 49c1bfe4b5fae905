"""Discord keeps an issue's follow-ups on its first message (edits), and when someone
deleted that message, the follow-up is posted anew instead of dead-lettered."""

import itertools
import json
import time

from conftest import get, one_channel_config, post, wait_until

ADMIN = "discord-admin"


def test_a_follow_up_to_a_deleted_message_is_posted_anew_and_becomes_the_thread(daemon_factory, receiver):
    ids = itertools.count(1001)
    receiver.answer = lambda path, body: json.dumps({"id": str(next(ids)), "channel_id": "55"}).encode()
    daemon = daemon_factory(one_channel_config(
        "chat", f'type: discord, url: "{receiver.url}/api/webhooks/1/tok"', admin=ADMIN, alerting="repeat_after: 1s")).start()
    event = {"message": "payments timing out", "environment": "production"}
    post(daemon.url + "/v1/events", event)
    first = receiver.wait_for(1)[0]
    assert (first["method"], first["path"]) == ("POST", "/api/webhooks/1/tok?wait=true")

    # Someone deletes message 1001: the edit for the repeat gets "Unknown Message".
    receiver.script = [(404, {}, b'{"message": "Unknown Message", "code": 10008}')]
    time.sleep(1.2)
    post(daemon.url + "/v1/events", event)
    edit, repost = receiver.wait_for(3)[1:3]
    assert (edit["method"], edit["path"], edit["status"]) == ("PATCH", "/api/webhooks/1/tok/messages/1001", 404)
    assert (repost["method"], repost["path"]) == ("POST", "/api/webhooks/1/tok?wait=true")
    assert "more event" in json.dumps(json.loads(repost["body"]))

    # The new message is the thread now: the resolve edits it.
    _, listing = get(daemon.url + "/v1/issues", token=ADMIN)
    post(f"{daemon.url}/v1/issues/{listing['issues'][0]['id']}/resolve", {}, key=ADMIN)
    resolve = receiver.wait_for(4)[3]
    assert (resolve["method"], resolve["path"]) == ("PATCH", "/api/webhooks/1/tok/messages/1002")
    wait_until(lambda: "no deliveries" in daemon.cli("deliveries", "list", "--status", "pending").stdout,
               what="the resolve delivered")
    assert "no deliveries" in daemon.cli("deliveries", "list", "--status", "dead").stdout
