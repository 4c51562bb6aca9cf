"""Which deadlines of one creator have passed by `now`, as deadline events for the journal. Pure.

The fold's own time-driven rules say what falls due (`projections.timeline.Run.advance` on a copy
of the creator's head), so the scheduler and the fold never disagree. A deadline is due when it lies
after the creator's event-time clock and not after `now`. The event is stamped with the deadline
instant itself and has a deterministic id, so publishing it twice folds once and a replay of the
journal sees exactly what the live fold saw.
"""

import hashlib
from typing import Any

from projections.fold import warm
from projections.rulebook import Rulebooks
from projections.state import FOREVER, CreatorState
from projections.timeline import Run
from schemas.codec import Rejection, validate
from schemas.instants import format_instant

SOURCE = "scheduler"

# Time-driven rules enforcement must hear of, and the deadline event that makes time pass to them.
_EVENT_OF = {"period_over": ("penalty_ended", lambda p: p.id), "exam_deadline": ("exam_due", lambda x: x.violation)}


def due_events(state: CreatorState, rulebooks: Rulebooks, now: int) -> list[dict[str, Any]]:
    """Deadline events for everything due in (clock, now], earliest first."""
    return [deadline_event(state.creator_id, kind, ref, at) for at, kind, ref in _deadlines(state, rulebooks, now)]


def next_due(state: CreatorState, rulebooks: Rulebooks) -> int | None:
    """When the scheduler should look at this creator again: the first time-driven rule or appeal window
    ahead of the creator's clock (some of them need no event; looking costs little)."""
    cache = warm(state, rulebooks)
    head, rulebook = cache.head, rulebooks[cache.head.rulebook]
    closings = [rulebook.appeal_deadline(v.at) for v in cache.violations.values()]
    found = min([head.due, *(c for c in closings if c > head.clock)])
    return None if found >= FOREVER else found


def _deadlines(state: CreatorState, rulebooks: Rulebooks, now: int) -> list[tuple[int, str, str]]:
    cache = warm(state, rulebooks)
    head, rulebook = cache.head, rulebooks[cache.head.rulebook]
    seen: list = []
    Run(head.copy(), rulebooks, state.creator_id).advance(now, seen)
    due = [(at, _EVENT_OF[kind][0], _EVENT_OF[kind][1](subject)) for at, kind, subject in seen if kind in _EVENT_OF]
    for violation in cache.violations.values():
        closes = rulebook.appeal_deadline(violation.at)
        if head.clock < closes <= now:
            due.append((closes, "appeal_window_closed", violation.violation))
    due.sort()
    return due


def deadline_event(creator_id: str, kind: str, ref: str, at: int) -> dict[str, Any]:
    ref_field = "command_id" if kind == "penalty_ended" else "violation_id"
    raw = {
        "event_id": event_id(kind, creator_id, ref),
        "creator_id": creator_id,
        "occurred_at": format_instant(at),
        "source": SOURCE,
        "type": kind,
        ref_field: ref,
    }
    event = validate(raw)
    if isinstance(event, Rejection):  # only if the ids in state were invalid, which intake prevents
        raise ValueError(f"deadline event invalid: {event.reason} {event.detail}")
    return event


def event_id(kind: str, creator_id: str, ref: str) -> str:
    """`deadline:{kind}:{creator}:{ref}`, or a digest of it when that would be longer than an id may be."""
    text = f"deadline:{kind}:{creator_id}:{ref}"
    if len(text) <= 128:
        return text
    return f"deadline:{kind}:{hashlib.sha256(text.encode()).hexdigest()[:40]}"
