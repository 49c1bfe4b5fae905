"""`POST /v1/alertmanager` with the real Prometheus Alertmanager as the client (issue 14):
an alert posted to Alertmanager becomes a Firebell issue and a Slack alert, a repeat
notification adds no event, and its resolve resolves the issue."""

import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from conftest import KEY, free_port, get, one_channel_config, post, wait_until

ADMIN = "am-admin"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def firebell_config(receiver):
    """Slack for every issue; Alertmanager's paging alerts (level fatal) are critical."""
    return one_channel_config("oncall", f'type: slack, url: "{receiver.url}/slack"', admin=ADMIN,
                              severity_rules=[("paging alerts", "{ level: fatal }", 100)])


@pytest.fixture
def alertmanager(tmp_path):
    """The real Alertmanager on a free loopback port, sending to `url` with the project key."""
    if ALERTMANAGER is None:
        pytest.fail("prometheus-alertmanager is not installed: run scripts/bootstrap")
    procs = []

    def start(firebell_url):
        port = free_port()
        config = tmp_path / "alertmanager.yml"
        config.write_text(f"""
route:
  receiver: firebell
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: firebell
    webhook_configs:
      - url: {firebell_url}/v1/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: {KEY}
""")
        log = open(tmp_path / "alertmanager.log", "wb")
        proc = subprocess.Popen([
            ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
        ], stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _ready(url), timeout=20, what="Alertmanager to start")
        return url

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def _ready(url):
    try:
        return get(url + "/-/ready")[0] == 200
    except OSError:
        return False


def send_alert(am_url, ends_at=None):
    now = datetime.now(timezone.utc)
    alert = {
        "labels": {"alertname": "DiskAlmostFull", "severity": "critical", "instance": "db-1:9100", "job": "node"},
        "annotations": {"summary": "Disk 95% full on db-1", "description": "/var has 2 GiB left"},
        "startsAt": "2026-12-06T10:00:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=disk",
    }
    if ends_at:
        alert["endsAt"] = ends_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    else:
        alert["endsAt"] = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    status, _, body = post(am_url + "/api/v2/alerts", [alert], key=None)
    assert status == 200, body


def events_total(daemon, outcome):
    text = get(daemon.url + "/metrics")[1]
    match = re.search(r'firebell_events_total\{[^}]*outcome="%s"[^}]*\} (\d+)' % outcome, text)
    return int(match.group(1)) if match else 0


def issues(daemon):
    status, listing = get(daemon.url + "/v1/issues?limit=100", token=ADMIN)
    assert status == 200
    return listing["issues"]


def test_an_alert_from_alertmanager_is_an_issue_repeats_count_once_and_its_resolve_resolves(
        daemon_factory, receiver, alertmanager):
    daemon = daemon_factory(firebell_config(receiver)).start()
    am = alertmanager(daemon.url)

    send_alert(am)
    wait_until(lambda: len(issues(daemon)) == 1, timeout=15, what="the alert to become an issue")
    [issue] = issues(daemon)
    assert issue["title"] == "DiskAlmostFull: Disk 95% full on db-1"
    assert issue["severity"] == "critical" and issue["status"] == "open"
    slack = receiver.wait_for(1)
    text = json.dumps(json.loads(slack[0]["body"]))
    assert "DiskAlmostFull" in text
    # Its generatorURL is a link in the alert.
    assert "<http://prometheus.example/graph?g0.expr=disk|Source>" in text

    # repeat_interval 2s: Alertmanager sends the same firing alert again; it counts once.
    wait_until(lambda: events_total(daemon, "duplicate") >= 1, timeout=15, what="a repeat notification")
    assert issues(daemon)[0]["count"] == 1
    assert events_total(daemon, "stored") == 1

    send_alert(am, ends_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    wait_until(lambda: issues(daemon)[0]["status"] == "resolved", timeout=15, what="the resolve to resolve the issue")
    assert issues(daemon)[0]["resolved_by"] == "alertmanager"
    assert "issue resolved by Alertmanager" in daemon.stderr_path.read_text()
    resolved = receiver.wait_for(2)
    assert "resolved" in json.dumps(json.loads(resolved[-1]["body"])).lower()


def payload(*alerts, truncated=0):
    return {"version": "4", "status": "firing", "truncatedAlerts": truncated, "receiver": "firebell",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "", "groupKey": "{}",
            "alerts": list(alerts)}


def alert(status="firing", fingerprint="0123456789abcdef", starts="2026-12-06T10:00:00Z"):
    return {"status": status, "labels": {"alertname": "QueueStuck", "severity": "warning"},
            "annotations": {"summary": "queue not draining"}, "startsAt": starts,
            "endsAt": "0001-01-01T00:00:00Z", "fingerprint": fingerprint}


def test_the_webhook_answers_and_resolves_only_what_it_should(daemon_factory, receiver):
    daemon = daemon_factory(firebell_config(receiver)).start()
    url = daemon.url + "/v1/alertmanager"

    status, headers, body = post(url, payload(alert()), key=None)
    assert status == 401 and "Bearer" in headers.get("WWW-Authenticate", "")
    assert post(url, payload(alert()), key="wrong")[0] == 403
    status, _, body = post(url, {"alerts": "none"})
    assert status == 400 and "invalid Alertmanager payload" in body["detail"]

    # A resolve for an alert never seen firing is ignored; the group's status is not read.
    status, _, body = post(url, payload(alert(status="resolved", fingerprint="ffffffffffffffff")))
    assert (status, body) == (200, {"firing": 0, "resolved": 0, "ignored": 1})
    assert issues(daemon) == []

    assert post(url, payload(alert()))[2] == {"firing": 1, "resolved": 0, "ignored": 0}
    # Truncated alerts and a group still firing say nothing about the issue.
    assert post(url, payload(alert(fingerprint="1111111111111111"), truncated=5))[0] == 200
    assert {i["status"] for i in issues(daemon)} == {"open"}

    assert post(url, payload(alert(status="resolved")))[2] == {"firing": 0, "resolved": 1, "ignored": 0}
    # Again: nothing more happens, and no second resolve message goes out.
    assert post(url, payload(alert(status="resolved")))[2] == {"firing": 0, "resolved": 0, "ignored": 1}
    statuses = sorted(i["status"] for i in issues(daemon))
    assert statuses == ["open", "resolved"]

    # The same alert firing again later (a new startsAt) is a regression of the same issue.
    assert post(url, payload(alert(starts="2026-12-06T12:00:00Z")))[2]["firing"] == 1
    wait_until(lambda: sorted(i["status"] for i in issues(daemon)) == ["open", "open"], what="the regression")
    assert len(issues(daemon)) == 2
