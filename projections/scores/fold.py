"""The score fold: `fold_scores(state, event, policy) -> Folded(state, commands, outcome)`.

Pure, like the penalty fold, and with the same contract (docs/semantics.md, "Operator scores"):
- What stands (each score, its band, the resources granted) is a function of the accepted events as of
  the operator's latest event time, whatever order they arrived in: a report id counts once (the latest
  publication of it), a violation id counts once (its earliest record), and the first decision on it binds.
- Scores are computed at each event, as of the latest instant read (a refused event moves time too). A band change sends one
  command per resource that changes. An operator starts unrated for every score, holding what the policy's
  `unrated` list grants (enforcement's default); a violation alone rates nothing and sends nothing.
- Arrival order changes only what was already sent: a late report moves the standing now, never the past.

It reads metric reports, violations and appeal decisions; every other event belongs to the penalty fold.
"""

import hashlib
from typing import Any

from projections.outcome import Folded, Outcome
from projections.scores.evaluate import UNRATED, format_micros, grants_of, standing, to_micros
from projections.scores.policy import ScorePolicy
from projections.scores.state import OperatorState, Report, Weighing, overturned
from schemas.events import METRIC_TYPES
from schemas.instants import format_instant, parse_instant
from schemas.points import format_points
from schemas.resources import ResourceCommand, ResourceCommandReason

SCORE_TYPES = METRIC_TYPES | {"violation_recorded", "appeal_resolved"}
"""The event types the score fold reads."""
_ENVELOPE = frozenset({"event_id", "creator_id", "occurred_at", "source", "schema_version", "type", "report_id", "period_start", "period_end"})


def new_operator(operator_id: str) -> OperatorState:
    return OperatorState(operator_id)


def fold_scores(state: OperatorState | None, event: dict[str, Any], policy: ScorePolicy) -> Folded:
    if state is None:
        state = new_operator(event["creator_id"])
    at = parse_instant(event["occurred_at"])
    if at < state.latest - policy.late_seconds:
        return Folded(state, [], Outcome("rejected", "too_late"))
    kind = event["type"]
    if kind in METRIC_TYPES:
        verdict = _report(state, event, at)
    elif kind == "violation_recorded":
        verdict = _violation(state, event, at)
    elif kind == "appeal_resolved":
        verdict = _decision(state, event, at)
    else:
        raise ValueError(f"the score fold does not read {kind} events")
    # Time passes to every event inside the horizon, refused or not: the clock is then the latest instant read,
    # whatever the order (a re-report refused in one order is the one accepted in another).
    state.latest = max(state.latest, at)
    _forget(state, policy)
    commands, rules = _rate(state, policy, event["event_id"])
    return Folded(state, commands, verdict or Outcome("folded", rule=" ".join(rules), rulebook=policy.id))


def _report(state: OperatorState, event: dict[str, Any], at: int) -> Outcome | None:
    report = Report(event["type"], parse_instant(event["period_end"]), at, event["event_id"],
                    {name: to_micros(value) for name, value in event.items() if name not in _ENVELOPE and isinstance(value, (int, float))})
    known = state.reports.get(event["report_id"])
    if known is not None:
        if known.event_id == report.event_id:
            return Outcome("duplicate", "duplicate_event_id")
        if not report.wins_over(known):
            return Outcome("rejected", "report_superseded")
    state.reports[event["report_id"]] = report
    return None


def _violation(state: OperatorState, event: dict[str, Any], at: int) -> Outcome | None:
    """A violation id counts once: its earliest record (then the smaller event id), whatever order they arrive in."""
    vid = event["violation_id"]
    known = state.violations.get(vid)
    if known is not None:
        if known.event_id == event["event_id"]:
            return Outcome("duplicate", "duplicate_event_id")
        if (known.at, known.event_id) < (at, event["event_id"]):
            return Outcome("rejected", "violation_overturned" if overturned(state.decisions, vid) else "duplicate_violation")
    state.violations[vid] = Weighing(at, event["severity"], event["event_id"])
    return None


def _decision(state: OperatorState, event: dict[str, Any], at: int) -> Outcome | None:
    """The first decision on a violation (by event time) binds, as in the penalty fold: overturned, the violation stops
    weighing; sustained, it weighs on. A later decision is refused."""
    vid = event["violation_id"]
    known = state.decisions.get(vid)
    if known is not None:
        if known[1] == event["event_id"]:
            return Outcome("duplicate", "duplicate_event_id")
        if (known[0], known[1]) < (at, event["event_id"]):
            return Outcome("rejected", "appeal_already_decided")
    state.decisions[vid] = (at, event["event_id"], event["outcome"] == "overturned")
    return None


def _forget(state: OperatorState, policy: ScorePolicy) -> None:
    """Drop what can never count again: reports whose period left every window of their type (the clock only moves
    forward), violations older than the memory."""
    windows: dict[str, int] = {}
    for rule in policy.scores.values():
        windows[rule.report] = max(windows.get(rule.report, 0), rule.window_days * 86_400)
    for rid in [rid for rid, r in state.reports.items() if r.period_end <= state.latest - windows.get(r.type, 0)]:
        del state.reports[rid]
    memory = state.latest - policy.memory_seconds
    for vid in [vid for vid, w in state.violations.items() if w.at <= memory]:
        del state.violations[vid]


def _rate(state: OperatorState, policy: ScorePolicy, event_id: str) -> tuple[list[ResourceCommand], list[str]]:
    """Every score as of the operator's latest instant; a command for each resource whose grant changes."""
    commands: list[ResourceCommand] = []
    rules: list[str] = []
    effective = format_instant(state.latest)
    for name, rule in policy.scores.items():
        now = standing(rule, policy, state, state.latest)
        before_score, before_band = state.scores.get(name), state.bands.get(name, UNRATED)
        state.scores[name] = now.score
        if now.band == before_band:
            continue
        state.bands[name] = now.band
        rule_name = f"band:{name}:{now.band}"
        rules.append(rule_name)
        had = grants_of(rule, before_band)
        reason = ResourceCommandReason(
            caused_by=[event_id],
            detail=_detail(name, before_band, now.band, now.reports, now.deducted),
            metrics={metric: format_micros(value) for metric, value in sorted(now.means.items())},
            policy_id=policy.id, policy_version=policy.version, rule=rule_name,
            score_after=_points(now.score), score_before=_points(before_score),
        )
        for resource in rule.resources:
            granted = resource in now.grants
            if granted == (resource in had):
                continue  # enforcement already holds this right
            action = "grant" if granted else "withhold"
            commands.append(ResourceCommand(action, now.band, resource_command_id(state.operator_id, event_id, name, resource, action, now.band),
                                            state.operator_id, effective, reason, resource, name))
    return commands, rules


def resource_command_id(operator_id: str, event_id: str, score: str, resource: str, action: str, band: str) -> str:
    """Deterministic: the same operator, causing event, score, resource, action and band give the same id."""
    digest = hashlib.sha256(f"{operator_id}|{event_id}|{score}|{resource}|{action}|{band}".encode()).hexdigest()
    return f"res-{digest[:24]}"


def _points(hundredths: int | None) -> str | None:
    return None if hundredths is None else format_points(hundredths)


def _detail(name: str, before: str, after: str, reports: int, deducted: int) -> str:
    moved = f"{name}: {before} -> {after}"
    if after == UNRATED:
        return moved + " (no report left in the window)"
    basis = f" ({reports} report{'s' if reports != 1 else ''} in the window"
    return moved + basis + (f", {format_points(deducted)} deducted for violations)" if deducted else ")")
