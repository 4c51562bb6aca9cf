"""Settling: moving into the snapshot the leading entries no late event, appeal or decision can change any
more. Pure compaction: no outcome depends on when it runs (the property tests compact at random points)."""

from bisect import bisect_left, bisect_right

from projections import placement
from projections.placement import since_last_checkpoint, timeline_key
from projections.rulebook import Rulebook
from projections.state import Core, Key, Recorded
from projections.timeline import Run


class Settling:
    """The settling part of a fold step (`projections.step.Step`)."""

    def settle(self) -> None:
        """A long tail settles up to a checkpoint (no replay); a short one when at least half of it can go (a
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
        named = {held.violation for held in self.state.waiting}
        for entry in self.state.tail:
            if entry.at >= frontier or (type(entry) is Recorded and self.holds(entry, frontier, rulebook, named)):
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
        # events may still go): a checkpoint there, or one before it and a replay.
        index = bisect_right(checkpoints, timeline_key(tail[count]), key=lambda c: c.key) if count < len(tail) else len(checkpoints)
        while index and checkpoints[index - 1].core.clock >= frontier:
            index -= 1
        origin = checkpoints[index - 1] if index else None
        position = bisect_left(tail, origin.key, key=timeline_key) if origin else 0
        if not replay:
            if not position:
                return
            count = position
        core = origin.core.copy() if origin else state.base.copy()
        if position < count:
            run = Run(core, self.rulebooks, state.creator_id)
            for entry in tail[position:count]:
                run.step(entry)
        settled, state.base, state.tail = tail[:count], core, tail[count:]
        first = timeline_key(state.tail[0]) if state.tail else None
        cache.checkpoints = [c for c in checkpoints[index:] if first is not None and c.key > first]
        cache.since_checkpoint = since_last_checkpoint(state.tail, cache.checkpoints)
        for entry in settled:
            cache.ids.discard(entry.event_id)
            if type(entry) is Recorded:
                self.forget_violation(entry)
        self.forget_decided(core, max(timeline_key(settled[-1]), (core.clock, "")))
        memory = state.latest - self.rulebook.memory_seconds
        forget_oldest(state.known, lambda value: value >> 1 < memory)

    def holds(self, violation: Recorded, frontier: int, rulebook: Rulebook, named: set) -> bool:
        """Can this violation still be overturned? Then it stays on the timeline. `named`: the violations held
        events name."""
        state, vid = self.state, violation.violation
        if vid in state.decisions:
            return False
        if vid in state.appeals or vid in named:
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

    def forget_decided(self, base: Core, last: Key) -> None:
        """Penalties decided before the snapshot and no longer in force there can no longer change."""
        cache, state = self.cache, self.state
        cache.decided.prune(last, {p.id for p in base.active})
        if state.lifted:
            for cid in [c for c, (_, at) in state.lifted.items() if at < base.clock and cache.decided.get(c) is None]:
                del state.lifted[cid]


def forget_oldest(memory: dict, expired) -> None:
    """Drop the oldest entries of an insertion-ordered memory while they are expired."""
    while memory:
        key, value = next(iter(memory.items()))
        if not expired(value):
            return
        del memory[key]
