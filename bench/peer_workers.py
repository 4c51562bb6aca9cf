"""The worker side of bench/peers.py: each peer runs alone in its own process, started by peers.py as

    .venv/bin/python bench/peer_workers.py KIND 'JSON-SPEC'      KIND: raw | faust | quix | round_trip

and writes one line `PEER_RESULT {json}` to file descriptor 1 when it has its figures (logs go to stderr; Faust's
level: PEER_LOGLEVEL, default WARNING).
Times are `time.perf_counter()` in the worker itself. Throughput counts from the first record processed (a group's
first join on tansu takes about half the session timeout), and ends when the worker has processed its n-th record:
no end offsets (tansu under-reports them after multi-record batches).
"""

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STARTED = time.perf_counter()
RESULT_PREFIX = "PEER_RESULT "
FETCH_WAIT_MS = 5
"""Every consumer's fetch wait: tansu holds a fetch for the whole wait even when records are waiting."""


def emit(result: dict[str, Any]) -> None:
    """The result line, straight to fd 1 (Faust's worker redirects sys.stdout to its logger)."""
    os.write(1, (RESULT_PREFIX + json.dumps(result) + "\n").encode())


def fold(state: dict | None, event: dict) -> tuple[dict, dict]:
    """The same simple fold for every peer: (new per-creator state, the command to send)."""
    state = dict(state) if state else {"events": 0, "violations": 0, "score": 12}
    state["events"] += 1
    if event["type"] == "violation_recorded":
        state["violations"] += 1
    state["score"] = max(0, 12 - state["violations"])
    return state, {"creator_id": event["creator_id"], "event_id": event.get("event_id"), "score": state["score"]}


class Clock:
    """Counts processed records; stamps the first and the n-th."""

    def __init__(self, n: int):
        self.n, self.count = n, 0
        self.first = self.last = 0.0

    def tick(self) -> bool:
        """One more record processed; True at the n-th."""
        self.count += 1
        if self.count == 1:
            self.first = time.perf_counter()
        if self.count == self.n:
            self.last = time.perf_counter()
            return True
        return False

    def result(self, done: float | None = None, **extra: Any) -> dict[str, Any]:
        """`done`: when the outputs were acknowledged too (default: the n-th record processed)."""
        done = done or self.last
        return {"events": self.count, "startup_s": round(self.first - STARTED, 3), "seconds": round(done - self.first, 4),
                "events_per_s": self.n / (done - self.first), "processed_per_s": self.n / (self.last - self.first), **extra}


# 1. Raw read ---------------------------------------------------------------------------------------------------------

async def raw_read(bootstrap: str, topic: str, n: int) -> dict[str, Any]:
    """No group: assign every partition, seek to the beginning, count records without decoding them. Timed from the
    first fetch request (there is no group join to leave out) to the n-th record."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=FETCH_WAIT_MS)
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic)
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        begin, count = time.perf_counter(), 0
        while count < n:
            batches = await consumer.getmany(timeout_ms=1000)
            count += sum(len(records) for records in batches.values())
        seconds = time.perf_counter() - begin
    finally:
        await consumer.stop()
    return {"events": count, "seconds": round(seconds, 4), "events_per_s": n / seconds}


async def _partitions(consumer, topic: str) -> list[int]:
    for _ in range(50):
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return sorted(partitions)
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no partitions for {topic}")


# 2. Bare Faust -------------------------------------------------------------------------------------------------------

def faust_worker(bootstrap: str, topic: str, n: int, partitions: int, workdir: str, app_id: str, out_topic: str) -> None:
    """A bare faust.App: memory store, Faust's default producer settings, Tally's LowLatencyTransport only for the
    fetch wait (Faust hard-codes 1500 ms). One agent, concurrency 1: decode, fold into a Table (assigned back),
    `await out_topic.send(...)`. At the n-th record: flush the producer (outputs and changelog acknowledged), emit.
    The driver stops the process once it has the result."""
    import faust

    from streams.transport import LowLatencyTransport
    from streams.worker import Worker  # Faust's, without the spinner that sets the root logger to DEBUG

    class BareApp(faust.App):
        fetch_max_wait_ms = FETCH_WAIT_MS  # read by LowLatencyConsumer

        def _new_transport(self):  # type: ignore[override]  # as TallyApp does (streams/app.py)
            return LowLatencyTransport(self.conf.broker_consumer, self)

    datadir = Path(workdir) / "faust"
    datadir.mkdir(parents=True, exist_ok=True)
    app = BareApp(app_id, broker=f"kafka://{bootstrap}", store="memory://", datadir=str(datadir),
                  autodiscover=False, broker_session_timeout=3, broker_heartbeat_interval=1, topic_partitions=partitions,
                  consumer_auto_offset_reset="earliest", web_enabled=False)
    raw = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
    source = app.topic(topic, partitions=partitions, **raw)
    out = app.topic(out_topic, partitions=partitions, **raw)
    table = app.Table("states", default=None, partitions=partitions, key_type=bytes,
                      schema=faust.Schema(key_type=bytes, key_serializer="raw", value_serializer="json"))
    clock = Clock(n)

    @app.agent(source, concurrency=1)
    async def fold_agent(stream):
        async for key, value in stream.items():
            state, command = fold(table.get(key), orjson.loads(value))
            table[key] = state
            await out.send(key=key, value=orjson.dumps(command))
            if clock.tick():
                await app.producer.flush()
                done = time.perf_counter()
                emit(clock.result(done, flushed_s=round(done - clock.last, 4)))

    Worker(app, loglevel=os.environ.get("PEER_LOGLEVEL", "WARNING"), quiet=True, redirect_stdouts=False).execute_from_commandline()


# 3. Quix Streams -----------------------------------------------------------------------------------------------------

def quix_worker(bootstrap: str, topic: str, n: int, partitions: int, workdir: str, group: str, out_topic: str) -> None:
    """Quix Streams with its defaults (RocksDB state, changelog on, at-least-once), the fetch wait and session timeout
    lowered for tansu. `apply(stateful=True)`: decode, fold, `state.set`; `to_topic` sends the command. At the n-th
    record the app stops; its final checkpoint (outputs and changelog flushed, offsets committed) ends the time."""
    from quixstreams import Application, State
    from quixstreams.models import TopicConfig

    app = Application(
        broker_address=bootstrap, consumer_group=group, auto_offset_reset="earliest", state_dir=str(Path(workdir) / "quix-state"),
        consumer_extra_config={"fetch.wait.max.ms": FETCH_WAIT_MS, "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000},
        loglevel="WARNING", use_changelog_topics=True)
    config = TopicConfig(num_partitions=partitions, replication_factor=1)
    source = app.topic(topic, key_deserializer="bytes", value_deserializer="bytes", config=config)
    # tansu's DescribeConfigs returns only the configs a topic was created with, and Quix derives its changelog topics'
    # config from the source's "retention.ms" (KeyError without it): give it Kafka's default, as Kafka would report.
    source.broker_config.extra_config.setdefault("retention.ms", str(7 * 24 * 3600 * 1000))
    out = app.topic(out_topic, key_serializer="bytes", value_serializer="bytes", config=config)
    clock = Clock(n)

    def step(value: bytes, state: State) -> bytes:
        new, command = fold(state.get("state"), orjson.loads(value))
        state.set("state", new)
        if clock.tick():
            app.stop()
        return orjson.dumps(command)

    committed = _stamp_final_checkpoint(app)
    sdf = app.dataframe(source)
    sdf = sdf.apply(step, stateful=True)
    sdf.to_topic(out)
    app.run()
    done = committed[0] if committed else time.perf_counter()
    emit(clock.result(done, flushed_s=round(done - clock.last, 4)))


def _stamp_final_checkpoint(app) -> list[float]:
    """Times of forced checkpoint commits: the first is the one at stop (`Application._run_dataframe`), later ones come
    with the consumer's close. Wraps a private method: checked on quixstreams 3.28.1."""
    stamps: list[float] = []
    context = app._processing_context
    commit: Callable = context.commit_checkpoint

    def commit_checkpoint(*args, **kwargs):
        result = commit(*args, **kwargs)
        if kwargs.get("force"):
            stamps.append(time.perf_counter())
        return result

    context.commit_checkpoint = commit_checkpoint
    return stamps


# 4. Round trip -------------------------------------------------------------------------------------------------------

async def round_trip(bootstrap: str, topic: str, rate: float, seconds: float) -> dict[str, Any]:
    """One producer (linger 0) and one assigned consumer in this process: produce `rate` records/s, each carrying its
    send time; latency = received - sent. One warm-up record first (metadata, connections), left out."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks=1)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=FETCH_WAIT_MS)
    await producer.start()
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
        consumer.assign(assigned)
        await consumer.seek_to_end()
        for tp in assigned:
            await consumer.position(tp)  # resolve the end now, before anything is sent
        latencies: list[float] = []
        total = int(rate * seconds)
        reader = asyncio.ensure_future(_receive(consumer, latencies, total))
        await (await producer.send(topic, orjson.dumps({"sent": time.perf_counter(), "warmup": True})))
        begin = time.perf_counter()
        for i in range(total):
            await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
            await producer.send(topic, orjson.dumps({"sent": time.perf_counter()}))
        await asyncio.wait_for(reader, timeout=30)
    finally:
        await producer.stop()
        await consumer.stop()
    return _percentiles(latencies)


async def _receive(consumer, latencies: list[float], total: int) -> None:
    while len(latencies) < total:
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            now = time.perf_counter()
            for record in records:
                sent = orjson.loads(record.value)
                if "warmup" not in sent:
                    latencies.append((now - sent["sent"]) * 1000)


def _percentiles(latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(latencies)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"count": len(ordered), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": round(ordered[-1], 2)}


# ---------------------------------------------------------------------------------------------------------------------

def main(argv: list[str]) -> None:
    kind, spec = argv[0], json.loads(argv[1])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if kind == "raw":
        emit(asyncio.run(raw_read(**spec)))
    elif kind == "round_trip":
        emit(asyncio.run(round_trip(**spec)))
    elif kind == "faust":
        sys.argv = [sys.argv[0]]  # Faust's worker parses the command line
        faust_worker(**spec)
    elif kind == "quix":
        quix_worker(**spec)
    else:
        raise SystemExit(f"unknown peer {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
