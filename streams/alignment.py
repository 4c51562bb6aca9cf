"""Event-time alignment of the input topics at intake (as Kafka Streams does with max.task.idle.ms, KIP-353).

The three input topics are co-partitioned by creator: partition p of each holds the same creators. Read
independently, a catch-up journals a creator's appeals and exams weeks of event time ahead of their
violations, and the fold's horizon then refuses the violations as too_late. So intake takes, for each
partition number, always the record with the smallest event time among the heads of the topics'
partitions, and waits for a topic partition with nothing buffered that may still deliver older records
(it has records not yet read). A partition that has been read to its end does not hold the others
back: live, a lone event is journaled at once.

The wait ends when intake has taken nothing at all for `max_idle` seconds (the records it waits for
are not coming), or when `max_buffered` records are held (memory): then the smallest head goes anyway,
and a record can arrive late, which the fold places or refuses as too_late as ever (`tally audit
intake` reports it). While records keep arriving it waits: during a catch-up the partition it waits
for is queued behind the others, not idle. Each topic partition's own order is kept: records are only
ever taken from the heads.

Faust-free: `build_app` feeds it messages and journals what it releases.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Waiting:
    at: int
    """Event time."""
    item: Any


@dataclass
class _Partition:
    queues: dict[str, deque] = field(default_factory=dict)


class Aligner:
    def __init__(self, topics: tuple[str, ...], max_idle: float, max_buffered: int = 100_000):
        self.topics, self.max_idle, self.max_buffered = topics, max_idle, max_buffered
        self.partitions: dict[int, _Partition] = {}
        self.buffered = 0
        self.last_added = float("-inf")
        self.waited_out = 0
        """Records released while a partition they waited for still had records to read (idle or memory bound)."""

    def __len__(self) -> int:
        return self.buffered

    def add(self, topic: str, partition: int, at: int, item: Any, now: float) -> None:
        queues = self.partitions.setdefault(partition, _Partition()).queues
        queues.setdefault(topic, deque()).append(Waiting(at, item))
        self.buffered += 1
        self.last_added = now

    def release(self, now: float, has_unread: Callable[[str, int], bool]) -> list[Any]:
        """What can go to the journal now, in the order it must go. `has_unread(topic, partition)`: are there
        records in that topic partition not handed to `add` yet (the broker's end offset is beyond them)?"""
        out: list[Any] = []
        give_up = now - self.last_added >= self.max_idle
        for number, partition in sorted(self.partitions.items()):
            queues = partition.queues
            while True:
                heads = {topic: queue[0] for topic, queue in queues.items() if queue}
                if not heads:
                    break
                topic, head = min(heads.items(), key=lambda th: (th[1].at, self.topics.index(th[0])))
                empty = [t for t in self.topics if t not in heads]
                if any(has_unread(t, number) for t in empty):
                    if not give_up and self.buffered < self.max_buffered:
                        break  # an empty topic partition may still deliver something older: wait for it
                    self.waited_out += 1
                out.append(queues[topic].popleft().item)
                self.buffered -= 1
        return out

    def holds(self, partition: int) -> bool:
        """Is anything of this partition number waiting here?"""
        held = self.partitions.get(partition)
        return held is not None and any(held.queues.values())

    def drop(self, partitions: set[int]) -> int:
        """Forget what was buffered from these partition numbers (revoked: their records will be delivered again
        to the new owner, unacknowledged). Returns how many."""
        dropped = 0
        for number in partitions:
            partition = self.partitions.pop(number, None)
            if partition is not None:
                dropped += sum(len(q) for q in partition.queues.values())
        self.buffered -= dropped
        return dropped
