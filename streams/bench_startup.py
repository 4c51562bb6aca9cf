"""Measure a worker's startup on an empty embedded broker: launch -> /health ready, launch -> first command.

    python -m streams.bench_startup [--runs 3] [--session-timeout 6]

One signed violation is published right after launch; the clock stops when its first
penalty command is on the penalties topic. Prints one line per run and the median.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import orjson
from kafka import KafkaConsumer

from streams.broker import EmbeddedBroker, free_port
from streams.clients import producer, publish_signed
from streams.connection import kafka_python_options
from streams.process import WorkerProcess
from streams.settings import Settings


def latency(settings: Settings, events: int, rate: float) -> list[float]:
    """Publish `events` violations (one per creator) at `rate`/s; seconds from publish to the first command of each."""
    import threading

    seen: dict[str, float] = {}
    consumer = KafkaConsumer(settings.topic_penalties, **kafka_python_options(settings), auto_offset_reset="latest",
                             fetch_max_wait_ms=5, consumer_timeout_ms=30_000)
    consumer.poll(timeout_ms=1000)  # join: assignment before publishing

    def collect():
        for record in consumer:
            seen.setdefault(orjson.loads(record.value)["creator_id"], time.monotonic())
            if len(seen) >= events:
                break

    reader = threading.Thread(target=collect)
    reader.start()
    prod = producer(settings)
    sent: dict[str, float] = {}
    for n in range(events):
        creator = f"lat-{n}"
        value = orjson.dumps({"event_id": f"lat-{n}", "creator_id": creator, "occurred_at": "2024-03-01T10:00:00+08:00", "source": "detector.bench",
                              "type": "violation_recorded", "violation_id": "v1", "code": "prohibited_goods", "severity": "general"})
        sent[creator] = time.monotonic()
        publish_signed(prod, settings.topic_violations, value, "detector.bench", b"k")
        time.sleep(max(0.0, sent[creator] + 1 / rate - time.monotonic()))
    reader.join()
    prod.close()
    consumer.close()
    return sorted(seen[c] - sent[c] for c in sent if c in seen)


def one_run(session_timeout: float, tmp: Path, events: int = 0, rate: float = 100.0, fetch_wait: int = 10) -> tuple[float, float]:
    (tmp / "now").write_text("2024-03-01T12:00:00Z")  # the events' own time: no deadline is due during the run
    with EmbeddedBroker(log_path=str(tmp / "tansu.log")) as broker:
        settings = Settings(_env_file=None, broker_url=f"kafka://{broker.bootstrap}", web_port=free_port(), data_dir=str(tmp / "data"),
                            source_keys={"detector.bench": "k"}, clock_file=str(tmp / "now"), fetch_max_wait_ms=fetch_wait, session_timeout=session_timeout, log_level="INFO")
        worker = WorkerProcess(settings, log_path=str(tmp / "worker.log")).start()
        try:
            prod = producer(settings)
            value = orjson.dumps({"event_id": "e1", "creator_id": "c1", "occurred_at": "2024-03-01T10:00:00+08:00", "source": "detector.bench",
                                  "type": "violation_recorded", "violation_id": "v1", "code": "prohibited_goods", "severity": "general"})
            publish_signed(prod, settings.topic_violations, value, "detector.bench", b"k")
            prod.close()
            consumer = KafkaConsumer(settings.topic_penalties, bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest",
                                     fetch_max_wait_ms=5, consumer_timeout_ms=120_000)
            next(iter(consumer))
            first = time.monotonic() - worker.launched_at
            consumer.close()
            ready = worker.ready()
            if events:
                lat = latency(settings, events, rate)
                q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
                fold_lines = [l for l in worker.get("/metrics")[1].splitlines() if l.startswith("tally_fold_seconds")]
                print("worker fold_seconds:", "; ".join(fold_lines))
                print(f"publish -> first command, {len(lat)}/{events} events at {rate:g}/s: p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms")
            return ready, first
        finally:
            worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-events", type=int, default=0, help="then publish this many events and report publish->command latency")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--fetch-wait", type=int, default=Settings.model_fields["fetch_max_wait_ms"].default, help="fetch_max_wait_ms")
    parser.add_argument("--session-timeout", type=float, default=Settings.model_fields["session_timeout"].default)
    args = parser.parse_args()
    firsts = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            ready, first = one_run(args.session_timeout, Path(tmp), args.latency_events, args.rate, args.fetch_wait)
        firsts.append(first)
        print(f"run {run + 1}: ready {ready:.2f} s (measured after the first command), first command {first:.2f} s after launch")
    print(f"median launch -> first command: {statistics.median(firsts):.2f} s (session_timeout {args.session_timeout} s)")


if __name__ == "__main__":
    main()
