"""The time-driven rules: what falls due when no event says so, and what it does.

Each rule is a function `(run, subject, at)` applied when event time passes `at`; `earliest_due`
says which comes next. The fold applies them as time advances; the scheduler asks the same
function what to publish (docs/semantics.md, "Time-driven rules"). Ties at one instant go in the
order of the table below.
"""

from bisect import bisect_left
from typing import TYPE_CHECKING, Any, Callable

from projections.state import FOREVER, Core, Exam, Penalty, Record
from schemas.points import to_hundredths

if TYPE_CHECKING:
    from projections.rulebook import Rulebook
    from projections.timeline import Run


def period_over(run: "Run", penalty: Penalty, at: int) -> None:
    """A penalty runs for its days, then ends (seed 001 §4.2 node penalties; seed 004 per-violation periods)."""
    run.end([penalty], "period_over", at, penalty.cause)


def exam_deadline(run: "Run", exam: Exam, at: int) -> None:
    """The deadline passed without a pass. Exam instead of penalty: the deferred points apply now
    (seed 001 §2.3, 以考代罚). Mandatory exam: the miss penalties run until it is passed (seed 004 三)."""
    core = run.core
    # Kept, marked missed: a mandatory exam can still be passed; and while a report dated before the
    # deadline could still arrive, the fold must know the deadline to hold it to the grace.
    core.exams = [x if x is not exam else Exam(x.violation, x.deadline, x.cause, x.deferred, True, x.code, x.severity) for x in core.exams]
    if exam.deferred:
        run.take_points(exam.deferred, at, f"exam_missed:{exam.code}", exam.cause, "exam instead of penalty not taken")
        return
    misses = run.rulebook.exam_misses(exam.code, exam.severity, exam.violation)
    run.impose(misses, at, exam.cause, core.score, core.score, "exam not passed by its deadline")


def exam_forgotten(run: "Run", exam: Exam, at: int) -> None:
    """A missed exam instead of penalty has nothing left to lift once no report of it can arrive (the
    late-event horizon after its deadline): forget it."""
    run.core.exams = [x for x in run.core.exams if x is not exam]


def points_expire(run: "Run", record: Record, at: int) -> None:
    """Each violation's points drop off after `point_expiry_days` (TikTok Shop, YouTube: 90 days)."""
    core, rb = run.core, run.rulebook
    index = _index(core.ledger, record)
    if rb.drops_spent_records:
        del core.ledger[index]
    else:
        core.ledger[index] = Record(record.at, record.violation, record.code, record.severity, 0, record.cause)
    core.score = rb.clamp(core.score + record.points if rb.credit else core.score - record.points)
    core.rule = "point_expiry"


def recovery(run: "Run", step: tuple[int, int], at: int) -> None:
    """Clean-period credit, at a cadence set by the score (seed 001 §4.3; DOMAIN: +1 per 7 clean days below
    10, per 30 from 10, never above the cap). Score growth never lifts a node penalty."""
    core = run.core
    core.score = run.rulebook.clamp(core.score + step[1])
    core.clean_since = at
    core.rule = f"recovery:{step[0] // 86_400}d"


def reset(run: "Run", _: None, at: int) -> None:
    """Calendar reset of points (Shopee: every quarter; Kuaishou: every year), in the policy's time zone."""
    core, rb = run.core, run.rulebook
    assert rb.policy.reset is not None and core.period is not None
    carry = to_hundredths(rb.policy.reset.carry_over)
    core.score = rb.clamp(rb.start - carry if rb.credit else min(core.score, carry))
    if rb.drops_spent_records:
        core.ledger = []
    else:
        core.ledger = [Record(r.at, r.violation, r.code, r.severity, 0, r.cause) if r.points else r for r in core.ledger]
    core.period += 1
    core.rule = "reset"


def record_forgotten(run: "Run", record: Record, at: int) -> None:
    """A record no repeat-offence window can reach, and with no live points, is dropped: state stays small."""
    del run.core.ledger[_index(run.core.ledger, record)]


def _index(ledger: list[Record], record: Record) -> int:
    """Where a record sits in the ledger (kept in timeline order): found by time, not by a scan. The
    ledger is the working core's own list (`Core.copy` copies it), so it is changed in place."""
    index = bisect_left(ledger, record.at, key=_record_at)
    while ledger[index] is not record:
        index += 1
    return index


def _record_at(record: Record) -> int:
    return record.at


DueRule = Callable[["Run", Any, int], None]
DUE_RULES: dict[str, DueRule] = {
    "period_over": period_over,
    "exam_deadline": exam_deadline,
    "exam_forgotten": exam_forgotten,
    "points_expire": points_expire,
    "record_forgotten": record_forgotten,
    "recovery": recovery,
    "reset": reset,
}


def earliest_due(core: Core, rb: "Rulebook") -> tuple[int, str, Any] | None:
    """The next time-driven rule for this state: (instant, rule name, subject), or None."""
    best_at, best = FOREVER, None
    for p in core.active:
        if p.until is not None and p.until < best_at:
            best_at, best = p.until, ("period_over", p)
    for x in core.exams:
        if not x.missed:
            if x.deadline < best_at:
                best_at, best = x.deadline, ("exam_deadline", x)
        elif x.deferred and x.deadline + rb.late_seconds < best_at:
            best_at, best = x.deadline + rb.late_seconds, ("exam_forgotten", x)
    if core.ledger and rb.drops_spent_records and core.ledger[0].points:  # all live: the oldest expires first
        # (a record without points at the front comes from a state stored before records were dropped)
        first = core.ledger[0]
        if rb.expiry_seconds and first.at + rb.expiry_seconds < best_at:
            best_at, best = first.at + rb.expiry_seconds, ("points_expire", first)
    elif core.ledger:
        expiry, keep = rb.expiry_seconds, rb.ledger_seconds
        lookahead = min(expiry or FOREVER, keep)
        for r in core.ledger:  # sorted by time: stop once no later record can come sooner
            if r.at + lookahead >= best_at:
                break
            if r.points and expiry:
                if r.at + expiry < best_at:
                    best_at, best = r.at + expiry, ("points_expire", r)
            elif r.points and not rb.credit:
                continue  # live points are the total: kept until they expire or reset
            elif r.at + keep < best_at:
                best_at, best = r.at + keep, ("record_forgotten", r)
    if rb.recovery and core.clean_since is not None and rb.cap is not None and core.score < rb.cap:
        step = rb.recovery_step(core.score)
        if step and core.clean_since + step[0] < best_at:
            best_at, best = core.clean_since + step[0], ("recovery", step)
    if core.period is not None:
        boundary = rb.period_start(core.period + 1)
        if boundary < best_at:
            best_at, best = boundary, ("reset", None)
    return None if best is None else (best_at, best[0], best[1])
