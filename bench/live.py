"""Live benchmark: events per second through one Tally worker, next to a plain aiokafka read of the same records.

    .venv/bin/python bench/live.py [--events 20000] [--creators 2000] [--partitions 4] [--via intake|journal]

Makes a synthetic year (bench/synthetic_journal.py) and, on an embedded tansu broker:
- `--via intake` (the default): publishes it signed to the input topics, routed by type as a detector, the appeal desk
  and the exam service would (the scheduler's own events are left out: the worker's scheduler makes those), then
  starts `tally worker` and measures, from the moment it answers /health, until every input record is journaled and
  every journal record folded: intake (verify, decode, align), journal, fold, commands acknowledged, states recorded;
- `--via journal`: publishes it to the journal topic and measures the fold alone.
The ceiling printed beside it: a plain aiokafka read of the same records. Timings are printed, never asserted.
Startup and latency: `python -m streams.bench_startup`; side by side with other stream processors: bench/side_by_side.py.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from streams.broker import EmbeddedBroker, free_port  # noqa: E402
from streams.clients import producer  # noqa: E402
from streams.journal_admin import _ensure_topic, publish_dicts  # noqa: E402
from streams.journal_reader import TopicReader  # noqa: E402
from streams.process import WorkerProcess  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.signing import signed_headers  # noqa: E402
from schemas.codec import encode  # noqa: E402
from synthetic_journal import journal  # noqa: E402

SOURCE_KEYS = {"detector-a": "bench-detector", "appeal-desk": "bench-desk", "exam-service": "bench-exams"}


def bench_settings(bootstrap: str, tmp: Path, partitions: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        broker_url=f"kafka://{bootstrap}", app_id="tally-bench", partitions=partitions, data_dir=str(tmp / "data"),
        web_port=free_port(), session_timeout=3.0, clock_file=str(tmp / "no-clock"), source_keys=SOURCE_KEYS,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


def publish_inputs(settings: Settings, events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Signed, each to its input topic; returns (topic, count) per topic. Batched: sent together, then flushed."""
    import asyncio

    for topic in settings.input_topics:
        asyncio.run(_ensure_topic(settings, topic, settings.partitions))
    counts: dict[str, int] = {}
    prod = producer(settings)
    try:
        for event in events:
            value = encode(event)
            topic = settings.topic_for(event["type"])
            prod.send(topic, key=event["creator_id"].encode(), value=value,
                      headers=signed_headers(event["source"], SOURCE_KEYS[event["source"]].encode(), value))
            counts[topic] = counts.get(topic, 0) + 1
        prod.flush()
    finally:
        prod.close()
    return sorted(counts.items())


def read_rate(settings: Settings, topics: list[str]) -> tuple[int, float]:
    """Records in `topics` and a plain aiokafka read's rate over them (no decoding)."""
    started, read = time.perf_counter(), 0
    for topic in topics:
        with TopicReader(settings, topic) as reader:
            read += sum(1 for _ in reader)
    return read, read / (time.perf_counter() - started)


def through(counts: dict) -> tuple[int, int, int]:
    """From a worker's counts: (input records taken, journal records the fold has received, journal records there are
    to fold). `fold_received` is the worker's own sum of every way a journal record ends (folded, duplicate, refused,
    held, skipped, redelivered); the journal holds what intake journaled and the deadlines the scheduler published."""
    return sum(counts["intake_received"].values()), counts["fold_received"], sum(counts["journaled"].values()) + sum(counts["deadlines"].values())


def run_worker(settings: Settings, log_path: str, expected: int, via: str) -> tuple[float, dict]:
    """Seconds from /health answering until everything is through, and the worker's counts."""
    worker = WorkerProcess(settings, log_path).start()
    try:
        worker.ready(timeout=120)
        started = time.perf_counter()
        while True:
            counts = worker.counts()
            received, folded, to_fold = through(counts)
            done = folded >= expected if via == "journal" else (received >= expected and folded >= to_fold)
            if done:
                return time.perf_counter() - started, counts
            time.sleep(0.25)  # /health is not free: poll gently
    finally:
        worker.stop()


def tally_rate(bootstrap: str, events: list[dict[str, Any]], partitions: int, tmp: Path, via: str = "intake") -> dict[str, Any]:
    """One Tally worker's events/s over `events`, and the plain read rate of the same records."""
    tmp.mkdir(parents=True, exist_ok=True)
    settings = bench_settings(bootstrap, tmp, partitions)
    if via == "journal":
        publish_dicts(settings, settings.topic_journal, events, partitions=partitions, batched=True)
        topics = [settings.topic_journal]
    else:
        events = [e for e in events if e["source"] in SOURCE_KEYS]
        topics = [topic for topic, _ in publish_inputs(settings, events)]
    read, raw_rate = read_rate(settings, topics)
    seconds, counts = run_worker(settings, str(tmp / "worker.log"), len(events), via)
    return {"events": len(events), "seconds": seconds, "events_per_s": len(events) / seconds, "read": read,
            "raw_read_per_s": raw_rate, "counts": counts, "log": str(tmp / "worker.log")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--creators", type=int, default=2_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--via", choices=("intake", "journal"), default="intake")
    args = parser.parse_args()
    events = journal(args.creators, max(1, args.events // args.creators))
    tmp = Path(tempfile.mkdtemp(prefix="tally-bench-live-"))
    with EmbeddedBroker(log_path=str(tmp / "tansu.log")) as broker:
        result = tally_rate(broker.bootstrap, events, args.partitions, tmp, args.via)
    counts = result["counts"]
    commands = sum(counts["commands"].values())
    print(f"{result['events']:,} events over {args.creators:,} creators, {args.partitions} partitions, via {args.via}")
    print(f"plain aiokafka read         {result['raw_read_per_s']:>10,.0f} records/s")
    print(f"one Tally worker            {result['events_per_s']:>10,.0f} events/s  ({commands:,} commands acknowledged; "
          f"{result['events_per_s'] / result['raw_read_per_s']:.4f} of the read rate)")
    print(f"journaled {sum(counts['journaled'].values()):,}, folded {counts['folded']:,}, held {counts['held']:,}, "
          f"duplicates {counts['duplicates']:,}, rejected {dict(counts['rejected'])}, dead letters {dict(counts['deadlettered'])}; "
          f"worker log {result['log']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
