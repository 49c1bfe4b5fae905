"""Every HTTP channel type against one recording receiver: each gets its request with the
right method, path, headers and auth (issue 4). API base URLs are pointed at the receiver
with each channel's `url` key."""

import base64
import json

from conftest import KEY, post, wait_until

SECRET = "whsec_" + base64.b64encode(b"all-channels-secret").decode()


def test_each_http_channel_gets_its_request(daemon_factory, receiver):
    receiver.answer = lambda path, body: json.dumps(
        {"ok": True, "id": "1234567890", "ts": "1700000000.000100", "channel": "C1", "status": "success"}).encode()
    r = receiver.url
    daemon = daemon_factory(f"""
server:
  listen: 127.0.0.1:{{PORT}}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - {{ id: 1, name: shop, keys: [{KEY}] }}
channels:
  slack-hook: {{ type: slack, url: "{r}/slack/services/T0/B0/X" }}
  slack-bot: {{ type: slack, token: xoxb-1, channel: C1, url: "{r}/slack-api" }}
  discord: {{ type: discord, url: "{r}/discord/api/webhooks/1/tok" }}
  teams: {{ type: teams, url: "{r}/teams/workflows/run" }}
  mattermost: {{ type: mattermost, url: "{r}/mattermost/hooks/abc" }}
  gchat: {{ type: google_chat, url: "{r}/gchat/v1/spaces/S/messages?key=k&token=t" }}
  telegram: {{ type: telegram, token: "123:ABC", chat_id: "-100200", url: "{r}/telegram" }}
  pagerduty: {{ type: pagerduty, routing_key: R0123456789abcdef, url: "{r}/pagerduty" }}
  webhook: {{ type: webhook, url: "{r}/webhook", secret: "{SECRET}" }}
  sendgrid: {{ type: sendgrid, api_key: SG.key, from: "Firebell <alerts@example.com>", to: [oncall@example.com], url: "{r}/sendgrid" }}
  mailgun: {{ type: mailgun, api_key: mg-key, domain: mg.example.com, from: alerts@example.com, to: [oncall@example.com], url: "{r}/mailgun" }}
  postmark: {{ type: postmark, server_token: pm-token, from: alerts@example.com, to: [oncall@example.com], url: "{r}/postmark" }}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [slack-hook, slack-bot, discord, teams, mattermost, gchat, telegram, pagerduty, webhook, sendgrid, mailgun, postmark]
""").start()
    status, _, _ = post(daemon.url + "/v1/events", {"message": "<!channel> @here checkout broke", "environment": "production"})
    assert status == 200
    requests = receiver.wait_for(12)
    by_prefix = {r["path"].split("/")[1].split("?")[0]: r for r in requests}
    assert sorted(by_prefix) == sorted(["slack", "slack-api", "discord", "teams", "mattermost", "gchat", "telegram",
                                        "pagerduty", "webhook", "sendgrid", "mailgun", "postmark"])
    for r in requests:
        assert r["method"] == "POST"

    def body(name):
        return json.loads(by_prefix[name]["body"])

    def header(name, key):
        return {k.lower(): v for k, v in by_prefix[name]["headers"].items()}.get(key.lower())

    assert by_prefix["slack"]["path"] == "/slack/services/T0/B0/X"
    assert "&lt;!channel&gt;" in json.dumps(body("slack"))
    assert by_prefix["slack-api"]["path"] == "/slack-api/chat.postMessage"
    assert header("slack-api", "Authorization") == "Bearer xoxb-1"
    assert by_prefix["discord"]["path"] == "/discord/api/webhooks/1/tok?wait=true"
    assert body("discord")["allowed_mentions"] == {"parse": []}
    assert body("teams")["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "text" in body("mattermost") or "attachments" in body("mattermost")
    gchat_path = by_prefix["gchat"]["path"]
    assert gchat_path.startswith("/gchat/v1/spaces/S/messages?") and "messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD" in gchat_path
    assert body("gchat")["thread"]["threadKey"].startswith("firebell-issue-")
    assert by_prefix["telegram"]["path"] == "/telegram/bot123:ABC/sendMessage"
    assert body("telegram")["chat_id"] == "-100200"
    assert by_prefix["pagerduty"]["path"] == "/pagerduty/v2/enqueue"
    assert body("pagerduty")["routing_key"] == "R0123456789abcdef" and body("pagerduty")["event_action"] == "trigger"
    assert header("webhook", "webhook-signature").startswith("v1,")
    assert header("sendgrid", "Authorization") == "Bearer SG.key"
    assert by_prefix["mailgun"]["path"] == "/mailgun/v3/mg.example.com/messages"
    assert header("mailgun", "Authorization") == "Basic " + base64.b64encode(b"api:mg-key").decode()
    assert header("postmark", "X-Postmark-Server-Token") == "pm-token"
    assert body("postmark")["Subject"].startswith("[minor] shop/production:")
