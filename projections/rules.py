"""The event rules: one per timeline entry type, each a clause of a rulebook.

Each rule is a pair: a check, which reads the rulebook in force at the entry's place and returns
a refusal reason without changing anything, and the rule itself, which applies the entry to the
Run. Appeals and decisions are not here: they decide which violations stay on the timeline
(`projections.fold`), and an overturned one is simply not there.
"""

from typing import TYPE_CHECKING, Callable

from projections.policy import SEVERITIES, Escalation
from projections.rulebook import Measure
from projections.state import Enrolled, Exam, ExamResult, Migrated, Record, Recorded
from schemas.commands import Action
from schemas.instants import DAY
from schemas.points import to_hundredths

if TYPE_CHECKING:
    from projections.rulebook import Rulebook
    from projections.timeline import Run

_WARN = Measure(Action.WARN.value)


def check_violation(run: "Run", v: Recorded) -> str | None:
    if v.code not in run.rulebook.policy.catalogue:
        return "unknown_violation_code"
    if v.severity not in run.rulebook.points[v.code]:
        return "severity_not_in_catalogue"
    return None


def violation_recorded(run: "Run", v: Recorded) -> None:
    """A violation deducts its catalogue points (several at once deduct the sum: seed 001 §4.1), brings its
    corrective actions and own penalties (§3.2), and may cross nodes (§4.2)."""
    core, rb = run.core, run.rulebook
    entry = rb.policy.catalogue[v.code]
    severity, escalations = _escalate(run, v, entry.family or v.code)
    core.started = True
    core.clean_since = v.at
    if _lenient(run, v.code, severity, v.at):
        _grant_leniency(run, v, severity)
        return
    points = rb.points[v.code][severity]
    before, after, crossed = run.change_points(points, f"violation:{v.code}")
    if rb.keeps_records and (points or not rb.drops_spent_records):
        core.ledger.append(Record(v.at, v.violation, v.code, severity, points, v.event_id))
    run.impose(rb.violation_penalties(v.code, severity) + escalations + crossed, v.at, v.event_id, before, after, f"{severity} {v.code}")
    run.renew_on_points(points, v.at, v.event_id)
    exam = rb.exam_for(v.code, severity)
    if exam is not None:
        _require_exam(run, v, exam.deadline_days, 0, severity)


def _escalate(run: "Run", v: Recorded, family: str) -> tuple[str, list[tuple[str, Measure]]]:
    """Repeat offences in a rolling window raise the severity or add penalties. Overturned violations are
    not on the timeline at all, so they never count (DOMAIN edge 9)."""
    rb, severity, penalties = run.rulebook, v.severity, []
    for index, rule in enumerate(rb.policy.escalation):
        if rule.codes is not None and v.code not in rule.codes:
            continue
        if _repeats(run.core.ledger, v.at - rule.window_days * DAY, rule, family, rb) + 1 < rule.count:
            continue
        if rule.severity_at_least and SEVERITIES.index(rule.severity_at_least) > SEVERITIES.index(severity):  # type: ignore[arg-type]
            if rule.severity_at_least in rb.points[v.code]:
                severity = rule.severity_at_least
        penalties.extend(rb.escalation_penalties(index))
    return severity, penalties


def _repeats(ledger: list[Record], since: int, rule: Escalation, family: str, rb: "Rulebook") -> int:
    """Earlier records after `since` that the rule counts, up to the count it needs. The ledger is in
    timeline order: only the window is read, newest first, and no further than the answer needs, so a
    busy creator's violation costs the same as a quiet one's."""
    count, enough = 0, rule.count - 1
    for r in reversed(ledger):
        if r.at <= since or count >= enough:
            break
        if (rule.codes is None or r.code in rule.codes) and (not rule.same_family or (rb.policy.catalogue[r.code].family or r.code) == family):
            count += 1
    return count


def _lenient(run: "Run", code: str, severity: str, at: int) -> bool:
    leniency, core = run.rulebook.policy.leniency, run.core
    if leniency is None or severity not in leniency.severities:
        return False
    if leniency.codes is not None and code not in leniency.codes:
        return False
    if core.lenient_uses < leniency.max_uses:
        return True
    renewed = leniency.renew_after_days is not None and core.lenient_at is not None and at - core.lenient_at >= leniency.renew_after_days * DAY
    return renewed and (core.exam_since_lenient or not leniency.renew_requires_exam)


def _grant_leniency(run: "Run", v: Recorded, severity: str) -> None:
    """First or minor offence: a warning, or an exam instead of the penalty (seed 001 §2.3, 以考代罚)."""
    core, rb = run.core, run.rulebook
    leniency = rb.policy.leniency
    assert leniency is not None
    core.lenient_uses = core.lenient_uses + 1 if core.lenient_uses < leniency.max_uses else 1
    core.lenient_at, core.exam_since_lenient = v.at, False
    if rb.keeps_records and not rb.drops_spent_records:
        core.ledger.append(Record(v.at, v.violation, v.code, severity, 0, v.event_id))
    corrective = rb.corrective(v.code)
    if leniency.replace_with == "warn":
        run.impose(corrective + [("leniency:warn", _WARN)], v.at, v.event_id, core.score, core.score)
        return
    run.impose(corrective, v.at, v.event_id, core.score, core.score)
    _require_exam(run, v, leniency.exam_deadline_days, rb.points[v.code][severity], severity)


def _require_exam(run: "Run", v: Recorded, days: int, deferred: int, severity: str) -> None:
    """The require_exam command runs until the deadline; passing lifts it, missing it is a time-driven rule."""
    core = run.core
    if core.gone:
        # Cleared out or banned: there is nothing left to earn back (seed 004 Q1, DOMAIN edge 12).
        run.note(f"{core.gone} in force: no exam required")
        return
    core.exams.append(Exam(v.violation, v.at + days * DAY, v.event_id, deferred, False, v.code, severity))
    penalty = Measure(Action.REQUIRE_EXAM.value, days)
    run.fire(f"exam:{v.violation}", penalty, v.at, v.event_id, core.score, core.score, "pass the exam by effective_until")


def no_check(run: "Run", entry: object) -> None:
    return None


def exam_result(run: "Run", x: ExamResult) -> None:
    if x.passed:
        exam_passed(run, x)
    else:
        exam_failed(run, x)


def exam_passed(run: "Run", x: ExamResult) -> None:
    """A required exam passed lifts what missing it imposed and waives deferred points (seed 004 三: completion
    lifts it); a voluntary exam earns credit at most once per period (seed 001 §4.3); a perfect milestone quiz
    replaces the milestone's penalties with reduced ones (TikTok Shop)."""
    core, rb, vid = run.core, run.rulebook, x.violation
    core.exam_since_lenient = True
    pending = next((e for e in core.exams if vid is not None and e.violation == vid), None)
    if pending is not None:
        core.exams = [e for e in core.exams if e is not pending]
        if pending.missed and pending.deferred:
            run.note(f"exam for {vid} passed after its deadline: the deferred points stand")
            return
        run.end([p for p in core.active if p.rule in (f"exam:{vid}", f"exam_missed:{vid}")], "exam_passed", x.at, x.event_id)
        core.rule = f"exam_passed:{vid}"
        return
    if vid is not None:
        run.note(f"no exam pending for {vid} at {x.at}: nothing to lift or waive")
        return
    if _milestone_quiz(run, x):
        return
    credit = rb.policy.exam_credit
    if credit is None or not rb.credit:
        run.note("a voluntary exam earns nothing under this rulebook")
    elif core.exam_credit_at is None or x.at - core.exam_credit_at >= credit.once_per_days * DAY:
        core.score = rb.clamp(core.score + to_hundredths(credit.points))
        core.exam_credit_at, core.rule = x.at, "exam_credit"
    else:
        run.note("exam credit already earned in this period")


def _milestone_quiz(run: "Run", x: ExamResult) -> bool:
    core, rb = run.core, run.rulebook
    if x.percent < 100:
        return False
    for node in reversed(rb.nodes):
        if node.quiz is None:
            continue
        imposed = [p for p in core.active if p.rule == f"node:{node.node.at}"]
        if imposed:
            run.end(imposed, "milestone_quiz", x.at, x.event_id)
            reduced = [(f"quiz:{node.node.at}", p) for p in node.quiz]
            run.impose(reduced, x.at, x.event_id, core.score, core.score, "perfect milestone quiz")
            return True
    return False


def exam_failed(run: "Run", x: ExamResult) -> None:
    """Failing the exam taken instead of a penalty brings the deferred penalty now (seed 001 §2.3)."""
    core, vid = run.core, x.violation
    pending = next((e for e in core.exams if vid is not None and e.violation == vid and e.deferred and not e.missed), None)
    if pending is None:
        run.note(f"no exam instead of penalty pending for {vid}: a failure changes nothing")
        return
    core.exams = [e for e in core.exams if e is not pending]
    run.end([p for p in core.active if p.rule == f"exam:{vid}"], "exam_failed", x.at, x.event_id)
    run.take_points(pending.deferred, x.at, f"exam_failed:{pending.code}", pending.cause, "exam instead of penalty failed")


def check_enrolment(run: "Run", e: Enrolled) -> str | None:
    target = run.rulebooks.find(e.rulebook, e.role)
    if target is None:
        return "unknown_rulebook"
    if run.core.started and target.key != run.core.rulebook:
        return "already_enrolled"
    return None


def creator_enrolled(run: "Run", e: Enrolled) -> None:
    """A creator is governed by one rulebook and role; moving later is a migration, not a re-enrolment."""
    core, target = run.core, run.rulebooks.find(e.rulebook, e.role)
    assert target is not None
    if core.started:
        run.note(f"already under {target.key}")
        return
    run.switch_rulebook(target)
    core.score, core.rule = target.start, "enrolled"
    core.period = target.period_of(e.at)


def check_migration(run: "Run", m: Migrated) -> str | None:
    target = run.rulebooks.find(m.rulebook, run.rulebook.policy.role)
    if target is None:
        return "unknown_rulebook"
    migration = target.policy.migration
    if migration is None or run.rulebook.policy.id not in migration.from_rulebooks:
        return "no_migration_path"
    return None


def rulebook_migrated(run: "Run", m: Migrated) -> None:
    """seed 004 Q1: serious records are kept and their points recomputed under the new rules; other records are
    dropped; cleared-out merchants stay cleared (terminal states survive, DOMAIN edge 12)."""
    core, current = run.core, run.rulebook
    target = run.rulebooks.find(m.rulebook, current.policy.role)
    assert target is not None and target.policy.migration is not None
    keep = target.policy.migration.keep_severities
    kept = [
        Record(r.at, r.violation, r.code, r.severity, target.points[r.code][r.severity] if r.points else 0, r.cause)
        for r in core.ledger
        if r.severity in keep and r.severity in target.points.get(r.code, {})
    ]
    # Only the records still held can be recomputed; older deductions stay as they were.
    delta = sum(r.points for r in kept) - sum(r.points for r in core.ledger)
    run.switch_rulebook(target)
    core.ledger = [r for r in kept if r.points or not target.drops_spent_records] if target.keeps_records else []
    core.score = target.clamp(core.score - delta if target.credit else core.score + delta)
    core.exams = [x for x in core.exams if x.code in target.policy.catalogue]
    core.period, core.rule = target.period_of(m.at), f"migrated:{current.key}->{target.key}"


Check = Callable[["Run", object], "str | None"]
Rule = Callable[["Run", object], None]
RULES: dict[type, tuple[Check, Rule]] = {
    Recorded: (check_violation, violation_recorded),  # type: ignore[dict-item]
    ExamResult: (no_check, exam_result),  # type: ignore[dict-item]
    Enrolled: (check_enrolment, creator_enrolled),  # type: ignore[dict-item]
    Migrated: (check_migration, rulebook_migrated),  # type: ignore[dict-item]
}
