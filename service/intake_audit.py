"""End-to-end reconciliation of the live path: inputs against journal and dead letters, and the journal's
refusals against an in-order fold. The engine of `tally audit intake` (docs/audit.md). Pure: the caller
reads the topics.

Two questions `audit verify` (journal against commands) cannot answer:
1. Was every input record journaled or dead-lettered with a reason? An input record is accounted for by a
   dead letter naming its (topic, partition, offset), or by its event id in the journal.
2. Did the journal's order cost anything? The journal is folded in journal order (as the workers did) and
   in event-time order (as if every event had arrived in its place); an event refused in the first and
   accepted in the second was refused because of the order it arrived in (a catch-up that journaled a
   creator's appeals weeks ahead of their violations makes the fold refuse the violations as too_late).
"""

from dataclasses import dataclass, field
from typing import Any, Iterable

import orjson

from projections.rulebook import Rulebooks
from schemas.instants import parse_instant
from service.replay import Replayer


@dataclass(frozen=True)
class InputRecord:
    topic: str
    partition: int
    offset: int
    value: bytes | None


@dataclass(frozen=True)
class OrderRefusal:
    """An event the journal-order fold refused and an in-order fold accepts."""

    event_id: str
    creator_id: str
    reason: str
    """Why the journal-order fold refused it."""
    in_order: str
    """What the in-order fold did: folded or held."""


@dataclass
class IntakeVerdict:
    inputs: int = 0
    journaled: int = 0
    dead_lettered: dict[str, int] = field(default_factory=dict)
    """Input records dead-lettered at intake, by reason."""
    missing: list[InputRecord] = field(default_factory=list)
    """Input records neither journaled nor dead-lettered: lost."""
    journal_only: int = 0
    """Journal events no input record carries (the scheduler's deadlines, admin events published to the journal)."""
    order_refusals: list[OrderRefusal] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return not self.missing and not self.order_refusals

    def as_dict(self) -> dict[str, Any]:
        return {
            "agree": self.agree,
            "inputs": self.inputs,
            "journaled": self.journaled,
            "dead_lettered": dict(sorted(self.dead_lettered.items())),
            "missing": [{"topic": r.topic, "partition": r.partition, "offset": r.offset} for r in self.missing],
            "journal_only": self.journal_only,
            "order_refusals": [vars(r) for r in self.order_refusals],
        }


def reconcile_intake(inputs: Iterable[InputRecord], journal: list[dict[str, Any]], dead_letters: Iterable[dict[str, Any]],
                     rulebooks: Rulebooks) -> IntakeVerdict:
    """`journal`: the journal's events in journal order; `dead_letters`: the dead-letter records (all of them: those
    of the fold name the journal topic and are ignored here)."""
    verdict = IntakeVerdict()
    lettered = {(d["source_topic"], d["partition"], d["offset"]): d["reason"] for d in dead_letters}
    journaled = {event["event_id"] for event in journal}
    carried: set[str] = set()
    for record in inputs:
        verdict.inputs += 1
        reason = lettered.get((record.topic, record.partition, record.offset))
        event_id = _event_id(record.value)
        if reason is not None:
            verdict.dead_lettered[reason] = verdict.dead_lettered.get(reason, 0) + 1
        elif event_id is not None and event_id in journaled:
            verdict.journaled += 1
            carried.add(event_id)
        else:
            verdict.missing.append(record)
    verdict.journal_only = len(journaled - carried)
    verdict.order_refusals = order_refusals(journal, rulebooks)
    return verdict


def order_refusals(journal: list[dict[str, Any]], rulebooks: Rulebooks) -> list[OrderRefusal]:
    """Events refused in journal order that an event-time-order fold accepts."""
    as_journaled = _refusals(journal, rulebooks)
    in_order = sorted(journal, key=lambda e: (parse_instant(e["occurred_at"]), e["event_id"]))
    accepted = _accepted(in_order, rulebooks)
    return [OrderRefusal(event_id, creator, reason, accepted[event_id])
            for event_id, (creator, reason) in as_journaled.items() if event_id in accepted]


def _refusals(events: list[dict[str, Any]], rulebooks: Rulebooks) -> dict[str, tuple[str, str]]:
    """Event id -> (creator, reason) of each event finally refused (held ones refused later included). An event id
    journaled again (by intake after a restart, or sent twice) is judged by its first record: the live fold counts
    the later ones as redelivered or duplicates."""
    replayer, refused, seen = Replayer(rulebooks), {}, set()
    for event in events:
        if event["event_id"] in seen:
            continue
        seen.add(event["event_id"])
        outcome = replayer.feed(event).outcome
        if outcome.status == "rejected":
            refused.setdefault(event["event_id"], (event["creator_id"], outcome.reason))
        for resolution in outcome.resolved:
            if resolution.status == "rejected":
                refused.setdefault(resolution.event_id, (event["creator_id"], resolution.reason))
    return refused


def _accepted(events: list[dict[str, Any]], rulebooks: Rulebooks) -> dict[str, str]:
    """Event id -> folded or held, for each event the fold took (a held one later refused is not taken)."""
    replayer, taken = Replayer(rulebooks), {}
    for event in events:
        outcome = replayer.feed(event).outcome
        if outcome.status in ("folded", "held"):
            taken.setdefault(event["event_id"], outcome.status)
        for resolution in outcome.resolved:
            if resolution.status == "rejected":
                taken.pop(resolution.event_id, None)
            else:
                taken[resolution.event_id] = "folded"
    return taken


def _event_id(value: bytes | None) -> str | None:
    try:
        event = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    event_id = event.get("event_id") if isinstance(event, dict) else None
    return event_id if isinstance(event_id, str) else None
