"""The fold: `fold(state, event, rulebooks) -> (state, commands, outcome)`.

Pure: no clock, no randomness, no I/O. The Faust agent, the replay CLI and the
tests all call this one function, so live and replay cannot disagree.

How one event is folded:
1. Duplicates (same event_id within the late-event horizon) fold once; events
   older than the horizon are refused as too late.
2. The event joins the tail in event-time order (an appeal decision before its
   violation, a late report of an exam taken in time: order is by occurred_at).
3. The rules run over snapshot + tail; an overturned violation is left out, so
   the timeline is recomputed as if it had never been recorded.
4. Compared with what enforcement was already told: new penalties become
   commands; told penalties that no longer follow, or that ended, become lifts.
5. Events that can no longer change move into the snapshot.
"""

from base64 import urlsafe_b64encode
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from hashlib import blake2b
from typing import Any, NamedTuple

from projections.rulebook import Rulebook, Rulebooks
from projections.rules import RULES
from projections.run import Ended, Fired, Run
from projections.run import command_id as _command_id
from projections.state import L_VID, X_DEADLINE, X_MISSED, X_VID, Core, CreatorState
from schemas.instants import DAY, format_instant, parse_instant
from schemas.points import format_points

# Fields of an event the rules read; the rest (evidence, statements, the original timestamp
# text) stays in the journal.
_KEPT_FIELDS = ("event_id", "type", "violation_id", "code", "severity", "outcome", "rulebook", "role", "score_percent", "command_id")


# Settle a partly final tail only once this many leading events (or half a short tail) are final.
_SETTLE_BATCH = 16


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one event."""

    status: str
    """folded, duplicate or rejected."""
    reason: str = ""
    """For rejections (and duplicates): a stable, machine-readable reason."""
    score: int | None = None
    """Score (or points) after the event, in hundredths; none when the event was not folded."""
    rule: str = ""
    notes: tuple[str, ...] = field(default=())


class Folded(NamedTuple):
    state: CreatorState
    commands: list[dict[str, Any]]
    outcome: Outcome


def new_state(creator_id: str, rulebooks: Rulebooks) -> CreatorState:
    default = rulebooks.default
    return CreatorState(creator_id, Core(default.key, default.start))


def fold(state: CreatorState | None, event: dict[str, Any], rulebooks: Rulebooks) -> Folded:
    if state is None:
        state = new_state(event["creator_id"], rulebooks)
    event_id = event["event_id"]
    at = parse_instant(event["occurred_at"])
    rulebook = rulebooks[state.base.rulebook]
    late = rulebook.late_seconds
    # Duplicates are caught within the late-event horizon behind the latest instant seen, and
    # anything older is refused, so none can slip through.
    mark = fingerprint(event_id)
    if mark in state.seen:
        return Folded(state, [], Outcome("duplicate", "duplicate_event_id"))
    if state.latest and at < state.latest - late:
        return _refuse(state, mark, at, "too_late", rulebook)

    state = warm(state, rulebooks)
    revoked = state.revoked
    overturn = event["type"] == "appeal_resolved" and event["outcome"] == "overturned"
    if overturn and event["violation_id"] not in revoked:
        revoked = {**revoked, event["violation_id"]: at}
    slim = {key: event[key] for key in _KEPT_FIELDS if key in event}
    when = max(at, state.base.clock)
    tail = state.tail
    position = len(tail) if not tail or when >= tail[-1][0] else bisect_right([entry[0] for entry in tail], when)
    tail = [*tail[:position], [when, slim], *tail[position:]]

    # Recompute from the latest checkpoint before the first step that changed (the new event's place,
    # or the overturned violation's); in order and revoking nothing, that is the head itself.
    start = position
    if overturn:
        start = min([start, *(i for i, (_, e) in enumerate(tail) if e.get("violation_id") == event["violation_id"] and e["type"] == "violation_recorded")])
    checkpoints = [c for c in state.checkpoints if c[0] <= start]  # type: ignore[union-attr]
    if start == len(state.tail):
        begin, core = start, state.head
    else:
        begin, core = checkpoints[-1] if checkpoints else (0, state.base)
    run, rejected, made = replay_from(core, tail, begin, revoked, rulebooks, state.creator_id, noting=position)  # type: ignore[arg-type]
    if position in rejected:
        return _refuse(state, mark, when, rejected[position], rulebook)

    head = run.core
    commands, one_offs, lifted = _reconcile(state, run, tail, event_id, begin)
    checkpoints = [c for c in checkpoints if c[0] < begin] + made
    base, tail, settled, checkpoints = _settle(state.base, tail, head, revoked, rulebooks, state.creator_id, checkpoints)
    if settled:
        gone = {entry[1]["event_id"] for entry in settled}
        one_offs = [entry for entry in one_offs if entry[1] not in gone]
    latest = max(state.latest, when)
    seen = _recent(state.seen, mark, when, latest - late)
    revoked = _recent(revoked, None, 0, latest - rulebook.record_days * DAY)
    horizon = latest - rulebook.record_days * DAY
    if lifted and min(entry[1] for entry in lifted.values()) < horizon:
        lifted = {cid: entry for cid, entry in lifted.items() if entry[1] >= horizon}
    new = CreatorState(state.creator_id, base, tail, seen, revoked, latest, lifted, head, [p[0] for p in head.active], one_offs, checkpoints)
    outcome = Outcome("folded", score=head.score, rule=head.rule, notes=tuple(run.notes))
    return Folded(new, commands, outcome)


def warm(state: CreatorState, rulebooks: Rulebooks) -> CreatorState:
    """Fill in what a stored state leaves out: the head (snapshot + tail folded), the penalties in force
    that enforcement was told of, the one-off commands of tail events, and checkpoints along the tail.
    All follow from the rest."""
    if state.head is not None:
        return state
    if not state.tail:
        return replace(state, head=state.base, issued=[p[0] for p in state.base.active], one_offs=[], checkpoints=[])
    run, _, made = replay_from(state.base, state.tail, 0, state.revoked, rulebooks, state.creator_id)
    one_offs = [[f.command_id, state.tail[f.step][1]["event_id"]] for f in run.fired if f.instant]
    return replace(state, head=run.core, issued=[p[0] for p in run.core.active], one_offs=one_offs, checkpoints=made)


def fingerprint(event_id: str) -> str:
    """48 bits of an event id, base64: enough to tell a creator's recent events apart, a fraction of the size."""
    return urlsafe_b64encode(blake2b(event_id.encode(), digest_size=6).digest()).decode()


def _refuse(state: CreatorState, mark: str, at: int, reason: str, rulebook: Rulebook) -> Folded:
    """Nothing changes but the memory of the event id, so a re-send is a duplicate, not a second verdict."""
    latest = max(state.latest, at)
    seen = _recent(state.seen, mark, at, latest - rulebook.late_seconds)
    return Folded(replace(state, seen=seen, latest=latest), [], Outcome("rejected", reason))


def _recent(memory: dict[str, int], key: str | None, at: int, horizon: int) -> dict[str, int]:
    """Add `key` (if any) to an id -> instant memory and forget entries older than the horizon.
    Forgetting waits until the oldest entry is a day past it, so a busy creator does not rebuild
    the memory on every event; nothing inside the horizon is ever forgotten."""
    if memory and next(iter(memory.values())) < horizon - DAY:
        memory = {k: t for k, t in memory.items() if t >= horizon}
    elif key is not None:
        memory = dict(memory)
    if key is not None:
        memory[key] = at
    return memory


# A copy of the state is kept every this many tail steps, so a recompute replays at most this many
# events before reaching the change (a busy creator's tail can hold thousands).
CHECKPOINT_EVERY = 32


def replay(base: Core, tail: list[list], revoked: dict[str, int], rulebooks: Rulebooks, creator_id: str, noting: int = -1) -> tuple[Run, dict[int, str]]:
    """Run the rules over the snapshot and the tail; returns the run and the tail positions refused."""
    run, rejected, _ = replay_from(base, tail, 0, revoked, rulebooks, creator_id, noting)
    return run, rejected


def replay_from(core: Core, tail: list[list], first: int, revoked: dict[str, int], rulebooks: Rulebooks, creator_id: str, noting: int = -1):
    """Run the rules over tail[first:], starting from `core` (the state before step `first`).
    Returns the run, the positions refused, and the checkpoints made: (step, state before that step)."""
    run = Run(core.copy(), rulebooks, creator_id, noting=noting)
    rejected: dict[int, str] = {}
    made: list[tuple[int, Core]] = []
    for step in range(first, len(tail)):
        if step % CHECKPOINT_EVERY == 0 and step:
            made.append((step, run.core.copy()))
        at, event = tail[step]
        reason = _apply(run, step, at, event, revoked)
        if reason:
            rejected[step] = reason
    return run, rejected, made


def _apply(run: Run, step: int, at: int, event: dict[str, Any], revoked: dict[str, int]) -> str | None:
    run.step = step
    if event["type"] == "violation_recorded" and event["violation_id"] in revoked:
        run.note(f"{event['violation_id']} was overturned on appeal: left out of the timeline")
        return None
    run.advance(at)
    return RULES[event["type"]](run, event, at)


def _reconcile(state: CreatorState, run: Run, tail: list[list], event_id: str, begin: int):
    """New penalties in the timeline become commands; told ones that no longer hold are lifted.

    Returns the commands and the one-off commands still revocable, as [command id, id of the tail
    event during which it fired]."""
    in_force = {p[0] for p in run.core.active}
    told_one_offs = {entry[0] for entry in state.one_offs}  # type: ignore[union-attr]
    told = set(state.issued) | told_one_offs  # type: ignore[arg-type]
    fired_one_offs = [[f.command_id, tail[f.step][1]["event_id"]] for f in run.fired if f.instant]
    # One-offs of steps before the run began stand as they were; the run re-fired all later ones that still follow.
    if begin >= len(state.tail):
        kept = state.one_offs
    else:
        before = {entry[1]["event_id"] for entry in tail[:begin]}
        kept = [entry for entry in state.one_offs if entry[1] in before]  # type: ignore[union-attr]
    one_offs = [*kept, *fired_one_offs]
    still = {entry[0] for entry in one_offs}
    rulebook, lifted = run.rulebook, state.lifted
    commands: list[tuple[int, int, dict[str, Any]]] = []
    for f in run.fired:
        if f.command_id not in told and (f.instant or f.command_id in in_force):
            sent = issued_id(run.creator_id, f.command_id, lifted)
            commands.append((f.effective_from, len(commands), _command(run.creator_id, sent, f, run.rulebooks[f.rulebook])))
    for cid in [*state.issued, *(entry[0] for entry in state.one_offs)]:  # type: ignore[union-attr, misc]
        if cid in in_force or cid in still:
            continue
        # Dated at the creator's clock: a late event's own time can precede the penalty it undoes.
        ended = run.ended.get(cid) or Ended("no_longer_follows", run.core.clock, [event_id], run.core.score)
        commands.append((ended.at, len(commands), _lift(run.creator_id, issued_id(run.creator_id, cid, lifted), ended, rulebook)))
        lifted = {**lifted, cid: [lifted.get(cid, [0])[0] + 1, run.core.clock]}
    commands.sort(key=lambda entry: (entry[0], entry[1]))
    return [command for _, _, command in commands], one_offs, lifted


def issued_id(creator_id: str, command_id: str, lifted: dict[str, list[int]]) -> str:
    """The id enforcement knows a penalty by. A penalty that comes back after being lifted (an overturn
    restores one it had superseded) is a new decision with an id of its own, or consumers deduping by
    id would drop it; so is each lift of it."""
    times = lifted[command_id][0] if command_id in lifted else 0
    return command_id if not times else _command_id(creator_id, command_id, f"reissue:{times}", "reissue")


def _command(creator_id: str, sent: str, fired: Fired, rulebook: Rulebook) -> dict[str, Any]:
    return {
        "command_id": sent,
        "creator_id": creator_id,
        "action": fired.action,
        "effective_from": format_instant(fired.effective_from),
        "effective_until": None if fired.effective_until is None else format_instant(fired.effective_until),
        "lifts": None,
        "reason": _reason(rulebook, fired.rule, fired.score_before, fired.score_after, fired.caused_by, fired.detail),
    }


def _lift(creator_id: str, lifted: str, ended: Ended, rulebook: Rulebook) -> dict[str, Any]:
    return {
        "command_id": _command_id(creator_id, lifted, "lift", "lift"),
        "creator_id": creator_id,
        "action": "lift",
        "effective_from": format_instant(ended.at),
        "effective_until": None,
        "lifts": lifted,
        "reason": _reason(rulebook, f"lift:{ended.rule}", ended.score, ended.score, ended.caused_by, ""),
    }


def _reason(rulebook: Rulebook, rule: str, before: int, after: int, caused_by: list[str], detail: str) -> dict[str, Any]:
    return {
        "policy_id": rulebook.policy.id,
        "policy_version": rulebook.policy.version,
        "rule": rule,
        "score_before": format_points(before),
        "score_after": format_points(after),
        "caused_by": caused_by,
        "detail": detail,
    }


def _settle(base: Core, tail: list[list], head: Core, revoked: dict[str, int], rulebooks: Rulebooks, creator_id: str, checkpoints: list):
    """Move into the snapshot the leading events that can no longer change; returns the new snapshot,
    the rest of the tail, the events settled, and the checkpoints renumbered for the shorter tail."""
    rulebook = rulebooks[head.rulebook]
    settled = 0
    for at, event in tail:
        if not _final(at, event, head, rulebook, revoked):
            break
        settled += 1
    if settled == len(tail):
        return head, [], tail, []
    if settled < min(_SETTLE_BATCH, len(tail) // 2 or 1):
        # Settling part of the tail replays that part; wait until it is worth it. The timing is a
        # function of the state alone, so every replay settles at the same steps.
        return base, tail, [], checkpoints
    usable = [c for c in checkpoints if c[0] <= settled]
    begin, core = usable[-1] if usable else (0, base)
    if begin < settled:
        core = replay_from(core, tail[:settled], begin, revoked, rulebooks, creator_id)[0].core
    return core, tail[settled:], tail[:settled], [(i - settled, c) for i, c in checkpoints if i > settled]


def _final(at: int, event: dict[str, Any], head: Core, rulebook: Rulebook, revoked: dict[str, int]) -> bool:
    kind = event["type"]
    if kind == "violation_recorded":
        vid = event["violation_id"]
        if vid in revoked:
            return True
        # An open window or an undecided appeal can still overturn it, however old it is.
        if vid in head.appeals or head.clock < rulebook.appeal_deadline(at):
            return False
        grace = rulebook.policy.exam_report_grace_days * DAY
        return not any(x[X_VID] == vid and (not x[X_MISSED] or x[X_DEADLINE] + grace > head.clock) for x in head.exams)
    if kind == "appeal_filed" and head.clock - at < rulebook.late_seconds:
        # An appeal that arrived before its violation waits for it, within the late-event horizon.
        vid = event["violation_id"]
        return vid in revoked or vid not in head.appeals or vid in [e[L_VID] for e in head.ledger]
    return True
