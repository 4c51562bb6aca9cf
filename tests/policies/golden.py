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


def replay(name: str, state_path: Path) -> bytes:
    """Run the real CLI, pinned to the shipped packs and default rulebook whatever the environment says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    completed = subprocess.run(
        [sys.executable, "-m", "cli.main", "replay", str(SAMPLES / f"{name}.jsonl"), "--state", str(state_path),
         "--policies", str(POLICIES), "--rulebook", DEFAULT_RULEBOOK],
        cwd=ROOT, env=env, capture_output=True, check=True,
    )
    return completed.stdout


def golden_paths(name: str) -> tuple[Path, Path]:
    return GOLDEN / f"{name}.commands.jsonl", GOLDEN / f"{name}.state.jsonl"
