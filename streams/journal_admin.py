"""Writing records into a topic the way the contract says: key = creator id (utf-8), value = canonical JSON.

Used by `tally migrate --publish` (admin events into the journal), and by the audit tests and
benchmarks to stand in for the live workers.
"""

import asyncio
from typing import Any, Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from schemas.codec import encode
from streams.connection import Broker, aiokafka_options


async def _ensure_topic(broker: Broker, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(**aiokafka_options(broker))
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def _publish(broker: Broker, topic: str, records: Iterable[tuple[bytes, bytes]], partitions: int | None, batched: bool) -> list[tuple[int, int]]:
    if partitions:
        await _ensure_topic(broker, topic, partitions)
    # Batched: multi-record batches (readers take end offsets from fetches, right on tansu too). Otherwise
    # max_batch_size is below one record's size: every batch holds exactly one record.
    producer = AIOKafkaProducer(**aiokafka_options(broker), linger_ms=20 if batched else 0, max_batch_size=512 * 1024 if batched else 64,
                                acks="all", enable_idempotence=False)
    await producer.start()
    try:
        futures = [await producer.send(topic, key=key, value=value) for key, value in records]
        await producer.flush()
        placed = [await future for future in futures]
    finally:
        await producer.stop()
    return [(meta.partition, meta.offset) for meta in placed]


def publish(broker: Broker, topic: str, records: Iterable[tuple[bytes, bytes]], partitions: int | None = None, batched: bool = False) -> list[tuple[int, int]]:
    """Produce (key, value) records in order; returns (partition, offset) of each.
    With `partitions`, the topic is created with that many partitions if it does not exist.
    `batched`: much faster (benchmarks), multi-record batches."""
    return asyncio.run(_publish(broker, topic, records, partitions, batched))


def publish_dicts(broker: Broker, topic: str, objects: Iterable[dict[str, Any]], partitions: int | None = None, batched: bool = False) -> list[tuple[int, int]]:
    """Events or commands as the contract has them: key creator_id, value encode(object)."""
    return publish(broker, topic, ((obj["creator_id"].encode(), encode(obj)) for obj in objects), partitions, batched)
