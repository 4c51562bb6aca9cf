"""Folding many creators' events: the engine behind `tally replay`, the audit tools and the tests.

Still pure: it takes events and returns commands and states; reading files or
topics is the caller's business.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from projections.fold import Folded, fold, issued_id, warm
from projections.rulebook import Rulebooks
from projections.state import P_ACTION, P_FROM, P_ID, P_RULE, P_UNTIL, X_DEADLINE, X_MISSED, X_VID, CreatorState
from schemas.instants import format_instant
from schemas.points import format_points


@dataclass
class Counts:
    """received = folded + duplicates + rejected, always."""

    read: int = 0
    folded: int = 0
    duplicates: int = 0
    rejected: Counter = field(default_factory=Counter)
    commands: Counter = field(default_factory=Counter)

    def record(self, folded: Folded) -> None:
        self.read += 1
        status = folded.outcome.status
        if status == "folded":
            self.folded += 1
        elif status == "duplicate":
            self.duplicates += 1
        else:
            self.rejected[folded.outcome.reason] += 1
        for command in folded.commands:
            self.commands[command["action"]] += 1

    def reject(self, reason: str) -> None:
        """A line or message refused before it reached the fold (malformed, invalid)."""
        self.read += 1
        self.rejected[reason] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "folded": self.folded,
            "duplicates": self.duplicates,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "commands_by_action": dict(sorted(self.commands.items())),
        }


class Replayer:
    """Keeps every creator's state in memory and folds events in the order given."""

    def __init__(self, rulebooks: Rulebooks):
        self.rulebooks = rulebooks
        self.states: dict[str, CreatorState] = {}
        self.counts = Counts()

    def feed(self, event: dict[str, Any]) -> Folded:
        creator = event["creator_id"]
        folded = fold(self.states.get(creator), event, self.rulebooks)
        self.states[creator] = folded.state
        self.counts.record(folded)
        return folded

    def run(self, events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Fold every event; yield the commands in the order they were decided."""
        for event in events:
            yield from self.feed(event).commands

    def views(self) -> Iterator[dict[str, Any]]:
        for creator in sorted(self.states):
            yield view(self.states[creator], self.rulebooks)


def view(state: CreatorState, rulebooks: Rulebooks) -> dict[str, Any]:
    """A creator as people and APIs see it: score, penalties in force, exams and appeals pending."""
    head = warm(state, rulebooks).head
    assert head is not None
    rulebook = rulebooks[head.rulebook]
    return {
        "creator_id": state.creator_id,
        "rulebook": rulebook.policy.id,
        "policy_version": rulebook.policy.version,
        "role": rulebook.policy.role,
        "score": format_points(head.score),
        "mode": rulebook.policy.score.mode,
        "as_of": format_instant(head.clock) if head.clock else None,
        "rule": head.rule,
        "terminal": head.terminal,
        "active_penalties": [
            {
                "command_id": issued_id(state.creator_id, p[P_ID], state.lifted),
                "action": p[P_ACTION],
                "effective_from": format_instant(p[P_FROM]),
                "effective_until": None if p[P_UNTIL] is None else format_instant(p[P_UNTIL]),
                "rule": p[P_RULE],
            }
            for p in head.active
        ],
        "pending_exams": [
            {"violation_id": x[X_VID], "deadline": format_instant(x[X_DEADLINE]), "missed": bool(x[X_MISSED])} for x in head.exams
        ],
        "pending_appeals": list(head.appeals),
        "revoked_violations": list(state.revoked),
    }
