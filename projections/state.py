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


@dataclass(slots=True)
class CreatorState:
    """Snapshot, the events after it, and what Tally has told enforcement so far."""

    creator_id: str
    base: Core
    tail: list[list] = field(default_factory=list)
    """[at, event] pairs after the snapshot, in event-time order."""
    seen: list[list] = field(default_factory=list)
    """[event_id, at] of recent events (the latest last), to fold duplicates once."""
    issued: list[str] = field(default_factory=list)
    """Ids of the lasting penalties in force that enforcement has been sent."""
    one_offs: list[list] = field(default_factory=list)
    """[command id, tail event id] of one-off commands (warn, delist...) whose cause can still be overturned."""
    revoked: list[str] = field(default_factory=list)
    """Violation ids overturned by a reviewer; a re-detection of one of them is ignored."""
    head: Core | None = None
    """Cache of snapshot + tail folded, so an in-order event applies without a replay. Never serialised."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"c": self.creator_id, "b": self.base.to_json()}
        for key, value in (("tl", self.tail), ("sn", self.seen), ("is", self.issued), ("oo", self.one_offs), ("rv", self.revoked)):
            if value:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CreatorState":
        return cls(
            data["c"], Core.from_json(data["b"]), data.get("tl", []), data.get("sn", []),
            data.get("is", []), data.get("oo", []), data.get("rv", []),
        )
