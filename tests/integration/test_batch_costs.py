"""What a batch costs does not depend on an issue's history: a hostile client with a
public DSN key cannot make one request, or one issue, expensive for everyone else."""

import json
import statistics
import threading
import time

from conftest import KEY, post


CONFIG = """
server:
  listen: 127.0.0.1:{PORT}
  max_body: 16MiB
storage:
  url: sqlite:{DIR}/data/firebell.sqlite
projects:
  - { id: 1, name: shop, keys: [%s] }
severity:
  rules:
    - name: spike
      when: { events_in: { window: 5m, over: 50 } }
      add: 100
    - name: many users
      when: { users_in: { window: 1h, over: 10 } }
      add: 40
channels:
  out: { type: console }
routes:
  - when: { severity: critical }
    notify: [out]
""" % KEY


def ndjson(prefix, count, message, user=None):
    lines = []
    for n in range(count):
        event = {"event_id": f"{prefix}-{n}", "message": message}
        if user:
            event["user"] = {"id": user(n)}
        lines.append(json.dumps(event))
    return "\n".join(lines).encode()


def timed_post(url, body):
    started = time.monotonic()
    status, _, answer = post(url, body, headers={"Content-Type": "application/x-ndjson"})
    return status, answer, time.monotonic() - started


def test_a_large_batch_of_one_issue_costs_linear_time_and_does_not_hold_others_up(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    url = daemon.url + "/v1/events"
    # Warm up the daemon (first requests pay for lazy setup).
    assert timed_post(url, ndjson("warm", 500, "warm-up failure"))[0] == 200

    status, answer, small = timed_post(url, ndjson("small", 3000, "checkout exploded"))
    assert status == 200 and len(answer["ids"]) == 3000

    unrelated = {}

    def send_unrelated():
        time.sleep(small)  # by then the large batch is decoded and with the writer
        status, _, took = timed_post(url, ndjson("other", 1, "an unrelated failure"))
        unrelated["status"], unrelated["took"] = status, took

    sender = threading.Thread(target=send_unrelated)
    sender.start()
    status, answer, large = timed_post(url, ndjson("large", 12000, "cart exploded"))
    sender.join()
    assert status == 200 and len(answer["ids"]) == 12000
    # Quadratic batches took 16x as long for 4x the events; linear ones about 4x.
    print(f"3k: {small:.3f}s 12k: {large:.3f}s unrelated: {unrelated['took']:.3f}s")
    assert large <= 8 * small + 0.5, f"12k events took {large:.2f}s, 3k took {small:.2f}s"
    assert unrelated["status"] == 200
    assert unrelated["took"] <= 2.0, f"an unrelated event waited {unrelated['took']:.2f}s"


def test_an_issue_with_many_users_costs_no_more_per_event_than_a_fresh_one(daemon_factory):
    daemon = daemon_factory(CONFIG).start()
    url = daemon.url + "/v1/events"
    # 15,000 distinct users on one issue, within the users_in window.
    for part in range(5):
        body = ndjson(f"crowd{part}", 3000, "login failed", user=lambda n, part=part: f"user-{part}-{n}")
        assert timed_post(url, body)[0] == 200

    def median_single(message, prefix):
        times = []
        for n in range(7):
            status, _, took = timed_post(url, ndjson(f"{prefix}{n}", 1, message, user=lambda _, n=n: f"late-{n}"))
            assert status == 200
            times.append(took)
        return statistics.median(times)

    crowded = median_single("login failed", "crowded")
    fresh = median_single("a brand new failure", "fresh")
    # Reloading every user of the window made one event ~16x dearer after 15,000 users.
    assert crowded <= 4 * fresh + 0.02, f"one event on the crowded issue took {crowded*1000:.1f} ms, on a fresh one {fresh*1000:.1f} ms"
