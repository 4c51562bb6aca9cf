"""What enforcement must be told: the difference between what the timeline decided before and after.

Each changed penalty is compared with what enforcement was told of it (docs/semantics.md, "What
enforcement is told"). Ids: a penalty's first command id comes from the rules; every lift of it
moves it to the next id of a deterministic series, so a command id names exactly one command and
is lifted at most once.
"""

from typing import Iterable

from projections.rulebook import Rulebook, Rulebooks
from projections.state import Ended, Fate, Penalty
from projections.timeline import command_id
from schemas.commands import Command, CommandReason as Reason
from schemas.instants import format_instant
from schemas.points import format_points

Told = tuple[Penalty, Ended | None]
"""What enforcement knows of a penalty: the penalty as sent, and its lift if it was lifted."""


def lifts(first: str, lifted: dict[str, list[int]], lifted_now: bool) -> int:
    """How many times enforcement has been told to lift a penalty. Only the rare penalties sent again or gone
    from the timeline keep a count in the state; otherwise it is 1 if the penalty stands lifted, else 0."""
    held = lifted.get(first)
    return held[0] if held is not None else (1 if lifted_now else 0)


def sent_id(creator_id: str, first: str, lifted: dict[str, list[int]], lifted_now: bool = False) -> str:
    """The id a penalty goes by: its first id, then one per re-send (each follows a lift)."""
    times = lifts(first, lifted, lifted_now)
    if lifted_now:
        times -= 1  # the last send came before the last lift
    return first if times <= 0 else command_id(creator_id, first, f"reissue:{times}", "reissue")


class Reconciler:
    """Turns (what was told, what now holds) pairs into commands, and keeps the lift counts."""

    def __init__(self, creator_id: str, rulebooks: Rulebooks, lifted: dict[str, list[int]], clock: int, score: int, rulebook: str):
        self.creator_id, self.rulebooks, self.lifted = creator_id, rulebooks, lifted
        self.clock, self.score = clock, score
        self.rulebook: Rulebook = rulebooks[rulebook]
        self.out: list[tuple[tuple, Command]] = []

    def commands(self) -> list[Command]:
        """By instant; at one instant what is sent before what is lifted, each in the order it was decided.
        Canonical: it depends on nothing but the penalties, so a restored worker sends the same sequence."""
        out = self.out
        if len(out) > 1:
            out.sort(key=_first)
        return [command for _, command in out]

    def apply(self, changes: Iterable[tuple[str, Told | None, Fate | None]], cause: str, overturned: str = "") -> None:
        """`cause` is the event being folded; `overturned` the event id of a violation it overturned."""
        for cid, told, now in changes:
            old, old_end = told if told is not None else (None, None)
            if now is None:
                if old is not None:  # gone from the timeline: its count can no longer be read off its fate
                    count = lifts(cid, self.lifted, old_end is not None)
                    if old_end is None:
                        why = "appeal_overturned" if old.cause == overturned else "no_longer_follows"
                        self.lift(old, Ended(why, self.clock, cause, self.score), count)
                        count += 1
                    self.lifted[cid] = [count, old.start]
                continue
            new, end = now.penalty, now.end
            if old is not None and _same(old, new):
                if old_end is None and end is not None:
                    self.lift(new, end, lifts(cid, self.lifted, False))
                elif old_end is not None and end is None:
                    self.send(new, lifts(cid, self.lifted, True))  # it holds again: sent anew under the next id
                continue
            prior = lifts(cid, self.lifted, old_end is not None) if old is not None else self.lifted.get(cid, [0])[0]
            if old is not None and old_end is None:
                self.lift(old, Ended("revised", self.clock, cause, self.score), prior)
                prior += 1
            self.send(new, prior)
            if end is not None:
                self.lift(new, end, prior)  # true dates, already over: enforcement ignores it, the audit sees it

    def send(self, p: Penalty, prior: int) -> None:
        """Send a penalty that enforcement has been told to lift `prior` times before."""
        rulebook = self.rulebooks[p.rulebook]
        command = Command(
            p.action, self.id_after(p, prior), self.creator_id, format_instant(p.start),
            None if p.until is None else format_instant(p.until), None, _reason(rulebook, p.rule, p.before, p.after, p.cause, p.detail),
        )
        self.out.append(((p.start, 0, *_decided(p)), command))
        if prior:
            self.lifted[p.id] = [prior, p.start]

    def lift(self, p: Penalty, end: Ended, prior: int) -> None:
        """Lift the penalty's current send (it was lifted `prior` times before that send)."""
        lifted = self.id_after(p, prior)
        command = Command(
            "lift", command_id(self.creator_id, lifted, "lift", "lift"), self.creator_id, format_instant(end.at), None, lifted,
            _reason(self.rulebook, f"lift:{end.rule}", end.score, end.score, end.cause, ""),
        )
        self.out.append(((end.at, 1, *_decided(p)), command))
        if prior:
            self.lifted[p.id] = [prior + 1, p.start]
        else:
            self.lifted.pop(p.id, None)  # once, and still on the timeline: its ended fate says so

    def id_after(self, p: Penalty, prior: int) -> str:
        return p.id if not prior else command_id(self.creator_id, p.id, f"reissue:{prior}", "reissue")


def _same(a: Penalty, b: Penalty) -> bool:
    return a.action == b.action and a.start == b.start and a.until == b.until


def _reason(rulebook: Rulebook, rule: str, before: int, after: int, cause: str, detail: str) -> Reason:
    return Reason([cause], detail, rulebook.policy.id, rulebook.policy.version, rule, format_points(after), format_points(before))


def _first(entry: tuple[tuple, Command]) -> tuple:
    return entry[0]


def _decided(p: Penalty) -> tuple[int, str, int, str]:
    return p.decided_at, p.cause, p.rank, p.id
