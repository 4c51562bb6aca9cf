"""A pass of the rules over events: applies each to a Core and records what fired.

`Run` is the working memory of one fold: the Core it advances, the penalties
that fired and the ones that ended, with the rule and events behind each.
The rules themselves live in `projections.rules`; this module holds the
mechanics they share (points, nodes, penalties, the passage of time).
"""

import hashlib
from dataclasses import dataclass, field

from projections.policy import INSTANT_ACTIONS, TERMINAL_ACTIONS, Penalty
from projections.rulebook import Rulebook, Rulebooks
from projections.state import (
    L_AT, L_POINTS, P_ACTION, P_EID, P_GROUP, P_ID, P_LEVEL, P_UNTIL,
    X_CODE, X_DEADLINE, X_DEFERRED, X_EID, X_MISSED, X_SEV, X_VID, Core,
)
from schemas.commands import Action
from schemas.instants import DAY
from schemas.points import to_hundredths


def command_id(creator_id: str, event_id: str, rule: str, action: str) -> str:
    """Deterministic: same creator, causing event and rule give the same id on every run."""
    digest = hashlib.sha256(f"{creator_id}|{event_id}|{rule}|{action}".encode()).hexdigest()
    return f"cmd-{digest[:24]}"


@dataclass(slots=True)
class Fired:
    """A penalty the rules imposed."""

    command_id: str
    action: str
    effective_from: int
    effective_until: int | None
    rule: str
    caused_by: list[str]
    score_before: int
    score_after: int
    rulebook: str
    step: int
    """Index of the tail event during which it fired."""
    detail: str = ""

    @property
    def instant(self) -> bool:
        return Action(self.action) in INSTANT_ACTIONS


@dataclass(slots=True)
class Ended:
    """Why a penalty stopped: its period ran out, an exam was passed, a stronger one replaced it..."""

    rule: str
    at: int
    caused_by: list[str]
    score: int


@dataclass
class Run:
    core: Core
    rulebooks: Rulebooks
    creator_id: str
    fired: list[Fired] = field(default_factory=list)
    ended: dict[str, Ended] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    step: int = 0
    noting: int = -1
    """Only notes made while applying this tail position are kept (re-applied events were noted before)."""
    rulebook: Rulebook = field(init=False)

    def __post_init__(self) -> None:
        self.rulebook = self.rulebooks[self.core.rulebook]

    def switch_rulebook(self, rulebook: Rulebook) -> None:
        """Enrolment and migration change which rules apply from here on."""
        self.core.rulebook, self.rulebook = rulebook.key, rulebook

    def note(self, text: str) -> None:
        if self.step == self.noting:
            self.notes.append(text)

    # Points and nodes -----------------------------------------------------
    def change_points(self, points: int, rule: str) -> tuple[int, int, list[tuple[str, Penalty]]]:
        """Take a violation's points (deduct in credit mode, add in points mode).
        Returns score before, after, and the penalties of the nodes it crossed, for the caller to impose."""
        rb, core = self.rulebook, self.core
        before = core.score
        after = rb.clamp(before - points if rb.credit else before + points)
        core.score, core.rule = after, rule
        penalties = [(f"node:{n.node.at}", p) for n in self.crossed_nodes(before, after) for p in n.node.penalties]
        threshold = rb.clear_out_at
        if threshold is not None and before < threshold <= after:
            penalties.append(("clear_out", _CLEAR_OUT))
        return before, after, penalties

    def take_points(self, points: int, at: int, rule: str, eid: str, detail: str) -> None:
        """Points that arrive without a new violation (a deferred penalty whose exam was missed or failed)."""
        before, after, penalties = self.change_points(points, rule)
        # The deduction lands now, so the clean streak restarts now (DOMAIN 7: a deduction resets the
        # recovery clock). Without this the streak counted from the violation, and a deferred point that
        # landed at the exam deadline (day 7) was given straight back by the 7-day cadence below 10.
        self.core.clean_since = at
        self.impose(penalties, at, [eid], before, after, detail)

    def crossed_nodes(self, before: int, after: int):
        """Credit: nodes with before > at >= after. Points: before < at <= after (Ozone's 'highest threshold crossed')."""
        if self.rulebook.credit:
            return [n for n in self.rulebook.nodes if before > n.at >= after]
        return [n for n in self.rulebook.nodes if before < n.at <= after]

    def impose(self, penalties: list[tuple[str, Penalty]], at: int, caused_by: list[str], before: int, after: int, detail: str = "") -> None:
        """Fire penalties that arose together. Within a group only the highest level applies (Douyin 4.2)."""
        if not penalties:
            return
        if self.core.terminal:
            self.note(f"{self.core.terminal} already in force: no further penalties")
            return
        strongest: dict[str, tuple[str, Penalty]] = {}
        chosen: list[tuple[str, Penalty]] = []
        for rule, penalty in penalties:
            if penalty.group is None:
                chosen.append((rule, penalty))
                continue
            held = strongest.get(penalty.group)
            if held is None or _stronger(penalty, held[1]):
                strongest[penalty.group] = (rule, penalty)
        chosen.extend(strongest.values())
        for rule, penalty in chosen:
            self.fire(rule, penalty, at, caused_by, before, after, detail)

    def fire(self, rule: str, penalty: Penalty, at: int, caused_by: list[str], before: int, after: int, detail: str = "") -> None:
        core, rb = self.core, self.rulebook
        start = at
        until = None if penalty.days is None else at + penalty.days * DAY
        if penalty.group and penalty.action not in INSTANT_ACTIONS:
            running = [p for p in core.active if p[P_GROUP] == penalty.group]
            if running and rb.policy.overlap == "extend":
                if any(p[P_UNTIL] is None for p in running):
                    self.note(f"{rule}: {penalty.group} already permanent")
                    return
                start = max(p[P_UNTIL] for p in running)
                until = None if penalty.days is None else start + penalty.days * DAY
            elif running and rb.policy.overlap == "max":
                if any(p[P_LEVEL] >= penalty.level and _outlasts(p[P_UNTIL], until) for p in running):
                    self.note(f"{rule}: {penalty.action.value} absorbed by a stronger {penalty.group} penalty in force")
                    return
                self.end([p for p in running if p[P_LEVEL] <= penalty.level and _outlasts(until, p[P_UNTIL])], "superseded", at, caused_by)
            elif running:  # replace
                self.end(running, "replaced", at, caused_by)
        cid = command_id(self.creator_id, caused_by[-1], rule, penalty.action.value)
        self.fired.append(
            Fired(cid, penalty.action.value, start, until, rule, caused_by, before, after, core.rulebook, self.step, detail)
        )
        core.rule = rule
        if penalty.action not in INSTANT_ACTIONS:
            core.active.append([cid, penalty.action.value, penalty.group, penalty.level, start, until, rule, caused_by[-1]])
        if penalty.action in TERMINAL_ACTIONS and penalty.days is None:
            core.terminal = penalty.action.value

    def end(self, entries: list[list], rule: str, at: int, caused_by: list[str]) -> None:
        if not entries:
            return
        gone = {p[P_ID] for p in entries}
        self.core.active = [p for p in self.core.active if p[P_ID] not in gone]
        for cid in gone:
            self.ended[cid] = Ended(rule, at, caused_by, self.core.score)
        if self.core.terminal and not any(p[P_ACTION] == self.core.terminal for p in self.core.active):
            self.core.terminal = None

    # The passage of time --------------------------------------------------
    def advance(self, to: int) -> None:
        """Apply everything that falls due up to `to`, earliest first: ends of penalties, exam deadlines,
        expiring points, recovery credit, calendar resets. Time only ever comes from events."""
        core = self.core
        if core.period is None:
            core.period = self.rulebook.period_of(max(core.clock, to) if core.clock == 0 else core.clock)
        while (due := self._next_due(to)) is not None:
            at, handler, argument = due
            handler(argument, at)
        if to // DAY != core.clock // DAY:  # once a day of event time is plenty, and keeps folds cheap
            core.clock = max(core.clock, to)
            self.forget()
        core.clock = max(core.clock, to)

    def forget(self) -> None:
        """Drop ledger records no window can reach any more, so state stays small. Points-mode records
        with live points are kept: they are the total. Part of the passage of time, so a replay from the
        snapshot forgets at exactly the steps a live fold did."""
        core, rb = self.core, self.rulebook
        horizon = core.clock - rb.record_days * DAY
        if core.ledger and core.ledger[0][L_AT] < horizon:
            core.ledger = [e for e in core.ledger if e[L_AT] >= horizon or (e[L_POINTS] and not rb.credit)]

    def _next_due(self, to: int):
        """The earliest thing falling due at or before `to`, as (instant, handler, argument), or None."""
        core, rb = self.core, self.rulebook
        best_at, best = to + 1, None
        for p in core.active:
            until = p[P_UNTIL]
            if until is not None and until < best_at:
                best_at, best = until, (self._period_over, p)
        if core.exams:
            grace = rb.policy.exam_report_grace_days * DAY
            for x in core.exams:
                if not x[X_MISSED]:
                    if x[X_DEADLINE] < best_at:
                        best_at, best = x[X_DEADLINE], (self.exam_deadline, x)
                elif x[X_DEFERRED] and x[X_DEADLINE] + grace < best_at:
                    # A missed exam-instead-of-penalty has nothing left to lift: forget it once no report can undo it.
                    best_at, best = x[X_DEADLINE] + grace, (self._forget_exam, x)
        expiry = rb.policy.point_expiry_days
        if expiry:
            for entry in core.ledger:
                if entry[L_POINTS] and entry[L_AT] + expiry * DAY < best_at:
                    best_at, best = entry[L_AT] + expiry * DAY, (self.expire_points, entry)
        if rb.recovery and core.clean_since is not None and rb.cap is not None and core.score < rb.cap:
            step = rb.recovery_step(core.score)
            if step and core.clean_since + step[0] < best_at:
                best_at, best = core.clean_since + step[0], (self.recover, step)
        if core.period is not None:
            boundary = rb.period_start(core.period + 1)
            if boundary < best_at:
                best_at, best = boundary, (self._reset, None)
        return None if best is None else (best_at, *best)

    def _period_over(self, penalty: list, at: int) -> None:
        self.end([penalty], "period_over", at, [penalty[P_EID]])

    def _forget_exam(self, exam: list, at: int) -> None:
        self.forget_exam(exam)

    def _reset(self, _: None, at: int) -> None:
        self.reset(at)

    def exam_deadline(self, exam: list, at: int) -> None:
        """Deadline passed without a pass. Deferred points (exam instead of penalty) now apply;
        a mandatory exam's miss penalties run until it is passed (Kuaishou 以考代罚, 强制考试)."""
        core = self.core
        core.exams = [x for x in core.exams if x is not exam]
        # Kept, marked missed: a pass dated before the deadline may still be reported within the grace
        # (DOMAIN edge case 5); while it is kept the fold holds the violation open for that replay.
        core.exams.append([*exam[:X_MISSED], True, exam[X_CODE], exam[X_SEV]])
        if exam[X_DEFERRED]:
            self.take_points(exam[X_DEFERRED], at, f"exam_missed:{exam[X_CODE]}", exam[X_EID], "exam instead of penalty not taken")
            return
        requirement = self.rulebook.exam_for(exam[X_CODE], exam[X_SEV]) if exam[X_CODE] in self.rulebook.policy.catalogue else None
        on_miss = requirement.on_miss if requirement else []
        misses = [(f"exam_missed:{exam[X_VID]}", p.model_copy(update={"days": None})) for p in on_miss]
        self.impose(misses, at, [exam[X_EID]], core.score, core.score, "exam not passed by its deadline")

    def forget_exam(self, exam: list) -> None:
        self.core.exams = [x for x in self.core.exams if x is not exam]

    def expire_points(self, entry: list, at: int) -> None:
        """Each violation's points drop off after the expiry period (TikTok, YouTube: 90 days)."""
        core, rb = self.core, self.rulebook
        core.ledger = [[*e[:L_POINTS], 0, *e[L_POINTS + 1:]] if e is entry else e for e in core.ledger]
        points = entry[L_POINTS]
        core.score = rb.clamp(core.score + points if rb.credit else core.score - points)
        core.rule = "point_expiry"

    def recover(self, step: tuple[int, int], at: int) -> None:
        """Clean-period credit; the cadence depends on the score (Douyin 4.3). Never lifts a node penalty."""
        core, rb = self.core, self.rulebook
        core.score = rb.clamp(core.score + step[1])
        core.clean_since = at
        core.rule = f"recovery:{step[0] // DAY}d"

    def reset(self, at: int) -> None:
        """Calendar reset of points (Shopee: quarterly; Kuaishou: yearly)."""
        core, rb = self.core, self.rulebook
        assert rb.policy.reset is not None and core.period is not None
        carry = to_hundredths(rb.policy.reset.carry_over)
        core.score = rb.clamp(rb.start - carry if rb.credit else min(core.score, carry))
        core.ledger = [[*e[:L_POINTS], 0, *e[L_POINTS + 1:]] for e in core.ledger]
        core.period += 1
        core.rule = "reset"


_CLEAR_OUT = Penalty(action=Action.CLEAR_OUT)


def _stronger(a: Penalty, b: Penalty) -> bool:
    if a.level != b.level:
        return a.level > b.level
    return _outlasts(None if a.days is None else a.days, None if b.days is None else b.days) and a.days != b.days


def _outlasts(a: int | None, b: int | None) -> bool:
    """Does a period ending at `a` last at least as long as one ending at `b` (None is forever)?"""
    if a is None:
        return True
    return b is not None and a >= b
