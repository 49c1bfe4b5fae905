"""SIGHUP reloads the config without a restart and without dropping events; a broken
file is refused and the running config stays (DESIGN §1)."""

import signal
import threading

from conftest import KEY, get, post, wait_until

ADMIN = "reload-admin"

TEMPLATE = """
server:
  listen: 127.0.0.1:{PORT}
  admin_token: %s
storage:
  url: sqlite:{DIR}/data/firebell.sqlite
projects:
  - { id: 1, name: shop, keys: [%s] }
severity:
  rules:
    - { name: RULE, when: { environment: production }, add: 10 }
""" % (ADMIN, KEY)


def explanation(daemon, message):
    _, listing = get(daemon.url + "/v1/issues?limit=100", token=ADMIN)
    return next((i["explanation"] for i in listing["issues"] if i["title"] == message), None)


def test_sighup_puts_new_rules_in_force_without_dropping_events(daemon_factory):
    daemon = daemon_factory(TEMPLATE.replace("RULE", "before reload")).start()
    post(daemon.url + "/v1/events", {"message": "alpha failed", "environment": "production"})
    assert "before reload +10" in explanation(daemon, "alpha failed")

    answered = []
    stop = threading.Event()

    def load():
        n = 0
        while not stop.is_set():
            status, _, _ = post(daemon.url + "/v1/events", {"message": f"steady load {n}", "environment": "staging"})
            answered.append(status)
            n += 1

    worker = threading.Thread(target=load)
    worker.start()
    text = daemon.config_path.read_text().replace("before reload", "after reload")
    daemon.config_path.write_text(text)
    daemon.proc.send_signal(signal.SIGHUP)

    attempts = []

    def reloaded():
        # A new issue each time (letters only: digits would be parameterized into one issue).
        message = "bravo" + "x" * len(attempts) + " failed"
        attempts.append(message)
        post(daemon.url + "/v1/events", {"message": message, "environment": "production"})
        return explanation(daemon, message)

    found = wait_until(lambda: (e := reloaded()) and "after reload" in e and e, what="the reloaded rules")
    assert "after reload +10" in found
    stop.set()
    worker.join()
    assert answered and set(answered) == {200}

    # A broken file is refused; the running rules stay.
    daemon.config_path.write_text(text.replace("add: 10", "add: ten"))
    daemon.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "config reload failed" in daemon.stderr_path.read_text(), what="the refusal in the log")
    post(daemon.url + "/v1/events", {"message": "charlie failed", "environment": "production"})
    assert "after reload +10" in explanation(daemon, "charlie failed")
