"""Deploy context (issue 13): a new issue from a release Firebell first saw within
`alerting.deploy_window` says how many new issues that release brought, in the
message a real Slack incoming-webhook receiver gets. Windows go by receipt time."""

import json
import time

from conftest import one_channel_config, post


def slack_text(request):
    """The mrkdwn of a Slack message's blocks, joined."""
    blocks = json.loads(request["body"])["blocks"]
    return "\n".join(
        block["text"]["text"] if "text" in block else " ".join(e["text"] for e in block.get("elements", []))
        for block in blocks
    )


def send_and_wait(daemon, receiver, message, release, count):
    status, _, _ = post(daemon.url + "/v1/events", {"message": message, "release": release, "environment": "production"})
    assert status == 200
    return slack_text(receiver.wait_for(count)[count - 1])


def test_the_third_new_issue_of_a_fresh_release_says_three_since_it(daemon_factory, receiver):
    daemon = daemon_factory(one_channel_config("slack", f'type: slack, url: "{receiver.url}/slack"')).start()
    first = send_and_wait(daemon, receiver, "checkout failed", "shop@2.0.0", 1)
    assert "1 new issue since shop@2.0.0 (first seen just now)" in first
    # A known issue again: no alert, and no new issue for the release.
    status, _, _ = post(daemon.url + "/v1/events", {"message": "checkout failed", "release": "shop@2.0.0"})
    assert status == 200
    send_and_wait(daemon, receiver, "cart exploded", "shop@2.0.0", 2)
    third = send_and_wait(daemon, receiver, "orders timed out", "shop@2.0.0", 3)
    assert "3 new issues since shop@2.0.0 (first seen just now)" in third
    assert len(receiver.requests) == 3
    # An event without a release says nothing of a deploy.
    untagged = send_and_wait(daemon, receiver, "payments hung", None, 4)
    assert "since shop@" not in untagged


def test_a_release_first_seen_longer_ago_than_the_window_says_nothing(daemon_factory, receiver):
    config = one_channel_config("slack", f'type: slack, url: "{receiver.url}/slack"', alerting="deploy_window: 2s")
    daemon = daemon_factory(config).start()
    first = send_and_wait(daemon, receiver, "checkout failed", "shop@2.0.0", 1)
    assert "1 new issue since shop@2.0.0" in first
    time.sleep(2.5)
    later = send_and_wait(daemon, receiver, "cart exploded", "shop@2.0.0", 2)
    assert "since shop@2.0.0" not in later
    # The window is per release: a new one is fresh again.
    fresh = send_and_wait(daemon, receiver, "orders timed out", "shop@2.0.1", 3)
    assert "1 new issue since shop@2.0.1 (first seen just now)" in fresh
