"""Reading a whole topic once, in journal order: for `tally replay --from-kafka`, export and the audits.

Journal order (the one order every audit tool uses, from Kafka or from an export file):
partitions in ascending number, and within a partition, offsets in ascending order.
Creators are partition-local (the key is the creator id), so each creator's events keep the
order the intake appended them; the order *across* creators is fixed by this rule and does not
depend on timing. `tally export` writes records in exactly this order, so replaying the export
file gives the same bytes as replaying the topic.

How far: the end offsets are taken once, at start; records appended later are not read.
No consumer group, nothing committed: an audit leaves no trace on the cluster.

The end offsets are the high watermarks of fetch responses, not ListOffsets' answers: when one
produce batch carries several records, tansu answers ListOffsets with the last batch's base
offset + 1 (BRIEF), which would stop a read short, while its fetch responses carry the true high
watermark. `drain=True` also reads what is appended after the snapshot, until the partition stays
idle for `idle_ms`.
"""

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import TopicPartition

from schemas.codec import Rejection, read_trusted
from streams.connection import Broker, aiokafka_options, bootstrap_of



class TopicNotFound(RuntimeError):
    pass


class BrokerUnreachable(ConnectionError):
    """No broker answered at the bootstrap address. An OSError, so the CLI says it in one line."""


async def started(consumer: AIOKafkaConsumer, broker: Broker) -> AIOKafkaConsumer:
    try:
        await consumer.start()
    except KafkaConnectionError:
        await consumer.stop()
        raise BrokerUnreachable(f"no Kafka broker answered at {bootstrap_of(broker)}") from None
    return consumer


class JournalGap(RuntimeError):
    """A partition's offsets are not consecutive (compacted, or written in transactions), so a record's
    journal position cannot be known without reading the partitions before it: `--jobs 1` can."""


Span = dict[int, tuple[int, int]]
"""Partition number -> (first offset, end offset): the records a read covers, fixed when it starts."""


@dataclass(frozen=True, slots=True)
class Record:
    partition: int
    offset: int
    key: bytes | None
    value: bytes


class TopicReader:
    """`with TopicReader(broker, topic) as reader: for record in reader: ...` — journal order.

    `reader.total` is the number of records in the snapshot (for a progress bar);
    `reader.beyond` counts records seen past the snapshot end and not returned."""

    def __init__(self, broker: Broker, topic: str, drain: bool = False, idle_ms: int = 1000, chunk: int = 10_000, span: Span | None = None):
        """`span`: read exactly these partitions and offsets (a share of a snapshot taken by another reader)
        instead of taking the topic's own snapshot."""
        self.broker, self.topic, self.drain, self.idle_ms, self.chunk, self.span = broker, topic, drain, idle_ms, chunk, span
        self.loop = asyncio.new_event_loop()
        self.consumer: AIOKafkaConsumer | None = None
        self.partitions: list[TopicPartition] = []
        self.begin: dict[TopicPartition, int] = {}
        self.end: dict[TopicPartition, int] = {}
        self.total = 0
        self.beyond = 0

    def __enter__(self) -> "TopicReader":
        self.loop.run_until_complete(self._open())
        return self

    async def _open(self) -> None:
        self.consumer = AIOKafkaConsumer(
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # tansu holds each fetch for fetch_max_wait_ms even when data waits: keep it short.
            fetch_max_wait_ms=5,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=16 * 1024 * 1024,
            request_timeout_ms=30_000,
            **aiokafka_options(self.broker),
        )
        await started(self.consumer, self.broker)
        topics = await self.consumer.topics()
        if self.topic not in topics:
            await self.consumer.stop()
            raise TopicNotFound(f"topic {self.topic!r} not found on {bootstrap_of(self.broker)}")
        if self.span is not None:
            self.partitions = [TopicPartition(self.topic, n) for n in sorted(self.span)]
            self.begin = {tp: self.span[tp.partition][0] for tp in self.partitions}
            self.end = {tp: self.span[tp.partition][1] for tp in self.partitions}
        else:
            numbers = self.consumer.partitions_for_topic(self.topic) or set()
            self.partitions = [TopicPartition(self.topic, n) for n in sorted(numbers)]
            self.begin = await self.consumer.beginning_offsets(self.partitions)
            self.end = await fetched_end_offsets(self.broker, self.partitions)
        self.total = sum(max(0, self.end[tp] - self.begin[tp]) for tp in self.partitions)

    @property
    def snapshot(self) -> Span:
        return {tp.partition: (self.begin[tp], self.end[tp]) for tp in self.partitions}

    def __iter__(self) -> Iterator[Record]:
        for tp in self.partitions:
            yield from self._partition(tp)

    def _partition(self, tp: TopicPartition) -> Iterator[Record]:
        consumer = self.consumer
        assert consumer is not None
        end = self.end[tp]
        if end <= self.begin[tp] and not self.drain:
            return
        self.loop.run_until_complete(self._assign(tp))
        position = self.begin[tp]
        while True:
            if not self.drain and position >= end:
                return
            timeout = self.idle_ms if self.drain and position >= end else 10_000
            batch = self.loop.run_until_complete(consumer.getmany(tp, timeout_ms=timeout, max_records=self.chunk))
            messages = batch.get(tp, [])
            if not messages:
                if self.drain and position >= end:
                    return
                continue  # an empty fetch before the snapshot end: the broker is slow, ask again
            for message in messages:
                if not self.drain and message.offset >= end:
                    self.beyond += 1
                    continue
                yield Record(tp.partition, message.offset, message.key, message.value)
            position = messages[-1].offset + 1

    async def _assign(self, tp: TopicPartition) -> None:
        assert self.consumer is not None
        self.consumer.assign([tp])
        self.consumer.seek(tp, self.begin[tp])

    def __exit__(self, *exc: object) -> None:
        if self.consumer is not None:
            self.loop.run_until_complete(self.consumer.stop())
        self.loop.close()


async def fetched_end_offsets(broker: Broker, partitions: list[Any], timeout: float = 30.0) -> dict[Any, int]:
    """Each partition's end offset as a fetch response reports it (the high watermark), keyed as given (any
    (topic, partition) pairs). A probe consumer seeks to where ListOffsets says the end is (at most the true end: on
    tansu, the last batch's base offset + 1) and fetches from there, a few bytes at most per partition."""
    tps = [TopicPartition(topic, partition) for topic, partition in partitions]
    probe = AIOKafkaConsumer(group_id=None, enable_auto_commit=False, fetch_max_wait_ms=5, max_partition_fetch_bytes=1,
                             fetch_max_bytes=1, request_timeout_ms=30_000, **aiokafka_options(broker))
    await started(probe, broker)
    try:
        listed = await probe.end_offsets(tps)
        probe.assign(tps)
        for tp in tps:
            probe.seek(tp, max(0, listed[tp] - 1))
        deadline = asyncio.get_running_loop().time() + timeout
        while any(probe.highwater(tp) is None for tp in tps):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no fetch response for {[tp for tp in tps if probe.highwater(tp) is None]}")
            await probe.getmany(*tps, timeout_ms=100)
        return {given: max(listed[tp], probe.highwater(tp)) for given, tp in zip(partitions, tps)}
    finally:
        await probe.stop()


def progress_bar(total: int, what: str, enabled: bool | None = None):
    """A tqdm bar on stderr (events, rate, ETA). None: shown on a terminal (Settings.progress decides)."""
    import sys

    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, unit=" ev", unit_scale=True, desc=what, file=sys.stderr, disable=not enabled, mininterval=0.5, smoothing=0.1)


def _shown(broker: Broker, progress: bool | None) -> bool | None:
    """An explicit choice, else the settings' (TALLY_PROGRESS), else on a terminal."""
    return broker.progress if progress is None and not isinstance(broker, str) else progress


def journal_events(
    broker: Broker, topic: str, drain: bool = False, progress: bool | None = None, on_open: Callable[[TopicReader], None] | None = None
) -> Iterator[tuple[int, dict[str, Any] | Rejection]]:
    """(position, event or rejection) in journal order, like `cli.common.read_events` for a file:
    position n is line n of the same journal exported by `tally export`."""
    with TopicReader(broker, topic, drain=drain) as reader:
        if on_open:
            on_open(reader)
        with progress_bar(reader.total, topic, _shown(broker, progress)) as bar:
            for number, record in enumerate(reader, 1):
                bar.update(1)
                yield number, read_trusted(record.value)
        if reader.beyond:
            import sys

            print(f"{topic}: {reader.beyond} records past the end offsets taken at start were not read", file=sys.stderr)


def journal_snapshot(broker: Broker, topic: str) -> Span:
    """Where every partition of the journal starts and ends now: what a parallel replay shares out."""
    with TopicReader(broker, topic) as reader:
        return reader.snapshot


def positions(snapshot: Span) -> dict[int, int]:
    """Each partition's first journal position less one: in journal order, partition by partition,
    when every offset in the snapshot holds a record (checked as they are read)."""
    bases, before = {}, 0
    for partition in sorted(snapshot):
        begin, end = snapshot[partition]
        bases[partition] = before
        before += max(0, end - begin)
    return bases


def partition_events(broker: Broker, topic: str, snapshot: Span, partitions: list[int]) -> Iterator[tuple[int, dict[str, Any] | Rejection]]:
    """(position, event or rejection) of some partitions of a snapshot: the positions `journal_events`
    gives the same records when it reads the whole snapshot. Raises JournalGap where a partition skips
    an offset (its later positions would differ)."""
    with TopicReader(broker, topic, span={p: snapshot[p] for p in partitions}) as reader:
        for number, record in numbered(reader, snapshot, topic):
            yield number, read_trusted(record.value)


def numbered(records: Iterable[Record], snapshot: Span, topic: str) -> Iterator[tuple[int, Record]]:
    """Each record with its journal position in the whole snapshot, from its offset: exact only while
    every offset holds a record, so the first one that does not stops the read (JournalGap)."""
    bases = positions(snapshot)
    partition, expected = None, 0
    for record in records:
        if record.partition != partition:
            partition, expected = record.partition, snapshot[record.partition][0]
        if record.offset != expected:
            raise JournalGap(f"{topic} partition {partition}: offset {expected} holds no record (the next is {record.offset}); use --jobs 1")
        expected += 1
        yield bases[partition] + record.offset - snapshot[partition][0] + 1, record


def topic_values(broker: Broker, topic: str, drain: bool = False, progress: bool | None = None) -> Iterator[bytes]:
    """Raw record values in journal order (exports, penalties)."""
    with TopicReader(broker, topic, drain=drain) as reader:
        with progress_bar(reader.total, topic, _shown(broker, progress)) as bar:
            for record in reader:
                bar.update(1)
                yield record.value
