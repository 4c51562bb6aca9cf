"""Noticing a stalled partition: records waiting in it, and the worker's read position not moving.

The symptom issue 8 reported (intake stopped, /health still 200, the partitions fetched to their end
in appearance): a worker can only notice it by watching its own positions over time. Pure: the
worker samples (read position, end offset) of its assigned input and journal partitions every few
seconds and asks which partitions have had records waiting with no progress for `after` seconds.
"""

from dataclasses import dataclass, field


@dataclass
class StallWatch:
    after: float
    """Seconds with records waiting and no progress before a partition counts as stalled."""
    _seen: dict = field(default_factory=dict)
    """Partition -> (read position, when it was last seen to move or to have nothing waiting)."""

    def observe(self, now: float, positions: dict) -> list:
        """`positions`: partition -> (next offset to read, end offset or None if never fetched). Returns the stalled
        partitions, sorted."""
        stalled = []
        for partition, (position, end) in positions.items():
            previous = self._seen.get(partition)
            # An end offset still unknown means the partition was never fetched since it was assigned (a fetch, even of an
            # empty partition, tells it): as stuck as records waiting (faust-streaming issue 629).
            waiting = end is None or end > position
            if previous is None or previous[0] != position or not waiting:
                self._seen[partition] = (position, now)
            elif now - previous[1] >= self.after:
                stalled.append(partition)
        for gone in [p for p in self._seen if p not in positions]:  # revoked
            del self._seen[gone]
        return sorted(stalled)

    def longest(self, now: float, stalled: list) -> float:
        """How long the longest-stalled of `stalled` has gone without progress, in seconds (0 if none)."""
        return max((now - self._seen[p][1] for p in stalled if p in self._seen), default=0.0)
