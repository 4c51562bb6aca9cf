"""The audits, as pure functions over events and commands: verify, as-of, simulate, migrate.

No I/O: callers bring the journal (a file or the topic, in journal order) and the published
commands; these functions fold with the same `fold` the live workers run. Their text form is
`render.text`.
"""

from collections import Counter
from dataclasses import dataclass, field
from hashlib import blake2b, sha256
from typing import Any, Callable, Iterable, Iterator

import msgspec
import orjson

from projections.fold import warm
from projections.rulebook import Rulebooks
from projections.standing import view
from projections.state import CreatorState
from projections.timeline import Run
from schemas.codec import Rejection, encode, validate
from service.replay import Replayer
from schemas.instants import format_instant, parse_instant
from schemas.points import to_hundredths

# --------------------------------------------------------------------------------------------
# verify: recompute the commands from the journal and compare with what was published


@dataclass
class Discrepancy:
    kind: str
    """missing (recomputed, never published), extra (published, not recomputed), different (same id, other content)."""
    command_id: str
    creator_id: str
    expected: dict[str, Any] | None
    published: dict[str, Any] | None
    fields: list[str] = field(default_factory=list)
    """For `different`: the fields that differ (reason.* for the reason's)."""

    @property
    def caused_by(self) -> list[str]:
        seen: list[str] = []
        for command in (self.expected, self.published):
            for eid in ((command or {}).get("reason") or {}).get("caused_by") or []:
                if eid not in seen:
                    seen.append(eid)
        return seen

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "command_id": self.command_id, "creator_id": self.creator_id,
            "expected": self.expected, "published": self.published, "fields": self.fields, "caused_by": self.caused_by,
        }


@dataclass
class Verdict:
    recomputed: int = 0
    """Distinct commands the fold produced."""
    published: int = 0
    """Records read from the penalties side."""
    redelivered: int = 0
    """Published records identical to one already read (at-least-once delivery; not a discrepancy)."""
    discrepancies: list[Discrepancy] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The journal events the discrepancies name (filled by `attach_events`)."""

    @property
    def agree(self) -> bool:
        return not self.discrepancies

    def by_kind(self) -> Counter:
        return Counter(d.kind for d in self.discrepancies)

    def as_dict(self) -> dict[str, Any]:
        kinds = self.by_kind()
        return {
            "agree": self.agree, "recomputed": self.recomputed, "published": self.published, "redelivered": self.redelivered,
            "missing": kinds["missing"], "extra": kinds["extra"], "different": kinds["different"],
            "discrepancies": [d.as_dict() for d in self.discrepancies],
            "events": self.events,
        }


def _key(cid: str) -> int | str:
    """Command ids are 'cmd-' + 24 hex digits: kept as one int, a third of the memory of the string."""
    try:
        return int(cid[4:], 16) if cid.startswith("cmd-") and len(cid) == 28 else cid
    except ValueError:
        return cid


def _digest(data: bytes) -> int:
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "big")


def _canonical(command: bytes | dict[str, Any] | msgspec.Struct) -> tuple[str, bytes]:
    if isinstance(command, msgspec.Struct):
        return command.command_id, encode(command)  # type: ignore[attr-defined]
    obj = orjson.loads(command) if isinstance(command, (bytes, bytearray, memoryview, str)) else command
    return obj["command_id"], encode(obj)  # canonical form, whatever the publisher's key order


def _add(index: dict, key: int | str, digest: int) -> bool:
    """Record a content digest under an id; False if it was there already."""
    held = index.get(key)
    if held is None:
        index[key] = digest
        return True
    if isinstance(held, int):
        if held == digest:
            return False
        index[key] = {held, digest}
        return True
    if digest in held:
        return False
    held.add(digest)
    return True


def _has(index: dict, key: int | str, digest: int) -> bool:
    held = index.get(key)
    return held is not None and (held == digest if isinstance(held, int) else digest in held)


def _digests(index: dict, key: int | str) -> set[int]:
    held = index.get(key)
    return set() if held is None else {held} if isinstance(held, int) else set(held)


def verify(expected: Iterable[bytes | dict[str, Any]], published: Callable[[], Iterable[bytes | dict[str, Any]]]) -> Verdict:
    """Compare the commands the journal folds to (`expected`, e.g. `Replayer(rulebooks).run(events)`,
    consumed once as it is produced) with the published ones, by command id.

    Per id, the *sets* of distinct contents are compared: delivery is at-least-once, so a command
    published twice byte for byte is a redelivery, not a discrepancy. Memory stays small: ids and
    8-byte content digests; the contents of discrepancies only are kept (expected ones while
    folding, published ones by a second pass over `published()`)."""
    theirs: dict = {}
    verdict = Verdict()
    for command in published():
        cid, data = _canonical(command)
        verdict.published += 1
        if not _add(theirs, _key(cid), _digest(data)):
            verdict.redelivered += 1
    mine: dict = {}
    unmatched: dict[str, list[bytes]] = {}
    for command in expected:
        cid, data = _canonical(command)
        key, digest = _key(cid), _digest(data)
        if _add(mine, key, digest):
            verdict.recomputed += 1
            if not _has(theirs, key, digest):
                unmatched.setdefault(cid, []).append(data)
    extra_ids = {_cid(k) for k in theirs if _digests(theirs, k) - _digests(mine, k)}
    found: dict[str, list[bytes]] = {}
    if extra_ids:
        for command in published():
            cid, data = _canonical(command)
            if cid in extra_ids and not _has(mine, _key(cid), _digest(data)) and data not in found.setdefault(cid, []):
                found[cid].append(data)
    for cid in sorted(set(unmatched) | set(found)):
        exp = [orjson.loads(b) for b in unmatched.get(cid, [])]
        pub = [orjson.loads(b) for b in found.get(cid, [])]
        creator = (exp or pub)[0]["creator_id"]
        for e, p in zip(exp, pub):
            verdict.discrepancies.append(Discrepancy("different", cid, creator, e, p, _differing(e, p)))
        verdict.discrepancies += [Discrepancy("missing", cid, creator, e, None) for e in exp[len(pub):]]
        verdict.discrepancies += [Discrepancy("extra", cid, creator, None, p) for p in pub[len(exp):]]
    verdict.discrepancies.sort(key=lambda d: (d.creator_id, ((d.expected or d.published) or {}).get("effective_from", ""), d.command_id, d.kind))
    return verdict


def _differing(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        if key == "reason" and isinstance(a.get(key), dict) and isinstance(b.get(key), dict):
            out += [f"reason.{k}" for k in sorted(set(a[key]) | set(b[key])) if a[key].get(k) != b[key].get(k)]
        elif a.get(key) != b.get(key):
            out.append(key)
    return out


def _cid(key: int | str) -> str:
    return f"cmd-{key:024x}" if isinstance(key, int) else key


def attach_events(verdict: Verdict, events: Iterable[dict[str, Any]]) -> Verdict:
    """Second pass over the journal: keep the events the discrepancies' reasons name."""
    wanted = {eid for d in verdict.discrepancies for eid in d.caused_by}
    if wanted:
        for event in events:
            if event.get("event_id") in wanted and event["event_id"] not in verdict.events:
                verdict.events[event["event_id"]] = event
    return verdict


# --------------------------------------------------------------------------------------------
# as of: the state of a creator (or everyone) at an instant


@dataclass
class AsOf:
    instant: int
    views: list[dict[str, Any]]
    commands: list[dict[str, Any]]
    """Commands decided by events up to the instant, in decision order."""
    excluded_later: int = 0
    """Events that occurred after the instant."""
    excluded_refused: int = 0
    """Events the full journal fold refused (too late, duplicate...): refused as of any instant too."""


def as_of(events: Iterable[dict[str, Any]], instant: str | int, rulebooks: Rulebooks, creator: str | None = None) -> AsOf:
    """Fold the journal's events that occurred at or before `instant`, as now known.

    'As of' is event time, with today's knowledge: an event that occurred before the instant but
    was reported after it (a late detection, an exam passed before a deadline and reported later)
    counts; an event that occurred after it does not, even if it was recorded earlier (an appeal
    decided after the instant has not yet overturned anything). An event the full journal fold
    refused (too late, a duplicate) is left out here too, so as-of never knows more than replay.
    Time-driven changes (penalty periods ending, recovery credit, exam deadlines) are applied up
    to the instant itself, as if a scheduler event had arrived at it."""
    at = instant if isinstance(instant, int) else parse_instant(instant)
    full, partial = Replayer(rulebooks), Replayer(rulebooks)
    result = AsOf(at, [], [])
    for event in events:
        if creator is not None and event["creator_id"] != creator:
            continue
        outcome = full.feed(event).outcome
        if outcome.status == "skipped":  # another projection's (a metric report)
            continue
        if outcome.status not in ("folded", "held"):
            result.excluded_refused += 1
            continue
        if parse_instant(event["occurred_at"]) > at:
            result.excluded_later += 1
            continue
        result.commands += [c.as_dict() for c in partial.feed(event).commands]
    result.views = [view_at(partial.states[c], rulebooks, at) for c in sorted(partial.states)]
    return result


def view_at(state: CreatorState, rulebooks: Rulebooks, instant: int) -> dict[str, Any]:
    """`projections.standing.view`, with time advanced to `instant` (periods end, recovery accrues)."""
    head = warm(state, rulebooks).head
    if instant > head.clock:
        head = head.copy()
        Run(head, rulebooks, state.creator_id).advance(instant)
    return view(state, rulebooks, head)


# --------------------------------------------------------------------------------------------
# simulate: the same journal under another policy version


def command_key(command: Any) -> tuple[str, str, str, str]:
    """Commands of two policy versions are compared by what they do, not by id."""
    return (command.creator_id, command.action, command.reason.rule, command.effective_from)


def outcome_of(v: dict[str, Any]) -> tuple:
    """What a creator's outcome is, for 'did it change': score, terminal state, penalties in force."""
    return (v["score"], v["terminal"], tuple(sorted((p["action"], p["rule"], p["effective_from"], p["effective_until"] or "") for p in v["active_penalties"])))


@dataclass
class Simulation:
    baseline: str
    candidate: str
    events: int = 0
    commands_before: int = 0
    commands_after: int = 0
    added: list[tuple[tuple[str, str, str, str], int]] = field(default_factory=list)
    removed: list[tuple[tuple[str, str, str, str], int]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    creators: int = 0
    histogram_before: dict[str, dict[str, int]] = field(default_factory=dict)
    histogram_after: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def keyed(entries):
            return [{"creator_id": k[0], "action": k[1], "rule": k[2], "effective_from": k[3], "count": n} for k, n in entries]

        return {
            "baseline": self.baseline, "candidate": self.candidate, "events": self.events, "creators": self.creators,
            "commands_before": self.commands_before, "commands_after": self.commands_after,
            "added": keyed(self.added), "removed": keyed(self.removed),
            "creators_changed": len(self.changed), "changed": self.changed,
            "score_histogram_before": self.histogram_before, "score_histogram_after": self.histogram_after,
        }


def score_bin(score: str) -> str:
    """Whole-point bins: '7.5' -> '7'."""
    return str(to_hundredths(score) // 100)


def histogram(views: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """rulebook (mode) -> score bin -> creators, bins in numeric order."""
    out: dict[str, Counter] = {}
    for v in views:
        out.setdefault(f"{v['rulebook']}{'/' + v['role'] if v['role'] else ''} ({v['mode']})", Counter())[score_bin(v["score"])] += 1
    return {name: dict(sorted(c.items(), key=lambda kv: int(kv[0]))) for name, c in sorted(out.items())}


def simulate(events: Iterable[dict[str, Any]], baseline: Rulebooks, candidate: Rulebooks, baseline_name: str = "", candidate_name: str = "") -> Simulation:
    """Fold the same events under both catalogues in one pass and compare."""
    before, after = Replayer(baseline), Replayer(candidate)
    keys_before: Counter = Counter()
    keys_after: Counter = Counter()
    sim = Simulation(baseline_name, candidate_name)
    for event in events:
        sim.events += 1
        for command in before.feed(event).commands:
            keys_before["\t".join(command_key(command))] += 1  # one string, not a tuple of four: memory
        for command in after.feed(event).commands:
            keys_after["\t".join(command_key(command))] += 1
    sim.commands_before, sim.commands_after = sum(keys_before.values()), sum(keys_after.values())
    sim.added = sorted((tuple(k.split("\t")), n) for k, n in (keys_after - keys_before).items())  # type: ignore[misc]
    sim.removed = sorted((tuple(k.split("\t")), n) for k, n in (keys_before - keys_after).items())  # type: ignore[misc]
    del keys_before, keys_after
    views_before = {v["creator_id"]: v for v in before.views()}
    views_after = {v["creator_id"]: v for v in after.views()}
    sim.creators = len(views_before)
    for creator in sorted(views_before):
        b, a = views_before[creator], views_after[creator]
        if outcome_of(b) != outcome_of(a):
            sim.changed.append({
                "creator_id": creator, "score_before": b["score"], "score_after": a["score"],
                "terminal_before": b["terminal"], "terminal_after": a["terminal"],
                "penalties_before": sorted(p["action"] for p in b["active_penalties"]),
                "penalties_after": sorted(p["action"] for p in a["active_penalties"]),
            })
    sim.histogram_before, sim.histogram_after = histogram(views_before.values()), histogram(views_after.values())
    return sim


# --------------------------------------------------------------------------------------------
# migrate: rulebook_migrated events, deterministic


def migration_event_id(creator_id: str, rulebook: str, at: str) -> str:
    digest = sha256(f"{creator_id}|{rulebook}|{at}".encode()).hexdigest()
    return f"migrate-{digest[:24]}"


def migration_events(creators: Iterable[str], rulebook: str, at: str | int, source: str = "admin") -> Iterator[dict[str, Any]]:
    """One validated `rulebook_migrated` event per creator; the same inputs give the same ids, so
    publishing a migration twice folds once."""
    instant = format_instant(at if isinstance(at, int) else parse_instant(at))
    for creator in creators:
        raw = {
            "event_id": migration_event_id(creator, rulebook, instant), "creator_id": creator, "occurred_at": instant,
            "source": source, "schema_version": 3, "type": "rulebook_migrated", "rulebook": rulebook,
        }
        event = validate(raw)
        if isinstance(event, Rejection):
            raise ValueError(f"creator {creator!r}: {event.reason}: {event.detail}")
        yield event


def migration_candidates(views: Iterable[dict[str, Any]], rulebooks: Rulebooks, target: str) -> list[str]:
    """Creators currently governed by a rulebook the target declares it migrates from (per role)."""
    out = []
    for v in views:
        found = rulebooks.find(target, v["role"])
        migration = found.policy.migration if found else None
        if migration and v["rulebook"] in migration.from_rulebooks:
            out.append(v["creator_id"])
    return out


def journal_order(events: Iterable[dict[str, Any]], partition_of: Callable[[str], int]) -> list[dict[str, Any]]:
    """A flat file in journal order: stable by partition (the creator's), then file order."""
    indexed = [(partition_of(e["creator_id"]), i, e) for i, e in enumerate(events)]
    indexed.sort(key=lambda t: (t[0], t[1]))
    return [e for _, _, e in indexed]
