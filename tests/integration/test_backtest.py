"""`firebell backtest`: what a rule change would have done to real stored traffic,
before deploying it. Nothing is stored or sent."""

import json
import sqlite3
import subprocess

from conftest import BIN, KEY, post

CONFIG = """
server:
  listen: 127.0.0.1:{PORT}
storage:
  url: sqlite:{DIR}/data/firebell.sqlite
projects:
  - { id: 1, name: shop, keys: [%s] }
severity:
  critical_at: 100
  rules:
    - name: production errors
      when: { environment: production }
      add: 60
    - name: checkout path
      when: { message: { matches: "(?i)payment|checkout" } }
      add: 30
    - name: new issue
      when: { new_issue: true }
      add: 20
channels:
  chat: { type: console }
routes:
  - when: { severity: [critical, minor] }
    notify: [chat]
""" % KEY


def send_traffic(daemon):
    events = []
    for n in range(12):
        events.append({"event_id": f"pay-{n}", "message": "Payment failed for order", "environment": "production"})
        events.append({"event_id": f"login-{n}", "message": "login throttled", "environment": "production"})
        events.append({"event_id": f"stage-{n}", "message": "cache miss storm", "environment": "staging"})
    status, _, answer = post(daemon.url + "/v1/events", events)
    assert status == 200 and len(answer["ids"]) == 36


def test_backtest_with_the_running_rules_owes_what_ingest_owed(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    send_traffic(daemon)
    daemon.stop()
    result = daemon.cli("backtest", "--since", "1h", "--json")
    report = json.loads(result.stdout)
    assert report["events"] == 36 and report["issues"] == 3
    rules = {rule["name"]: rule for rule in report["rules"]}
    assert rules["production errors"]["events"] == 24 and rules["production errors"]["points"] == 24 * 60
    assert rules["checkout path"]["events"] == 12
    assert rules["new issue"]["events"] == 3
    chat = next(c for c in report["channels"] if c["channel"] == "chat")
    # Three new issues; the payment one is critical (60 + 30 + 20).
    assert chat["would"]["new"] == chat["did"]["new"] == 3
    assert chat["would"]["critical"] == chat["did"]["critical"] == 1
    assert chat["would"]["messages"] == 3


def test_backtest_shows_what_a_changed_rule_would_page_and_changes_nothing(daemon_factory, tmp_path):
    daemon = daemon_factory(CONFIG).start()
    send_traffic(daemon)
    daemon.stop()
    database = tmp_path / "data" / "firebell.sqlite"
    before = sqlite3.connect(database).execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(daemon.config_path.read_text().replace("add: 60", "add: 90"))
    def backtest(config, *args):
        result = subprocess.run([BIN, "backtest", "--since", "1h", "--config", str(config), *args],
                                cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    result = backtest(daemon.config_path)
    changed = backtest(stricter)
    # The table names every rule and channel; with production errors at +90 both production issues page.
    assert "production errors" in result and "chat" in result
    report = json.loads(backtest(stricter, "--json"))
    chat = next(c for c in report["channels"] if c["channel"] == "chat")
    assert chat["would"]["critical"] == 2 and chat["did"]["critical"] == 1
    assert changed != result
    after = sqlite3.connect(database).execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    assert after == before


def test_backtest_refuses_a_bad_since(daemon_factory):
    daemon = daemon_factory(CONFIG)
    result = daemon.cli("backtest", "--since", "a week", check=False)
    assert result.returncode == 2
    assert "--since takes a duration such as 90m, 24h or 7d" in result.stderr
