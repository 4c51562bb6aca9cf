"""Adjustments to Faust 0.15.3 and aiokafka: a configurable fetch wait, a rebalance that does not lose the records
of partitions with nothing committed, no commit past records the consumer dropped (streams/gaps.py), table recovery
up to the true end of a changelog, a producer that keeps the metadata of every topic it sends to, and no idle second
in table start.

The fetch wait:

Faust 0.15.3 creates its AIOKafkaConsumer with fetch_max_wait_ms=1500 and no setting
to change it. Brokers that hold a fetch for the whole wait even when data is there
(tansu does) then add up to 1.5 s to every hop. We lower it on the consumer object
after Faust builds it and before it starts (the fetcher reads it at start).
"""

import logging

from faust.tables import TableManager
from faust.transport.drivers import aiokafka as driver

from streams.gaps import GapGuard

log = logging.getLogger("tally.streams")


class LowLatencyConsumerThread(driver.AIOKafkaConsumerThread):
    fetch_max_wait_ms = 10

    def _create_worker_consumer(self, transport):  # type: ignore[override]
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.fetch_max_wait_ms
        return consumer

    async def seek_to_committed(self):  # type: ignore[override]
        """After a rebalance Faust seeks every partition back to its committed offset, because it drops the records
        fetched before the generation changed. aiokafka's `seek_to_committed` skips a partition with no committed
        offset, so such a partition stays past the dropped records and they are never delivered: the takeover stall
        of tests/streams/test_cluster.py (a survivor that had not yet committed its own partitions when the other
        worker died). A partition with nothing committed starts again from its beginning, as auto_offset_reset
        "earliest" says; what is read again is folded once (the fold and intake are idempotent). Changelog
        partitions are left to Faust's recovery."""
        committed = await super().seek_to_committed()
        changelogs = self.consumer.app.tables.changelog_topics
        uncommitted = [tp for tp, offset in committed.items() if not offset and tp.topic not in changelogs]
        if uncommitted:
            await self.call_thread(self._ensure_consumer().seek_to_beginning, *uncommitted)
        return committed

    async def _highwaters(self, partitions):  # type: ignore[override]
        """The end offsets Faust restores tables up to, from fetch responses rather than ListOffsets: tansu answers
        ListOffsets with the last batch's base offset + 1 (BRIEF), so a changelog written in multi-record batches
        would be restored only in part (and Faust can then crash with ConsistencyError). With exact ends, every
        producer of Tally can batch (TALLY_PRODUCER_MAX_BATCH_SIZE)."""
        from streams.journal_reader import fetched_end_offsets

        settings = getattr(self.consumer.app, "settings", None)
        if settings is None or self.consumer.in_transaction:
            return await super()._highwaters(partitions)
        return await fetched_end_offsets(settings, list(partitions))


class LowLatencyConsumer(driver.Consumer):
    """Also guards the stream topics (inputs, journal) against records Faust drops after fetching them
    (streams/gaps.py): such a partition is read again from the first record not delivered."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.gaps = GapGuard()

    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        thread = LowLatencyConsumerThread(self, loop=self.loop, beacon=self.beacon)
        thread.fetch_max_wait_ms = getattr(self.app, "fetch_max_wait_ms", LowLatencyConsumerThread.fetch_max_wait_ms)
        return thread

    def _guarded(self) -> frozenset[str]:
        settings = getattr(self.app, "settings", None)
        return frozenset((*settings.input_topics, settings.topic_journal)) if settings is not None else frozenset()

    async def getmany(self, timeout: float):  # type: ignore[override]
        guarded, held = self._guarded(), set()
        async for tp, message in super().getmany(timeout):
            if tp.topic not in guarded:
                yield tp, message
                continue
            if tp in held:  # the rest of a batch beyond a gap: read again after the seek
                continue
            rewind_to = self.gaps.deliver(tp, message.offset)
            if rewind_to is None:
                yield tp, message
                continue
            held.add(tp)
            log.error("tally: %s:%s delivered offset %s where %s was next; reading it again from %s (records fetched and "
                      "dropped by the consumer would otherwise be committed unread)", tp.topic, tp.partition, message.offset,
                      rewind_to, rewind_to)
            await self.seek(tp, rewind_to)

    async def seek(self, partition, offset: int) -> None:  # type: ignore[override]
        await super().seek(partition, offset)
        self._seeked(partition, offset)

    def _seeked(self, tp, offset: int) -> None:
        """The partition will be delivered again from `offset`: what was delivered of it before no longer counts
        (the gap guard's next offset; the app's `on_seek` hooks, e.g. intake's record of what it has taken)."""
        self.gaps.seeked(tp, offset)
        for hook in getattr(self.app, "on_seek", ()):
            hook(tp)

    async def seek_to_committed(self):  # type: ignore[override]
        committed = await super().seek_to_committed()
        for tp, offset in committed.items():
            # Nothing committed: from the log's start (LowLatencyConsumerThread), offset 0 unless retention has removed
            # the first records (then the first record delivered, read again once, is taken for a hole in the log).
            self._seeked(tp, offset or 0)
            self.forget_acks(tp)
        return committed

    def forget_acks(self, tp) -> None:
        """Read again from its committed offset, a partition's earlier acknowledgements mean nothing. Faust clears them
        when the partition is revoked, but before its revocation handler waits for the agents to acknowledge what they
        hold: those acknowledgements land in fresh entries, and when the partition comes back (an eager rebalance
        revokes and assigns every partition) the same offsets, delivered again, count as acknowledged already and are
        never recorded. The commit then waits for them for ever: seen in tests/streams/test_catch_up.py, the journal's
        committed offsets stayed at 5 and 6 for minutes after a catch-up folded everything (and issue 8 saw 830
        records uncommitted for 3.5 minutes)."""
        self._acked.pop(tp, None)
        self._acked_index.pop(tp, None)
        self._gap.pop(tp, None)

    async def on_partitions_revoked(self, revoked) -> None:  # type: ignore[override]
        self.gaps.forget(revoked)
        await super().on_partitions_revoked(revoked)


class TopicTrackingProducer(driver.Producer):
    """The cause of the intake stall (docs/streams.md, "A worker that stops taking input"): aiokafka's
    `_wait_on_metadata` returns at once for a topic the cluster metadata already lists, without adding it to the
    topics the client tracks. Once any topic is tracked (the first one sent to that was not in the start-up
    metadata, e.g. the penalties topic), every metadata refresh asks for the tracked topics only and replaces the
    cluster view: the untracked topics' leaders vanish, their batches are never drained, and every send to them
    waits for the request timeout (20 minutes in Faust) while the loop spins on metadata refreshes. Tracking each
    topic at its first send keeps its metadata for good."""

    def _new_producer(self, transactional_id=None):  # type: ignore[override]
        producer = super()._new_producer(transactional_id)
        track_sent_topics(producer.client)
        return producer

    async def on_start(self) -> None:
        # Faust's buffer of table writes logs a warning and holds the agents back once it holds more than 100. A fold
        # batch writes up to one state per table and event, and awaits them all before the next (streams/batches.py).
        settings = getattr(self.app, "settings", None)
        if settings is not None:
            self.buffer.max_messages = max(self.buffer.max_messages, 2 * settings.fold_batch_max)
        await super().on_start()


def track_sent_topics(client) -> None:
    original = client._wait_on_metadata

    async def wait_on_metadata(topic: str):
        client._topics.add(topic)  # no metadata request of its own: the next refresh includes it
        return await original(topic)

    client._wait_on_metadata = wait_on_metadata


class LowLatencyTransport(driver.Transport):
    Consumer = LowLatencyConsumer
    Producer = TopicTrackingProducer


class PromptTableManager(TableManager):
    """Faust's TableManager sleeps a hard-coded second before it starts the tables (to let modules that
    declare tables at import finish). Tally declares its one table before the app starts, so it need not wait:
    this saves a second of every worker's startup."""

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()
