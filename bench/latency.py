"""Latency: publish-to-command through one Tally worker, beside a plain aiokafka produce-to-consume round trip, both
measured in the same run on the same embedded tansu broker.

    .venv/bin/python bench/latency.py [--rate 200] [--seconds 20]

1. The baseline: one aiokafka producer and one aiokafka consumer (fetch_max_wait_ms 5) on a plain topic, at `--rate`
   messages/s (bench/peers.py raw_round_trip).
2. Tally: a worker is started and, once ready, signed violations (one per creator, each sends a penalty command)
   are published to the violations topic at `--rate`/s; an aiokafka consumer on the penalties topic stamps the first
   command of each creator. The path is three hops (input -> intake -> journal -> fold -> command), each a fetch.
Prints p50, p99 and max of both and the ratio of the p99s. Printed, never asserted.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import orjson  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402

from live import SOURCE_KEYS, bench_settings  # noqa: E402
from peers import raw_round_trip  # noqa: E402
from streams.broker import EmbeddedBroker  # noqa: E402
from streams.journal_admin import _ensure_topic  # noqa: E402
from streams.process import WorkerProcess  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.signing import signed_headers  # noqa: E402

SOURCE = "detector-a"


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50": statistics.median(ordered), "p99": at(0.99), "max": ordered[-1]}


async def publish_to_command(settings: Settings, rate: float, seconds: float, via: str) -> list[float]:
    """Milliseconds from handing each violation to the producer to reading its creator's first command. `via`
    "journal": straight onto the journal topic (the fold alone), unsigned."""
    count = int(rate * seconds)
    consumer = AIOKafkaConsumer(settings.topic_penalties, bootstrap_servers=settings.bootstrap, group_id=None,
                                auto_offset_reset="latest", fetch_max_wait_ms=5)
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, linger_ms=0, acks="all")
    await consumer.start()
    await producer.start()
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    try:
        await consumer.getmany(timeout_ms=500)  # position at the end before publishing

        async def collect() -> None:
            while len(seen) < count:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    now = time.perf_counter()
                    for record in records:
                        seen.setdefault(orjson.loads(record.value)["creator_id"], now)

        collector = asyncio.create_task(collect())
        start = time.perf_counter()
        for n in range(count):
            creator = f"lat-{n}"
            value = orjson.dumps({"event_id": f"lat-{n}", "creator_id": creator, "occurred_at": "2024-03-01T10:00:00+08:00",
                                  "source": SOURCE, "schema_version": 3, "type": "violation_recorded", "violation_id": "v1",
                                  "code": "prohibited_goods", "severity": "general"})
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            sent[creator] = time.perf_counter()
            if via == "journal":
                await producer.send(settings.topic_journal, value, key=creator.encode())
            else:
                await producer.send(settings.topic_violations, value, key=creator.encode(),
                                    headers=signed_headers(SOURCE, SOURCE_KEYS[SOURCE].encode(), value))
        try:
            await asyncio.wait_for(collector, timeout=60)
        except asyncio.TimeoutError:
            print(f"only {len(seen)} of {count} commands seen within 60 s after the last publish", file=sys.stderr)
    finally:
        await producer.stop()
        await consumer.stop()
    return [(seen[c] - sent[c]) * 1000 for c in sent if c in seen]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--via", choices=("intake", "journal"), default="intake", help="journal: publish onto the journal (the fold alone)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tally-bench-latency-"))
    (tmp / "now").write_text("2024-03-01T12:00:00Z")  # the events' own time: no deadline falls due during the run
    with EmbeddedBroker(log_path=str(tmp / "tansu.log")) as broker:
        raw = raw_round_trip(broker.bootstrap, "latency-baseline", rate=args.rate, seconds=args.seconds, workdir=str(tmp))
        settings = bench_settings(broker.bootstrap, tmp, partitions=4, clock_file=str(tmp / "now"))
        for topic in (*settings.input_topics, settings.topic_journal):
            asyncio.run(_ensure_topic(settings, topic, settings.partitions))
        worker = WorkerProcess(settings, str(tmp / "worker.log")).start()
        try:
            worker.ready(timeout=120)
            tally = percentiles(asyncio.run(publish_to_command(settings, args.rate, args.seconds, args.via)))
        finally:
            worker.stop()
    print(f"at {args.rate:g} messages/s for {args.seconds:g} s, embedded tansu:")
    print(f"  plain aiokafka produce -> consume   p50 {raw['p50_ms']:6.1f} ms  p99 {raw['p99_ms']:6.1f} ms  max {raw['max_ms']:6.1f} ms")
    print(f"  Tally publish -> penalty command ({args.via})     p50 {tally['p50']:6.1f} ms  p99 {tally['p99']:6.1f} ms  max {tally['max']:6.1f} ms "
          f"({tally['n']} events)")
    print(f"  p99 ratio {tally['p99'] / raw['p99_ms']:.2f} (target: at most 2)")
    print(f"worker log {tmp / 'worker.log'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
