"""A creator's history in words: each event, what became of it, the score after, what fired and why."""

from typing import Any, Iterable, Iterator

from projections.fold import fold
from projections.rulebook import Rulebooks
from schemas.points import format_points

_DETAIL_FIELDS = ("violation_id", "code", "severity", "content_at", "outcome", "exam_id", "rulebook", "role", "command_id")


def timeline(events: Iterable[dict[str, Any]], rulebooks: Rulebooks) -> Iterator[str]:
    """Fold one creator's events in the order given and describe each step. Same input, same text."""
    state = None
    for event in events:
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
