"""`tally replay --jobs N` prints exactly the bytes one process prints: stdout, stderr and the --state file.

The real CLI, in subprocesses, pinned to the shipped packs like the golden replays (tests/policies/golden.py).
The runs of one comparison go concurrently: each costs about a second of start-up (imports, packs).
"""

import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.synthetic_journal import journal
from schemas.codec import encode
from service.jobs import owner, sampled_activity, share_out
from tests.policies.golden import DEFAULT_RULEBOOK, POLICIES, ROOT, SAMPLES


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: bytes
    stderr: bytes
    state: bytes


def tally_replay(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    command = [sys.executable, "-m", "cli.main", "replay", *args, "--policies", str(POLICIES), "--rulebook", DEFAULT_RULEBOOK]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=120)


def replay(events: Path, jobs: int, state: Path, *extra: str) -> Run:
    done = tally_replay(str(events), "--jobs", str(jobs), "--state", str(state), *extra)
    return Run(done.returncode, done.stdout, done.stderr, state.read_bytes() if state.exists() else b"")


def replays(events: Path, jobs: list[int], directory: Path, *extra: str) -> dict[int, Run]:
    """One run per --jobs value, all at once."""
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {n: pool.submit(replay, events, n, directory / f"state-{n}.jsonl", *extra) for n in jobs}
    return {n: future.result() for n, future in futures.items()}


def assert_same_bytes(runs: dict[int, Run]) -> None:
    one = runs[1]
    assert one.returncode == 0, one.stderr.decode()[-2000:]
    assert one.stderr.startswith(b"line ") or one.stderr.startswith(b"read "), one.stderr[:500]
    for jobs, run in runs.items():
        assert run.returncode == 0, f"--jobs {jobs}: {run.stderr.decode()[-2000:]}"
        assert run.stdout == one.stdout, f"--jobs {jobs}: stdout differs from --jobs 1"
        assert run.stderr == one.stderr, f"--jobs {jobs}: stderr differs from --jobs 1\n{run.stderr.decode()}\n---\n{one.stderr.decode()}"
        assert run.state == one.state, f"--jobs {jobs}: the --state file differs from --jobs 1"


@pytest.mark.parametrize("name", sorted(path.name for path in SAMPLES.glob("*.jsonl")))
def test_samples_print_the_same_bytes_with_2_and_3_jobs(name, tmp_path):
    runs = replays(SAMPLES / name, [1, 2, 3], tmp_path)
    assert runs[1].stdout and runs[1].state
    if name == "bad-input.jsonl":
        assert b"malformed_json" in runs[1].stderr, "lines refused before the fold: worker 0 reports them"
    assert_same_bytes(runs)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """200 creators, ~20 events each, in arrival order: creators interleaved line by line."""
    path = tmp_path_factory.mktemp("journal") / "synthetic.jsonl"
    path.write_bytes(b"".join(encode(event) + b"\n" for event in journal(200, 20, seed=11)))
    return path


def test_the_synthetic_journal_is_shared_out_evenly_over_both_workers(synthetic):
    owners = share_out(sampled_activity(str(synthetic)), 2)
    events = journal(200, 20, seed=11)
    shares = [sum(owner(event, owners, 2) == worker for event in events) for worker in (0, 1)]
    assert min(shares) > 0.45 * len(events), shares


def test_the_busiest_creators_go_to_the_least_loaded_worker():
    assert share_out(Counter({"a": 10, "b": 6, "c": 5, "d": 1}), 2) == {"a": 0, "b": 1, "c": 1, "d": 0}


@pytest.mark.parametrize("trusted", [False, True], ids=["validated", "trusted"])
def test_a_synthetic_journal_prints_the_same_bytes_with_2_jobs(synthetic, trusted, tmp_path):
    runs = replays(synthetic, [1, 2], tmp_path, *(["--trusted"] if trusted else []))
    assert runs[1].stdout.count(b"\n") > 1000 and runs[1].state.count(b"\n") == 200
    assert runs[1].stderr.count(b"\n") > 1, "no per-line messages: the stderr merge is not exercised"
    assert_same_bytes(runs)


@pytest.mark.parametrize("source", [["-"], ["--from-kafka", "--drain"]], ids=["stdin", "from-kafka-drain"])
def test_jobs_needs_a_file_or_a_topic_snapshot(source):
    done = tally_replay(*source, "--jobs", "2")
    assert done.returncode == 2
    assert done.stdout == b""
    assert len(done.stderr.splitlines()) == 1 and b"--jobs" in done.stderr, done.stderr


def test_a_failing_worker_fails_the_replay_in_one_line(tmp_path):
    # --trusted skips validation: a naive timestamp reaches the fold, which raises.
    done = tally_replay(str(SAMPLES / "bad-input.jsonl"), "--trusted", "--jobs", "2", "--state", str(tmp_path / "state.jsonl"))
    assert done.returncode == 2
    assert done.stdout == b""
    assert len(done.stderr.splitlines()) == 1 and b"failed: line 3: ValueError" in done.stderr, done.stderr
    assert not (tmp_path / "state.jsonl").exists()
