"""Tables whose changelog writes can be awaited, and whose restore keeps each creator's furthest state.

Why the restore does not simply take the last record of a key: without transactions (tansu has none) a worker that
lost a partition can still write to its changelog for a moment: one whose session expired while it was busy, or one
whose write sat in Faust's producer buffer while the partition moved on. Its record can then land after a newer one
of the new owner, and a later restore that takes the last record would resume from the stale state at the committed
offset: the events in between would be missing from the state for good. (Possible without fencing, not seen in a
run: the kill loop's losses were records the consumer skipped, streams/gaps.py.)

Every state records the journal position of the latest record folded into it, and the fold is deterministic, so
two states of one creator at the same position are the same state. The restore keeps, per key, the state with the
furthest position, whatever order the records landed in.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import faust


def furthest(records: Iterable[Any], position_of: Callable[[bytes], int],
             stored_position: Callable[[bytes], int | None]) -> Iterator[Any]:
    """The changelog records (with `.message.key` and `.message.value`) that move their key forward: a record whose
    state lies behind the furthest one seen for its key (earlier in `records`, or stored already) is left out.
    A tombstone (value None) always passes."""
    positions: dict[bytes, int | None] = {}
    for record in records:
        key, value = record.message.key, record.message.value
        if value is None:
            positions[key] = None
            yield record
            continue
        try:
            position = position_of(value)
        except Exception:  # an unreadable state wins over nothing, never over a readable one
            position = -1
        before = positions[key] if key in positions else stored_position(key)
        if before is None or position >= before:
            positions[key] = position
            yield record


class FurthestStateTable(faust.Table):
    """A faust.Table of raw bytes whose restore keeps each key's furthest state (`furthest`) and whose `write`
    returns the future of the broker's acknowledgement of its changelog record."""

    position_of: Callable[[bytes], int]
    _last_write: Any = None

    def apply_changelog_batch(self, batch: Iterable[Any]) -> None:
        super().apply_changelog_batch(list(furthest(batch, self.position_of, self._stored_position)))

    def _stored_position(self, key: bytes) -> int | None:
        raw = self.data.get(key)
        return self.position_of(raw) if raw is not None else None

    def send_changelog(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        self._last_write = super().send_changelog(*args, **kwargs)
        return self._last_write

    def write(self, key: bytes, value: bytes):
        """`table[key] = value`; returns the future of the broker's acknowledgement of the changelog record. Until it
        is done, a crash may lose the write, so the events that led to it must not be acknowledged before."""
        self[key] = value
        return self._last_write


def furthest_state_table(app: faust.App, name: str, partitions: int, position_of: Callable[[bytes], int]) -> FurthestStateTable:
    raw = faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    table = FurthestStateTable(app, name=name, default=None, beacon=app.tables.beacon, partitions=partitions,
                               key_type=bytes, value_type=bytes, schema=raw)
    table.position_of = position_of
    return app.tables.add(table)
