"""Multi-record batches on a real broker: Tally's readers read them to the end, although tansu answers ListOffsets
with the last batch's base offset + 1. (Table recovery from a changelog written in batches: test_catch_up.py.)"""

import asyncio
import uuid

from aiokafka import AIOKafkaProducer

from streams.clients import read_values
from streams.journal_admin import _ensure_topic
from streams.journal_reader import TopicReader


async def produce(bootstrap: str, records: dict[str, int]) -> None:
    """Send `count` records to partition 0 of each topic, all handed to the producer before any is sent."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=50, max_batch_size=64 * 1024, acks="all")
    await producer.start()
    try:
        futures = [await producer.send(topic, b"%d" % i, key=b"k", partition=0) for topic, count in records.items() for i in range(count)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def test_readers_read_multi_record_batches_to_the_end(broker):
    topic = f"batched-{uuid.uuid4().hex[:8]}"
    asyncio.run(_ensure_topic(broker, topic, 1))
    asyncio.run(produce(broker, {topic: 40}))
    with TopicReader(broker, topic) as reader:
        assert reader.total == 40
        assert [record.value for record in reader] == [b"%d" % i for i in range(40)]
    assert len(read_values(broker, topic)) == 40

