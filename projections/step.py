"""The working of one call of the fold: the state it updates, and what it has to report.

Acceptance (`projections.accept`) decides what to do with an event; a Step does it: holds, refuses,
lets time pass, places entries on the timeline (`Placement`), overturns, reconciles what
enforcement was told, settles (`Settling`).
"""

from bisect import bisect_left

from projections.outcome import Folded, Outcome, Resolution
from projections.placement import Placement, absorb, timeline_key
from projections.reconcile import Reconciler, Told
from projections.rulebook import Rulebook, Rulebooks
from projections.settle import Settling, forget_oldest
from projections.state import AppealFiled, Cache, CreatorState, Decision, Held, Recorded, fingerprint
from projections.timeline import Run
from schemas.commands import Command


class Step(Placement, Settling):
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
        self.remember(self.event_id, at)
        return Folded(self.state, self.reconcile(), Outcome("rejected", reason, notes=tuple(self.notes), resolved=tuple(self.resolved)))

    def remember(self, event_id: str, at: int) -> None:
        """Keep an event id the state does not otherwise hold, within the horizon: a re-send is a duplicate."""
        state = self.state
        frontier = self.frontier(state.latest)
        forget_oldest(state.remembered, lambda when: when < frontier)
        state.remembered[fingerprint(event_id)] = at

    def hold(self, held: Held, reason: str) -> Folded:
        self.state.waiting.append(held)
        self.cache.ids.add(held.event_id)
        self.cache.waiting_due = None
        self.accept(held.at)
        return self.done("held", reason)

    def release(self, held: Held, status: str, reason: str = "") -> None:
        self.state.waiting.remove(held)
        self.cache.waiting_due = None
        if status == "rejected":
            self.cache.ids.discard(held.event_id)
            self.remember(held.event_id, held.at)
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
            absorb(run, cache.decided, self.changes)
        elif at > head.clock:  # nothing falls due: time just passes
            head.clock = at
        if state.waiting and at > self.waiting_due():
            self.expire_waiting()
        self.settle()

    def waiting_due(self) -> int:
        """The latest instant past which some held event can no longer be matched: held events are looked at
        only then, not at every event (a busy creator can hold many)."""
        cache = self.cache
        if cache.waiting_due is None:
            late = self.rulebook.late_seconds
            cache.waiting_due = min(self.matchable_until(held) for held in self.state.waiting) + late
        return cache.waiting_due

    def matchable_until(self, held: Held) -> int:
        """The frontier past which a held event can no longer be matched (see `could_still_match`)."""
        if type(held) is Decision:
            violation = self.cache.violations.get(held.violation)
            if violation is not None:
                return min(held.at, self.rulebook.appeal_deadline(violation.at) - 1)
        return held.at

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
        for record in (appeal, decision):
            if record is not None:
                cache.ids.discard(record.event_id)
                self.remember(record.event_id, record.at)  # a re-send within the horizon is a duplicate
        violation = cache.violations.pop(decision.violation)
        cache.ids.discard(violation.event_id)  # a re-send is now refused as overturned, as after a restore
        position = bisect_left(state.tail, timeline_key(violation), key=timeline_key)
        del state.tail[position]
        self.overturned = violation.event_id
        self.recompute(timeline_key(violation), None, changed_up_to=position - 1)

    def reconcile(self) -> list[Command]:
        if not self.changes:
            return []
        state, cache = self.state, self.cache
        reconciler = Reconciler(state.creator_id, self.rulebooks, state.lifted, cache.head.clock, cache.head.score, cache.head.rulebook)
        reconciler.apply(((cid, told, cache.decided.get(cid)) for cid, told in self.changes.items()), self.event_id, self.overturned)
        self.changes = {}
        return reconciler.commands()
