"""Settling: moving into the snapshot the leading entries no late event, appeal or decision can change any
more. Pure compaction: no outcome depends on when it runs (the property tests compact at random points)."""

from bisect import bisect_right

from projections import placement
from projections.placement import timeline_key
from projections.rulebook import Rulebook
from projections.state import Checkpoint, Core, Key, Recorded
from projections.timeline import Run


class Settling:
    """The settling part of a fold step (`projections.step.Step`)."""

    def settle(self) -> None:
        """Move into the snapshot the leading entries no late event, appeal or decision can change any more.
        A long tail settles up to a checkpoint (no replay); a short one when at least half of it can go (a
        replay as long as what it saves). `compact` settles everything that can be, for storage."""
        tail = self.state.tail
        if not tail or tail[0].at >= self.frontier(self.state.latest):
            return
        if len(tail) >= 2 * placement.CHECKPOINT_EVERY:
            self.settle_to(self.settleable(), replay=False)
            return
        count = self.settleable()
        if 2 * count >= len(tail):
            self.settle_to(count, replay=True)

    def settleable(self) -> int:
        """How many leading entries can settle."""
        frontier, rulebook, count = self.frontier(self.state.latest), self.rulebook, 0
        for entry in self.state.tail:
            if entry.at >= frontier or (type(entry) is Recorded and self.holds(entry, frontier, rulebook)):
                break
            count += 1
        return count

    def settle_to(self, count: int, replay: bool) -> None:
        """Settle `count` leading entries; without `replay`, only as far as the last checkpoint within them."""
        if not count:
            return
        state, cache = self.state, self.cache
        frontier = self.frontier(state.latest)
        checkpoints, tail = cache.checkpoints, state.tail
        # The snapshot is the state just after the settled entries, no later than the frontier (where late
        # events may still go): a checkpoint exactly there, or one before it and a replay.
        index = bisect_right(checkpoints, count, key=lambda c: c.position)
        while index and checkpoints[index - 1].position == count and checkpoints[index - 1].core.clock >= frontier:
            index -= 1
        origin = checkpoints[index - 1] if index else None
        if not replay:
            if origin is None:
                return
            count = origin.position
            if origin.core.clock >= frontier:
                return
        core = origin.core.copy() if origin else state.base.copy()
        if origin is None or origin.position < count:
            run = Run(core, self.rulebooks, state.creator_id)
            for entry in tail[origin.position if origin else 0:count]:
                run.step(entry)
        settled, state.base, state.tail = tail[:count], core, tail[count:]
        cache.checkpoints = [Checkpoint(c.position - count, c.core) for c in checkpoints if c.position > count]
        for entry in settled:
            cache.ids.discard(entry.event_id)
            if type(entry) is Recorded:
                self.forget_violation(entry)
        self.forget_fates(core, max(timeline_key(settled[-1]), (core.clock, "")))
        memory = state.latest - self.rulebook.memory_seconds
        forget_oldest(state.known, lambda value: value >> 1 < memory)

    def holds(self, violation: Recorded, frontier: int, rulebook: Rulebook) -> bool:
        """Can this violation still be overturned? Then it stays on the timeline."""
        state, vid = self.state, violation.violation
        if vid in state.decisions:
            return False
        if vid in state.appeals or any(w.violation == vid for w in state.waiting):
            return True
        return rulebook.appeal_deadline(violation.at) > frontier  # an appeal in time may still arrive

    def forget_violation(self, violation: Recorded) -> None:
        state, cache, vid = self.state, self.cache, violation.violation
        cache.violations.pop(vid, None)
        decided = state.decisions.pop(vid, None)
        appeal = state.appeals.pop(vid, None)
        for record in (decided, appeal):
            if record is not None:
                cache.ids.discard(record.event_id)
        state.known[vid] = violation.at * 2 + (1 if decided else 0)

    def forget_fates(self, base: Core, last: Key) -> None:
        """Penalties decided before the snapshot (at or before the last settled entry) and no longer in force
        there can no longer change."""
        cache, state = self.cache, self.state
        in_force = {p.id for p in base.active}
        for cid in [cid for cid, fate in cache.fates.items() if fate.key <= last and cid not in in_force]:
            del cache.fates[cid]
        if state.lifted:
            for cid in [c for c, (_, at) in state.lifted.items() if at < base.clock and c not in cache.fates]:
                del state.lifted[cid]


def forget_oldest(memory: dict[int, int], expired) -> None:
    """Drop the oldest entries of an insertion-ordered memory while they are expired."""
    while memory:
        key, value = next(iter(memory.items()))
        if not expired(value):
            return
        del memory[key]
