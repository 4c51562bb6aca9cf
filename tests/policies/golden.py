"""Golden replays of the sample event files: what `tally replay samples/X.jsonl --state S` prints.

Regenerate after an intended change of a pack, a sample or the engine, then review the diff:

    python -m tests.policies.regenerate
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
GOLDEN = ROOT / "tests" / "golden"
POLICIES = ROOT / "policies"
DEFAULT_RULEBOOK = "douyin-creator-2022"


def sample_names() -> list[str]:
    return sorted(path.stem for path in SAMPLES.glob("*.jsonl"))


def score_sample_names() -> list[str]:
    """Samples with operator metric reports: they have golden score replays too."""
    return [name for name in sample_names() if "_metrics_reported" in (SAMPLES / f"{name}.jsonl").read_text(encoding="utf-8")]


def replay(name: str, state_path: Path, projection: str = "penalties") -> bytes:
    """Run the real CLI, pinned to the shipped packs and default rulebook whatever the environment says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    completed = subprocess.run(
        [sys.executable, "-m", "cli.main", "replay", str(SAMPLES / f"{name}.jsonl"), "--state", str(state_path),
         "--policies", str(POLICIES), "--rulebook", DEFAULT_RULEBOOK, "--projection", projection],
        cwd=ROOT, env=env, capture_output=True, check=True,
    )
    return completed.stdout


def golden_paths(name: str, projection: str = "penalties") -> tuple[Path, Path]:
    if projection == "scores":
        return GOLDEN / f"{name}.resources.jsonl", GOLDEN / f"{name}.scores.jsonl"
    return GOLDEN / f"{name}.commands.jsonl", GOLDEN / f"{name}.state.jsonl"
