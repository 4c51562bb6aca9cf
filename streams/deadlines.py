"""Which deadlines of one creator have passed by `now`, as deadline events for the journal. Pure.

A deadline is due when it lies after the creator's event-time clock (the fold has not
yet applied it) and not after `now`. The event is stamped with the deadline instant
itself and has a deterministic id, so publishing it twice folds once and a replay of
the journal sees exactly what the live fold saw.
"""

import hashlib
from typing import Any

from projections.fold import warm
from projections.rulebook import Rulebooks
from projections.state import L_AT, L_VID, P_ID, P_UNTIL, X_DEADLINE, X_MISSED, X_VID, CreatorState
from schemas.codec import Rejection, validate
from schemas.instants import format_instant

SOURCE = "scheduler"


FOREVER = 2**62


def due_events(state: CreatorState, rulebooks: Rulebooks, now: int) -> list[dict[str, Any]]:
    """Deadline events for everything due in (clock, now], earliest first."""
    return [deadline_event(state.creator_id, kind, ref, at) for at, kind, ref in _deadlines(state, rulebooks, now)]


def next_due(state: CreatorState, rulebooks: Rulebooks) -> int | None:
    """The earliest deadline still ahead of the creator's clock, or none: the scheduler skips the creator until then."""
    deadlines = _deadlines(state, rulebooks, FOREVER)
    return deadlines[0][0] if deadlines else None


def _deadlines(state: CreatorState, rulebooks: Rulebooks, now: int) -> list[tuple[int, str, str]]:
    head = warm(state, rulebooks).head
    assert head is not None
    clock, rulebook = head.clock, rulebooks[head.rulebook]
    due: list[tuple[int, str, str]] = []
    for exam in head.exams:
        if not exam[X_MISSED] and clock < exam[X_DEADLINE] <= now:
            due.append((exam[X_DEADLINE], "exam_due", exam[X_VID]))
    for penalty in head.active:
        until = penalty[P_UNTIL]
        if until is not None and clock < until <= now:
            due.append((until, "penalty_ended", penalty[P_ID]))
    for entry in head.ledger:
        closes = rulebook.appeal_deadline(entry[L_AT])
        if clock < closes <= now:
            due.append((closes, "appeal_window_closed", entry[L_VID]))
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
