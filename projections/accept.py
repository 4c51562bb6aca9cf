"""Acceptance, one function per kind of event: what each kind needs before it counts, and what is done
with it (docs/semantics.md). Each takes the Step of the call, the event and its instant."""

from typing import Any

from projections.outcome import Folded
from projections.state import AppealFiled, Decision, Enrolled, ExamResult, Migrated, Recorded
from projections.step import Step

TICKS = frozenset({"exam_due", "appeal_window_closed", "penalty_ended"})
"""Scheduler events: they carry no rule of their own, only the passage of time."""


def _violation(step: Step, event: dict[str, Any], at: int) -> Folded:
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


def _appeal(step: Step, event: dict[str, Any], at: int) -> Folded:
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


def _decision(step: Step, event: dict[str, Any], at: int) -> Folded:
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


def _exam_result(step: Step, event: dict[str, Any], at: int) -> Folded:
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


def _enrolment(step: Step, event: dict[str, Any], at: int) -> Folded:
    step.cache.waiting_due = None  # another rulebook may bring another horizon
    entry = Enrolled(at, step.event_id, event["rulebook"], event.get("role"))
    reason = step.place([entry], entry)
    return step.refuse(at, reason) if reason is not None else step.done()


def _migration(step: Step, event: dict[str, Any], at: int) -> Folded:
    step.cache.waiting_due = None  # another rulebook may bring another horizon
    entry = Migrated(at, step.event_id, event["rulebook"])
    reason = step.place([entry], entry)
    return step.refuse(at, reason) if reason is not None else step.done()


def _tick(step: Step, event: dict[str, Any], at: int) -> Folded:
    """Scheduler deadline events: time passes to them. They are idempotent, so they are not remembered."""
    if at <= step.state.latest:
        step.notes.append("the creator's clock is already past this instant")
    step.accept(at)
    return step.done()


ACCEPT = {
    "violation_recorded": _violation,
    "appeal_filed": _appeal,
    "appeal_resolved": _decision,
    "exam_passed": _exam_result,
    "exam_failed": _exam_result,
    "creator_enrolled": _enrolment,
    "rulebook_migrated": _migration,
    **{kind: _tick for kind in TICKS},
}
