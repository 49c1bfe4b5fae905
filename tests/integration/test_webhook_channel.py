"""The generic webhook channel signs per Standard Webhooks; a project with a signing
secret accepts only signed requests."""

import base64
import hashlib
import hmac
import json
import time

from conftest import KEY, post

SECRET = "whsec_" + base64.b64encode(b"firebell-test-key-0123456789").decode()


def sign(secret, msg_id, timestamp, body: bytes):
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def config(receiver, signing_secret=None, template=None):
    project_secret = f"\n    signing_secret: \"{signing_secret}\"" if signing_secret else ""
    channel_template = f", template: '{template}'" if template else ""
    return f"""
server:
  listen: 127.0.0.1:{{PORT}}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - id: 1
    name: shop
    keys: [{KEY}]{project_secret}
channels:
  audit: {{ type: webhook, url: "{receiver.url}/audit", secret: "{SECRET}"{channel_template} }}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [audit]
"""


def test_webhook_delivery_is_signed_and_verifiable(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver)).start()
    status, _, _ = post(daemon.url + "/v1/events", {"message": "disk full on db-1", "environment": "production"})
    assert status == 200
    request = receiver.wait_for(1)[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = sign(SECRET, headers["webhook-id"], headers["webhook-timestamp"], request["body"])
    assert expected in headers["webhook-signature"].split(" ")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    payload = json.loads(request["body"])
    assert payload["type"] == "issue.new"
    assert payload["data"]["title"] == "disk full on db-1"
    assert payload["data"]["project"] == "shop"


def test_a_templated_webhook_is_signed_over_the_body_it_sends(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver, template='{"text": "{{{json.title}}}"}')).start()
    status, _, _ = post(daemon.url + "/v1/events", {"message": "disk full on db-1", "environment": "production"})
    assert status == 200
    request = receiver.wait_for(1)[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert json.loads(request["body"]) == {"text": "disk full on db-1"}
    expected = sign(SECRET, headers["webhook-id"], headers["webhook-timestamp"], request["body"])
    assert expected in headers["webhook-signature"].split(" ")


def test_project_with_signing_secret_refuses_unsigned_and_badly_signed(daemon_factory, receiver):
    daemon = daemon_factory(config(receiver, signing_secret="plain-secret")).start()
    body = json.dumps({"message": "signed event"}).encode()
    status, _, answer = post(daemon.url + "/v1/events", body)
    assert status == 401 and "signed" in answer["detail"]
    now = str(int(time.time()))
    status, _, _ = post(daemon.url + "/v1/events", body, headers={
        "webhook-id": "msg_1", "webhook-timestamp": now, "webhook-signature": sign("wrong", "msg_1", now, body)})
    assert status == 401
    stale = str(int(time.time()) - 600)
    status, _, _ = post(daemon.url + "/v1/events", body, headers={
        "webhook-id": "msg_1", "webhook-timestamp": stale, "webhook-signature": sign("plain-secret", "msg_1", stale, body)})
    assert status == 401
    status, _, answer = post(daemon.url + "/v1/events", body, headers={
        "webhook-id": "msg_1", "webhook-timestamp": now, "webhook-signature": sign("plain-secret", "msg_1", now, body)})
    assert status == 200, answer
    assert receiver.wait_for(1)
