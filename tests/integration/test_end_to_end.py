"""The whole path, black-box: JSON in over HTTP, grouped and scored, alert out through
libcurl to a recording Slack receiver (issue 2's "done when")."""

import json
import time

from conftest import KEY, get, post, wait_until

ADMIN = "test-admin-token"

CONFIG = """
server:
  listen: 127.0.0.1:{PORT}
  base_url: http://firebell.test
  admin_token: %(admin)s
  max_body: 64KiB
storage:
  url: sqlite:{DIR}/data/firebell.sqlite
projects:
  - id: 1
    name: checkout
    keys: [%(key)s]
severity:
  critical_at: 100
  rules:
    - name: production errors
      when: { environment: production, level: [error, fatal] }
      add: 60
    - name: checkout path
      when: { message: { matches: "(?i)payment|checkout" } }
      add: 30
    - name: new issue
      when: { new_issue: true }
      add: 20
channels:
  oncall-slack: { type: slack, url: "%(slack)s/slack/hook" }
routes:
  - when: { severity: [critical, minor] }
    notify: [oncall-slack]
alerting:
  repeat_after: %(repeat)s
"""


def config(receiver, repeat="3s"):
    return CONFIG % {"admin": ADMIN, "key": KEY, "slack": receiver.url, "repeat": repeat}


def payment_error(i=0, **extra):
    event = {
        "message": f"Payment failed for order {1231 + i}",
        "environment": "production",
        "level": "error",
        "release": "1.4.2",
        "exception": {
            "type": "PaymentError",
            "value": f"card declined for order {1231 + i}",
            "stacktrace": [
                {"module": "shop.web", "function": "checkout", "filename": "shop/web.py", "lineno": 10 + i, "in_app": True},
                {"module": "shop.pay", "function": "charge", "filename": "shop/pay.py", "lineno": 88 + i, "in_app": True},
            ],
        },
    }
    event.update(extra)
    return event


def slack_text(request):
    return json.dumps(json.loads(request["body"]))


def test_identical_events_alert_once_then_new_issue_then_repeat(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver)).start()

    for i in range(20):
        status, _, answer = post(daemon.url + "/v1/events", payment_error(i))
        assert status == 200, answer
        assert len(answer["id"]) == 32

    first = receiver.wait_for(1)
    time.sleep(1.0)  # nothing more may arrive for the 19 repeats
    assert len(receiver.requests) == 1
    assert first[0]["path"] == "/slack/hook"
    assert first[0]["headers"]["Content-Type"].startswith("application/json")
    text = slack_text(first[0])
    assert "[CRITICAL] checkout/production: PaymentError: card declined for order 1231" in text
    assert "production errors +60" in text and "checkout path +30" in text and "new issue +20" in text
    assert "score 110" in text
    assert "shop.pay in charge" in text
    assert "http://firebell.test/v1/issues/" in text

    status, _, _ = post(daemon.url + "/v1/events", {"exception": {"type": "KeyError", "value": "'sku'"}, "environment": "staging"})
    assert status == 200
    second = receiver.wait_for(2)
    assert "KeyError" in slack_text(second[1])
    assert "[minor]" in slack_text(second[1])

    time.sleep(3.2)  # past repeat_after
    status, _, _ = post(daemon.url + "/v1/events", payment_error(99))
    assert status == 200
    third = receiver.wait_for(3)
    assert "20 more events since the last alert" in slack_text(third[2])
    time.sleep(0.5)
    assert len(receiver.requests) == 3

    status, issues = get(daemon.url + "/v1/issues", token=ADMIN)
    assert status == 200
    counts = sorted(issue["count"] for issue in issues["issues"])
    assert counts == [1, 21]


def test_receiver_failing_twice_gets_the_alert_once_after_retries(daemon_factory, receiver):
    receiver.script = [500, 500, 200]
    daemon = daemon_factory(config(receiver)).start()
    status, _, _ = post(daemon.url + "/v1/events", payment_error())
    assert status == 200
    requests = receiver.wait_for(3, timeout=20)
    assert [r["status"] for r in requests] == [500, 500, 200]
    assert requests[0]["body"] == requests[2]["body"]
    time.sleep(2.5)
    assert len(receiver.requests) == 3
    listing = daemon.cli("deliveries", "list").stdout
    assert "delivered" in listing and "pending" not in listing


def test_resolve_then_event_is_a_regression(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver, repeat="1h")).start()
    post(daemon.url + "/v1/events", payment_error())
    receiver.wait_for(1)
    status, listing = get(daemon.url + "/v1/issues", token=ADMIN)
    issue_id = listing["issues"][0]["id"]
    status, _, resolved = post(f"{daemon.url}/v1/issues/{issue_id}/resolve", {}, key=ADMIN)
    assert status == 200 and resolved["status"] == "resolved"
    resolved_notice = receiver.wait_for(2)[1]
    assert "[resolved] checkout/production" in slack_text(resolved_notice)
    post(daemon.url + "/v1/events", payment_error(5))
    requests = receiver.wait_for(3)
    assert "Regression" in slack_text(requests[2])
    status, issue = get(f"{daemon.url}/v1/issues/{issue_id}", token=ADMIN)
    assert issue["status"] == "open" and issue["count"] == 2


def test_muted_issue_does_not_alert(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver, repeat="1s")).start()
    post(daemon.url + "/v1/events", payment_error())
    receiver.wait_for(1)
    _, listing = get(daemon.url + "/v1/issues", token=ADMIN)
    issue_id = listing["issues"][0]["id"]
    status, _, muted = post(f"{daemon.url}/v1/issues/{issue_id}/mute", {"for": "1h"}, key=ADMIN)
    assert status == 200 and muted["status"] == "muted"
    time.sleep(1.2)
    post(daemon.url + "/v1/events", payment_error(1))
    time.sleep(1.5)
    assert len(receiver.requests) == 1
    status, _, unmuted = post(f"{daemon.url}/v1/issues/{issue_id}/unmute", {}, key=ADMIN)
    assert unmuted["status"] == "open"
    post(daemon.url + "/v1/events", payment_error(2))
    requests = receiver.wait_for(2)
    assert "2 more events since the last alert" in slack_text(requests[1])


def test_repeated_event_id_counts_once(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver)).start()
    event = payment_error(event_id="0123456789abcdef0123456789abcdef")
    for _ in range(3):
        status, _, answer = post(daemon.url + "/v1/events", event)
        assert status == 200 and answer == {"id": "0123456789abcdef0123456789abcdef"}
    _, listing = get(daemon.url + "/v1/issues", token=ADMIN)
    assert [issue["count"] for issue in listing["issues"]] == [1]


def test_owed_alert_survives_a_restart_and_waits_for_retry_after(daemon_factory, receiver):
    receiver.script = [(503, {"Retry-After": "3"})]
    daemon = daemon_factory(config(receiver)).start()
    post(daemon.url + "/v1/events", payment_error())
    receiver.wait_for(1)
    daemon.stop()
    assert len(receiver.requests) == 1
    daemon.start()
    requests = receiver.wait_for(2, timeout=30)
    assert [r["status"] for r in requests] == [503, 200]
    assert requests[1]["at"] - requests[0]["at"] >= 2.9
    assert requests[0]["body"] == requests[1]["body"]
