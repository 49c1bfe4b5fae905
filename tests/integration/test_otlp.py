"""`POST /v1/logs` and `/v1/traces` with the real OpenTelemetry Python SDK as the client
(issue 14): a logged exception (through the SDK's logging handler) and an exception
recorded on a span each become an issue with the service, environment, release and
frames the app has, over protobuf and over JSON; a span without exceptions creates
nothing; the trace link of `otlp.trace_url` reaches the alert. The app (otel_app.py)
runs in its own process, configured only by the SDK's standard environment variables."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KEY, free_port, get, post, wait_until

ADMIN = "otlp-admin"
APP = Path(__file__).with_name("otel_app.py")
RESOURCE = "service.name=checkout,deployment.environment.name=production,service.version=1.4.2"


def firebell_config(receiver, extra=""):
    return f"""
server:
  listen: 127.0.0.1:{{PORT}}
  admin_token: {ADMIN}
{extra}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - {{ id: 1, name: shop, keys: [{KEY}] }}
severity:
  critical_at: 100
  rules:
    - name: checkout service
      when: {{ service: checkout }}
      add: 10
otlp:
  trace_url: "https://tempo.example/trace/{{trace_id}}"
channels:
  oncall: {{ type: slack, url: "{receiver.url}/slack" }}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [oncall]
"""


def run_app(mode, protocol, endpoint, headers):
    """Runs otel_app.py to its end (the SDK flushes on shutdown); fails if the SDK could not export."""
    env = dict(os.environ, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_EXPORTER_OTLP_HEADERS=headers,
               OTEL_RESOURCE_ATTRIBUTES=RESOURCE, OTEL_EXPORTER_OTLP_TIMEOUT="10")
    result = subprocess.run([sys.executable, str(APP), mode, protocol], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Failed to export" not in result.stderr and "Traceback" not in result.stderr, result.stderr


def issues(daemon):
    status, listing = get(daemon.url + "/v1/issues?limit=100", token=ADMIN)
    assert status == 200
    return listing["issues"]


def events_total(daemon, outcome):
    text = get(daemon.url + "/metrics")[1]
    match = re.search(r'firebell_events_total\{project="1",outcome="%s"\} (\d+)' % outcome, text)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("protocol", ["protobuf", "json"])
def test_sdk_exceptions_become_issues_and_a_plain_span_creates_nothing(daemon_factory, receiver, protocol):
    daemon = daemon_factory(firebell_config(receiver)).start()

    # A span with an event but no exception: accepted, dropped, no issue.
    run_app("plain-span", protocol, daemon.url, f"x-firebell-key={KEY}")
    assert events_total(daemon, "dropped") == 1
    assert issues(daemon) == []

    # A logged exception; the logger's INFO line before it is dropped.
    run_app("logged-exception", protocol, daemon.url, f"Authorization=Bearer%20{KEY}")
    wait_until(lambda: len(issues(daemon)) == 1, what="the logged exception to become an issue")
    [logged] = issues(daemon)
    assert logged["title"] == "PaymentError: card declined for order 1231"
    assert logged["environment"] == "production" and logged["release"] == "1.4.2"
    assert "checkout service +10" in logged["explanation"]  # the service the resource named
    assert logged["culprit"].endswith("otel_app.py in charge")
    assert [frame.split(" (")[0] for frame in logged["top_frames"]] == ["charge", "checkout", "logged_exception"]
    assert logged["level"] == "error"
    assert events_total(daemon, "dropped") == 2

    # An exception recorded on a span.
    run_app("span-exception", protocol, daemon.url, f"x-firebell-key={KEY}")
    wait_until(lambda: len(issues(daemon)) == 2, what="the span's exception to become an issue")
    [traced] = [i for i in issues(daemon) if i["id"] != logged["id"]]
    # The SDK names a span's exception type with its module, a log record's without.
    assert traced["title"] == "__main__.PaymentError: card declined for order 1232"
    assert traced["environment"] == "production" and traced["release"] == "1.4.2"
    assert "checkout service +10" in traced["explanation"]
    assert [frame.split(" (")[0] for frame in traced["top_frames"]] == ["charge", "checkout", "traced"]
    assert events_total(daemon, "stored") == 2

    # Both alerts reached the channel; the span's carries its trace link.
    slack = receiver.wait_for(2)
    bodies = [json.dumps(json.loads(r["body"])) for r in slack]
    assert any("card declined for order 1231" in b for b in bodies)
    [span_alert] = [b for b in bodies if "card declined for order 1232" in b]
    assert re.search(r"<https://tempo\.example/trace/[0-9a-f]{32}\|Trace>", span_alert), span_alert
    assert re.search(r'"links": \[\{"title": "Trace", "url": "https://tempo\.example/trace/[0-9a-f]{32}"\}\]',
                     json.dumps(get(daemon.url + f"/v1/issues/{traced['id']}", token=ADMIN)[1]))


def test_otlp_listen_serves_the_sdk_on_a_second_port(daemon_factory, receiver):
    port = free_port()
    daemon = daemon_factory(firebell_config(receiver, extra=f"  otlp_listen: 127.0.0.1:{port}")).start()
    run_app("span-exception", "protobuf", f"http://127.0.0.1:{port}", f"x-firebell-key={KEY}")
    wait_until(lambda: len(issues(daemon)) == 1, what="the exception sent to otlp_listen to become an issue")
    # Only the OTLP routes are there.
    assert post(f"http://127.0.0.1:{port}/v1/events", {"message": "m"})[0] == 404


def test_answers_are_otlp_status_messages(daemon_factory, receiver):
    daemon = daemon_factory(firebell_config(receiver)).start()
    status, headers, body = post(daemon.url + "/v1/logs", {"resourceLogs": []}, key=None)
    assert status == 401 and body["code"] == 16 and "x-firebell-key" in body["message"]
    status, _, body = post(daemon.url + "/v1/logs", {"resourceLogs": []}, key="wrong")
    assert (status, body["code"]) == (403, 7)
    status, _, body = post(daemon.url + "/v1/traces", "not json")
    assert status == 400 and body["code"] == 3
    status, headers, body = post(daemon.url + "/v1/traces", "x", headers={"Content-Type": "text/plain"})
    assert status == 415 and headers["Content-Type"] == "application/json"
    status, headers, body = post(daemon.url + "/v1/logs", {"resourceLogs": []})
    assert (status, body) == (200, {}) and headers["Content-Type"] == "application/json"
