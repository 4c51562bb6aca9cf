"""`tally replay --from-kafka --jobs N`: the journal topic shared out by partition.

Creators are partition-local (the key is the creator id), so a worker that reads whole partitions
folds whole creators. The parent takes one snapshot (each partition's first and end offset) and
shares the partitions out, the largest first, each to the least loaded worker; every worker reads
only its own, and numbers each record with the position `tally replay --from-kafka` gives it
(journal order: partitions ascending, offsets ascending), so the merged output is byte for byte the
one-process output.
"""

from collections import Counter
from dataclasses import dataclass

from service.jobs import Numbered, Owners, ReplayFailed, share_out
from streams.connection import Broker
from streams.journal_reader import Span, TopicNotFound, journal_snapshot, partition_events


@dataclass(frozen=True)
class TopicSource:
    broker: Broker
    topic: str
    snapshot: Span

    @classmethod
    def taken_now(cls, broker: Broker, topic: str) -> "TopicSource":
        try:
            return cls(broker, topic, journal_snapshot(broker, topic))
        except TopicNotFound as error:
            raise ReplayFailed(str(error)) from None

    def share_out(self, workers: int) -> Owners:
        return share_out(Counter({partition: end - begin for partition, (begin, end) in self.snapshot.items()}), workers)

    def events(self, owners: Owners, index: int, workers: int) -> Numbered:
        mine = sorted(partition for partition, worker in owners.items() if worker == index)
        return partition_events(self.broker, self.topic, self.snapshot, mine) if mine else iter(())
