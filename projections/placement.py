"""Putting entries on a creator's timeline: in order onto the head in place, or a refold from the nearest
checkpoint that stops where it meets the old run. Also what a stored state leaves out, rebuilt (`warm`)."""

from bisect import bisect_right

from projections.reconcile import Told
from projections.rulebook import Rulebooks
from projections.state import Cache, Checkpoint, Core, CreatorState, Entry, Fate, Recorded
from projections.timeline import Run

CHECKPOINT_EVERY = 32
"""A copy of the state is kept every this many tail entries: a recompute replays at most this many
entries before the change, and settling starts from one."""


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
            first = len(tail)
            for entry in entries:
                position = bisect_right(tail, timeline_key(entry), key=timeline_key)
                tail.insert(position, entry)
                first = min(first, position)
            last = max(bisect_right(tail, timeline_key(entry), key=timeline_key) - 1 for entry in entries)
            reason = self.recompute(first, noted, latest=latest, shift=(last, len(entries)))
            if reason is not None:
                for entry in entries:
                    tail.remove(entry)
                return reason
        for entry in entries:
            cache.ids.add(entry.event_id)
            if type(entry) is Recorded:
                cache.violations[entry.violation] = entry
        self.accept(latest)
        return None

    def append(self, entry: Entry, noted: Entry) -> str | None:
        """In order: apply to the head in place."""
        state, cache = self.state, self.cache
        run = Run(cache.head, self.rulebooks, state.creator_id, noting=entry is noted)
        reason = run.check(entry)
        if reason is not None:
            return reason
        position = len(state.tail)
        if position and position % CHECKPOINT_EVERY == 0:
            cache.checkpoints.append(Checkpoint(position, cache.head.copy()))
        run.apply(entry)
        state.tail.append(entry)
        absorb(run, cache.fates, self.changes)
        if entry is noted:
            self.rulebook_at = run.core.rulebook
            self.notes += run.notes
        return None

    def recompute(self, start: int, noted: Entry | None, latest: int | None = None, shift: tuple[int, int] | None = None) -> str | None:
        """Refold the tail from the nearest checkpoint at or before `start` (the first position that changed).
        Nothing is committed if the noted entry is refused at its place.

        `shift` = (last position changed, entries added or removed): past the change, where the refold
        reaches an old checkpoint's place with exactly the old state, the rest of the timeline is the old
        one (the fold is deterministic): the recompute stops there and keeps the old head, checkpoints and
        penalties. A late event then costs what it changes, not the length of the tail."""
        state, cache = self.state, self.cache
        checkpoints, tail = cache.checkpoints, state.tail
        index = bisect_right(checkpoints, start, key=lambda c: c.position)
        # A checkpoint a tick advanced past the entry now at its place (a late one, just inserted) is in that
        # entry's future: start from an earlier one.
        while index and checkpoints[index - 1].position < len(tail) and checkpoints[index - 1].core.clock > tail[checkpoints[index - 1].position].at:
            index -= 1
        origin = checkpoints[index - 1] if index else None
        position, core = (origin.position, origin.core.copy()) if origin else (0, state.base.copy())
        # Everything decided up to the origin is in its state: up to the entry before it, and whatever time
        # (a scheduler tick) advanced it to since.
        after = max(timeline_key(tail[position - 1]), (core.clock, "")) if position else None
        fates, in_force = cache.fates, {p.id for p in core.active}
        # What enforcement was told of every penalty this recompute may decide again.
        told = {cid: (f.penalty, f.end) for cid, f in fates.items() if after is None or f.key > after or cid in in_force}
        work = {cid: Fate(fates[cid].penalty, fates[cid].key) for cid in in_force}
        old = {c.position: c for c in checkpoints[index:]} if shift else {}
        latest = max(state.latest, latest or 0)
        run = Run(core, self.rulebooks, state.creator_id)
        made: list[Checkpoint] = []
        noted_before = len(self.notes)
        for i in range(position, len(tail)):
            if old and i > shift[0]:  # type: ignore[index]
                before = old.get(i - shift[1])  # type: ignore[index]
                if before is not None and self.converged(run, work, before.core, tail[i]):
                    self.commit_converged(i, shift[1], core, told, work, made, checkpoints[:index], latest)  # type: ignore[index]
                    return None
            if i > position and i % CHECKPOINT_EVERY == 0:
                made.append(Checkpoint(i, core.copy()))
            entry = tail[i]
            run.noting = entry is noted
            reason = run.step(entry)
            if reason is not None:
                if entry is noted:
                    del self.notes[noted_before:]
                    return reason
                self.notes.append(f"{entry.event_id} no longer applies at its place: {reason}")
            absorb(run, work, None)
            if run.noting:
                self.rulebook_at = run.core.rulebook
                self.notes += run.notes
                run.notes = []
        run.noting = False
        run.advance(latest)
        absorb(run, work, None)
        # Commit: what was decided after the origin replaces what was decided there before.
        for cid in told:
            del fates[cid]
        fates.update(work)
        cache.head = core
        cache.checkpoints = checkpoints[:index] + made
        self.note_changes(told, work)
        return None

    @staticmethod
    def converged(run: Run, work: dict[str, Fate], before: Core, entry: Entry) -> bool:
        """Is the refold's state, just before `entry`, the old one there? (Time an old checkpoint was
        advanced to by a tick is applied first: advancing in steps changes nothing.)"""
        core = run.core
        if core.clock < before.clock <= entry.at:
            run.advance(before.clock)
            absorb(run, work, None)
        return core == before

    def commit_converged(self, i: int, delta: int, core: Core, told: dict, work: dict[str, Fate], made: list, kept: list, latest: int) -> None:
        state, cache = self.state, self.cache
        after = max(timeline_key(state.tail[i - 1]), (core.clock, ""))
        in_force = {p.id for p in core.active}
        fates = cache.fates
        for cid in told:
            fate = fates[cid]
            if cid in in_force or fate.key > after:
                work[cid] = fate  # in force at the meeting point, or decided after it: the old run's, unchanged
            elif cid not in work:
                del fates[cid]
        fates.update(work)
        cache.checkpoints = kept + made + [Checkpoint(c.position + delta, c.core) for c in cache.checkpoints if c.position + delta >= i]
        if latest > cache.head.clock:  # the old head, advanced to a later latest if the placed entries moved it
            run = Run(cache.head, self.rulebooks, state.creator_id)
            run.advance(latest)
            absorb(run, fates, self.changes)
        self.note_changes(told, work)

    def note_changes(self, told: dict, work: dict[str, Fate]) -> None:
        for cid, was in told.items():
            self.changes.setdefault(cid, was)
        for cid in work:
            self.changes.setdefault(cid, None)


def timeline_key(entry: Entry) -> tuple[int, str]:
    return entry.at, entry.event_id


def absorb(run: Run, fates: dict[str, Fate], changes: dict[str, Told | None] | None) -> None:
    """Move what a run decided into the fates; note in `changes` what enforcement knew before."""
    for key, p in run.fired:
        if changes is not None and p.id not in changes:
            changes[p.id] = None
        fates[p.id] = Fate(p, key)
    for p, ended in run.ended:
        fate = fates.get(p.id)
        if fate is None:
            fate = fates[p.id] = Fate(p, run.place)
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
    fates = {p.id: Fate(p, (-1, "")) for p in core.active}
    run = Run(core, rulebooks, state.creator_id)
    checkpoints = []
    for i, entry in enumerate(state.tail):
        if i and i % CHECKPOINT_EVERY == 0:
            checkpoints.append(Checkpoint(i, core.copy()))
        run.step(entry)
        absorb(run, fates, None)
    if state.latest > core.clock:
        run.advance(state.latest)
        absorb(run, fates, None)
    run.refresh_due()
    ids = {e.event_id for e in state.tail}
    for records in (state.appeals.values(), state.decisions.values(), state.waiting):
        ids.update(r.event_id for r in records)
    violations = {e.violation: e for e in state.tail if type(e) is Recorded}
    state.cache = Cache(core, fates, checkpoints, ids, violations)
    return state.cache
