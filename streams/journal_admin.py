"""Writing records into a topic the way the contract says: key = creator id (utf-8), value = canonical JSON.

Used by `tally migrate --publish` (admin events into the journal), and by the audit tests and
benchmarks to stand in for the live workers. One record per produce batch: tansu reports end
offsets correctly only then (BRIEF), and the audit readers stop at the end offsets.
"""

import asyncio
from typing import Any, Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.partitioner import DefaultPartitioner

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
    # max_batch_size below one record's size: every batch holds exactly one record.
    single = AIOKafkaProducer(**aiokafka_options(broker), linger_ms=0, max_batch_size=64, acks="all", enable_idempotence=False)
    bulk = AIOKafkaProducer(**aiokafka_options(broker), linger_ms=20, max_batch_size=512 * 1024, acks="all", enable_idempotence=False) if batched else None
    await single.start()
    if bulk:
        await bulk.start()
    try:
        records = list(records)
        futures = []
        if bulk:
            # Fast: multi-record batches for all but each partition's last record, which goes alone,
            # so that tansu's end offset (last batch's base offset + 1) is the true end.
            numbers = sorted(await bulk.partitions_for(topic))
            chosen = [DefaultPartitioner()(key, numbers, numbers) for key, _ in records]
            last = {p: i for i, p in enumerate(chosen)}
            alone = set(last.values())
            futures = [await bulk.send(topic, key=k, value=v, partition=p) if i not in alone else None for i, ((k, v), p) in enumerate(zip(records, chosen))]
            await bulk.flush()
            for i in sorted(alone):
                futures[i] = await single.send(topic, key=records[i][0], value=records[i][1], partition=chosen[i])
        else:
            futures = [await single.send(topic, key=key, value=value) for key, value in records]
        await single.flush()
        placed = [await future for future in futures]
    finally:
        await single.stop()
        if bulk:
            await bulk.stop()
    return [(meta.partition, meta.offset) for meta in placed]


def publish(broker: Broker, topic: str, records: Iterable[tuple[bytes, bytes]], partitions: int | None = None, batched: bool = False) -> list[tuple[int, int]]:
    """Produce (key, value) records in order; returns (partition, offset) of each.
    With `partitions`, the topic is created with that many partitions if it does not exist.
    `batched`: much faster (benchmarks), multi-record batches except each partition's last record."""
    return asyncio.run(_publish(broker, topic, records, partitions, batched))


def publish_dicts(broker: Broker, topic: str, objects: Iterable[dict[str, Any]], partitions: int | None = None, batched: bool = False) -> list[tuple[int, int]]:
    """Events or commands as the contract has them: key creator_id, value encode(object)."""
    return publish(broker, topic, ((obj["creator_id"].encode(), encode(obj)) for obj in objects), partitions, batched)
