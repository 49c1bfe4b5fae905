"""Firebell on PostgreSQL (`storage.url: postgres://…`): one node with the operator's
commands, and several nodes behind no load balancer but the test, sharing one
database and one outbox. A real server from the `postgres` fixture; never skipped."""

import json
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import BIN, KEY, Daemon, get, post, wait_until


def config(url, receiver, extra=""):
    return f"""
server:
  listen: 127.0.0.1:{{PORT}}
storage:
  url: "{url}"
{extra}
projects:
  - {{ id: 1, name: shop, keys: [{KEY}] }}
severity:
  critical_at: 100
  rules:
    - name: checkout path
      when: {{ message: {{ matches: "(?i)payment" }} }}
      add: 100
channels:
  hook: {{ type: webhook, url: "{receiver.url}/hook", timeout: 2s }}
routes:
  - when: {{ severity: [minor, critical] }}
    notify: [hook]
"""


def nodes(tmp_path, count, text):
    """`count` daemons, each in its own directory, all with the config `text`."""
    made = []
    for n in range(count):
        workdir = tmp_path / f"node{n}"
        workdir.mkdir()
        made.append(Daemon(workdir, text))
    return made


def test_one_node_serves_and_the_commands_read_the_same_database(tmp_path, postgres, receiver, monkeypatch):
    name, url = postgres.database()
    # The URL comes from the environment, as an operator keeps a password out of the file.
    monkeypatch.setenv("FIREBELL_TEST_DATABASE_URL", url)
    [daemon] = nodes(tmp_path, 1, config("${FIREBELL_TEST_DATABASE_URL}", receiver))
    daemon.start()
    try:
        events = [{"event_id": f"pay-{n}", "message": "Payment failed"} for n in range(5)]
        events += [{"event_id": f"slow-{n}", "message": "slow query"} for n in range(3)]
        status, _, answer = post(daemon.url + "/v1/events", events)
        assert status == 200 and len(answer["ids"]) == 8
        wait_until(lambda: postgres.sql("SELECT COUNT(*) FROM outbox WHERE status = 'delivered'", database=name) == "2",
                   what="both alerts delivered")
        # Stored in PostgreSQL, not in a file next to the config.
        assert postgres.sql("SELECT COUNT(*), SUM(((data::jsonb) ->> 'count')::int) FROM issues", database=name) == "2|8"
        assert not (daemon.workdir / "data").exists()
    finally:
        daemon.stop()

    listed = json.loads(daemon.cli("issues", "list", "--json").stdout)["issues"]
    assert sorted(issue["count"] for issue in listed) == [3, 5]
    payment = next(issue for issue in listed if issue["count"] == 5)
    assert payment["severity"] == "critical"
    assert daemon.cli("deliveries", "list").stdout.count("delivered") == 2
    report = json.loads(daemon.cli("backtest", "--since", "1h", "--json").stdout)
    assert report["events"] == 8 and report["issues"] == 2
    hook = next(c for c in report["channels"] if c["channel"] == "hook")
    assert hook["would"]["new"] == hook["did"]["new"] == 2
    assert hook["would"]["critical"] == hook["did"]["critical"] == 1
    # Resolving owes the channel that alerted a resolve message, in the same database.
    assert "resolved" in daemon.cli("issues", "resolve", str(payment["id"])).stdout
    assert json.loads(daemon.cli("issues", "show", str(payment["id"])).stdout)["status"] == "resolved"
    assert postgres.sql("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND alert LIKE '%resolved%'", database=name) == "1"


def test_a_wrong_database_url_stops_the_daemon_with_a_clear_line(tmp_path, postgres, receiver):
    [daemon] = nodes(tmp_path, 1, config(f"postgres://firebell@127.0.0.1:{postgres.port}/db?sslmode=sometimes", receiver))
    result = subprocess.run([BIN, "serve", "--config", str(daemon.config_path)], cwd=daemon.workdir,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "sslmode 'sometimes' is not one of disable, prefer, require, verify-full" in result.stderr


def test_three_nodes_share_issues_counts_and_alerts(tmp_path, postgres, receiver):
    """One burst for 200 fingerprints, sent round-robin to three nodes at once:
    exactly 200 issues, counts that add up to what was acknowledged, and one
    new-issue alert per fingerprint, whichever node decided it."""
    name, url = postgres.database()
    daemons = nodes(tmp_path, 3, config(url, receiver))
    for daemon in daemons:
        daemon.start()
    try:
        fingerprints = [f"fp-{n}" for n in range(200)]
        requests = []
        for round_ in range(3):
            for n, fingerprint in enumerate(fingerprints):
                event = {"event_id": f"{fingerprint}-{round_}", "message": f"boom {fingerprint}", "fingerprint": [fingerprint]}
                requests.append((daemons[(n + round_) % 3], event))

        def send(chunk):
            daemon = chunk[0][0]
            status, _, answer = post(daemon.url + "/v1/events", [event for _, event in chunk])
            return len(answer["ids"]) if status == 200 else 0

        # Requests of 5 events, each to one node, 12 at a time: the nodes commit the same issues together.
        chunks = []
        for node in daemons:
            mine = [request for request in requests if request[0] is node]
            chunks += [mine[i:i + 5] for i in range(0, len(mine), 5)]
        with ThreadPoolExecutor(max_workers=12) as pool:
            acknowledged = sum(pool.map(send, chunks))
        assert acknowledged == 600

        issues, total = postgres.sql("SELECT COUNT(*), SUM(((data::jsonb) ->> 'count')::int) FROM issues", database=name).split("|")
        assert int(issues) == 200 and int(total) == acknowledged
        receiver.wait_for(200, timeout=60)
        time.sleep(2)  # anything owed twice would arrive by now
        titles = [json.loads(request["body"])["data"]["title"] for request in receiver.requests]
        assert sorted(titles) == sorted(f"boom {fingerprint}" for fingerprint in fingerprints)
        # Every node took part in deciding and delivering.
        assert int(postgres.sql("SELECT COUNT(*) FROM outbox WHERE status = 'delivered'", database=name)) == 200
    finally:
        for daemon in daemons:
            daemon.stop()


def test_a_killed_nodes_deliveries_go_out_from_the_others_after_the_lease(tmp_path, postgres, receiver):
    """Node 0 takes alerts and dies (kill -9) while they are in flight: nothing
    releases its claims, so the other nodes wait out the lease and deliver them."""
    name, url = postgres.database()
    daemons = nodes(tmp_path, 2, config(url, receiver, extra="  lease: 5s"))
    for daemon in daemons:
        daemon.start()
    try:
        receiver.delay = 3  # longer than the channel's 2 s timeout: the attempt is in flight when node 0 dies
        events = [{"event_id": f"k-{n}", "message": f"dying {n}", "fingerprint": [f"k-{n}"]} for n in range(5)]
        status, _, answer = post(daemons[0].url + "/v1/events", events)
        assert status == 200 and len(answer["ids"]) == 5
        receiver.wait_for(1, timeout=10)
        claimed = postgres.sql("SELECT COUNT(*) FROM outbox WHERE claimed_by IS NOT NULL", database=name)
        assert int(claimed) >= 1
        daemons[0].proc.send_signal(signal.SIGKILL)
        daemons[0].proc.wait()
        receiver.delay = 0
        # Nothing renews the dead node's claims: they end one lease after its last renewal.
        # (A node is named host:port.)
        lease_end = float(postgres.sql(
            f"SELECT MAX(next_attempt_at) FROM outbox WHERE claimed_by LIKE '%:{daemons[0].port}' AND status = 'pending'",
            database=name) or 0)
        wait_until(lambda: postgres.sql("SELECT COUNT(*) FROM outbox WHERE status = 'delivered'", database=name) == "5",
                   timeout=60, what="node 1 to deliver node 0's alerts")
        # Not before the lease ran out (it is storage.lease itself now: renewed while in flight).
        assert time.time() >= lease_end - 0.5, (time.time(), lease_end)
        delivered = {json.loads(request["body"])["data"]["title"] for request in receiver.requests if request["status"] == 200}
        assert delivered >= {f"dying {n}" for n in range(5)}
    finally:
        for daemon in daemons:
            daemon.stop()


def test_a_receiver_slower_than_the_lease_gets_one_delivery_while_its_claim_is_renewed(tmp_path, postgres, receiver):
    """The lease is storage.lease (5 s), and the receiver takes 13 s to answer (within
    the channel's 30 s timeout): node 0 renews its claim while the attempt runs, so
    node 1, polling all along, never takes the row and sends it a second time."""
    name, url = postgres.database()
    text = config(url, receiver, extra="  lease: 5s").replace("timeout: 2s", "timeout: 30s")
    daemons = nodes(tmp_path, 2, text)
    for daemon in daemons:
        daemon.start()
    try:
        receiver.delay = 13
        status, _, _ = post(daemons[0].url + "/v1/events", {"event_id": "stall-1", "message": "stalling"})
        assert status == 200
        wait_until(lambda: postgres.sql("SELECT COUNT(*) FROM outbox WHERE status = 'delivered'", database=name) == "1",
                   timeout=45, what="the slow delivery to finish")
        time.sleep(2)  # a second delivery started after the lease would have arrived by now
        assert len(receiver.requests) == 1, [r["at"] for r in receiver.requests]
        assert postgres.sql("SELECT attempts FROM outbox", database=name) == "1"
    finally:
        for daemon in daemons:
            daemon.stop()


def test_a_graceful_stop_hands_its_claimed_deliveries_to_the_other_nodes_at_once(tmp_path, postgres, receiver):
    """Node 0 gets SIGTERM while it delivers to a slow receiver and holds more rows
    claimed that it has not started (rows of a commit it never got to). It finishes
    what is in flight (each delivered once), then releases its other claims: node 1
    delivers them at once, not after the 10-minute lease. Another node's claim stays."""
    name, url = postgres.database()
    text = config(url, receiver, extra="  lease: 10m").replace("timeout: 2s", "timeout: 30s")
    daemons = nodes(tmp_path, 2, text)
    for daemon in daemons:
        daemon.start()
    try:
        receiver.delay = 4
        events = [{"event_id": f"slow-{n}", "message": f"slow {n}", "fingerprint": [f"slow-{n}"]} for n in range(3)]
        status, _, _ = post(daemons[0].url + "/v1/events", events)
        assert status == 200
        receiver.wait_for(3, timeout=20)
        [node0] = postgres.sql(f"SELECT DISTINCT claimed_by FROM outbox WHERE claimed_by LIKE '%:{daemons[0].port}'",
                               database=name).split()
        # Claimed and not started: two rows node 0 holds, one that a node "node-x" holds.
        postgres.sql(
            "INSERT INTO outbox (issue_id, channel, next_attempt_at, created_at, alert, status, attempts, claimed_by) "
            "SELECT issue_id, channel, extract(epoch FROM now()) + 600, created_at, replace(alert, 'slow ', 'held '), 'pending', 1, "
            f"CASE WHEN alert LIKE '%slow 0%' THEN 'node-x' ELSE '{node0}' END FROM outbox", database=name)
        stopped = time.time()
        daemons[0].proc.send_signal(signal.SIGTERM)
        assert daemons[0].proc.wait(timeout=40) == 0
        receiver.delay = 0
        wait_until(lambda: postgres.sql("SELECT COUNT(*) FROM outbox WHERE status = 'delivered'", database=name) == "5",
                   timeout=30, what="node 1 to deliver node 0's released rows")
        assert time.time() - stopped < 30  # the lease was 10 minutes
        titles = sorted(json.loads(r["body"])["data"]["title"] for r in receiver.requests)
        assert titles == ["held 1", "held 2", "slow 0", "slow 1", "slow 2"], titles
        assert postgres.sql("SELECT status, claimed_by FROM outbox WHERE alert LIKE '%held 0%'", database=name) == "pending|node-x"
        assert "released the deliveries this node still held claimed" in daemons[0].stderr_path.read_text()
    finally:
        for daemon in daemons:
            daemon.stop()


def test_losing_the_database_under_load_answers_503_and_loses_nothing_acknowledged(tmp_path, postgres, receiver):
    """PostgreSQL stops while events keep coming: ingest answers 503 with Retry-After
    and /readyz 503 (nothing is acknowledged that is not committed); once it is back
    the node recovers by itself, every acknowledged event is stored and every owed
    alert delivered."""
    name, url = postgres.database()
    [daemon] = nodes(tmp_path, 1, config(url, receiver))
    daemon.start()
    acknowledged, refusals, details, unanswered, lock = [], [], [], [0], threading.Lock()
    stop = threading.Event()

    def load():
        n = 0
        deadline = time.time() + 120  # bounded whatever happens
        while not stop.is_set() and time.time() < deadline:
            event = {"event_id": f"o-{n}", "message": f"outage {n}", "fingerprint": [f"o-{n}"]}
            try:
                status, headers, body = post(daemon.url + "/v1/events", event)
            except OSError:
                # No answer in time (it waited behind a batch that waited for the database):
                # not acknowledged, so not owed; stored or not, either is right.
                unanswered[0] += 1
                continue
            finally:
                n += 1
            with lock:
                if status == 200:
                    acknowledged.append(event["event_id"])
                else:
                    refusals.append((status, headers.get("Retry-After")))
                    details.append(body.get("detail", "") if isinstance(body, dict) else body)
            time.sleep(0.02)

    sender = threading.Thread(target=load)
    sender.start()
    try:
        try:
            run_outage(daemon, postgres, acknowledged, refusals)
        except AssertionError as failure:
            raise AssertionError(
                f"{failure}; last answers {refusals[-5:]}, {unanswered[0]} unanswered; daemon said:\n"
                + daemon.stderr_path.read_text()[-4000:]) from failure
        finally:
            stop.set()
            sender.join()
        with lock:
            assert refusals and all(status == 503 and retry for status, retry in refusals), refusals[:5]
            ids = list(acknowledged)
        # One line when the database went away and one when it came back, however many
        # requests, claims and probes failed meanwhile.
        log = daemon.stderr_path.read_text()
        assert len(refusals) > 1 and any("is unreachable" in detail for detail in details), details[:5]
        assert log.count("store unavailable") == 1, log[-4000:]
        assert "is unreachable" in log
        assert log.count("store recovered") == 1, log[-4000:]
        assert log.count("could not claim deliveries") <= 1, log[-4000:]
        stored = postgres.sql("SELECT string_agg(event_id, ',') FROM events", database=name).split(",")
        assert set(ids) <= set(stored)
        # Every stored event owed one new-issue alert (its own fingerprint); all of them go out.
        wait_until(lambda: len({json.loads(r["body"])["data"]["title"] for r in receiver.requests}) >= len(stored),
                   timeout=90, what="every owed alert delivered")
        titles = {json.loads(r["body"])["data"]["title"] for r in receiver.requests}
        assert titles == {f"outage {event_id[2:]}" for event_id in stored}
    finally:
        daemon.stop()


def run_outage(daemon, postgres, acknowledged, refusals):
    """Stops PostgreSQL once events are flowing, sees the node refuse, starts it again
    and sees events acknowledged again."""
    wait_until(lambda: len(acknowledged) >= 20, what="events acknowledged before the outage")
    postgres.stop()
    try:
        wait_until(lambda: any(status == 503 for status, _ in refusals), timeout=45, what="ingest to answer 503")
        wait_until(lambda: get(daemon.url + "/readyz")[0] == 503, timeout=45, what="/readyz to answer 503")
        # Several requests refused in one outage (each waits for a connection a while).
        wait_until(lambda: sum(status == 503 for status, _ in refusals) >= 3, timeout=60, what="three 503s")
    finally:
        postgres.start()
    wait_until(lambda: get(daemon.url + "/readyz")[0] == 200, timeout=60, what="/readyz to recover")
    during = len(acknowledged)
    wait_until(lambda: len(acknowledged) >= during + 20, timeout=60, what="events acknowledged after the outage")


def test_three_nodes_share_one_channel_rate(tmp_path, postgres, receiver):
    """channel_rate holds across nodes: its bucket is in the database."""
    _, url = postgres.database()
    text = config(url, receiver) + "alerting:\n  channel_rate: 3/min\n"
    daemons = nodes(tmp_path, 3, text)
    for daemon in daemons:
        daemon.start()
    try:
        # Twelve new critical issues, four through each node at once.
        names = [a + b for a in "gkmnp" for b in "aeiou"][:12]

        def send(n):
            daemon = daemons[n % 3]
            status, _, _ = post(daemon.url + "/v1/events", {"message": f"Payment {names[n]} failed"})
            assert status == 200

        with ThreadPoolExecutor(12) as pool:
            list(pool.map(send, range(12)))
        time.sleep(3)
        # One bucket of 3 for all three nodes: at most 3 messages, not 9.
        assert len(receiver.requests) <= 3, [json.loads(r["body"])["type"] for r in receiver.requests]

        def named():
            pages = [json.loads(r["body"]) for r in receiver.requests]
            return {a["title"] for p in pages for a in (p["data"]["alerts"] if p["type"] == "issue.rollup" else [p["data"]])}

        # What was held back goes out in one roll-up when the next token comes (20 s): every issue named.
        wait_until(lambda: named() == {f"Payment {n} failed" for n in names}, timeout=40, what="every issue named")
        assert len(receiver.requests) <= 4
    finally:
        for daemon in daemons:
            daemon.stop()
