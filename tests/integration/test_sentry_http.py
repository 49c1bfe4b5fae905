"""The Sentry ingest answers SDKs rely on, with hand-made envelopes (DESIGN §3, issue 3)."""

import gzip
import json
import urllib.request
import zlib

import brotli

from conftest import KEY, get, post, wait_until

ADMIN = "admin-sentry-http"
CONFIG = f"""
server:
  listen: 127.0.0.1:{{PORT}}
  admin_token: {ADMIN}
  max_body: 4KiB
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - id: 1
    name: shop
    keys: [{KEY}]
  - id: 2
    name: limited
    keys: [limitedkey]
    rate_limit: 1/min
channels:
  console: {{ type: console }}
routes:
  - when: {{ severity: [critical, minor] }}
    notify: [console]
"""

AUTH = {"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=7, sentry_client=test/1.0"}


def envelope(event_id="9ec79c33ec9942ab8353589fcb2e04dc", message="hello from an envelope", dsn=None, extra_items=b""):
    header = {"event_id": event_id, "sent_at": "2026-11-30T05:00:00Z"}
    if dsn:
        header["dsn"] = dsn
    event = json.dumps({"event_id": event_id, "message": message, "level": "error", "platform": "python"}).encode()
    return (json.dumps(header).encode() + b"\n" + json.dumps({"type": "event", "length": len(event)}).encode()
            + b"\n" + event + b"\n" + extra_items)


def issue_count(daemon):
    status, body = get(daemon.url + "/v1/issues", token=ADMIN)
    return sum(i["count"] for i in body["issues"])


def test_envelope_with_x_sentry_auth_is_stored_and_answered_with_its_id(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    status, headers, answer = post(daemon.url + "/api/1/envelope/", envelope(), key=None,
                                   headers={**AUTH, "Content-Type": "application/x-sentry-envelope"})
    assert status == 200, answer
    assert answer == {"id": "9ec79c33ec9942ab8353589fcb2e04dc"}
    limits = headers["X-Sentry-Rate-Limits"]
    for category in ("transaction", "span", "session", "replay", "profile"):
        assert category in limits.split(":")[1].split(";")
    assert issue_count(daemon) == 1
    status, _, answer = post(daemon.url + "/api/1/envelope", envelope("f" * 32), key=None, headers=AUTH)
    assert status == 200 and answer == {"id": "f" * 32}
    status, _, _ = post(daemon.url + "/api/1/envelope/", b"", key=None, headers=AUTH, method="GET")
    assert status == 405


def test_key_in_query_or_envelope_dsn_works_too(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    status, _, _ = post(f"{daemon.url}/api/1/envelope/?sentry_key={KEY}&sentry_version=7", envelope("a" * 32),
                        key=None, headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert status == 200
    status, _, _ = post(daemon.url + "/api/1/envelope/", envelope("b" * 32, dsn=f"http://{KEY}@127.0.0.1:8470/1"),
                        key=None, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    assert issue_count(daemon) == 2


def test_missing_wrong_and_other_projects_keys_are_refused_and_nothing_stored(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    status, headers, answer = post(daemon.url + "/api/1/envelope/", envelope(), key=None)
    assert status == 401 and "sentry_key" in answer["detail"] and "X-Sentry-Error" in headers
    status, _, answer = post(daemon.url + "/api/1/envelope/", envelope(), key=None,
                             headers={"X-Sentry-Auth": "Sentry sentry_key=nope, sentry_version=7"})
    assert status == 403
    status, _, _ = post(daemon.url + "/api/2/envelope/", envelope(), key=None, headers=AUTH)
    assert status == 403
    status, _, _ = post(daemon.url + "/api/99/envelope/", envelope(), key=None, headers=AUTH)
    assert status == 403
    assert issue_count(daemon) == 0


def test_every_content_encoding_sdks_use(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    bodies = {
        "gzip": gzip.compress(envelope("1" * 32, "gz")),
        "deflate": zlib.compress(envelope("2" * 32, "zlib deflate")),
        "br": brotli.compress(envelope("3" * 32, "brotli")),
        "identity": envelope("4" * 32, "identity"),
        "": envelope("5" * 32, "empty encoding"),
        "UTF-8": envelope("6" * 32, "utf8 encoding"),
    }
    raw = zlib.compressobj(wbits=-15)
    bodies_raw = raw.compress(envelope("7" * 32, "raw deflate")) + raw.flush()
    for encoding, body in bodies.items():
        status, _, answer = post(daemon.url + "/api/1/envelope/", body, key=None, headers={**AUTH, "Content-Encoding": encoding})
        assert status == 200, (encoding, answer)
    status, _, _ = post(daemon.url + "/api/1/envelope/", bodies_raw, key=None, headers={**AUTH, "Content-Encoding": "deflate"})
    assert status == 200
    assert issue_count(daemon) == 7
    status, headers, _ = post(daemon.url + "/api/1/envelope/", envelope(), key=None, headers={**AUTH, "Content-Encoding": "lzma"})
    assert status == 415 and "X-Sentry-Error" in headers
    status, _, _ = post(daemon.url + "/api/1/envelope/", b"\x1f\x8bnot gzip", key=None, headers={**AUTH, "Content-Encoding": "gzip"})
    assert status == 400
    bomb = gzip.compress(envelope(message="x" * 50_000))
    status, _, _ = post(daemon.url + "/api/1/envelope/", bomb, key=None, headers={**AUTH, "Content-Encoding": "gzip"})
    assert status == 413


def test_malformed_envelopes_get_400_with_x_sentry_error(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    for body in [b"not json\n", b'{}\n{"type": "event", "length": 500}\n{"message": "x"}\n', b'{}\n{"type": "event"}\n{not json}\n']:
        status, headers, answer = post(daemon.url + "/api/1/envelope/", body, key=None, headers=AUTH)
        assert status == 400, body
        assert headers["X-Sentry-Error"] and answer["detail"]
    # An empty envelope and unknown item types are fine.
    status, _, _ = post(daemon.url + "/api/1/envelope/", b"{}\n", key=None, headers=AUTH)
    assert status == 200
    odd = b'{"type": "client_report"}\n{"discarded_events": []}\n{"type": "made_up_type", "length": 2}\nhi\n'
    status, _, _ = post(daemon.url + "/api/1/envelope/", envelope(extra_items=odd), key=None, headers=AUTH)
    assert status == 200
    assert issue_count(daemon) == 1


def test_legacy_store_endpoint(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    event = {"event_id": "c" * 32, "exception": {"values": [{"type": "ValueError", "value": "bad input 7",
             "stacktrace": {"frames": [{"function": "parse", "module": "shop.forms", "in_app": True}]}}]}}
    status, _, answer = post(daemon.url + "/api/1/store/", event, key=None, headers=AUTH)
    assert status == 200 and answer == {"id": "c" * 32}
    status, _, answer = post(daemon.url + "/api/1/store/", b"{broken", key=None, headers=AUTH)
    assert status == 400
    status, body = get(daemon.url + "/v1/issues", token=ADMIN)
    assert body["issues"][0]["title"] == "ValueError: bad input 7"
    assert body["issues"][0]["culprit"] == "shop.forms in parse"


def test_rate_limited_project_gets_429_with_sentry_headers(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    auth = {"X-Sentry-Auth": "Sentry sentry_key=limitedkey, sentry_version=7"}
    status, _, _ = post(daemon.url + "/api/2/envelope/", envelope("d" * 32), key=None, headers=auth)
    assert status == 200
    status, headers, _ = post(daemon.url + "/api/2/envelope/", envelope("e" * 32), key=None, headers=auth)
    assert status == 429
    assert int(headers["Retry-After"]) >= 1
    assert headers["X-Sentry-Rate-Limits"].startswith(headers["Retry-After"] + ":")


def test_browser_cors_preflight_and_origin(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    request = urllib.request.Request(daemon.url + "/api/1/envelope/", method="OPTIONS", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    with urllib.request.urlopen(request, timeout=5) as r:
        assert r.status in (200, 204)
        assert r.headers["Access-Control-Allow-Origin"] in ("*", "https://shop.example")
        assert "POST" in r.headers["Access-Control-Allow-Methods"]
    status, headers, _ = post(f"{daemon.url}/api/1/envelope/?sentry_key={KEY}", envelope(), key=None,
                              headers={"Origin": "https://shop.example", "Content-Type": "text/plain;charset=UTF-8"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] in ("*", "https://shop.example")
