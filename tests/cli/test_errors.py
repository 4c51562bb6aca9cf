"""Bad input at the command line gets one clear line and exit code 2, never a traceback (issue 9)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "samples" / "shopee.jsonl")
OPERATORS = str(ROOT / "samples" / "kuaishou-operator-2023.jsonl")

CASES = [
    (["replay", "/no/such/events.jsonl"], "/no/such/events.jsonl: No such file or directory"),
    (["replay", "/tmp", "--trusted"], "/tmp: Is a directory"),
    (["replay", sys.executable], "not UTF-8 text"),
    (["replay", SAMPLE, "--policies", "/no/such/dir"], "not a directory of policy files"),
    (["replay", SAMPLE, "--rulebook", "no-such-rulebook"], "the default rulebook 'no-such-rulebook' is not among the policies loaded"),
    (["explain", "someone", "/no/such/events.jsonl"], "No such file or directory"),
    (["report", "/no/such/events.jsonl", "--out", "/tmp/never.html"], "No such file or directory"),
    (["simulate", "--policy", "/no/such/policy.yaml", SAMPLE], "/no/such/policy.yaml: No such file or directory"),
    (["policy", "validate", "/no/such/policy.yaml"], "/no/such/policy.yaml: No such file or directory"),
    (["state", "show", "/no/such/states.bin"], "No such file or directory"),
    (["replay", "-", "--jobs", "2"], "--jobs needs an events file or --from-kafka"),
    (["replay", "--jobs", "2", "--from-kafka", "--broker", "127.0.0.1:1"], "no Kafka broker answered at 127.0.0.1:1"),
    (["replay", "--from-kafka", "--broker", "127.0.0.1:1"], "no Kafka broker answered at 127.0.0.1:1"),
    (["export", "--topic", "journal", "--out", "/tmp/never.jsonl.gz", "--broker", "127.0.0.1:1"], "no Kafka broker answered at 127.0.0.1:1"),
    (["replay", OPERATORS, "--projection", "scores", "--score-policy", "/no/such/scores.yaml"], "/no/such/scores.yaml: No such file or directory"),
    (["audit", "verify", "--journal", OPERATORS, "--projection", "scores"], "give --resources FILE|kafka"),
    (["report", OPERATORS, "--projection", "scores", "--out", "/tmp/never.html"], "needs --creator ID"),
    (["simulate", "--projection", "scores", "--policy", "a.yaml", "--policy", "b.yaml", OPERATORS], "give --policy once"),
]


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(a[:2]) + (" ..." if len(a) > 2 else "") for a, _ in CASES])
def test_bad_input_gets_one_clear_line_and_exit_code_2(args, message, tmp_path):
    done = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tally: ") and message in lines[0], done.stderr


def test_an_invalid_policy_file_is_named_in_one_line(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: broken\nversion: '1'\ntitle: t\nscore: {mode: credit}\ncatalogue: {}\nappeals: {window_days: 7}\n")
    done = subprocess.run([sys.executable, "-m", "cli.main", "replay", SAMPLE, "--policies", str(tmp_path), "--rulebook", "broken"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("tally: invalid policy") and "credit mode needs a cap" in done.stderr, done.stderr
