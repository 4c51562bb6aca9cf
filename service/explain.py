"""A creator's history in words: each event, what became of it, the score after, what fired and why. The same for
an operator's scores (`score_timeline`)."""

from typing import Any, Iterable, Iterator

from projections.fold import fold
from projections.rulebook import Rulebooks
from projections.scores.fold import SCORE_TYPES, fold_scores
from schemas.events import METRIC_TYPES as SCORE_ONLY_TYPES
from projections.scores.policy import ScorePolicy
from projections.scores.standing import score_view
from schemas.points import format_points

_DETAIL_FIELDS = ("violation_id", "code", "severity", "content_at", "outcome", "exam_id", "rulebook", "role", "command_id")


def timeline(events: Iterable[dict[str, Any]], rulebooks: Rulebooks) -> Iterator[str]:
    """Fold one creator's events in the order given and describe each step. Same input, same text."""
    state = None
    for event in events:
        if event["type"] in SCORE_ONLY_TYPES:  # metric reports: `score_timeline` tells their story
            continue
        state, commands, outcome = fold(state, event, rulebooks)
        details = " ".join(f"{key}={event[key]}" for key in _DETAIL_FIELDS if event.get(key) is not None)
        yield f"{event['occurred_at']}  {event['type']}  {details}  [{event['event_id']} from {event['source']}]"
        if outcome.status in ("rejected", "duplicate"):
            yield f"    {outcome.status}: {outcome.reason}"
        elif outcome.status == "held":
            yield f"    held: {outcome.reason} (decided when what it names arrives, or refused once it no longer can)"
        if outcome.status in ("folded", "held"):
            policy = rulebooks[outcome.rulebook].policy
            yield f"    score {format_points(outcome.score or 0)} ({policy.score.mode}, {policy.id} {policy.version}); rule: {outcome.rule or '-'}"
        for note in outcome.notes:
            yield f"    note: {note}"
        for resolution in outcome.resolved:
            yield f"    resolved held event {resolution.event_id}: {resolution.status}" + (f", {resolution.reason}" if resolution.reason else "")
        for command in commands:
            reason = command.reason
            span = command.effective_from + (f" until {command.effective_until}" if command.effective_until else "")
            target = f" {command.lifts}" if command.lifts else ""
            yield (
                f"    -> {command.action}{target} from {span}  because {reason.rule}"
                f" (score {reason.score_before} -> {reason.score_after}; caused by {', '.join(reason.caused_by)})"
                f"  [{command.command_id}]"
            )


_SCORE_FIELDS = ("report_id", "period_end", "violation_id", "severity", "outcome")


def score_timeline(events: Iterable[dict[str, Any]], policy: ScorePolicy) -> Iterator[str]:
    """An operator's scores in words: each event, what became of it, each score after it, and why a band changed."""
    state = None
    for event in events:
        if event["type"] not in SCORE_TYPES:
            continue
        state, commands, outcome = fold_scores(state, event, policy)
        details = " ".join(f"{key}={event[key]}" for key in _SCORE_FIELDS if event.get(key) is not None)
        yield f"{event['occurred_at']}  {event['type']}  {details}  [{event['event_id']} from {event['source']}]"
        if outcome.status != "folded":
            yield f"    {outcome.status}: {outcome.reason}"
        scores = score_view(state, policy)["scores"]
        yield "    " + "; ".join(f"{name} {s['score'] if s['score'] is not None else '-'} ({s['band']})" for name, s in scores.items())
        for command in commands:
            reason = command.reason
            metrics = ", ".join(f"{k} {v}" for k, v in reason.metrics.items())
            yield (f"    -> {command.action} {command.resource} ({command.score} {command.band}) from {command.effective_from}"
                   f"  because {reason.rule}: {reason.detail}; score {reason.score_before or '-'} -> {reason.score_after or '-'}"
                   + (f"; means {metrics}" if metrics else "") + f"  [{command.command_id}]")
