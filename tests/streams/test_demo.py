"""`tally demo` (what `make demo` runs): broker, worker, samples published, commands and refusals printed as they
happen, then the scores, and exit 0."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_prints_commands_and_scores_and_exits_0(tmp_path):
    for name in ("douyin-creator-2022.jsonl", "kuaishou-operator-2023.jsonl", "bad-input.jsonl"):
        shutil.copy(ROOT / "samples" / name, tmp_path)
    done = subprocess.run([sys.executable, "-m", "cli.main", "demo", "--samples", str(tmp_path), "--quiet-seconds", "1.5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    scores = lines.index("-- scores now (GET /creators/{id})")
    assert any(line.startswith("  command  lin.mei ") for line in lines[:scores]), done.stdout[-2000:]  # as they happen
    assert any(line.startswith("  refused  ") for line in lines[:scores]), done.stdout[-2000:]
    assert any(line.split()[:2] == ["lin.mei", "douyin-creator-2022"] for line in lines[scores + 1:]), done.stdout[-2000:]
    # the sample operator's story: grants and withholds as they happen, then the three scores
    assert any(line.startswith("  resource shop-yunxi       withhold traffic_boost") for line in lines[:scores]), done.stdout[-2000:]
    operators = lines.index("-- operator scores now (GET /creators/{id}/scores): score (band), and what the bands grant")
    assert any(line.split()[:4] == ["shop-yunxi", "store_experience", "4.18", "(good)"] for line in lines[operators + 1:]), done.stdout[-2000:]
    assert lines[-1] == "-- stopping"
