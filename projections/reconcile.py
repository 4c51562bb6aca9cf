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


def sent_id(creator_id: str, first: str, lifted: dict[str, list[int]]) -> str:
    """The id a penalty currently goes by: its first id until it is lifted, then one per re-issue."""
    times = lifted[first][0] if first in lifted else 0
    return first if not times else command_id(creator_id, first, f"reissue:{times}", "reissue")


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
        for _, told, now in changes:
            old, old_end = told if told is not None else (None, None)
            if now is None:
                if old is not None and old_end is None:
                    why = "appeal_overturned" if old.cause == overturned else "no_longer_follows"
                    self.lift(old, Ended(why, self.clock, cause, self.score))
                continue
            new, end = now.penalty, now.end
            if old is not None and _same(old, new):
                if old_end is None and end is not None:
                    self.lift(new, end)
                elif old_end is not None and end is None:
                    self.send(new)  # it holds again: sent anew under the next id
                continue
            if old is not None and old_end is None:
                self.lift(old, Ended("revised", self.clock, cause, self.score))
            self.send(new)
            if end is not None:
                self.lift(new, end)  # true dates, already over: enforcement ignores it, the audit sees it

    def send(self, p: Penalty) -> None:
        rulebook = self.rulebooks[p.rulebook]
        command = Command(
            p.action, sent_id(self.creator_id, p.id, self.lifted), self.creator_id, format_instant(p.start),
            None if p.until is None else format_instant(p.until), None, _reason(rulebook, p.rule, p.before, p.after, p.cause, p.detail),
        )
        self.out.append(((p.start, 0, *_decided(p)), command))

    def lift(self, p: Penalty, end: Ended) -> None:
        lifted = sent_id(self.creator_id, p.id, self.lifted)
        command = Command(
            "lift", command_id(self.creator_id, lifted, "lift", "lift"), self.creator_id, format_instant(end.at), None, lifted,
            _reason(self.rulebook, f"lift:{end.rule}", end.score, end.score, end.cause, ""),
        )
        self.out.append(((end.at, 1, *_decided(p)), command))
        times = self.lifted.get(p.id, [0, p.start])[0]
        self.lifted[p.id] = [times + 1, p.start]


def _first(entry: tuple[tuple, Command]) -> tuple:
    return entry[0]


def _decided(p: Penalty) -> tuple[int, str, int, str]:
    return p.decided_at, p.cause, p.rank, p.id


def _same(a: Penalty, b: Penalty) -> bool:
    return a.action == b.action and a.start == b.start and a.until == b.until


def _reason(rulebook: Rulebook, rule: str, before: int, after: int, cause: str, detail: str) -> Reason:
    return Reason([cause], detail, rulebook.policy.id, rulebook.policy.version, rule, format_points(after), format_points(before))
