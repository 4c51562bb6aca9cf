"""The reference fold: deliberately simple and slow.

It keeps every accepted event and, for every new one, decides acceptance by scanning all it has
seen and refolds the whole accepted history from scratch in event-time order (docs/semantics.md).
No snapshot, no tail, no checkpoints, no settling, no memory limits, no reconciliation: it shares
only the rule clauses (`projections.rules`, `projections.due`) with the fast fold, so every
shortcut of the fast fold is held to it.
"""

from collections import Counter
from typing import Any

from projections.policy import INSTANT_ACTIONS
from projections.rulebook import Rulebooks
from projections.standing import terminal
from projections.state import AppealFiled, Core, Decision, Enrolled, ExamResult, Migrated, Recorded
from projections.timeline import Run
from schemas.instants import format_instant, parse_instant
from schemas.points import format_points

TICKS = {"exam_due", "appeal_window_closed", "penalty_ended"}


class Oracle:
    def __init__(self, rulebooks: Rulebooks, creator_id: str):
        self.rulebooks, self.creator_id = rulebooks, creator_id
        self.timeline: list = []
        self.violations: dict[str, Recorded] = {}
        self.appeals: dict[str, AppealFiled] = {}
        self.decisions: dict[str, Decision] = {}
        self.held: list = []
        self.ids: set[str] = set()
        self.latest = 0

    # The history, refolded ------------------------------------------------------------------
    def refold(self, extra=None, until: int | None = None) -> tuple[Run, str | None]:
        """Fold every accepted timeline entry (and `extra`) from scratch; the refusal reason of `extra`."""
        revoked = {vid for vid, d in self.decisions.items() if d.overturned}
        entries = sorted([*self.timeline, *([extra] if extra else [])], key=lambda e: (e.at, e.event_id))
        default = self.rulebooks.default
        run = Run(Core(default.key, default.start), self.rulebooks, self.creator_id)
        fired, refused = [], None
        for entry in entries:
            if type(entry) is Recorded and entry.violation in revoked:
                continue
            reason = run.step(entry)
            if entry is extra:
                refused = reason
        run.advance(max(self.latest, until or 0, extra.at if extra else 0))
        return run, refused

    # Acceptance -------------------------------------------------------------------------------
    def feed(self, event: dict[str, Any]) -> str:
        """The status: folded, held, duplicate or rejected."""
        eid, kind = event["event_id"], event["type"]
        at = parse_instant(event["occurred_at"])
        head = self.refold()[0]
        rulebook = self.rulebooks[head.core.rulebook]
        if at < self.latest - rulebook.late_seconds:
            self.ids.add(eid)
            return "rejected"
        if eid in self.ids:
            return "duplicate"
        if kind not in TICKS:  # ticks are idempotent: not remembered
            self.ids.add(eid)
        vid = event.get("violation_id")
        overturned = {v for v, d in self.decisions.items() if d.overturned}
        if kind in TICKS:
            return self.accept(at)
        if kind == "violation_recorded":
            if vid in overturned or vid in self.violations:
                return "rejected"
            entry = Recorded(at, eid, vid, event["code"], event["severity"])
            if self.refold(entry)[1] is not None:
                return "rejected"
            self.timeline.append(entry)
            self.violations[vid] = entry
            for held in [h for h in self.held if type(h) is ExamResult and h.violation == vid]:
                self.held.remove(held)
                self.timeline.append(held)
            status = self.accept(at)
            self.settle_held(vid)
            return status
        if kind == "appeal_filed":
            if vid in self.decisions:
                return "rejected"
            if vid in self.appeals or any(type(h) is AppealFiled and h.violation == vid for h in self.held):
                return "rejected"
            appeal = AppealFiled(at, eid, vid)
            if vid not in self.violations:
                self.held.append(appeal)
                self.accept(at)
                return "held"
            if self.appeal_refusal(appeal):
                return "rejected"
            self.appeals[vid] = appeal
            status = self.accept(at)
            self.settle_held(vid)
            return status
        if kind == "appeal_resolved":
            if vid in self.decisions or any(type(h) is Decision and h.violation == vid for h in self.held):
                return "rejected"
            decision = Decision(at, eid, vid, event["outcome"] == "overturned")
            appeal = self.appeals.get(vid)
            if appeal is not None:
                if appeal.at > at:
                    return "rejected"
                self.decisions[vid] = decision
                return self.accept(at)
            if not self.could_match(decision, max(self.latest, at) - rulebook.late_seconds):
                return "rejected"
            self.held.append(decision)
            self.accept(at)
            return "held"
        if kind in ("exam_passed", "exam_failed"):
            passed = kind == "exam_passed"
            result = ExamResult(at, eid, vid, passed, event.get("score_percent", 100 if passed else 0))
            if vid is not None:
                exam = next((x for x in head.core.exams if x.violation == vid), None)
                if exam is not None and at < exam.deadline and max(self.latest, at) > exam.deadline + rulebook.grace_seconds:
                    return "rejected"
                if vid not in self.violations:
                    self.held.append(result)
                    self.accept(at)
                    return "held"
            self.timeline.append(result)
            return self.accept(at)
        entry = Enrolled(at, eid, event["rulebook"], event.get("role")) if kind == "creator_enrolled" else Migrated(at, eid, event["rulebook"])
        if self.refold(entry)[1] is not None:
            return "rejected"
        self.timeline.append(entry)
        return self.accept(at)

    def accept(self, at: int) -> str:
        self.latest = max(self.latest, at)
        frontier = self.latest - self.rulebooks[self.refold()[0].core.rulebook].late_seconds
        for held in list(self.held):
            if type(held) is Decision:
                if not self.could_match(held, frontier):
                    self.held.remove(held)
            elif held.at < frontier:
                self.held.remove(held)
        return "folded"

    def appeal_refusal(self, appeal: AppealFiled) -> bool:
        violation = self.violations[appeal.violation]
        rulebook = self.rulebooks[self.refold()[0].core.rulebook]
        return appeal.at < violation.at or appeal.at >= rulebook.appeal_deadline(violation.at)

    def could_match(self, decision: Decision, frontier: int) -> bool:
        violation = self.violations.get(decision.violation)
        if violation is None:
            return frontier <= decision.at
        rulebook = self.rulebooks[self.refold()[0].core.rulebook]
        return max(frontier, violation.at) <= min(decision.at, rulebook.appeal_deadline(violation.at) - 1)

    def settle_held(self, vid: str) -> None:
        for held in [h for h in self.held if h.violation == vid and type(h) is AppealFiled]:
            self.held.remove(held)
            if not self.appeal_refusal(held):
                self.appeals[vid] = held
        for held in [h for h in self.held if h.violation == vid and type(h) is Decision]:
            appeal = self.appeals.get(vid)
            if appeal is None:
                continue
            self.held.remove(held)
            if appeal.at <= held.at:
                self.decisions[vid] = held

    # What stands ------------------------------------------------------------------------------
    def standing(self) -> dict[str, Any]:
        run = self.refold()[0]
        return standing_of(run.core, self.rulebooks, self.pending_appeals(), [h.event_id for h in self.held],
                           [v for v, d in self.decisions.items() if d.overturned])

    def pending_appeals(self) -> list[str]:
        return [vid for vid in self.appeals if vid not in self.decisions]

    def net(self) -> Counter:
        """What enforcement should have in force: every corrective action fired, and the penalties in force."""
        run = self.refold()[0]
        out = Counter(_shape(p.action, p.start, p.until, p.rule) for _, p in run.fired if p.action in _INSTANT)
        out.update(_shape(p.action, p.start, p.until, p.rule) for p in run.core.active)
        return out


def _shape(action: str, start: int, until: int | None, rule: str) -> tuple:
    return (action, format_instant(start), "forever" if until is None else format_instant(until), rule)


_INSTANT = {a.value for a in INSTANT_ACTIONS}


def standing_of(core: Core, rulebooks: Rulebooks, appeals: list[str], held: list[str], revoked: list[str]) -> dict[str, Any]:
    """The comparable part of a standing view (command ids left out: re-issues name penalties anew)."""
    rulebook = rulebooks[core.rulebook]
    return {
        "rulebook": rulebook.key,
        "score": format_points(core.score),
        "clock": core.clock,
        "terminal": terminal(core),
        "active": sorted(_shape(p.action, p.start, p.until, p.rule) for p in core.active),
        "exams": sorted((x.violation, x.deadline, x.missed) for x in core.exams),
        "appeals": sorted(appeals),
        "held": sorted(held),
        "revoked": sorted(revoked),
    }


def net_of(commands) -> Counter:
    """The fast fold's commands net of their lifts, by what they do."""
    sent, lifted = {}, set()
    for c in commands:
        if c.action == "lift":
            lifted.add(c.lifts)
        else:
            sent[c.command_id] = c
    return Counter(_shape(c.action, parse_instant(c.effective_from), None if c.effective_until is None else parse_instant(c.effective_until), c.reason.rule)
                   for cid, c in sent.items() if cid not in lifted)
