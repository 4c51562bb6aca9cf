"""The README's commands that need no broker are run as written, so the README never lies."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEEDS_BROKER = ("--from-kafka", "tally worker", "tally publish", "tally tail", "tally export", "audit verify", "audit intake", "candidate.yaml",
                "candidate-scores.yaml", "tally broker")  # runs until stopped: tests/cli/test_broker_command.py


def readme_commands() -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("tally ") and not any(marker in line for marker in NEEDS_BROKER)]


def test_the_readme_shows_the_file_based_tour():
    assert len(readme_commands()) >= 6


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs(command, tmp_path):
    for name in ("samples", "policies"):
        (tmp_path / name).symlink_to(ROOT / name)
    tally = str(Path(sys.executable).parent / "tally")
    command_line = re.sub(r"(^|&& )tally ", lambda m: f"{m.group(1)}{tally} ", command)  # every tally of a && chain
    result = subprocess.run(command_line, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ})
    assert result.returncode == 0, result.stderr[-2000:]
    for marker, check in EXPECTATIONS.items():
        if marker in command:
            assert check(result, tmp_path), f"{command}: unexpected output\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}"
            return
    pytest.fail(f"no expectation for README command {command!r}: add one")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


# What each README command must visibly do, matched by a distinctive part of the command.
EXPECTATIONS = {
    "--state states.jsonl": lambda r, d: '"command_id"' in (d / "commands.jsonl").read_text()
    and all('"score"' in line and '"creator_id"' in line for line in _lines(d / "states.jsonl")) and _lines(d / "states.jsonl"),
    "tally explain shop-yunxi": lambda r, d: "-> withhold traffic_boost" in r.stdout and "band:store_experience" in r.stdout,
    "tally explain": lambda r, d: "score" in r.stdout and "->" in r.stdout,
    "bad-input.jsonl": lambda r, d: "rejected" in r.stderr and re.search(r"line \d+: rejected", r.stderr),
    "policy show": lambda r, d: "douyin-creator-2022" in r.stdout and "(default)" in r.stdout,
    "policy validate": lambda r, d: ": ok," in r.stdout,
    "policy test": lambda r, d: re.search(r"^\d+ passed, 0 failed$", r.stdout, re.M),
    "--projection scores --creator": lambda r, d: "<svg" in (d / "scores.html").read_text() and "band:" in (d / "scores.html").read_text(),
    "tally report": lambda r, d: "<svg" in (d / "report.html").read_text(),
    "--projection scores > resources.jsonl": lambda r, d: '"res-' in (d / "resources.jsonl").read_text() and "skipped" in r.stderr,
    "--jobs 2": lambda r, d: '"command_id"' in (d / "shopee.jsonl").read_text() and "read " in r.stderr,
    "tally config": lambda r, d: re.search(r"^TALLY_BROKER_URL +kafka://", r.stdout, re.M) and "TALLY_SOURCE_KEYS" in r.stdout,
    "tally state build": lambda r, d: r.stdout.startswith('{"creator_id":"lin.mei"') and '"base"' in r.stdout and "B per creator" in r.stderr,
}
