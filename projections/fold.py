"""The fold: `fold(state, event, rulebooks) -> (state, commands, outcome)`.

Pure: no clock, no randomness, no I/O. The Faust agent, the replay CLI and the tests all call
this one function, so live and replay cannot disagree. What it decides is written down in
docs/semantics.md; `tests/projections/oracle.py` decides the same the slow way.

How one event is folded:
1. A duplicate event id folds once; an event older than the late-event horizon is refused.
2. Appeals and decisions are checked against what is known; one that names something not yet
   known is held until it arrives (or can no longer arrive).
3. A timeline event (violation, exam result, enrolment, migration) takes its place by event time.
   In order, it is applied to the head in place: O(1) whatever the history. Late, or when an
   overturn removes a violation, the timeline is recomputed from the nearest checkpoint before
   the change.
4. The penalties that changed are compared with what enforcement was told
   (`projections.reconcile`); the difference becomes commands.
5. Leading events that can no longer change are settled into the snapshot.

The state passed in is updated in place and returned: it is the creator's private working copy.
"""

from bisect import bisect_left, bisect_right
from typing import Any, NamedTuple

from projections.reconcile import Reconciler, Told
from projections.rulebook import Rulebook, Rulebooks
from projections.state import (
    AppealFiled, Cache, Checkpoint, Core, CreatorState, Decision, Enrolled, Entry, ExamResult, Fate, Held, Key, Migrated,
    Recorded, fingerprint,
)
from projections.timeline import Run
from schemas.commands import Command
from schemas.instants import parse_instant

CHECKPOINT_EVERY = 32
"""A copy of the state is kept every this many tail entries: a recompute replays at most this many
entries before the change, and settling starts from one."""

TICKS = frozenset({"exam_due", "appeal_window_closed", "penalty_ended"})
"""Scheduler events: they carry no rule of their own, only the passage of time."""


class Resolution(NamedTuple):
    """A held event resolved by a later one: accepted (folded) or refused, with the reason."""

    event_id: str
    status: str
    reason: str = ""


class Outcome(NamedTuple):
    """What became of one event."""

    status: str
    """folded, held, duplicate or rejected."""
    reason: str = ""
    """For rejections, duplicates and held events: a stable, machine-readable reason."""
    score: int | None = None
    """The creator's score (or points) after the event, in hundredths; none when it was refused."""
    rule: str = ""
    rulebook: str = ""
    """The rulebook in force at the event's place in the timeline."""
    notes: tuple[str, ...] = ()
    resolved: tuple[Resolution, ...] = ()
    """Held events this event resolved."""


class Folded(NamedTuple):
    state: CreatorState
    commands: list[Command]
    outcome: Outcome


def new_state(creator_id: str, rulebooks: Rulebooks) -> CreatorState:
    default = rulebooks.default
    return CreatorState(creator_id, Core(default.key, default.start))


def fold(state: CreatorState | None, event: dict[str, Any], rulebooks: Rulebooks) -> Folded:
    if state is None:
        state = new_state(event["creator_id"], rulebooks)
    step = _Step(state, state.cache or warm(state, rulebooks), rulebooks, event["event_id"])
    # Lateness first: whether an old event is still remembered depends on how much was compacted, and no
    # outcome may depend on that.
    at = parse_instant(event["occurred_at"])
    if at < state.latest - step.rulebook.late_seconds:
        return step.refuse(at, "too_late")
    if step.event_id in step.cache.ids or (state.refused and fingerprint(step.event_id) in state.refused):
        return Folded(state, [], Outcome("duplicate", "duplicate_event_id"))
    return _ACCEPT[event["type"]](step, event, at)


# Acceptance, one function per kind of event ------------------------------------------------


def _violation(step: "_Step", event: dict[str, Any], at: int) -> Folded:
    state, vid = step.state, event["violation_id"]
    if vid in state.revoked:
        return step.refuse(at, "violation_overturned")
    if vid in step.cache.violations or step.settled(vid) is not None:
        return step.refuse(at, "duplicate_violation")
    entry = Recorded(at, step.event_id, vid, event["code"], event["severity"])
    released = [w for w in state.waiting if type(w) is ExamResult and w.violation == vid] if state.waiting else []
    reason = step.place([entry, *released], entry)
    if reason is not None:
        return step.refuse(at, reason)
    if state.waiting:
        for held in released:
            step.release(held, "folded")
        step.settle_waiting(vid)
    return step.done()


def _appeal(step: "_Step", event: dict[str, Any], at: int) -> Folded:
    state, vid = step.state, event["violation_id"]
    if vid in state.revoked or vid in state.decisions:
        return step.refuse(at, "appeal_already_decided")
    if vid in state.appeals or any(type(w) is AppealFiled and w.violation == vid for w in state.waiting):
        return step.refuse(at, "appeal_already_filed")
    appeal = AppealFiled(at, step.event_id, vid)
    violation = step.cache.violations.get(vid)
    if violation is None:
        settled = step.settled(vid)
        if settled is not None:
            # Settled means no appeal can still be in time.
            return step.refuse(at, "appeal_already_decided" if settled & 1 else "appeal_window_closed")
        return step.hold(appeal, "waiting_for_violation")
    reason = step.appeal_refusal(violation, appeal)
    if reason is not None:
        return step.refuse(at, reason)
    state.appeals[vid] = appeal
    step.cache.ids.add(appeal.event_id)
    step.accept(at)
    if state.waiting:
        step.settle_waiting(vid)
    return step.done()


def _decision(step: "_Step", event: dict[str, Any], at: int) -> Folded:
    state, vid = step.state, event["violation_id"]
    if vid in state.revoked or vid in state.decisions or any(type(w) is Decision and w.violation == vid for w in state.waiting):
        return step.refuse(at, "appeal_already_decided")
    decision = Decision(at, step.event_id, vid, event["outcome"] == "overturned")
    if vid not in step.cache.violations:
        settled = step.settled(vid)
        if settled is not None:
            return step.refuse(at, "appeal_already_decided" if settled & 1 else "no_appeal_on_file")
    appeal = state.appeals.get(vid)
    if appeal is not None:
        if appeal.at > at:
            return step.refuse(at, "no_appeal_on_file")  # decided before it was filed
        step.accept(at)
        step.decide(decision)
        return step.done()
    waiting_for = "waiting_for_appeal" if vid in step.cache.violations else "waiting_for_violation"
    if not step.could_still_match(decision, step.frontier(max(state.latest, at))):
        return step.refuse(at, "no_appeal_on_file" if waiting_for == "waiting_for_appeal" else "violation_unknown")
    return step.hold(decision, waiting_for)


def _exam_result(step: "_Step", event: dict[str, Any], at: int) -> Folded:
    state, vid = step.state, event.get("violation_id")
    passed = event["type"] == "exam_passed"
    result = ExamResult(at, step.event_id, vid, passed, event.get("score_percent", 100 if passed else 0))
    if vid is not None:
        exam = next((x for x in step.cache.head.exams if x.violation == vid), None)
        if exam is not None and at < exam.deadline and max(state.latest, at) > exam.deadline + step.rulebook.grace_seconds:
            return step.refuse(at, "exam_report_too_late")
        known = vid in step.cache.violations or vid in state.revoked or step.settled(vid) is not None
        if not known:
            return step.hold(result, "waiting_for_violation")
    reason = step.place([result], result)
    return step.refuse(at, reason) if reason is not None else step.done()


def _enrolment(step: "_Step", event: dict[str, Any], at: int) -> Folded:
    entry = Enrolled(at, step.event_id, event["rulebook"], event.get("role"))
    reason = step.place([entry], entry)
    return step.refuse(at, reason) if reason is not None else step.done()


def _migration(step: "_Step", event: dict[str, Any], at: int) -> Folded:
    entry = Migrated(at, step.event_id, event["rulebook"])
    reason = step.place([entry], entry)
    return step.refuse(at, reason) if reason is not None else step.done()


def _tick(step: "_Step", event: dict[str, Any], at: int) -> Folded:
    """Scheduler deadline events: time passes to them. They are idempotent, so they are not remembered."""
    if at <= step.state.latest:
        step.notes.append("the creator's clock is already past this instant")
    step.accept(at)
    return step.done()


_ACCEPT = {
    "violation_recorded": _violation,
    "appeal_filed": _appeal,
    "appeal_resolved": _decision,
    "exam_passed": _exam_result,
    "exam_failed": _exam_result,
    "creator_enrolled": _enrolment,
    "rulebook_migrated": _migration,
    **{kind: _tick for kind in TICKS},
}


# The working of one call ---------------------------------------------------------------------


class _Step:
    """One call of fold: the state it updates and what it has to report."""

    __slots__ = ("state", "cache", "rulebooks", "event_id", "changes", "overturned", "resolved", "notes", "rulebook_at")

    def __init__(self, state: CreatorState, cache: Cache, rulebooks: Rulebooks, event_id: str):
        self.state, self.cache, self.rulebooks, self.event_id = state, cache, rulebooks, event_id
        self.changes: dict[str, Told | None] = {}
        """Penalties this call changed, with what enforcement knew of them before it: one reconciliation
        at the end, so a penalty decided and undone within one event is never sent."""
        self.overturned = ""
        self.resolved: list[Resolution] = []
        self.notes: list[str] = []
        self.rulebook_at = ""

    @property
    def rulebook(self) -> Rulebook:
        """The rulebook in force now (enrolment and migration change it)."""
        return self.rulebooks[self.cache.head.rulebook]

    def settled(self, vid: str) -> int | None:
        """A settled violation remembered (its instant * 2 + 1 if decided), within violation_memory_days of the
        latest event: by event time, never by how much happened to be compacted."""
        value = self.state.known.get(vid)
        if value is None or value >> 1 < self.state.latest - self.rulebook.memory_seconds:
            return None
        return value

    def frontier(self, latest: int) -> int:
        """The oldest instant an event may still carry and take its place."""
        return latest - self.rulebook.late_seconds

    # Outcomes ---------------------------------------------------------------
    def done(self, status: str = "folded", reason: str = "") -> Folded:
        head = self.cache.head
        outcome = Outcome(status, reason, head.score, head.rule, self.rulebook_at or head.rulebook, tuple(self.notes), tuple(self.resolved))
        return Folded(self.state, self.reconcile(), outcome)

    def refuse(self, at: int, reason: str) -> Folded:
        """Nothing changes but the memory of the event id, so a re-send is a duplicate, not a second verdict."""
        state = self.state
        refused = state.refused
        _forget_oldest(refused, lambda when: when < self.frontier(state.latest))
        refused[fingerprint(self.event_id)] = at
        return Folded(state, self.reconcile(), Outcome("rejected", reason, notes=tuple(self.notes), resolved=tuple(self.resolved)))

    def hold(self, held: Held, reason: str) -> Folded:
        self.state.waiting.append(held)
        self.cache.ids.add(held.event_id)
        self.accept(held.at)
        return self.done("held", reason)

    def release(self, held: Held, status: str, reason: str = "") -> None:
        self.state.waiting.remove(held)
        if status == "rejected":
            self.cache.ids.discard(held.event_id)
            self.state.refused[fingerprint(held.event_id)] = held.at
        self.resolved.append(Resolution(held.event_id, status, reason))

    # Time -------------------------------------------------------------------
    def accept(self, at: int) -> None:
        """An accepted event moves the creator's clock: time passes to it, and held events that can no
        longer be matched are refused."""
        state, cache = self.state, self.cache
        if at <= state.latest:
            return
        state.latest = at
        head = cache.head
        if at >= head.due:
            run = Run(head, self.rulebooks, state.creator_id)
            run.advance(at)
            _absorb(run, cache.fates, self.changes)
        elif at > head.clock:  # nothing falls due: time just passes
            head.clock = at
        if state.waiting:
            self.expire_waiting()
        self.settle()

    def expire_waiting(self) -> None:
        frontier = self.frontier(self.state.latest)
        for held in list(self.state.waiting):
            if type(held) is Decision:
                if not self.could_still_match(held, frontier):
                    self.release(held, "rejected", "no_appeal_on_file" if held.violation in self.cache.violations else "violation_unknown")
            elif held.at < frontier:  # its violation, recorded no later than it, can no longer arrive
                self.release(held, "rejected", "violation_unknown")

    # Appeals ----------------------------------------------------------------
    def appeal_refusal(self, violation: Recorded, appeal: AppealFiled) -> str | None:
        """seed 001 §3.4: an appeal within the window, counted from when the creator was told."""
        if appeal.at < violation.at:
            return "appeal_before_violation"
        if appeal.at >= self.rulebook.appeal_deadline(violation.at):
            return "appeal_window_closed"
        return None

    def could_still_match(self, decision: Decision, frontier: int) -> bool:
        """Can an appeal filed in time, and no later than the decision, still arrive inside the horizon?"""
        violation = self.cache.violations.get(decision.violation)
        if violation is None:
            return frontier <= decision.at
        latest_filing = min(decision.at, self.rulebook.appeal_deadline(violation.at) - 1)
        return max(frontier, violation.at) <= latest_filing

    def settle_waiting(self, vid: str) -> None:
        """A violation or appeal arrived: held events naming it are decided now."""
        for held in [w for w in self.state.waiting if w.violation == vid]:
            if type(held) is AppealFiled:
                violation = self.cache.violations.get(vid)
                if violation is None:
                    continue
                reason = self.appeal_refusal(violation, held)
                if reason is not None:
                    self.release(held, "rejected", reason)
                    continue
                self.release(held, "folded")
                self.state.appeals[vid] = held
                self.cache.ids.add(held.event_id)
        for held in [w for w in self.state.waiting if w.violation == vid and type(w) is Decision]:
            appeal = self.state.appeals.get(vid)
            if appeal is None:
                continue
            if appeal.at > held.at:
                self.release(held, "rejected", "no_appeal_on_file")
                continue
            self.release(held, "folded")
            self.cache.ids.add(held.event_id)
            self.decide(held)

    def decide(self, decision: Decision) -> None:
        """Sustained: the handling stands. Overturned: the violation leaves the timeline as if never recorded."""
        state, cache = self.state, self.cache
        cache.ids.add(decision.event_id)
        if not decision.overturned:
            state.decisions[decision.violation] = decision
            return
        state.revoked[decision.violation] = decision.at
        appeal = state.appeals.pop(decision.violation, None)  # decided for good: the overturn is what is kept
        if appeal is not None:
            cache.ids.discard(appeal.event_id)
        cache.ids.discard(decision.event_id)
        violation = cache.violations.pop(decision.violation)
        cache.ids.discard(violation.event_id)  # a re-send is now refused as overturned, as after a restore
        position = bisect_left(state.tail, _key(violation), key=_key)
        del state.tail[position]
        self.overturned = violation.event_id
        self.recompute(position, None, shift=(position - 1, -1))

    # The timeline -------------------------------------------------------------
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
            in_order = all(e.at >= head.clock for e in entries) and all(_key(a) < _key(b) for a, b in zip([*tail[-1:], *entries], entries))
        if in_order:
            for entry in entries:
                reason = self.append(entry, noted)
                if reason is not None:
                    return reason
        else:
            first = len(tail)
            for entry in entries:
                position = bisect_right(tail, _key(entry), key=_key)
                tail.insert(position, entry)
                first = min(first, position)
            last = max(bisect_right(tail, _key(entry), key=_key) - 1 for entry in entries)
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
        _absorb(run, cache.fates, self.changes)
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
        after = max(_key(tail[position - 1]), (core.clock, "")) if position else None
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
            _absorb(run, work, None)
            if run.noting:
                self.rulebook_at = run.core.rulebook
                self.notes += run.notes
                run.notes = []
        run.noting = False
        run.advance(latest)
        _absorb(run, work, None)
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
            _absorb(run, work, None)
        return core == before

    def commit_converged(self, i: int, delta: int, core: Core, told: dict, work: dict[str, Fate], made: list, kept: list, latest: int) -> None:
        state, cache = self.state, self.cache
        after = max(_key(state.tail[i - 1]), (core.clock, ""))
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
            _absorb(run, fates, self.changes)
        self.note_changes(told, work)

    def note_changes(self, told: dict, work: dict[str, Fate]) -> None:
        for cid, was in told.items():
            self.changes.setdefault(cid, was)
        for cid in work:
            self.changes.setdefault(cid, None)

    def reconcile(self) -> list[Command]:
        if not self.changes:
            return []
        state, cache = self.state, self.cache
        reconciler = Reconciler(state.creator_id, self.rulebooks, state.lifted, cache.head.clock, cache.head.score, cache.head.rulebook)
        reconciler.apply(((cid, told, cache.fates.get(cid)) for cid, told in self.changes.items()), self.event_id, self.overturned)
        self.changes = {}
        return reconciler.commands()

    # Settling -----------------------------------------------------------------
    def settle(self) -> None:
        """Move into the snapshot the leading entries no late event, appeal or decision can change any more.
        A long tail settles up to a checkpoint (no replay); a short one when at least half of it can go (a
        replay as long as what it saves). `compact` settles everything that can be, for storage."""
        tail = self.state.tail
        if not tail or tail[0].at >= self.frontier(self.state.latest):
            return
        if len(tail) >= 2 * CHECKPOINT_EVERY:
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
        self.forget_fates(core, max(_key(settled[-1]), (core.clock, "")))
        memory = state.latest - self.rulebook.memory_seconds
        _forget_oldest(state.known, lambda value: value >> 1 < memory)

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


def compact(state: CreatorState, rulebooks: Rulebooks) -> CreatorState:
    """Settle everything that can no longer change into the snapshot: what a table should store. Changes no
    outcome, ever; only how much is kept."""
    step = _Step(state, state.cache or warm(state, rulebooks), rulebooks, "")
    step.settle_to(step.settleable(), replay=True)
    return state


def _key(entry: Entry) -> tuple[int, str]:
    return entry.at, entry.event_id


def _forget_oldest(memory: dict[int, int], expired) -> None:
    """Drop the oldest entries of an insertion-ordered memory while they are expired."""
    while memory:
        key, value = next(iter(memory.items()))
        if not expired(value):
            return
        del memory[key]


def _absorb(run: Run, fates: dict[str, Fate], changes: dict[str, Told | None] | None) -> None:
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
        _absorb(run, fates, None)
    if state.latest > core.clock:
        run.advance(state.latest)
        _absorb(run, fates, None)
    run.refresh_due()
    ids = {e.event_id for e in state.tail}
    for records in (state.appeals.values(), state.decisions.values(), state.waiting):
        ids.update(r.event_id for r in records)
    violations = {e.violation: e for e in state.tail if type(e) is Recorded}
    state.cache = Cache(core, fates, checkpoints, ids, violations)
    return state.cache
