"""Audit test helpers: a synthetic journal, the CLI in a subprocess, topics of our own on the shared broker."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from synthetic_journal import journal  # noqa: E402

from schemas.codec import encode  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
# A pinned copy of the Douyin 2022 pack: the audit tests must not move when the shipped packs do.
POLICIES = FIXTURES / "policies"


class Tally:
    """Run `tally ...` as a user would; stdout as bytes."""

    def __call__(self, *args: str, stdin: bytes | None = None, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, "TALLY_POLICIES_DIR": str(POLICIES), "TALLY_DEFAULT_RULEBOOK": "douyin-creator-2022", **(env or {})}
        done = subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], cwd=ROOT, input=stdin, capture_output=True, timeout=300, env=env)
        if check and done.returncode != 0:
            raise AssertionError(f"tally {' '.join(map(str, args))} exited {done.returncode}\n{done.stderr.decode()[-3000:]}")
        return done


@pytest.fixture(scope="session")
def tally() -> Tally:
    return Tally()


def write_jsonl(path: Path, objects) -> Path:
    path.write_bytes(b"".join(encode(o) + b"\n" for o in objects))
    return path


@pytest.fixture(scope="session")
def synthetic_events():
    """About 4,800 events, 200 creators: violations, appeals (half overturned), exams, deadlines, duplicates, late reports."""
    return journal(200, 20, seed=11)


@pytest.fixture(scope="session")
def journal_file(tmp_path_factory, synthetic_events) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("journal") / "journal.jsonl", synthetic_events)


@pytest.fixture
def topic() -> str:
    """A topic name of this test's own: the session broker is shared with other suites."""
    return f"audit.{uuid.uuid4().hex[:12]}"
