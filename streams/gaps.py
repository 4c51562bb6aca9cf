"""Records the consumer skipped: noticed, and read again instead of being committed past.

A consumer can deliver a record beyond the next one of its partition: Faust 0.15.3 drops records it has fetched in
several places (a batch for a partition not yet active again after a rebalance, a batch cut short when the group's
generation changes, a stopped flow), while aiokafka's position has moved past them; and records fetched before a
seek can still be delivered after it. Faust then takes the offsets in between for a gap in the log (as a compacted
topic or a transaction marker leaves) and counts them as acknowledged: the next commit passes over records no agent
ever saw. bench/kill_loop.py lost 80 commands of 7 creators so: 25 consecutive journal records of a partition, never
folded, their offsets committed. With this guard, the first run logged it twice, right after a recovery's seek to the
committed offsets: the first record delivered on two journal partitions lay 69 records past the committed offset.

`GapGuard` follows, per partition of the topics it guards, the next offset it expects: the committed offset after
a seek to it (0 when nothing is committed: the partition is read from its start), then one past each record
delivered. Without the start, a worker taking over partitions its dead twin never committed accepted whatever came
first: tests/streams/test_catch_up.py caught a creator whose appeal decision, the sixth record of its partition,
was never folded. A record beyond it is held back and the partition read again
from the expected offset. Where the log really has a hole (a transaction marker on an input topic written with
transactions), the same record comes back beyond the same offset after the re-read: it is then delivered.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Hashable


@dataclass
class GapGuard:
    expected: dict[Hashable, int] = field(default_factory=dict)
    """Per partition, the offset of the next record to deliver; unknown (absent) until a seek or a first record."""
    rewound: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    """Per partition re-read for a gap: (expected offset, offset of the record seen beyond it)."""
    refetches: int = 0
    holes: int = 0

    def seeked(self, tp: Hashable, offset: int | None) -> None:
        """The consumer was moved to `offset` (None: to where nothing tells the offset, e.g. the log's start)."""
        if tp in self.rewound and self.rewound[tp][0] != offset:  # moved elsewhere than the re-read a gap asked for
            del self.rewound[tp]
        if offset is None:
            self.expected.pop(tp, None)
        else:
            self.expected[tp] = offset

    def forget(self, tps: Iterable[Any]) -> None:
        """Partitions revoked: another worker may move them on before they come back."""
        for tp in tps:
            self.expected.pop(tp, None)
            self.rewound.pop(tp, None)

    def deliver(self, tp: Hashable, offset: int) -> int | None:
        """None: deliver the record. An offset: hold it back and read the partition again from there."""
        expected = self.expected.get(tp)
        if expected is not None and offset > expected:
            if self.rewound.get(tp) != (expected, offset):
                self.rewound[tp] = (expected, offset)
                self.refetches += 1
                return expected
            self.holes += 1  # read again, and the same record follows the same offset: the log has a hole there
        self.rewound.pop(tp, None)
        self.expected[tp] = offset + 1
        return None
