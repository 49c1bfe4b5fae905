"""The commands an operator runs before and after deploying a config."""

import re
import shutil
import subprocess
from pathlib import Path

from conftest import BIN, REPO


def run(*args, cwd=REPO):
    return subprocess.run([BIN, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_default_config_checks_clean():
    result = run("check-config")
    assert result.returncode == 0, result.stderr
    assert "config/firebell.yaml: ok" in result.stdout
    assert "7 rules, critical at 100" in result.stdout


def test_bad_config_prints_one_located_line_per_error_and_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "server:\n"
        "  listn: 127.0.0.1:1\n"
        "severity:\n"
        "  rules:\n"
        "    - name: r\n"
        "      when: { message: { matches: \"(\" } }\n"
        "      add: 1\n"
        "channels:\n"
        "  s: { type: slack, url: \"${UNSET_FIREBELL_TEST_VAR}\" }\n"
        "routes:\n"
        "  - notify: [s, nope]\n"
        "alerting:\n"
        "  repeat_after: 5x\n"
    )
    result = run("check-config", "--config", str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 5, lines
    for line in lines:
        assert re.match(rf"^{re.escape(str(bad))}:\d+:\d+: ", line), line
    text = result.stderr
    assert f"{bad}:2:3: unknown key 'listn' in server" in text
    assert "matches" in text and "invalid regular expression" in text
    assert "UNSET_FIREBELL_TEST_VAR" in text
    assert "unknown channel 'nope'" in text
    assert f"{bad}:13:17: alerting.repeat_after: '5x' is not a duration" in text


def test_missing_config_file_exits_2_with_its_name(tmp_path):
    result = run("check-config", "--config", str(tmp_path / "absent.yaml"))
    assert result.returncode == 2
    assert "absent.yaml" in result.stderr


def test_config_comes_from_environment_when_not_given(tmp_path):
    shutil.copy(REPO / "config" / "firebell.yaml", tmp_path / "mine.yaml")
    result = subprocess.run([BIN, "check-config"], cwd=tmp_path, capture_output=True, text=True,
                            env={"FIREBELL_CONFIG": str(tmp_path / "mine.yaml"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "mine.yaml: ok" in result.stdout


def test_test_rules_explains_a_sample_without_side_effects(tmp_path):
    sample = tmp_path / "bot.json"
    sample.write_text('{"message": "checkout timed out", "environment": "production", "tags": {"user_agent": "Googlebot/2.1"}}')
    result = run("test-rules", "--config", str(REPO / "config" / "firebell.yaml"), str(REPO / "samples" / "payment.json"), str(sample), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "score 110 ≥ 100: production errors +60, checkout path +30, new issue +20" in out
    assert "severity:    critical" in out
    assert "bots never page" in out
    assert out.count("channels:    console") == 2
    assert "fingerprint: " in out
    assert not (tmp_path / "data").exists()


def test_test_rules_rejects_an_invalid_sample(tmp_path):
    sample = tmp_path / "bad.json"
    sample.write_text('{"level": "error"}')
    result = run("test-rules", str(sample))
    assert result.returncode == 2
    assert "needs a 'message' or an 'exception'" in result.stderr
