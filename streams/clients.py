"""Plain Kafka clients (kafka-python) for the CLI and the tests: publish signed events, read topics.

Not used by the worker, which talks to Kafka through Faust.
"""

from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams.connection import Broker, kafka_python_options
from streams.settings import Settings
from streams.signing import signed_headers


def producer(settings: Settings) -> KafkaProducer:
    # Batched: Tally's readers go by fetch high watermarks, right on tansu even for multi-record batches.
    return KafkaProducer(linger_ms=0, batch_size=max(1, settings.producer_max_batch_size), acks="all", **kafka_python_options(settings))


def creator_key(value: bytes) -> bytes | None:
    """The Kafka key of an event: its creator id, when the value is an object with one."""
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    creator = parsed.get("creator_id") if isinstance(parsed, dict) else None
    return creator.encode() if isinstance(creator, str) else None


def event_type(value: bytes) -> str | None:
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    kind = parsed.get("type") if isinstance(parsed, dict) else None
    return kind if isinstance(kind, str) else None


def publish_signed(prod: KafkaProducer, topic: str, value: bytes, source: str, key: bytes) -> None:
    """Send one value as `source`, signed with `key`; returns when the broker acknowledged it."""
    prod.send(topic, key=creator_key(value), value=value, headers=signed_headers(source, key, value)).get(timeout=30)


def read_topic(settings: Settings, topic: str, *, follow: bool = False, idle_ms: int = 2000) -> Iterator[Any]:
    """Every record of every partition of `topic` from the beginning (no consumer group). Without `follow`,
    stops when nothing new has arrived for `idle_ms`."""
    consumer = KafkaConsumer(
        enable_auto_commit=False, auto_offset_reset="earliest", consumer_timeout_ms=float("inf") if follow else idle_ms,
        fetch_max_wait_ms=50, **kafka_python_options(settings),
    )
    try:
        partitions = None
        for _ in range(50):
            partitions = consumer.partitions_for_topic(topic)
            if partitions:
                break
            import time

            time.sleep(0.1)
        if not partitions:
            return
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        yield from consumer
    finally:
        consumer.close()


def read_values(settings: Broker, topic: str) -> list[bytes]:
    """Every value in `topic` up to its end offsets as of the call, partitions in ascending order, each in offset
    order (streams.journal_reader.TopicReader); [] if there is no such topic."""
    from streams.journal_reader import TopicNotFound, TopicReader

    try:
        with TopicReader(settings, topic) as reader:
            return [record.value for record in reader]
    except TopicNotFound:
        return []


def publish_lines(prod: KafkaProducer, settings: Settings, lines: Iterable[bytes], topic: str | None, source: str | None,
                  allow_unsigned: bool = False) -> int:
    """Publish each non-blank line as is, signed as `source` (default: the line's own source). A line whose source has
    no key is an error, or with `allow_unsigned` is sent unsigned (the worker will dead-letter it)."""
    count = 0
    for line in lines:
        line = line.strip()
        if not line:
            continue
        signer = source or _own_source(line)
        key = settings.key_for(signer) if isinstance(signer, str) else None
        target = topic or settings.topic_for(event_type(line) or "")
        if key is not None:
            publish_signed(prod, target, line, signer, key)
        elif allow_unsigned:
            prod.send(target, key=creator_key(line), value=line).get(timeout=30)
        else:
            raise SystemExit(f"no key for source {signer!r}: set TALLY_SOURCE_KEYS")
        count += 1
    return count


def _own_source(value: bytes) -> str | None:
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return parsed.get("source") if isinstance(parsed, dict) else None
