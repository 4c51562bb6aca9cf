"""Live benchmark: events folded per second by one worker, next to a plain aiokafka read of the same topic.

    .venv/bin/python bench/live.py [--events 20000] [--creators 2000] [--partitions 4]

Publishes a synthetic journal (bench/synthetic_journal.py) to an embedded tansu broker, then
1. reads every record of the journal topic with aiokafka (no decoding): the ceiling;
2. starts `tally worker` and measures, from the moment it answers /health, how long it takes to fold
   the whole journal (folded + duplicates + rejected + held = records), commands acknowledged included.
Timings are printed, never asserted. Startup and latency: `python -m streams.bench_startup`.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from streams.broker import EmbeddedBroker, free_port  # noqa: E402
from streams.journal_admin import publish_dicts  # noqa: E402
from streams.journal_reader import TopicReader  # noqa: E402
from streams.process import WorkerProcess  # noqa: E402
from streams.settings import Settings  # noqa: E402
from synthetic_journal import journal  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--creators", type=int, default=2_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--producer-batch-bytes", type=int, default=1, help="1 is required on tansu for exact table recovery; Apache Kafka can batch")
    args = parser.parse_args()
    events = journal(args.creators, max(1, args.events // args.creators))
    tmp = Path(tempfile.mkdtemp(prefix="tally-bench-live-"))
    with EmbeddedBroker(log_path=str(tmp / "tansu.log")) as broker:
        settings = Settings(
            _env_file=None, broker_url=f"kafka://{broker.bootstrap}", app_id="tally-bench", partitions=args.partitions,
            data_dir=str(tmp / "data"), web_port=free_port(), session_timeout=3.0, clock_file=str(tmp / "no-clock"),
            producer_max_batch_size=args.producer_batch_bytes,
        )
        publish_dicts(settings, settings.topic_journal, events, partitions=args.partitions, batched=True)
        print(f"journal: {len(events):,} events over {args.creators:,} creators, {args.partitions} partitions")

        started = time.perf_counter()
        with TopicReader(settings, settings.topic_journal) as reader:
            read = sum(1 for _ in reader)
        raw_seconds = time.perf_counter() - started

        worker = WorkerProcess(settings, str(tmp / "worker.log")).start()
        try:
            worker.ready(timeout=120)
            started = time.perf_counter()
            while True:
                counts = worker.counts()
                # Every journal record ends up folded, a duplicate, refused or held (held ones are counted as held until
                # resolved, then as folded or refused).
                done = counts["folded"] + counts["duplicates"] + sum(counts["rejected"].values()) + counts["held"] + counts["redelivered"]
                if done >= len(events):
                    break
                time.sleep(0.05)
            fold_seconds = time.perf_counter() - started
        finally:
            worker.stop()
    commands = sum(counts["commands"].values())
    print(f"plain aiokafka read         {read / raw_seconds:>10,.0f} records/s")
    print(f"one worker folds            {len(events) / fold_seconds:>10,.0f} events/s  ({commands:,} commands acknowledged; "
          f"{len(events) / fold_seconds / (read / raw_seconds):.3f} of the read rate)")
    print(f"folded {counts['folded']:,}, held {counts['held']:,}, duplicates {counts['duplicates']:,}, rejected {dict(counts['rejected'])}; worker log {tmp / 'worker.log'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
