"""The real Python sentry-sdk reports to Firebell unchanged: only the DSN points here."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KEY, get, wait_until

ADMIN = "sentry-test-admin"
APP = Path(__file__).with_name("sentry_app.py")

CONFIG = f"""
server:
  listen: 127.0.0.1:{{PORT}}
  admin_token: {ADMIN}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - id: 1
    name: shop
    keys: [{KEY}]
  - id: 2
    name: other
    keys: [otherkey0000000000000000000000000]
channels:
  hook: {{ type: webhook, url: "RECEIVER/hook" }}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [hook]
"""


def run_app(dsn, scenario, compression="default"):
    result = subprocess.run([sys.executable, str(APP), dsn, scenario, compression], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def issues(daemon):
    status, body = get(daemon.url + "/v1/issues", token=ADMIN)
    assert status == 200, body
    return body["issues"]


def alerts(receiver):
    return [json.loads(r["body"])["data"] for r in receiver.requests]


@pytest.mark.parametrize("compression", ["default", "br", "gzip", "off"])
def test_capture_exception_twice_and_another_gives_two_issues_and_two_alerts(daemon_factory, receiver, compression):
    daemon = daemon_factory(CONFIG.replace("RECEIVER", receiver.url)).start()
    run_app(f"http://{KEY}@127.0.0.1:{daemon.port}/1", "exceptions", compression)
    found = wait_until(lambda: len(issues(daemon)) == 2 and sum(i["count"] for i in issues(daemon)) == 3 and issues(daemon),
                       what="two issues with three events")
    by_title = {i["title"]: i for i in found}
    payment = next(i for t, i in by_title.items() if t.startswith("PaymentError"))
    assert payment["count"] == 2
    assert payment["environment"] == "production"
    assert payment["release"] == "shop@1.4.2"
    assert payment["user_count"] == 1
    assert any("charge" in frame for frame in payment["top_frames"])
    assert any(t.startswith("KeyError") for t in by_title)
    receiver.wait_for(2)
    wait_until(lambda: len(receiver.requests) >= 2, what="alerts")
    titles = sorted(a["title"] for a in alerts(receiver))
    assert len(titles) == 2
    assert titles[0].startswith("KeyError") and titles[1].startswith("PaymentError: card declined for order")


def test_logging_integration_errors_group_on_the_template(daemon_factory, receiver):
    daemon = daemon_factory(CONFIG.replace("RECEIVER", receiver.url)).start()
    run_app(f"http://{KEY}@127.0.0.1:{daemon.port}/1", "logging")
    found = wait_until(lambda: issues(daemon) if sum(i["count"] for i in issues(daemon)) == 2 else None, what="two logged events")
    assert len(found) == 1
    receiver.wait_for(1)


def test_wrong_key_is_rejected_and_nothing_stored(daemon_factory, receiver):
    daemon = daemon_factory(CONFIG.replace("RECEIVER", receiver.url)).start()
    run_app(f"http://wrongkey000000000000000000000000@127.0.0.1:{daemon.port}/1", "exceptions")
    run_app(f"http://otherkey0000000000000000000000000@127.0.0.1:{daemon.port}/1", "exceptions")
    assert issues(daemon) == []
    assert receiver.requests == []


def test_transactions_are_dropped_and_errors_kept(daemon_factory, receiver):
    daemon = daemon_factory(CONFIG.replace("RECEIVER", receiver.url)).start()
    run_app(f"http://{KEY}@127.0.0.1:{daemon.port}/1", "transaction")
    found = wait_until(lambda: issues(daemon), what="the error")
    assert len(found) == 1 and found[0]["count"] == 1
