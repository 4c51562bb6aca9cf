"""The operator scores through the CLI, as an auditor uses them: replay, explain, audit verify, simulate and report
work for scores as they do for penalties (issue 10)."""

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "samples" / "kuaishou-operator-2023.jsonl")


def tally(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=cwd, capture_output=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)})


def test_replay_prints_resource_commands_the_same_bytes_in_one_process_or_two(tmp_path):
    one, two = tally("replay", SAMPLE, "--projection", "scores"), tally("replay", SAMPLE, "--projection", "scores", "--jobs", "2")
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    assert one.stdout == two.stdout
    commands = [orjson.loads(line) for line in one.stdout.splitlines()]
    assert commands and {c["action"] for c in commands} == {"grant", "withhold"}
    assert all(c["command_id"].startswith("res-") for c in commands)
    assert b"skipped 3 (for the other projection)" in one.stderr  # enrolments and the appeal filing are the penalty fold's


def test_explain_says_why_an_operator_changed_band():
    done = tally("explain", "shop-yunxi", SAMPLE, "--projection", "scores")
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert "-> withhold traffic_boost (store_experience good)" in text
    assert "because band:store_experience:good: store_experience: excellent -> good (3 reports in the window, 0.3 deducted for violations)" in text
    assert "appeal_resolved  violation_id=v-yunxi-0620 outcome=overturned" in text


def test_audit_verify_agrees_with_the_replay_and_names_a_missing_command(tmp_path):
    published = tmp_path / "resources.jsonl"
    published.write_bytes(tally("replay", SAMPLE, "--projection", "scores").stdout)
    agree = tally("audit", "verify", "--journal", SAMPLE, "--projection", "scores", "--resources", str(published), "--json")
    assert agree.returncode == 0 and orjson.loads(agree.stdout)["agree"] is True
    lines = published.read_bytes().splitlines(keepends=True)
    published.write_bytes(b"".join(lines[1:]))
    disagree = tally("audit", "verify", "--journal", SAMPLE, "--projection", "scores", "--resources", str(published), "--json")
    verdict = orjson.loads(disagree.stdout)
    assert disagree.returncode == 1 and verdict["missing"] == 1
    assert verdict["discrepancies"][0]["command_id"] == orjson.loads(lines[0])["command_id"]


def test_simulate_compares_two_score_policies(tmp_path):
    text = (ROOT / "policies" / "scores" / "kuaishou-operator-2023.yaml").read_text(encoding="utf-8")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(text.replace('{name: excellent, at_least: "4.5"', '{name: excellent, at_least: "4.4"').replace('version: "2023"', 'version: "2023-b"'))
    done = tally("simulate", "--projection", "scores", "--policy", str(candidate), SAMPLE, "--json")
    assert done.returncode == 0, done.stderr
    sim = orjson.loads(done.stdout)
    assert sim["candidate"] == "kuaishou-operator-2023 2023-b" and sim["added"] and sim["removed"]
    # a lower bar for "excellent": the overturned violation no longer costs the store its traffic boost
    assert {"creator_id": "shop-yunxi", "score": "store_experience", "resource": "traffic_boost", "action": "withhold", "band": "good",
            "effective_from": "2023-06-20T02:00:00Z", "count": 1} in sim["removed"]


def test_report_draws_the_three_scores_over_time(tmp_path):
    out = tmp_path / "operator.html"
    done = tally("report", SAMPLE, "--projection", "scores", "--creator", "shop-yunxi", "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count('stroke-width="2.4"') == 2  # store experience and product are rated; promoter reputation never is
    assert "band:store_experience:good" in page and "withhold traffic_boost" in page
    again = tmp_path / "again.html"
    tally("report", SAMPLE, "--projection", "scores", "--creator", "shop-yunxi", "--out", str(again))
    assert again.read_bytes() == out.read_bytes()
