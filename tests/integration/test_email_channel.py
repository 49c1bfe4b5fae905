"""The email channel through the daemon to a real SMTP server (aiosmtpd) on loopback."""

import email
import email.policy
import threading

from aiosmtpd.controller import Controller

from conftest import KEY, free_port, post, wait_until


class Inbox:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def test_email_arrives_with_headers_and_both_parts(daemon_factory):
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        daemon = daemon_factory(f"""
server:
  listen: 127.0.0.1:{{PORT}}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - {{ id: 1, name: shop, keys: [{KEY}] }}
channels:
  mail:
    type: email
    url: smtp://127.0.0.1:{port}
    starttls: false
    from: "Firebell <alerts@example.com>"
    to: [oncall@example.com, lead@example.com]
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [mail]
""").start()
        post(daemon.url + "/v1/events", {"message": "Zahlung fehlgeschlagen <script>x</script>\r\nBcc: evil@example.com",
                                         "environment": "production"})
        wait_until(lambda: inbox.messages, what="the email")
        mail_from, rcpts, raw = inbox.messages[0]
        assert mail_from == "alerts@example.com"
        assert sorted(rcpts) == ["lead@example.com", "oncall@example.com"]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Subject"].startswith("[minor] shop/production: Zahlung fehlgeschlagen")
        assert "Bcc" not in message and "evil@example.com" not in str(message["To"])
        assert message["From"].addresses[0].addr_spec == "alerts@example.com"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "Zahlung fehlgeschlagen" in text
        assert "&lt;script&gt;" in html and "<script>" not in html
    finally:
        smtp.stop()
