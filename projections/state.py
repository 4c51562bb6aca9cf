"""A creator's state: typed records, the working state, and its compact stored form.

The state is a snapshot (`base`) as of the oldest event that can still change, plus the accepted
events after it (`tail`) in event-time order (BRIEF principle 7, docs/semantics.md). A late event
or an overturn recomputes from the nearest checkpoint before it; anything older is settled into
the snapshot.

Records are frozen msgspec Structs with named fields; they are stored as arrays, so compactness
lives in the encoding, not in the code. What can be derived (the head, checkpoints, what
enforcement was told) is kept in a `Cache` beside the stored fields and rebuilt after a restore.
"""

import zlib
from bisect import bisect_right
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any, Union

import msgspec

FOREVER = 2**62
"""An instant later than any event: 'nothing falls due'."""


class Record(msgspec.Struct, frozen=True, array_like=True):
    """A violation in the ledger, as the rules that look back (repeats, expiry, resets, migration) need it."""

    at: int
    violation: str
    code: str
    severity: str
    points: int
    """Hundredths taken for it; 0 once expired, reset, or when leniency waived them."""
    cause: str
    """The event id that recorded it."""


class Penalty(msgspec.Struct, frozen=True, array_like=True):
    """A penalty or corrective action the rules decided, with everything its command says."""

    id: str
    """The command id it was first sent under (creator, cause, rule, action)."""
    action: str
    start: int
    until: int | None
    rule: str
    cause: str
    """The event id that caused it."""
    group: str | None
    level: int
    before: int
    after: int
    detail: str
    rulebook: str
    renew: int = 0
    """Seconds: while it runs, points that arrive re-impose it for this long (Shopee's tier-5 freeze)."""
    decided_at: int = 0
    """When it was decided (its start, unless it waits for a running one: overlap extend)."""
    rank: int = 0
    """Its place among what one decision imposed: commands of one instant go out in decision order."""


class Exam(msgspec.Struct, frozen=True, array_like=True):
    """An exam a violation requires, pending or missed."""

    violation: str
    deadline: int
    cause: str
    deferred: int
    """Points held back (exam instead of penalty); taken if the exam is missed or failed."""
    missed: bool
    code: str
    severity: str


class Core(msgspec.Struct, array_like=True):
    """What the rules need to know about one creator at one instant. Mutated in place by a Run."""

    rulebook: str
    score: int
    """Hundredths: the credit score (credit mode) or the accumulated points (points mode)."""
    clock: int = 0
    """Event time the state has advanced to."""
    due: int = FOREVER
    """When the next time-driven rule falls due (`projections.timeline.next_due`)."""
    rule: str = ""
    """The rule behind the latest change of score or penalties."""
    ledger: list[Record] = []
    active: list[Penalty] = []
    exams: list[Exam] = []
    clean_since: int | None = None
    """Start of the current violation-free streak (recovery clock)."""
    exam_credit_at: int | None = None
    period: int | None = None
    """The calendar period (quarter or year index) points belong to, for resets."""
    lenient_uses: int = 0
    lenient_at: int | None = None
    exam_since_lenient: bool = False
    started: bool = False
    """A violation has been applied: enrolment can no longer change the rulebook."""
    closed: list[str] = []
    """Kinds (group, or action without a group) closed for good by a terminal penalty."""
    gone: str | None = None
    """ban or clear_out: the account itself is gone and nothing further fires."""

    def copy(self) -> "Core":
        # Records are frozen, so copying the lists is a full copy.
        return Core(
            self.rulebook, self.score, self.clock, self.due, self.rule, self.ledger[:], self.active[:], self.exams[:],
            self.clean_since, self.exam_credit_at, self.period, self.lenient_uses, self.lenient_at,
            self.exam_since_lenient, self.started, self.closed[:], self.gone,
        )


# Timeline entries: the accepted events the rules read, in event-time order. Tagged so a stored
# tail decodes to the right types; sorted by (at, event_id).


class Recorded(msgspec.Struct, frozen=True, array_like=True, tag="v"):
    at: int
    event_id: str
    violation: str
    code: str
    severity: str


class ExamResult(msgspec.Struct, frozen=True, array_like=True, tag="x"):
    at: int
    event_id: str
    violation: str | None
    passed: bool
    percent: int


class Enrolled(msgspec.Struct, frozen=True, array_like=True, tag="e"):
    at: int
    event_id: str
    rulebook: str
    role: str | None


class Migrated(msgspec.Struct, frozen=True, array_like=True, tag="m"):
    at: int
    event_id: str
    rulebook: str


# Appeals and decisions are not on the timeline: an overturn removes its violation from it.


class AppealFiled(msgspec.Struct, frozen=True, array_like=True, tag="a"):
    at: int
    event_id: str
    violation: str


class Decision(msgspec.Struct, frozen=True, array_like=True, tag="d"):
    at: int
    event_id: str
    violation: str
    overturned: bool


Entry = Union[Recorded, ExamResult, Enrolled, Migrated]
Held = Union[AppealFiled, Decision, ExamResult]


def fingerprint(text: str) -> int:
    """64 bits of an id: enough to tell one creator's ids apart, a fraction of the size."""
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big")


Key = tuple[int, str]
"""A place on the timeline: (instant, event id). A time-driven rule at an instant sorts before events
there: (instant, "")."""


@dataclass(slots=True)
class Fate:
    """A penalty of the timeline and how it stands: in force, or ended (and why)."""

    penalty: Penalty
    key: Key
    """Where on the timeline it was decided: a recompute from a checkpoint redecides everything after it."""
    end: "Ended | None" = None


class Ended(msgspec.Struct, frozen=True, array_like=True):
    """Why and when a penalty stopped."""

    rule: str
    at: int
    cause: str
    score: int


def _fate_key(fate: Fate) -> Key:
    return fate.key


class Decided:
    """The penalties enforcement has been told of that can still change (those in force at the snapshot and
    all decided after it): by first command id, and in timeline order, so that a recompute or a settle
    touches only the stretch of timeline it changes. Add in timeline order."""

    __slots__ = ("by_id", "order")

    def __init__(self) -> None:
        self.by_id: dict[str, Fate] = {}
        self.order: list[Fate] = []

    def get(self, cid: str) -> Fate | None:
        return self.by_id.get(cid)

    def add(self, fate: Fate) -> None:
        self.by_id[fate.penalty.id] = fate
        self.order.append(fate)

    def __len__(self) -> int:
        return len(self.order)

    def between(self, after: Key | None, upto: Key | None) -> list[Fate]:
        """Decided after `after` and at or before `upto` (None: from the start, to the end)."""
        return self.order[self._index(after):self._index(upto, len(self.order))]

    def splice(self, after: Key | None, upto: Key | None, fates: list[Fate]) -> None:
        """What was decided in (after, upto] is now `fates` (in timeline order)."""
        lo, hi = self._index(after), self._index(upto, len(self.order))
        for gone in self.order[lo:hi]:
            if self.by_id.get(gone.penalty.id) is gone:
                del self.by_id[gone.penalty.id]
        self.order[lo:hi] = fates
        for fate in fates:
            self.by_id[fate.penalty.id] = fate

    def prune(self, upto: Key, keep: set[str]) -> None:
        """Forget what was decided at or before `upto`, but for the penalties in `keep`."""
        hi = self._index(upto)
        kept = [fate for fate in self.order[:hi] if fate.penalty.id in keep]
        for gone in self.order[:hi]:
            if gone.penalty.id not in keep and self.by_id.get(gone.penalty.id) is gone:
                del self.by_id[gone.penalty.id]
        self.order[:hi] = kept

    def _index(self, key: Key | None, default: int = 0) -> int:
        return default if key is None else bisect_right(self.order, key, key=_fate_key)


@dataclass(slots=True)
class Checkpoint:
    key: Key
    """The state just before the tail entry with this key (or where it was, if it has gone)."""
    core: Core


@dataclass(slots=True)
class Cache:
    """Everything derived from the stored state; `projections.placement.warm` builds it."""

    head: Core
    """Snapshot + tail folded and advanced to `latest`: the standing state."""
    decided: Decided
    checkpoints: list[Checkpoint]
    """In timeline order, one every CHECKPOINT_EVERY tail entries or so (`checkpoint_spacing`)."""
    since_checkpoint: int
    """Tail entries after the last checkpoint (or all of them): when the next one is due."""
    ids: set[str]
    """Event ids held in the state (tail, appeals, decisions, held): duplicates of these fold once."""
    violations: dict[str, Recorded]
    """Violations on the timeline, by violation id."""
    waiting_due: int | None = None
    """The latest instant past which some held event can no longer be matched (None: work it out again)."""


@dataclass(slots=True)
class CreatorState:
    """One creator: the stored fields, and a cache of what follows from them."""

    creator_id: str
    base: Core
    tail: list[Entry] = field(default_factory=list)
    latest: int = 0
    """The latest accepted event instant: the reference of the late-event horizon."""
    appeals: dict[str, AppealFiled] = field(default_factory=dict)
    """Accepted appeals of violations on the timeline."""
    decisions: dict[str, Decision] = field(default_factory=dict)
    """Sustained decisions of violations on the timeline."""
    revoked: dict[str, int] = field(default_factory=dict)
    """Overturned violation -> when it was decided, forever (DOMAIN edge 11: a reviewer's decision survives)."""
    waiting: list[Held] = field(default_factory=list)
    """Held events: they name a violation or appeal not yet known."""
    known: dict[str, int] = field(default_factory=dict)
    """Settled violation id -> its instant * 2 + 1 if its appeal was decided (for violation_memory_days)."""
    remembered: dict[int, int] = field(default_factory=dict)
    """Fingerprint of an event id the state does not otherwise hold (a refused event, an overturned violation's
    appeal and decision) -> its instant, within the horizon: a re-send is a duplicate."""
    lifted: dict[str, list[int]] = field(default_factory=dict)
    """First command id -> [times lifted, instant of its cause]: the next send gets a fresh id."""
    position: int = -1
    """The journal position of the latest record folded into this state, as the adapter reading the journal
    numbers them (a Kafka offset live; -1: none). The fold never reads it: it tells a record delivered again
    after a restart from a new one that happens to be refused."""
    inputs: dict[int, int] = field(default_factory=dict)
    """Live only, kept by the adapter like `position`: per input topic (by its index), the offset of the latest input
    record of this creator folded. A record journaled again after a restart is told by it (streams/intake.py)."""
    cache: Cache | None = None


class Stored(msgspec.Struct, array_like=True):
    """The stored form of a CreatorState: what cannot be derived."""

    creator_id: str
    base: Core
    tail: list[Entry]
    latest: int
    appeals: dict[str, AppealFiled]
    decisions: dict[str, Decision]
    revoked: dict[str, int]
    waiting: list[Held]
    known: dict[str, int]
    remembered: dict[int, int]
    lifted: dict[str, list[int]]
    position: int = -1
    inputs: dict[int, int] = {}


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(Stored)

FORMAT = 1
"""The first byte of every stored state. Format 1: msgpack of `Stored`, raw deflate primed with
`_DICTIONARY`. The dictionary is part of the format: changing it means a new format byte."""
_DICTIONARY = (
    b"minor general serious especially_serious warn delist_product hide_videos cut_live_stream restrict_marketing "
    b"restrict_listings suspend_product_sharing close_product_sharing suspend_shopping_cart delist_all_products "
    b"require_exam freeze_deposit withhold_commission charge_damages mute suspend_account strike clear_out ban "
    b"product_sharing marketing deposit cart listings account milestone freeze "
    b"violation:prohibited_goods violation:counterfeit_goods violation:false_advertising violation:off_platform_trading "
    b"violation:inappropriate_content violation:service_not_honoured violation:negative_after_sales "
    b"violation:marketing_violation violation:false_description violation:false_promotion node:0 node:2 node:4 node:6 "
    b"node:8 node:12 exam: exam_missed: exam_passed: recovery:7d recovery:30d exam_credit point_expiry reset enrolled "
    b"migrated: escalation: extension: quiz: leniency:warn kuaishou-shop-legacy/merchant kuaishou-shop-2021/merchant "
    b"kuaishou-shop-2021/promoter tiktok-shop-sea/seller youtube-strikes shopee douyin-creator-2023 douyin-creator-2022 "
    b"cmd- deadline: -v1 -v2 -v3 -e1 -e2 -e3"
)
_DEFLATE = zlib.compressobj(1, zlib.DEFLATED, -15, zdict=_DICTIONARY)
_INFLATE = zlib.decompressobj(-15, zdict=_DICTIONARY)


def _stored(state: CreatorState) -> Stored:
    # The snapshot's next due instant is left out (0: "recompute before use"): it follows from the rest.
    base = msgspec.structs.replace(state.base, due=0)
    return Stored(
        state.creator_id, base, state.tail, state.latest, state.appeals, state.decisions, state.revoked,
        state.waiting, state.known, state.remembered, state.lifted, state.position, state.inputs,
    )


def to_bytes(state: CreatorState) -> bytes:
    """The compact binary form a table stores (see FORMAT). Small records of few words: deflate with a
    dictionary of the packs' vocabulary roughly halves them."""
    deflate = _DEFLATE.copy()  # primed with the dictionary once; a copy per state
    return bytes((FORMAT,)) + deflate.compress(_ENCODER.encode(_stored(state))) + deflate.flush()


def from_bytes(data: bytes) -> CreatorState:
    if not data or data[0] != FORMAT:
        raise ValueError(f"not a stored creator state of format {FORMAT}")
    inflate = _INFLATE.copy()
    s = _DECODER.decode(inflate.decompress(data[1:]) + inflate.flush())
    return CreatorState(s.creator_id, s.base, s.tail, s.latest, s.appeals, s.decisions, s.revoked, s.waiting, s.known, s.remembered, s.lifted,
                        position=s.position, inputs=s.inputs)


def named(state: CreatorState) -> dict[str, Any]:
    """The stored form as plain data with field names (records tagged with their kind), for people."""
    return {f: _named(getattr(state, f)) for f in Stored.__struct_fields__}


def _named(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        fields = {f: _named(getattr(value, f)) for f in value.__struct_fields__}
        return {"kind": type(value).__name__, **fields} if value.__struct_config__.tag else fields
    if isinstance(value, (list, tuple)):
        return [_named(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _named(v) for k, v in value.items()}
    return value
