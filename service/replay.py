"""Folding many creators' events: the engine behind `tally replay`, the audit tools and the tests.

Pure: it takes events and returns commands and states; reading files or topics is the caller's.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from projections.outcome import Folded, Outcome
from projections.rulebook import Rulebooks
from schemas.commands import Command
from service.projections import Projection, penalties


@dataclass
class Counts:
    """read = folded + held + duplicates + rejected + skipped, always. A held event that resolves moves to folded
    or rejected when it does, so the totals reconcile at every moment. Skipped events belong to another projection
    (metric reports in a penalty replay, exams in a score replay)."""

    read: int = 0
    folded: int = 0
    held: int = 0
    duplicates: int = 0
    skipped: int = 0
    rejected: Counter = field(default_factory=Counter)
    commands: Counter = field(default_factory=Counter)

    def record(self, folded: Folded) -> None:
        self.read += 1
        outcome = folded.outcome
        if outcome.status == "folded":
            self.folded += 1
        elif outcome.status == "held":
            self.held += 1
        elif outcome.status == "duplicate":
            self.duplicates += 1
        elif outcome.status == "skipped":
            self.skipped += 1
        else:
            self.rejected[outcome.reason] += 1
        for resolution in outcome.resolved:
            self.held -= 1
            if resolution.status == "folded":
                self.folded += 1
            else:
                self.rejected[resolution.reason] += 1
        for command in folded.commands:
            self.commands[command.action] += 1

    def skip(self) -> None:
        """An event of the other projection, read past."""
        self.read += 1
        self.skipped += 1

    def reject(self, reason: str) -> None:
        """A line or message refused before it reached the fold (malformed, invalid)."""
        self.read += 1
        self.rejected[reason] += 1

    def merge(self, other: "Counts") -> None:
        self.read += other.read
        self.folded += other.folded
        self.held += other.held
        self.duplicates += other.duplicates
        self.skipped += other.skipped
        self.rejected.update(other.rejected)
        self.commands.update(other.commands)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "folded": self.folded,
            "held": self.held,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "commands_by_action": dict(sorted(self.commands.items())),
        }


SKIPPED = Outcome("skipped", "other_projection")


class Replayer:
    """Keeps every creator's state in memory and folds events in the order given, through one projection (the
    penalty fold unless told otherwise)."""

    def __init__(self, projection: Rulebooks | Projection):
        self.projection = projection if isinstance(projection, Projection) else penalties(projection)
        self.states: dict[str, Any] = {}
        self.counts = Counts()

    def feed(self, event: dict[str, Any]) -> Folded:
        creator = event["creator_id"]
        if not self.projection.reads(event):
            folded = Folded(self.states.get(creator), [], SKIPPED)
            self.counts.record(folded)
            return folded
        folded = self.projection.fold(self.states.get(creator), event)
        self.states[creator] = folded.state
        self.counts.record(folded)
        return folded

    def run(self, events: Iterable[dict[str, Any]]) -> Iterator[Command]:
        """Fold every event; yield the commands in the order they were decided."""
        for event in events:
            yield from self.feed(event).commands

    def views(self) -> Iterator[dict[str, Any]]:
        for creator in sorted(self.states):
            yield self.projection.view(self.states[creator])
