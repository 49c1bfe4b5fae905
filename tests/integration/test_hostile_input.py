"""A hostile client against the built daemon: every answer has its documented status,
limits hold, nothing half-sent holds a connection, and at the end the daemon is still
up with its memory bounded.

Documented answers (README "HTTP answers", docs/configuration.md "Limits"):
  malformed input 400 · missing key 401 · wrong key or unknown project 403 (one answer
  for both) · unsigned or badly signed request to a signing project 401 · replayed
  webhook-id 409 · unknown path 404 · wrong method 405 · request not sent within
  server.read_timeout 408 · body past max_body (after decompression too) or more than
  25,000 items 413 · unknown Content-Encoding 415 · rate limit 429 + Retry-After.
With an Origin header every one of them keeps its status and carries CORS headers.
"""

import base64
import gzip
import hashlib
import hmac
import json
import socket
import time
import urllib.request
import zlib
from pathlib import Path

import pytest

from conftest import KEY, Daemon, get, post

SIGNING_KEY = b"firebell-hostile-test-key"
SECRET = "whsec_" + base64.b64encode(SIGNING_KEY).decode()
READ_TIMEOUT = 2  # seconds, so the slow-client cases run quickly
MAX_CONNECTIONS = 64

CONFIG = f"""
server:
  listen: 127.0.0.1:{{PORT}}
  max_body: 1MiB
  read_timeout: {READ_TIMEOUT}s
  max_connections: {MAX_CONNECTIONS}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - {{ id: 1, name: shop, keys: [{KEY}] }}
  - {{ id: 2, name: signed, keys: [signedkey], signing_secret: "{SECRET}" }}
  - {{ id: 3, name: limited, keys: [limitedkey], rate_limit: 1/h }}
channels:
  console: {{ type: console }}
routes:
  - when: {{ severity: [critical, minor] }}
    notify: [console]
"""

ORIGIN = {"Origin": "https://shop.example"}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("hostile"), CONFIG)
    d.start()
    d.rss_at_start = rss(d)
    yield d
    d.stop()


def rss(daemon):
    for line in Path(f"/proc/{daemon.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def signed(body: bytes, msg_id: str, timestamp=None):
    ts = str(int(timestamp if timestamp is not None else time.time()))
    mac = hmac.new(SIGNING_KEY, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": "v1," + base64.b64encode(mac).decode()}


def sentry_post(daemon, path, body, headers=None):
    return post(daemon.url + path, body, key=None, headers=headers)


def connect(daemon):
    s = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
    return s


def read_all(sock, timeout):
    """Everything the server sends until it closes (or `timeout`); (bytes, closed)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except socket.timeout:
        return data, False
    except ConnectionResetError:
        return data, True


# --- answers keep their meaning through every middleware -------------------------------


def test_client_errors_keep_their_status_and_cors_headers_with_an_origin(daemon):
    url = daemon.url + "/v1/events"
    cases = [
        (400, post(url, '{"message": ', headers=ORIGIN)),
        (401, post(url, {"message": "x"}, key=None, headers=ORIGIN)),
        (403, post(url, {"message": "x"}, key="wrong", headers=ORIGIN)),
        (413, post(url, "x" * ((1 << 20) + 1024), headers=ORIGIN)),
        (415, post(url, b"{}", headers={**ORIGIN, "Content-Encoding": "lzma"})),
        (405, post(url, b"", headers=ORIGIN, method="PUT")),
        (404, post(daemon.url + "/nowhere", b"", headers=ORIGIN)),
    ]
    for status, (got, headers, body) in cases:
        assert got == status, (status, body)
        assert headers.get("Access-Control-Allow-Origin") == "*", (status, headers)
        assert isinstance(body, dict) and body.get("detail"), (status, body)

    assert post(url, {"message": "first"}, key="limitedkey", headers=ORIGIN)[0] == 200
    status, headers, body = post(url, {"message": "second"}, key="limitedkey", headers=ORIGIN)
    assert status == 429 and headers.get("Retry-After") and headers.get("Access-Control-Allow-Origin") == "*"
    status, headers, _ = sentry_post(daemon, "/api/3/store/?sentry_key=limitedkey", {"message": "m"}, headers=ORIGIN)
    assert status == 429 and headers.get("Retry-After") and headers.get("X-Sentry-Rate-Limits")
    assert headers.get("Access-Control-Allow-Origin") == "*"
    assert "request failed" not in daemon.stderr_path.read_text()


def test_preflight_allows_the_signature_headers(daemon):
    request = urllib.request.Request(
        daemon.url + "/v1/events", method="OPTIONS",
        headers={**ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "webhook-id"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 204
        assert "webhook-id" in r.headers["Access-Control-Allow-Headers"].lower()


# --- auth applies everywhere it should -------------------------------------------------


def test_a_signing_project_takes_nothing_unsigned_on_any_ingest_route(daemon):
    event = json.dumps({"message": "unsigned"}).encode()
    envelope = b'{}\n{"type":"event"}\n' + event + b"\n"
    auth = {"X-Sentry-Auth": "Sentry sentry_key=signedkey, sentry_version=7"}
    for status, _, body in [
        sentry_post(daemon, "/api/2/store/", event, headers=auth),
        sentry_post(daemon, "/api/2/envelope/", envelope, headers=auth),
        post(daemon.url + "/v1/events", event, key="signedkey"),
        sentry_post(daemon, "/api/2/store/", event, headers={**auth, **signed(b"something else", "msg_bad")}),
        sentry_post(daemon, "/api/2/store/", event, headers={**auth, **signed(event, "msg_old", time.time() - 600)}),
    ]:
        assert status == 401 and "sign" in body["detail"], body
    assert sentry_post(daemon, "/api/2/store/", event, headers={**auth, **signed(event, "msg_store")})[0] == 200
    assert sentry_post(daemon, "/api/2/envelope/", envelope, headers={**auth, **signed(envelope, "msg_env")})[0] == 200


def test_a_replayed_signed_request_is_refused_with_409(daemon):
    event = json.dumps({"message": "signed once", "event_id": "d" * 32}).encode()
    headers = signed(event, "msg_replayed")
    assert post(daemon.url + "/v1/events", event, key="signedkey", headers=headers)[0] == 200
    status, _, body = post(daemon.url + "/v1/events", event, key="signedkey", headers=headers)
    assert status == 409 and "msg_replayed" in body["detail"]
    status, resp_headers, _ = sentry_post(
        daemon, "/api/2/store/", event, headers={"X-Sentry-Auth": "Sentry sentry_key=signedkey", **headers})
    assert status == 409 and resp_headers.get("X-Sentry-Error")


def test_unknown_project_and_wrong_key_answer_alike(daemon):
    for route in ("store", "envelope"):
        unknown = sentry_post(daemon, f"/api/77/{route}/?sentry_key=nope", {"message": "m"})
        other_key = sentry_post(daemon, f"/api/77/{route}/?sentry_key={KEY}", {"message": "m"})
        wrong = sentry_post(daemon, f"/api/1/{route}/?sentry_key=nope", {"message": "m"})
        assert unknown[0] == other_key[0] == wrong[0] == 403
        assert unknown[2] == other_key[2]
        assert json.dumps(unknown[2]).replace("77", "1") == json.dumps(wrong[2])
        no_key_unknown = sentry_post(daemon, f"/api/77/{route}/", {"message": "m"})
        no_key_known = sentry_post(daemon, f"/api/1/{route}/", {"message": "m"})
        assert no_key_unknown[0] == no_key_known[0] == 401 and no_key_unknown[2] == no_key_known[2]


def test_the_key_is_checked_before_the_body_is_decompressed(daemon):
    bomb = gzip.compress(b"\0" * (64 << 20))  # 64 MiB of zeros in ~64 KiB
    for path, headers in [
        ("/api/1/envelope/?sentry_key=nope", {"Content-Encoding": "gzip"}),
        ("/api/1/store/", {"Content-Encoding": "gzip", "X-Sentry-Auth": "Sentry sentry_key=nope"}),
    ]:
        assert sentry_post(daemon, path, bomb, headers=headers)[0] == 403
        assert sentry_post(daemon, path, b"not gzip", headers=headers)[0] == 403
        assert sentry_post(daemon, path, b"x", headers={**headers, "Content-Encoding": "lzma"})[0] == 403
    assert post(daemon.url + "/v1/events", bomb, key="nope", headers={"Content-Encoding": "gzip"})[0] == 403
    # With the right key the bomb is still cut off at max_body.
    status, _, body = post(daemon.url + "/v1/events", bomb, headers={"Content-Encoding": "gzip"})
    assert status == 413 and "max_body" in body["detail"]


# --- bounded everything ----------------------------------------------------------------


def test_more_than_25000_items_in_one_request_is_413_every_time(daemon):
    ndjson = '{"message":"x"}\n' * 25_001
    for _ in range(2):
        status, headers, body = post(daemon.url + "/v1/events", ndjson)
        assert status == 413 and "25000" in body["detail"] and not headers.get("Retry-After")
    envelope = "{}\n" + '{"type":"client_report"}\n{}\n' * 25_001
    status, headers, body = sentry_post(daemon, f"/api/1/envelope/?sentry_key={KEY}", envelope)
    assert status == 413 and "25000" in headers.get("X-Sentry-Error", "") and "25000" in body["detail"]
    # (A request at the limit is taken: HostileClientTests, and test_batch_costs' 12,000.)


def test_odd_item_types_do_not_grow_metrics(daemon):
    before = len(urllib.request.urlopen(daemon.url + "/metrics", timeout=10).read())
    for n in range(50):
        odd = f"odd-{n}-" + "x" * 2000
        envelope = "{}\n" + json.dumps({"type": odd}) + "\n{}\n"
        assert sentry_post(daemon, f"/api/1/envelope/?sentry_key={KEY}", envelope)[0] == 200
    text = urllib.request.urlopen(daemon.url + "/metrics", timeout=10).read().decode()
    assert "odd-" not in text
    assert 'type="other"' in text
    assert len(text) < before + 16384  # a delivery's histogram may appear meanwhile; 50 odd labels were ~100 KB


def test_unfinished_headers_get_408_and_are_closed(daemon):
    sockets = [connect(daemon) for _ in range(20)]
    for s in sockets:
        s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Le")
    started = time.time()
    for s in sockets:
        data, closed = read_all(s, READ_TIMEOUT + 5)
        assert closed and data.startswith(b"HTTP/1.1 408"), data[:100]
        s.close()
    assert time.time() - started < READ_TIMEOUT + 5


def test_a_body_that_stops_arriving_gets_408_and_frees_its_memory(daemon):
    # 40 unfinished gzip bodies, each 512 KiB once decompressed: closed after read_timeout.
    chunk = zlib.compressobj(9, zlib.DEFLATED, 31)
    partial = chunk.compress(b"{\"message\": \"" + b"a" * (1 << 19)) + chunk.flush(zlib.Z_SYNC_FLUSH)
    sockets = []
    for _ in range(40):
        s = connect(daemon)
        s.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode()
            + b"\r\nContent-Encoding: gzip\r\nContent-Length: 10000000\r\n\r\n" + partial)
        sockets.append(s)
    for s in sockets:
        data, closed = read_all(s, READ_TIMEOUT + 5)
        assert closed and data.startswith(b"HTTP/1.1 408"), data[:100]
        s.close()
    time.sleep(0.5)
    assert "request failed" not in daemon.stderr_path.read_text(), "a client's broken body was logged as an internal error"


def test_an_idle_keep_alive_connection_is_closed(daemon):
    s = connect(daemon)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    first = s.recv(65536)
    assert first.startswith(b"HTTP/1.1 200")
    data, closed = read_all(s, READ_TIMEOUT + 5)
    assert closed and data == b""  # closed without a second answer
    s.close()


def test_max_connections_holds_the_rest_in_the_backlog(daemon_factory):
    # A daemon of its own, whose read_timeout does not free the held connections meanwhile.
    capped = daemon_factory(
        CONFIG.replace(f"read_timeout: {READ_TIMEOUT}s", "read_timeout: 60s")
        .replace(f"max_connections: {MAX_CONNECTIONS}", "max_connections: 4")).start()
    held = [connect(capped) for _ in range(4)]
    time.sleep(0.5)  # the server accepts them all
    extra = connect(capped)  # the kernel completes it; the server does not accept it yet
    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data, _ = read_all(extra, 1.0)
    assert data == b"", "answered past max_connections"
    held[0].close()
    data, closed = read_all(extra, 10)
    assert data.startswith(b"HTTP/1.1 200")
    extra.close()
    for s in held[1:]:
        s.close()


def test_the_daemon_is_up_and_its_memory_bounded_at_the_end(daemon):
    # Runs last in this module (pytest keeps file order).
    time.sleep(READ_TIMEOUT + 1)
    assert get(daemon.url + "/healthz") == (200, {"status": "ok"})
    assert get(daemon.url + "/readyz") == (200, {"status": "ready"})
    assert daemon.proc.poll() is None
    grown = rss(daemon) - daemon.rss_at_start
    assert rss(daemon) < 400 << 20 and grown < 128 << 20, f"RSS {rss(daemon) >> 20} MiB, grew {grown >> 20} MiB"
