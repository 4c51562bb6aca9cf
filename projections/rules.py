"""The rules: one function per event type, each a clause of a rulebook.

Each takes the Run (working state), the event (a canonical dict) and its
instant, and returns None when the event is accepted or a rejection reason.
"""

from typing import Callable

from projections.policy import SEVERITIES, Penalty
from projections.run import Run
from projections.state import (
    L_AT, L_CODE, L_EID, L_POINTS, L_SEV, L_VID, P_EID, P_RULE, X_CODE, X_DEFERRED, X_EID, X_MISSED, X_VID,
)
from schemas.commands import Action
from schemas.instants import DAY
from schemas.points import to_hundredths

Rule = Callable[[Run, dict, int], str | None]
_WARN = Penalty(action=Action.WARN)


def violation_recorded(run: Run, event: dict, at: int) -> str | None:
    """A violation deducts its catalogue points (several at once deduct the sum: Douyin 4.1),
    brings its corrective actions and own penalties, and may cross nodes (Douyin 4.2)."""
    core, rb = run.core, run.rulebook
    code, vid, eid = event["code"], event["violation_id"], event["event_id"]
    entry = rb.policy.catalogue.get(code)
    if entry is None:
        return "unknown_violation_code"
    severity = event["severity"]
    if severity not in rb.points[code]:
        return "severity_not_in_catalogue"
    # Only the event being folded can be a re-detection: refused events never join the tail.
    if run.step == run.noting and vid in [e[L_VID] for e in core.ledger]:
        return "duplicate_violation"
    family = entry.family or code
    severity, escalations = _escalate(run, code, family, severity, at)
    core.ledger.append([at, vid, code, severity, 0, eid])
    core.clean_since = at
    corrective = rb.corrective(code)
    if _lenient(run, code, severity, at):
        _grant_leniency(run, event, code, severity, at, corrective)
        return None
    points = rb.points[code][severity]
    before, after, crossed = run.change_points(points, f"violation:{code}")
    core.ledger[-1] = [at, vid, code, severity, points, eid]
    run.impose(rb.violation_penalties(code, severity) + escalations + crossed, at, [eid], before, after, f"{severity} {code}")
    exam = rb.exam_for(code, severity)
    if exam is not None:
        _require_exam(run, vid, eid, at, exam.deadline_days, 0, code, severity)
    return None


def _escalate(run: Run, code: str, family: str, severity: str, at: int):
    """Repeat offences in a rolling window raise the severity or add penalties. Overturned violations
    are not in the timeline at all, so they never count (DOMAIN edge case 9)."""
    rb, penalties = run.rulebook, []
    for rule in rb.policy.escalation:
        since = at - rule.window_days * DAY
        count = 1 + sum(
            1
            for e in run.core.ledger
            if e[L_AT] > since
            and (rule.codes is None or e[L_CODE] in rule.codes)
            and (not rule.same_family or (rb.policy.catalogue[e[L_CODE]].family or e[L_CODE]) == family)
        )
        if (rule.codes is not None and code not in rule.codes) or count < rule.count:
            continue
        if rule.severity_at_least and SEVERITIES.index(rule.severity_at_least) > SEVERITIES.index(severity):
            if rule.severity_at_least in rb.points[code]:
                severity = rule.severity_at_least
        penalties.extend((f"escalation:{rule.name}", p) for p in rule.penalties)
    return severity, penalties


def _lenient(run: Run, code: str, severity: str, at: int) -> bool:
    leniency, core = run.rulebook.policy.leniency, run.core
    if leniency is None or severity not in leniency.severities:
        return False
    if leniency.codes is not None and code not in leniency.codes:
        return False
    if core.lenient_uses < leniency.max_uses:
        return True
    renewed = leniency.renew_after_days is not None and core.lenient_at is not None and at - core.lenient_at >= leniency.renew_after_days * DAY
    return renewed and (core.exam_since_lenient or not leniency.renew_requires_exam)


def _grant_leniency(run: Run, event: dict, code: str, severity: str, at: int, corrective) -> None:
    """First or minor offence: a warning, or an exam instead of the penalty (Douyin 2.3, 以考代罚)."""
    core, rb = run.core, run.rulebook
    leniency = rb.policy.leniency
    assert leniency is not None
    core.lenient_uses = core.lenient_uses + 1 if core.lenient_uses < leniency.max_uses else 1
    core.lenient_at, core.exam_since_lenient = at, False
    eid = event["event_id"]
    if leniency.replace_with == "warn":
        run.impose(corrective + [("leniency:warn", _WARN)], at, [eid], core.score, core.score)
        return
    run.impose(corrective, at, [eid], core.score, core.score)
    _require_exam(run, event["violation_id"], eid, at, leniency.exam_deadline_days, rb.points[code][severity], code, severity)


def _require_exam(run: Run, vid: str, eid: str, at: int, days: int, deferred: int, code: str, severity: str) -> None:
    """The require_exam command runs until the deadline; passing lifts it, missing it is a deadline event."""
    core = run.core
    if core.terminal:
        # Cleared out or closed for good: there is nothing left to earn back (seed 004 Q1, DOMAIN 12).
        run.note(f"{core.terminal} already in force: no exam required")
        return
    core.exams.append([vid, at + days * DAY, eid, deferred, False, code, severity])
    penalty = Penalty(action=Action.REQUIRE_EXAM, days=days)
    run.fire(f"exam:{vid}", penalty, at, [eid], core.score, core.score, "pass the exam by effective_until")


def appeal_filed(run: Run, event: dict, at: int) -> str | None:
    """Appeals must be filed within the window (Douyin 3.4); a late one is refused with a reason."""
    core, rb, vid = run.core, run.rulebook, event["violation_id"]
    violation = next((e for e in core.ledger if e[L_VID] == vid), None)
    if violation is None:
        run.note(f"appeal for {vid}, which is not (yet) recorded")
    elif at >= rb.appeal_deadline(violation[L_AT]):
        return "appeal_window_closed"
    if vid not in core.appeals:
        core.appeals.append(vid)
    return None


def appeal_resolved(run: Run, event: dict, at: int) -> str | None:
    """A reviewer's decision. Overturned: the violation is revoked and the score restored at once (Douyin 3.4);
    the fold replays the timeline without it. Sustained: everything stands."""
    core, vid = run.core, event["violation_id"]
    core.appeals = [v for v in core.appeals if v != vid]
    if event["outcome"] != "overturned":
        return None
    settled = next((e for e in core.ledger if e[L_VID] == vid), None)
    if settled is not None:
        # Decided after the violation was folded into the snapshot: revoke it in place.
        _revoke_settled(run, settled, event, at)
    return None


def _revoke_settled(run: Run, entry: list, event: dict, at: int) -> None:
    core, rb = run.core, run.rulebook
    core.ledger = [e for e in core.ledger if e is not entry]
    points = entry[L_POINTS]
    core.score = rb.clamp(core.score + points if rb.credit else core.score - points)
    core.rule = f"appeal_overturned:{entry[L_VID]}"
    caused = [p for p in core.active if p[P_EID] == entry[L_EID]]
    run.end(caused, "appeal_overturned", at, [event["event_id"]])
    core.exams = [x for x in core.exams if x[X_VID] != entry[L_VID]]


def exam_passed(run: Run, event: dict, at: int) -> str | None:
    """A required exam passed lifts what missing it imposed and waives deferred points (Kuaishou: completion
    lifts it); a voluntary exam earns credit at most once per period (Douyin 4.3); a perfect milestone quiz
    replaces the milestone's penalties with reduced ones (TikTok Shop)."""
    core, rb, vid, eid = run.core, run.rulebook, event.get("violation_id"), event["event_id"]
    core.exam_since_lenient = True
    pending = next((x for x in core.exams if vid is not None and x[X_VID] == vid), None)
    if pending is not None:
        core.exams = [x for x in core.exams if x is not pending]
        imposed = [p for p in core.active if p[P_RULE] in (f"exam:{vid}", f"exam_missed:{vid}")]
        run.end(imposed, "exam_passed", at, [eid])
        core.rule = f"exam_passed:{vid}"
        return None
    if vid is None and _milestone_quiz(run, event, at):
        return None
    credit = rb.policy.exam_credit
    if vid is None and credit is not None and rb.credit:
        if core.exam_credit_at is None or at - core.exam_credit_at >= credit.once_per_days * DAY:
            core.score = rb.clamp(core.score + to_hundredths(credit.points))
            core.exam_credit_at, core.rule = at, "exam_credit"
        else:
            run.note("exam credit already earned in this period")
    return None


def _milestone_quiz(run: Run, event: dict, at: int) -> bool:
    core, rb = run.core, run.rulebook
    if event.get("score_percent", 100) < 100:
        return False
    for node in reversed(rb.nodes):
        if node.node.quiz_reduces_to is None:
            continue
        rule = f"node:{node.node.at}"
        imposed = [p for p in core.active if p[P_RULE] == rule]
        if imposed:
            run.end(imposed, "milestone_quiz", at, [event["event_id"]])
            reduced = [(f"quiz:{node.node.at}", p) for p in node.node.quiz_reduces_to]
            run.impose(reduced, at, [event["event_id"]], core.score, core.score, "perfect milestone quiz")
            return True
    return False


def exam_failed(run: Run, event: dict, at: int) -> str | None:
    """Failing the exam taken instead of a penalty brings the deferred penalty now."""
    core, vid = run.core, event.get("violation_id")
    # A missed one already had its points taken at the deadline; failing it later changes nothing.
    pending = next((x for x in core.exams if vid is not None and x[X_VID] == vid and x[X_DEFERRED] and not x[X_MISSED]), None)
    if pending is not None:
        core.exams = [x for x in core.exams if x is not pending]
        imposed = [p for p in core.active if p[P_RULE] == f"exam:{vid}"]
        run.end(imposed, "exam_failed", at, [event["event_id"]])
        run.take_points(pending[X_DEFERRED], at, f"exam_failed:{pending[X_CODE]}", pending[X_EID], "exam instead of penalty failed")
    return None


def creator_enrolled(run: Run, event: dict, at: int) -> str | None:
    """A creator is governed by one rulebook and role; moving later is a migration, not a re-enrolment."""
    core = run.core
    target = run.rulebooks.find(event["rulebook"], event.get("role"))
    if target is None:
        return "unknown_rulebook"
    if core.ledger or core.active:
        return "already_enrolled" if target.key != core.rulebook else None
    run.switch_rulebook(target)
    core.score, core.rule = target.start, "enrolled"
    core.period = target.period_of(at)
    return None


def rulebook_migrated(run: Run, event: dict, at: int) -> str | None:
    """Kuaishou 2021 FAQ: serious records are kept and their points recomputed under the new rules;
    other records are dropped; cleared-out merchants stay cleared (terminal states survive)."""
    core = run.core
    current = run.rulebook
    role = current.policy.role
    target = run.rulebooks.find(event["rulebook"], role)
    if target is None:
        return "unknown_rulebook"
    migration = target.policy.migration
    if migration is None or current.policy.id not in migration.from_rulebooks:
        return "no_migration_path"
    kept = []
    for e in core.ledger:
        if e[L_SEV] in migration.keep_severities and e[L_SEV] in target.points.get(e[L_CODE], {}):
            points = target.points[e[L_CODE]][e[L_SEV]] if e[L_POINTS] else 0
            kept.append([e[L_AT], e[L_VID], e[L_CODE], e[L_SEV], points, e[L_EID]])
    # Only the records still held can be recomputed; older deductions stay as they were.
    delta = sum(e[L_POINTS] for e in kept) - sum(e[L_POINTS] for e in core.ledger)
    run.switch_rulebook(target)
    core.ledger = kept
    core.score = target.clamp(core.score - delta if target.credit else core.score + delta)
    core.exams = [x for x in core.exams if x[X_CODE] in target.policy.catalogue]
    core.period, core.rule = target.period_of(at), f"migrated:{current.key}->{target.key}"
    return None


def deadline(run: Run, event: dict, at: int) -> str | None:
    """Scheduler events carry no rule of their own: advancing the clock to them fires what fell due."""
    return None


RULES: dict[str, Rule] = {
    "violation_recorded": violation_recorded,
    "appeal_filed": appeal_filed,
    "appeal_resolved": appeal_resolved,
    "exam_passed": exam_passed,
    "exam_failed": exam_failed,
    "creator_enrolled": creator_enrolled,
    "rulebook_migrated": rulebook_migrated,
    "exam_due": deadline,
    "appeal_window_closed": deadline,
    "penalty_ended": deadline,
}
