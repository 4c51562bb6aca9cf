"""Putting entries on a creator's timeline: in order onto the head in place, or a refold from the nearest
checkpoint that stops where it meets the old run. Also what a stored state leaves out, rebuilt (`warm`).

Checkpoints are keyed by the entry they precede, not by position, and decided penalties are kept in
timeline order (`Decided`): a late event or an overturn costs the stretch of timeline it changes, not
the length of the creator's history.
"""

from bisect import bisect_left, bisect_right

from projections.reconcile import Told
from projections.rulebook import Rulebooks
from projections.state import Cache, Checkpoint, Core, CreatorState, Decided, Entry, Fate, Key, Recorded
from projections.timeline import Run

CHECKPOINT_EVERY = 8
"""A copy of the state is kept every this many tail entries: a recompute replays at most this many
entries before the change, and settling starts from one. Closer checkpoints also let a refold meet
the old run sooner. 8 against 32: `tally replay --trusted` of bench/replay.py's skewed journal took
73-81 s instead of 90-91 s, same bytes, same peak RSS (631 MB: only long tails hold checkpoints)."""

LEDGER_COPIED_PER_ENTRY = 32
"""A checkpoint copies the ledger: with a long one (a busy creator on a points pack) they are spaced
so that copying costs at most about this many records per entry."""


def checkpoint_spacing(core: Core) -> int:
    return max(CHECKPOINT_EVERY, len(core.ledger) // LEDGER_COPIED_PER_ENTRY)


def timeline_key(entry: Entry) -> Key:
    return entry.at, entry.event_id


class Placement:
    """The timeline part of a fold step (`projections.step.Step`)."""

    def place(self, entries: list[Entry], noted: Entry) -> str | None:
        """Put entries on the timeline by (event time, event id). Returns the noted entry's refusal reason,
        having changed nothing, or None."""
        state, cache = self.state, self.cache
        tail, head = state.tail, cache.head
        if len(entries) == 1:  # the common case, cheaply
            entry = entries[0]
            latest = entry.at if entry.at > state.latest else state.latest
            in_order = entry.at >= head.clock and (not tail or (tail[-1].at, tail[-1].event_id) < (entry.at, entry.event_id))
        else:
            latest = max(state.latest, max(e.at for e in entries))
            in_order = all(e.at >= head.clock for e in entries) and all(timeline_key(a) < timeline_key(b) for a, b in zip([*tail[-1:], *entries], entries))
        if in_order:
            for entry in entries:
                reason = self.append(entry, noted)
                if reason is not None:
                    return reason
        else:
            for entry in entries:
                tail.insert(bisect_right(tail, timeline_key(entry), key=timeline_key), entry)
            last = max(bisect_left(tail, timeline_key(entry), key=timeline_key) for entry in entries)
            reason = self.recompute(min(map(timeline_key, entries)), noted, latest=latest, changed_up_to=last)
            if reason is not None:
                for entry in entries:
                    tail.remove(entry)
                return reason
        for entry in entries:
            cache.ids.add(entry.event_id)
            if type(entry) is Recorded:
                cache.violations[entry.violation] = entry
                if state.waiting:
                    cache.waiting_due = None  # a held decision naming it can now be matched only until its appeal window ends
        self.accept(latest)
        return None

    def append(self, entry: Entry, noted: Entry) -> str | None:
        """In order: apply to the head in place."""
        state, cache = self.state, self.cache
        run = Run(cache.head, self.rulebooks, state.creator_id, noting=entry is noted)
        reason = run.check(entry)
        if reason is not None:
            return reason
        if cache.since_checkpoint >= checkpoint_spacing(cache.head):
            cache.checkpoints.append(Checkpoint(timeline_key(entry), cache.head.copy()))
            cache.since_checkpoint = 0
        run.apply(entry)
        state.tail.append(entry)
        cache.since_checkpoint += 1
        absorb(run, cache.decided, self.changes)
        if entry is noted:
            self.rulebook_at = run.core.rulebook
            self.notes += run.notes
        return None

    def recompute(self, change: Key, noted: Entry | None, latest: int | None = None, changed_up_to: int | None = None) -> str | None:
        """Refold the tail from the nearest checkpoint at or before `change` (the key of the first entry put
        on or taken off the timeline). Nothing is committed if the noted entry is refused at its place.

        Past `changed_up_to` (the last position changed), where the refold reaches an old checkpoint with
        exactly the old state, the rest of the timeline is the old one (the fold is deterministic): the
        recompute stops there and keeps the old head, the later checkpoints and what was decided later."""
        state, cache = self.state, self.cache
        tail, checkpoints = state.tail, cache.checkpoints
        index, position = self.origin(change)
        core = checkpoints[index - 1].core.copy() if index else state.base.copy()
        # Everything decided up to the origin is in its state: up to the entry before it, and whatever time
        # (a scheduler tick) advanced it to since.
        after = max(timeline_key(tail[position - 1]), (core.clock, "")) if position else None
        in_force = {p.id: cache.decided.get(p.id) for p in core.active}
        work = Decided()
        old = {c.key: c.core for c in checkpoints[index:]} if changed_up_to is not None else {}
        latest = max(state.latest, latest or 0)
        run = Run(core, self.rulebooks, state.creator_id)
        made: list[Checkpoint] = []
        since = 0
        noted_before = len(self.notes)
        meet = None
        for i in range(position, len(tail)):
            entry = tail[i]
            key = timeline_key(entry)
            if old and i > changed_up_to:  # type: ignore[operator]
                before = old.get(key)
                if before is not None and self.converged(run, work, before, entry):
                    meet = i
                    break
            if since >= checkpoint_spacing(core) and i > position:
                made.append(Checkpoint(key, core.copy()))
                since = 0
            run.noting = entry is noted
            reason = run.step(entry)
            if reason is not None:
                if entry is noted:
                    del self.notes[noted_before:]
                    return reason
                self.notes.append(f"{entry.event_id} no longer applies at its place: {reason}")
            since += 1
            absorb(run, work, None)
            if run.noting:
                self.rulebook_at = run.core.rulebook
                self.notes += run.notes
                run.notes = []
        if meet is None:
            run.noting = False
            run.advance(latest)
            absorb(run, work, None)
        self.commit(core, after, in_force, work, checkpoints[:index] + made, meet, latest)
        return None

    def origin(self, change: Key) -> tuple[int, int]:
        """The checkpoint to refold from (how many checkpoints precede it and include it, 0 for the snapshot),
        and the tail position it stands before. It must stand at or before the change (one keyed on the entry
        taken off stands just before it), and no tick may have advanced it past the entry now there (a late
        one, just inserted, would be in its past)."""
        tail, checkpoints = self.state.tail, self.cache.checkpoints
        index = bisect_right(checkpoints, change, key=_checkpoint_key)
        while index:
            position = bisect_left(tail, checkpoints[index - 1].key, key=timeline_key)
            if position == len(tail) or checkpoints[index - 1].core.clock <= tail[position].at:
                return index, position
            index -= 1
        return 0, 0

    @staticmethod
    def converged(run: Run, work: Decided, before: Core, entry: Entry) -> bool:
        """Is the refold's state, just before `entry`, the old one there? (Time an old checkpoint was
        advanced to by a tick is applied first: advancing in steps changes nothing.)"""
        core = run.core
        if core.clock < before.clock <= entry.at:
            run.advance(before.clock)
            absorb(run, work, None)
        return core == before

    def commit(self, core: Core, after, in_force: dict[str, Fate | None], work: Decided, checkpoints: list, meet: int | None, latest: int) -> None:
        """What the refold decided replaces what was decided over the same stretch of timeline."""
        state, cache = self.state, self.cache
        decided, changes = cache.decided, self.changes
        if meet is None:
            upto = None
            cache.head = core
        else:  # the old run from here on: its head, checkpoints and later decisions stand
            upto = max(timeline_key(state.tail[meet - 1]), (core.clock, ""))
            checkpoints += [c for c in cache.checkpoints if c.key >= timeline_key(state.tail[meet])]
        still = {p.id for p in core.active} if meet is not None else set()
        replaced = decided.between(after, upto)
        for fate in replaced:
            changes.setdefault(fate.penalty.id, (fate.penalty, fate.end))
        # In force where the runs met: the old record, with the end the old run gave it later.
        fresh = [decided.get(f.penalty.id) if f.penalty.id in still and decided.get(f.penalty.id) else f for f in work.order if f.penalty.id not in in_force]
        for fate in fresh:
            changes.setdefault(fate.penalty.id, None)
        # Decided before the origin but kept in the stretch (the snapshot's penalties, when refolding from it):
        # they stay, ahead of what the refold decided.
        kept = [fate for fate in replaced if fate.penalty.id in in_force]
        decided.splice(after, upto, kept + fresh)
        for cid, old in in_force.items():  # decided before the origin, in force there: how they end now
            ended = work.get(cid)
            end = ended.end if ended is not None else None  # not ended by the refold: in force at its end
            if old is None or cid in still or old.end == end:
                continue  # (in force where the runs met: the old run's end stands)
            changes.setdefault(cid, (old.penalty, old.end))
            old.end = end
        for cid in [cid for cid, told in changes.items() if told is not None and (now := decided.get(cid)) is not None
                    and now.penalty is told[0] and now.end == told[1]]:
            del changes[cid]  # decided again exactly as before: nothing to tell
        cache.checkpoints = checkpoints
        cache.since_checkpoint = since_last_checkpoint(state.tail, checkpoints)
        if meet is not None and latest > cache.head.clock:  # the old head, advanced if the placed entries moved the clock
            run = Run(cache.head, self.rulebooks, state.creator_id)
            run.advance(latest)
            absorb(run, decided, changes)


def _checkpoint_key(checkpoint: Checkpoint) -> Key:
    return checkpoint.key


def since_last_checkpoint(tail: list[Entry], checkpoints: list[Checkpoint]) -> int:
    if not checkpoints:
        return len(tail)
    return len(tail) - bisect_left(tail, checkpoints[-1].key, key=timeline_key)


def absorb(run: Run, decided: Decided, changes: dict[str, Told | None] | None) -> None:
    """Move what a run decided into `decided`; note in `changes` what enforcement knew before."""
    for key, p in run.fired:
        if changes is not None and p.id not in changes:
            changes[p.id] = None
        decided.add(Fate(p, key))
    for p, ended in run.ended:
        fate = decided.get(p.id)
        if fate is None:
            fate = Fate(p, run.place)
            decided.add(fate)
        if changes is not None and p.id not in changes:
            changes[p.id] = (fate.penalty, fate.end)
        fate.end = ended
    run.fired, run.ended = [], []


def warm(state: CreatorState, rulebooks: Rulebooks) -> Cache:
    """Build what a stored state leaves out: the head (snapshot + tail, advanced to the latest event),
    the penalties enforcement was told of, checkpoints along the tail, the ids held. All follow from
    the rest, so a restored worker decides exactly as one that never stopped."""
    if state.cache is not None:
        return state.cache
    core = state.base.copy()
    decided = Decided()
    for p in core.active:
        decided.add(Fate(p, (-1, "")))
    run = Run(core, rulebooks, state.creator_id)
    checkpoints = []
    since = 0
    for entry in state.tail:
        if since >= checkpoint_spacing(core):
            checkpoints.append(Checkpoint(timeline_key(entry), core.copy()))
            since = 0
        run.step(entry)
        since += 1
        absorb(run, decided, None)
    if state.latest > core.clock:
        run.advance(state.latest)
        absorb(run, decided, None)
    run.refresh_due()
    ids = {e.event_id for e in state.tail}
    for records in (state.appeals.values(), state.decisions.values(), state.waiting):
        ids.update(r.event_id for r in records)
    violations = {e.violation: e for e in state.tail if type(e) is Recorded}
    state.cache = Cache(core, decided, checkpoints, since, ids, violations)
    return state.cache
