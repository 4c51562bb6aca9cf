"""Per-creator state: compact, plain data, serialisable to a few hundred bytes.

A creator's state is a snapshot (`base`) as of the oldest event that can still
change (a violation whose appeal window is open or whose appeal is undecided,
an exam that may still be reported), plus the events after it (`tail`).
An overturned appeal or a late event recomputes base + tail; anything older
can no longer change and is folded into the snapshot (BRIEF principle 7).

Entries are short lists rather than objects because a Faust table holds
millions of these; the index constants name their fields.
"""

from dataclasses import dataclass, field
from typing import Any

# Ledger entry: a violation that counts (points, repeats, migration).
L_AT, L_VID, L_CODE, L_SEV, L_POINTS, L_EID = range(6)
# Active penalty entry.
P_ID, P_ACTION, P_GROUP, P_LEVEL, P_FROM, P_UNTIL, P_RULE, P_EID = range(8)
# Pending exam entry.
X_VID, X_DEADLINE, X_EID, X_DEFERRED, X_MISSED, X_CODE, X_SEV = range(7)


@dataclass(slots=True)
class Core:
    """What the rules need to know about one creator at one instant."""

    rulebook: str
    score: int
    """Hundredths: credit score (credit mode) or accumulated points (points mode)."""
    clock: int = 0
    """Event time of the latest event applied, epoch seconds."""
    rule: str = ""
    """The rule behind the latest change of score or penalties."""
    ledger: list[list] = field(default_factory=list)
    active: list[list] = field(default_factory=list)
    exams: list[list] = field(default_factory=list)
    appeals: list[str] = field(default_factory=list)
    """Violation ids with an appeal filed and undecided."""
    clean_since: int | None = None
    """Start of the current violation-free streak (recovery clock)."""
    exam_credit_at: int | None = None
    period: int | None = None
    lenient_uses: int = 0
    lenient_at: int | None = None
    exam_since_lenient: bool = False
    terminal: str | None = None

    def copy(self) -> "Core":
        # Entries are replaced, never mutated, so copying the lists is enough.
        return Core(
            self.rulebook, self.score, self.clock, self.rule, self.ledger[:], self.active[:], self.exams[:],
            self.appeals[:], self.clean_since, self.exam_credit_at, self.period, self.lenient_uses,
            self.lenient_at, self.exam_since_lenient, self.terminal,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rb": self.rulebook, "s": self.score, "t": self.clock}
        for key, value in (
            ("r", self.rule), ("l", self.ledger), ("a", self.active), ("x", self.exams), ("ap", self.appeals),
            ("cs", self.clean_since), ("ec", self.exam_credit_at), ("p", self.period), ("lu", self.lenient_uses),
            ("la", self.lenient_at), ("le", self.exam_since_lenient), ("term", self.terminal),
        ):
            if value:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Core":
        return cls(
            data["rb"], data["s"], data["t"], data.get("r", ""), data.get("l", []), data.get("a", []),
            data.get("x", []), data.get("ap", []), data.get("cs"), data.get("ec"), data.get("p"),
            data.get("lu", 0), data.get("la"), data.get("le", False), data.get("term"),
        )


# Tail events are stored with short keys: a Faust table holds millions of states.
_SHORT = {"event_id": "i", "type": "y", "violation_id": "v", "code": "k", "severity": "s", "outcome": "o",
          "rulebook": "r", "role": "ro", "score_percent": "p", "command_id": "m"}
_LONG = {short: long for long, short in _SHORT.items()}


def _pack(tail: list[list]) -> list[list]:
    return [[at, {_SHORT[k]: v for k, v in event.items()}] for at, event in tail]


def _unpack(tail: list[list]) -> list[list]:
    return [[at, {_LONG[k]: v for k, v in event.items()}] for at, event in tail]


@dataclass(slots=True)
class CreatorState:
    """Snapshot, the events after it, and the memory that makes folding idempotent.

    Only the first seven fields are stored; the rest are derived (`projections.fold.warm`) and cached."""

    creator_id: str
    base: Core
    tail: list[list] = field(default_factory=list)
    """[at, event] pairs after the snapshot, in event-time order."""
    seen: dict[str, int] = field(default_factory=dict)
    """Fingerprint of event id -> instant, for recent events: duplicates fold once."""
    revoked: dict[str, int] = field(default_factory=dict)
    """Violation id -> instant a reviewer overturned it; a re-detection within the record horizon is ignored."""
    latest: int = 0
    """The latest event instant seen, folded or refused: the creator's clock for duplicates and lateness."""
    lifted: dict[str, list[int]] = field(default_factory=dict)
    """Command id -> [times lifted, instant of the last lift], within the record horizon: a penalty that
    comes back after a lift is sent under a new id."""
    head: Core | None = None
    """Snapshot + tail folded, so an in-order event applies without a replay."""
    issued: list[str] | None = None
    """Ids of the lasting penalties in force that enforcement has been sent (the head's active ones)."""
    one_offs: list[list] | None = None
    """[command id, tail event id] of one-off commands (warn, delist...) whose cause can still be overturned."""
    checkpoints: list[tuple[int, Core]] | None = None
    """(tail position, state before it) every few steps, so a recompute need not start from the snapshot."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"c": self.creator_id, "b": self.base.to_json()}
        for key, value in (("tl", _pack(self.tail)), ("sn", self.seen), ("rv", self.revoked), ("lt", self.latest), ("lf", self.lifted)):
            if value:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CreatorState":
        return cls(
            data["c"], Core.from_json(data["b"]), _unpack(data.get("tl", [])), data.get("sn", {}), data.get("rv", {}), data.get("lt", 0),
            data.get("lf", {}),
        )
