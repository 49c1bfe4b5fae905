"""kill -9 under load: no acknowledged event and no owed alert is lost (DESIGN §7)."""

import json
import signal
import threading
import time
import uuid

from conftest import KEY, get, one_channel_config, post, wait_until

ADMIN = "crash-admin"


def test_kill_9_under_load_loses_no_acknowledged_event_and_no_owed_alert(daemon_factory, receiver):
    daemon = daemon_factory(f"""
server:
  listen: 127.0.0.1:{{PORT}}
  admin_token: {ADMIN}
storage:
  url: sqlite:{{DIR}}/data/firebell.sqlite
projects:
  - {{ id: 1, name: shop, keys: [{KEY}] }}
channels:
  hook: {{ type: webhook, url: "{receiver.url}/hook" }}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [hook]
""").start()
    acknowledged = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker):
        n = 0
        while not stop.is_set():
            event_id = uuid.uuid4().hex
            # 40 distinct issues, so new issues keep owing alerts during the load.
            body = {"event_id": event_id, "message": f"failure kind {['a','b','c','d','e','f','g','h'][worker]}{n % 5}x"}
            try:
                status, _, _ = post(daemon.url + "/v1/events", body)
            except OSError:
                return
            if status == 200:
                with lock:
                    acknowledged.append(event_id)
            n += 1

    threads = [threading.Thread(target=load, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    wait_until(lambda: len(acknowledged) >= 200, timeout=30, what="load to build up")
    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    acked = len(acknowledged)

    daemon.start()
    _, listing = get(daemon.url + "/v1/issues?limit=1000", token=ADMIN)
    stored = sum(issue["count"] for issue in listing["issues"])
    assert stored >= acked, f"{acked} events were acknowledged but only {stored} are stored"
    issue_ids = {issue["id"] for issue in listing["issues"]}

    def alerted():
        return {json.loads(r["body"])["data"]["issue_id"] for r in receiver.requests}

    wait_until(lambda: alerted() >= issue_ids, timeout=30, what="every owed alert")
    assert alerted() == issue_ids


def test_a_graceful_stop_waits_for_the_alert_in_flight_and_records_it(daemon_factory, receiver):
    # The alert is on its way to a slow receiver when SIGTERM comes: the daemon waits for
    # the answer and records the delivery, so a restart does not send it again.
    receiver.delay = 1.5
    daemon = daemon_factory(one_channel_config("hook", f'type: webhook, url: "{receiver.url}/hook"')).start()
    post(daemon.url + "/v1/events", {"message": "slow receiver", "environment": "production"})
    receiver.wait_for(1)
    daemon.stop()
    assert daemon.proc.returncode == 0
    assert "delivered" in daemon.cli("deliveries", "list", "--status", "delivered").stdout
    receiver.delay = 0
    daemon.start()
    time.sleep(1.5)
    assert len(receiver.requests) == 1
