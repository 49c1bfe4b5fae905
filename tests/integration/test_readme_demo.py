"""`make run`'s daemon on the shipped default config, and the README's curl example."""

import re
import shutil
import subprocess
import time

from conftest import REPO, wait_until


def readme_curl():
    """The first ```sh block of the README that starts with `curl`."""
    text = (REPO / "README.md").read_text()
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        if block.lstrip().startswith("curl"):
            return block
    raise AssertionError("README has no curl example")


def test_readme_curl_example_prints_an_alert_on_the_console(daemon_factory, tmp_path):
    default = (REPO / "config" / "firebell.yaml").read_text()
    assert "listen: 127.0.0.1:8470" in default
    daemon = daemon_factory(default.replace("127.0.0.1:8470", "127.0.0.1:{PORT}"))
    daemon.start()
    command = readme_curl().replace("127.0.0.1:8470", f"127.0.0.1:{daemon.port}")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert '"id"' in result.stdout
    output = wait_until(lambda: "firebell|" in daemon.stdout() and daemon.stdout(), what="console alert")
    assert "firebell| [CRITICAL] demo/production: PaymentError: card declined" in output
    assert "production errors +60, checkout path +30, new issue +20" in output
    # The SQLite store was created where the default config says.
    assert (tmp_path / "data" / "firebell.sqlite").exists()
