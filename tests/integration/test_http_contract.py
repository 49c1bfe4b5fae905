"""The answers of `POST /v1/events` and the health endpoints (DESIGN §3)."""

import gzip

from conftest import KEY, get, post

CONFIG = """
server:
  listen: 127.0.0.1:{PORT}
  max_body: 2KiB
storage:
  url: sqlite:{DIR}/data/firebell.sqlite
projects:
  - id: 1
    name: demo
    keys: [%s]
  - id: 2
    name: limited
    keys: [limitedkey]
    rate_limit: 2/min
channels:
  console: { type: console }
routes:
  - when: { severity: [critical, minor] }
    notify: [console]
""" % KEY


def test_one_event_array_and_ndjson(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    status, _, one = post(daemon.url + "/v1/events", {"message": "boom 1", "event_id": "a" * 32})
    assert status == 200 and one == {"id": "a" * 32}
    status, _, many = post(daemon.url + "/v1/events", [{"message": "boom 2"}, {"message": "other", "event_id": "b" * 32}])
    assert status == 200 and len(many["ids"]) == 2 and many["ids"][1] == "b" * 32
    status, _, single_batch = post(daemon.url + "/v1/events", [{"message": "alone", "event_id": "f" * 32}])
    assert status == 200 and single_batch == {"ids": ["f" * 32]}
    ndjson = '{"message": "x 1"}\n{"message": "y"}\n\n{"message": "z", "event_id": "c"}\n'
    status, _, lines = post(daemon.url + "/v1/events", ndjson, headers={"Content-Type": "application/x-ndjson"})
    assert status == 200 and len(lines["ids"]) == 3 and lines["ids"][2] == "c"


def test_auth_failures_store_nothing(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    status, _, answer = post(daemon.url + "/v1/events", {"message": "x"}, key=None)
    assert status == 401 and "Bearer" in answer["detail"]
    status, _, answer = post(daemon.url + "/v1/events", {"message": "x"}, key="wrong")
    assert status == 403 and answer["detail"]
    assert "firebell|" not in daemon.stdout()


def test_malformed_and_incomplete_events_get_400(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    status, _, answer = post(daemon.url + "/v1/events", '{"message": "x",')
    assert status == 400 and "invalid JSON" in answer["detail"]
    status, _, answer = post(daemon.url + "/v1/events", {"level": "error"})
    assert status == 400 and "'message' or an 'exception'" in answer["detail"]
    status, _, answer = post(daemon.url + "/v1/events", [{"message": "ok"}, {"tags": {}}])
    assert status == 400 and "event 1" in answer["detail"]
    status, _, answer = post(daemon.url + "/v1/events", {"message": "x", "timestamp": "yesterday"})
    assert status == 400 and "timestamp" in answer["detail"]


def test_body_over_max_body_gets_413(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    status, _, answer = post(daemon.url + "/v1/events", {"message": "x" * 4096})
    assert status == 413 and "max_body" in answer["detail"]


def test_wrong_method_on_known_path_gets_405(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    status, _, answer = post(daemon.url + "/v1/events", b"", method="GET")
    assert status == 405
    status, _, _ = post(daemon.url + "/healthz", {}, method="POST")
    assert status == 405


def test_rate_limit_answers_429_with_retry_after(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    for i in range(2):
        status, _, _ = post(daemon.url + "/v1/events", {"message": f"m{i}"}, key="limitedkey")
        assert status == 200
    status, headers, answer = post(daemon.url + "/v1/events", {"message": "m3"}, key="limitedkey")
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert "rate_limit" in answer["detail"]


def test_a_batch_larger_than_the_rate_limit_burst_is_taken_on_a_full_bucket(daemon_factory):
    # rate_limit 2/min; a batch of 3 once used to be refused forever (it never fit the bucket).
    daemon = daemon_factory(CONFIG).start()
    batch = [{"message": f"b{i}"} for i in range(3)]
    status, _, answer = post(daemon.url + "/v1/events", batch, key="limitedkey")
    assert status == 200 and len(answer["ids"]) == 3
    # The bucket is in debt now: the next event waits, and is told how long.
    status, headers, _ = post(daemon.url + "/v1/events", {"message": "next"}, key="limitedkey")
    assert status == 429 and int(headers["Retry-After"]) >= 30


def test_health_readiness_and_metrics(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    assert get(daemon.url + "/healthz") == (200, {"status": "ok"})
    assert get(daemon.url + "/readyz") == (200, {"status": "ready"})
    post(daemon.url + "/v1/events", {"message": "counted"})
    status, text = get(daemon.url + "/metrics")
    assert status == 200
    assert 'firebell_events_total{project="1",outcome="stored"} 1' in text or 'firebell_events_total{outcome="stored",project="1"} 1' in text


def test_admin_api_needs_the_token(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    status, answer = get(daemon.url + "/v1/issues")
    assert status == 401 and "admin_token" in answer["detail"]


def test_compressed_bodies_are_decoded_and_capped_after_decompression(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    body = gzip.compress(b'{"message": "zipped", "event_id": "' + b"d" * 32 + b'"}')
    status, _, answer = post(daemon.url + "/v1/events", body, headers={"Content-Encoding": "gzip"})
    assert status == 200 and answer == {"id": "d" * 32}
    status, _, answer = post(daemon.url + "/v1/events", b"{}", headers={"Content-Encoding": "compress"})
    assert status == 415 and "gzip" in answer["detail"]
    bomb = gzip.compress(b'{"message": "' + b"a" * 100_000 + b'"}')
    assert len(bomb) < 2048
    status, _, answer = post(daemon.url + "/v1/events", bomb, headers={"Content-Encoding": "gzip"})
    assert status == 413
    status, _, answer = post(daemon.url + "/v1/events", b"\x1f\x8b\x08garbage", headers={"Content-Encoding": "gzip"})
    assert status == 400
