"""Benchmark: raw aiokafka read rate of the journal topic vs `tally replay --from-kafka` fold rate, same run.

    .venv/bin/python bench/replay_kafka.py [--events 300000] [--partitions 3]

Publishes a synthetic journal (bench/synthetic_journal.py) to an embedded tansu broker, then
1. reads every record of the topic with the journal reader (aiokafka, no decoding): the ceiling;
2. runs `tally replay --from-kafka` as a user would (a subprocess, commands to a file): the fold rate;
3. runs `tally replay --from-kafka --jobs N` (the partitions over N processes) and checks its bytes;
4. replays the `tally export` of the topic from a file and checks the bytes are identical.
Timings are printed, never asserted.
"""

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from streams.broker import EmbeddedBroker  # noqa: E402
from streams.journal_admin import publish_dicts  # noqa: E402
from streams.journal_reader import TopicReader  # noqa: E402
from synthetic_journal import journal  # noqa: E402

POLICIES = ROOT / "tests" / "audit" / "fixtures" / "policies"


def tally(*args: str, out: Path) -> float:
    env = {**os.environ, "TALLY_POLICIES_DIR": str(POLICIES), "TALLY_DEFAULT_RULEBOOK": "douyin-creator-2022", "TALLY_PROGRESS": "0"}
    start = time.perf_counter()
    with open(out, "wb") as handle:
        subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, stdout=handle, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - start


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the parallel replay (default %(default)s)")
    args = parser.parse_args()
    events = journal(max(1, args.events // 25), 25)[: args.events]
    n = len(events)
    work = Path(tempfile.mkdtemp(prefix="tally-bench-"))
    with EmbeddedBroker(log_path=str(work / "tansu.log")) as broker:
        start = time.perf_counter()
        publish_dicts(broker.bootstrap, "creator.journal", events, partitions=args.partitions, batched=True)
        publish_s = time.perf_counter() - start
        del events

        start = time.perf_counter()
        with TopicReader(broker.bootstrap, "creator.journal") as reader:
            raw = sum(1 for _ in reader)
        raw_s = time.perf_counter() - start

        replay_s = tally("replay", "--from-kafka", "--bootstrap", broker.bootstrap, out=work / "kafka.jsonl")
        jobs_s = tally("replay", "--from-kafka", "--bootstrap", broker.bootstrap, "--jobs", str(args.jobs), out=work / "jobs.jsonl")
        tally("export", "--topic", "journal", "--out", str(work / "journal.jsonl.gz"), "--bootstrap", broker.bootstrap, out=work / "export.log")
    file_s = tally("replay", "--trusted", str(work / "journal.jsonl.gz"), out=work / "file.jsonl")

    same = digest(work / "kafka.jsonl") == digest(work / "file.jsonl")
    print(f"events                      {n:>10,}  ({args.partitions} partitions; published in {publish_s:.1f}s)")
    print(f"raw aiokafka read           {raw / raw_s:>10,.0f} records/s  ({raw:,} in {raw_s:.2f}s)")
    print(f"tally replay --from-kafka   {n / replay_s:>10,.0f} events/s   ({replay_s:.2f}s, process start included)")
    print(f"  ... --jobs {args.jobs}               {n / jobs_s:>10,.0f} events/s   ({jobs_s:.2f}s: {replay_s / jobs_s:.2f}x --jobs 1, "
          f"{'identical bytes' if digest(work / 'jobs.jsonl') == digest(work / 'kafka.jsonl') else 'OUTPUTS DIFFER'})")
    print(f"tally replay --trusted FILE {n / file_s:>10,.0f} events/s   ({file_s:.2f}s, the export of the same topic)")
    print(f"replay time / raw read time {replay_s / raw_s:>10.1f}x       (the fold, not Kafka, is the bottleneck when > 1)")
    print(f"same bytes kafka vs file    {same}  (sha256 {digest(work / 'kafka.jsonl')})")


if __name__ == "__main__":
    main()
