"""What became of one event: the fold's answer beside the new state and the commands."""

from typing import NamedTuple

from projections.state import CreatorState
from schemas.commands import Command


class Resolution(NamedTuple):
    """A held event resolved by a later one: accepted (folded) or refused, with the reason."""

    event_id: str
    status: str
    reason: str = ""


class Outcome(NamedTuple):
    """What became of one event."""

    status: str
    """folded, held, duplicate or rejected."""
    reason: str = ""
    """For rejections, duplicates and held events: a stable, machine-readable reason."""
    score: int | None = None
    """The creator's score (or points) after the event, in hundredths; none when it was refused."""
    rule: str = ""
    rulebook: str = ""
    """The rulebook in force at the event's place in the timeline."""
    notes: tuple[str, ...] = ()
    resolved: tuple[Resolution, ...] = ()
    """Held events this event resolved."""


class Folded(NamedTuple):
    state: CreatorState
    commands: list[Command]
    outcome: Outcome
