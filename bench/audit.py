"""Benchmark: `tally audit verify` and `tally simulate` next to a plain `tally replay` of the same journal.

    .venv/bin/python bench/audit.py [--events 1000000] [--journal FILE.jsonl.gz]

Generates (or takes) a journal, then times, as subprocesses, as a user runs them:
replay --trusted (its commands are the published side), audit verify --trusted against them,
simulate --trusted with a stricter candidate policy. Prints times and ratios; asserts nothing.
"""

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from schemas.codec import encode  # noqa: E402
from synthetic_journal import journal  # noqa: E402

POLICIES = ROOT / "tests" / "audit" / "fixtures" / "policies"


def tally(*args: str, out: Path) -> tuple[float, int]:
    env = {**os.environ, "TALLY_POLICIES_DIR": str(POLICIES), "TALLY_DEFAULT_RULEBOOK": "douyin-creator-2022", "TALLY_PROGRESS": "0"}
    start = time.perf_counter()
    with open(out, "wb") as handle:
        done = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, stdout=handle, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--journal", help="use this journal file instead of generating one")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tally-bench-audit-"))
    if args.journal:
        path = Path(args.journal)
    else:
        path = work / "journal.jsonl.gz"
        start = time.perf_counter()
        with gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) as handle:
            for event in journal(max(1, args.events // 25), 25)[: args.events]:
                handle.write(encode(event) + b"\n")
        print(f"generated {path} in {time.perf_counter() - start:.1f}s")
    with (gzip.open(path) if str(path).endswith(".gz") else open(path, "rb")) as handle:
        n = sum(1 for _ in handle)

    policy = yaml.safe_load((POLICIES / "douyin-creator-2022.yaml").read_text())
    policy["version"] = "2022.02-stricter"
    policy["catalogue"]["prohibited_goods"]["points"]["general"] = "6"
    policy["catalogue"]["false_advertising"]["points"].update({"minor": "2", "general": "3"})
    candidate = work / "candidate.yaml"
    candidate.write_text(yaml.safe_dump(policy, allow_unicode=True))

    commands = work / "commands.jsonl"
    replay_s, _ = tally("replay", "--trusted", str(path), out=commands)
    verify_s, verify_rc = tally("audit", "verify", "--journal", str(path), "--trusted", "--penalties", str(commands), out=work / "verify.txt")
    simulate_s, _ = tally("simulate", "--policy", str(candidate), "--trusted", str(path), out=work / "simulate.txt")
    lines = sum(1 for _ in open(commands, "rb"))
    print(f"journal {path} : {n:,} events; {lines:,} commands")
    print(f"replay   {replay_s:7.1f}s  {n / replay_s:>9,.0f} events/s")
    print(f"verify   {verify_s:7.1f}s  {n / verify_s:>9,.0f} events/s   {verify_s / replay_s:.2f}x replay   (exit {verify_rc}: {(work / 'verify.txt').read_text().splitlines()[1]})")
    print(f"simulate {simulate_s:7.1f}s  {n / simulate_s:>9,.0f} events/s   {simulate_s / replay_s:.2f}x replay   ({(work / 'simulate.txt').read_text().splitlines()[1]})")


if __name__ == "__main__":
    main()
