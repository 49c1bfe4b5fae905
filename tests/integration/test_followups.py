"""Resolve notices (send_resolved), channel templates and `firebell send-test`, black-box."""

import json

from conftest import KEY, get, post, wait_until

ADMIN = "followup-admin"


def config(receiver, extra_channel=""):
    return f"""
server:
  listen: 127.0.0.1:{{PORT}}
  admin_token: {ADMIN}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - {{ id: 1, name: shop, keys: [{KEY}] }}
channels:
  loud: {{ type: webhook, url: "{receiver.url}/loud" }}
  quiet: {{ type: webhook, url: "{receiver.url}/quiet", send_resolved: false }}
  shaped:
    type: webhook
    url: "{receiver.url}/shaped"
    template: '{{"summary": "{{{{{{json.headline}}}}}} x{{{{count}}}}", "kind": "{{{{kind}}}}"}}'{extra_channel}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [loud, quiet, shaped]
"""


def test_resolve_sends_a_resolve_message_where_send_resolved_is_on(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver)).start()
    post(daemon.url + "/v1/events", {"message": "queue stuck", "environment": "production"})
    receiver.wait_for(3)
    _, listing = get(daemon.url + "/v1/issues", token=ADMIN)
    issue_id = listing["issues"][0]["id"]
    status, _, _ = post(f"{daemon.url}/v1/issues/{issue_id}/resolve", {}, key=ADMIN)
    assert status == 200
    requests = receiver.wait_for(5)
    wait_until(lambda: len(receiver.requests) >= 5, what="resolve notices")
    paths = sorted(r["path"] for r in receiver.requests[3:])
    assert paths == ["/loud", "/shaped"]
    loud = next(json.loads(r["body"]) for r in receiver.requests[3:] if r["path"] == "/loud")
    assert loud["type"] == "issue.resolved"
    shaped = next(json.loads(r["body"]) for r in receiver.requests[3:] if r["path"] == "/shaped")
    assert shaped["kind"] == "resolved" and shaped["summary"].startswith("[resolved] shop/production: queue stuck")


def test_template_replaces_the_body(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver)).start()
    post(daemon.url + "/v1/events", {"message": 'say "hi"\r\nnow', "environment": "production"})
    requests = receiver.wait_for(3)
    shaped = next(json.loads(r["body"]) for r in requests if r["path"] == "/shaped")
    assert shaped == {"summary": '[minor] shop/production: say "hi"\r\nnow x1', "kind": "new"}


def test_check_config_refuses_a_template_that_does_not_compile(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver, extra_channel='\n  bad: { type: console, template: "{{#open}} never closed" }'))
    result = daemon.cli("check-config", check=False)
    assert result.returncode == 2
    assert "channels.bad.template: does not compile" in result.stderr
    assert result.stderr.startswith(f"{daemon.config_path}:")


def test_send_test_reports_the_receivers_answer(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver))
    result = daemon.cli("send-test", "loud")
    assert "HTTP 200" in result.stdout and "accepted by loud" in result.stdout
    body = json.loads(receiver.wait_for(1)[0]["body"])
    assert "Firebell test alert" in body["data"]["title"]
    receiver.script = [(404, {})]
    failed = daemon.cli("send-test", "quiet", check=False)
    assert failed.returncode == 1
    assert "HTTP 404" in failed.stdout and "receiver says no" in failed.stdout
    unknown = daemon.cli("send-test", "nope", check=False)
    assert unknown.returncode == 2 and "defined: loud, quiet, shaped" in unknown.stderr
