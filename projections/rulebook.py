"""Policies compiled for folding: exact hundredths and seconds, looked up by rulebook and role."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Iterable, NamedTuple

from projections.policy import Node, Penalty, Policy, rulebook_key
from schemas.instants import DAY
from schemas.points import to_hundredths


class Measure(NamedTuple):
    """A penalty or corrective action as the fold imposes it: a policy `Penalty` with plain values."""

    action: str
    days: int | None = None
    group: str | None = None
    level: int = 0
    extend_on_points: bool = False


def measure(penalty: Penalty, days: int | None | bool = False) -> Measure:
    """`days=None` makes it open-ended (an exam miss runs until the exam is passed)."""
    return Measure(penalty.action.value, penalty.days if days is False else days, penalty.group, penalty.level, penalty.extend_on_points)


@dataclass(frozen=True)
class CompiledNode:
    at: int
    node: Node
    penalties: tuple[Measure, ...]
    quiz: tuple[Measure, ...] | None


@dataclass(frozen=True)
class Rulebook:
    """A Policy with every number in the unit the fold computes in."""

    policy: Policy
    points: dict[str, dict[str, int]] = field(init=False)
    nodes: tuple[CompiledNode, ...] = field(init=False)
    recovery: tuple[tuple[int | None, int, int], ...] = field(init=False)
    """(below, seconds, points) steps; the first whose `below` exceeds the score applies."""

    def __post_init__(self) -> None:
        policy = self.policy
        object.__setattr__(
            self,
            "points",
            {code: {sev: to_hundredths(p) for sev, p in entry.points.items()} for code, entry in policy.catalogue.items()},
        )
        nodes = (
            CompiledNode(to_hundredths(n.at), n, tuple(map(measure, n.penalties)), None if n.quiz_reduces_to is None else tuple(map(measure, n.quiz_reduces_to)))
            for n in policy.nodes
        )
        object.__setattr__(self, "nodes", tuple(sorted(nodes, key=lambda n: n.at)))
        steps = policy.recovery.steps if policy.recovery else []
        object.__setattr__(
            self,
            "recovery",
            tuple((to_hundredths(s.below) if s.below else None, s.days * DAY, to_hundredths(s.points)) for s in steps),
        )

    # Identity -------------------------------------------------------------
    @cached_property
    def key(self) -> str:
        return self.policy.key

    @cached_property
    def credit(self) -> bool:
        return self.policy.score.mode == "credit"

    @cached_property
    def start(self) -> int:
        return to_hundredths(self.policy.score.start)

    @cached_property
    def floor(self) -> int:
        return to_hundredths(self.policy.score.floor)

    @cached_property
    def cap(self) -> int | None:
        return to_hundredths(self.policy.score.cap) if self.policy.score.cap is not None else None

    @cached_property
    def clear_out_at(self) -> int | None:
        clear_out = self.policy.clear_out
        return to_hundredths(clear_out.at) if clear_out else None

    @cached_property
    def ledger_seconds(self) -> int:
        """How long a record without live points is kept: the longest repeat-offence window that reads it."""
        return max((e.window_days for e in self.policy.escalation), default=0) * DAY

    @cached_property
    def drops_spent_records(self) -> bool:
        """Points mode with no repeat-offence window: a record without live points is read by no rule, so
        it goes the moment it has none (expiry, reset, leniency, migration), in the same instant it would
        otherwise be forgotten. Every record kept then holds live points, and what falls due next is read
        off the oldest one instead of a scan of the whole ledger."""
        return self.keeps_records and not self.credit and self.ledger_seconds == 0

    @cached_property
    def keeps_records(self) -> bool:
        """Points mode keeps every record with live points (they are the total); credit mode only
        what a repeat-offence rule will read."""
        return not self.credit or self.ledger_seconds > 0

    @cached_property
    def late_seconds(self) -> int:
        return self.policy.late_event_days * DAY

    @cached_property
    def grace_seconds(self) -> int:
        return self.policy.exam_report_grace_days * DAY

    @cached_property
    def memory_seconds(self) -> int:
        return self.policy.violation_memory_days * DAY

    @cached_property
    def expiry_seconds(self) -> int:
        return (self.policy.point_expiry_days or 0) * DAY

    @cached_property
    def offset_seconds(self) -> int:
        sign = -1 if self.policy.utc_offset[0] == "-" else 1
        hours, minutes = self.policy.utc_offset[1:].split(":")
        return sign * (int(hours) * 3600 + int(minutes) * 60)

    def clamp(self, score: int) -> int:
        cap = self.cap
        score = max(self.floor, score)
        return min(cap, score) if cap is not None else score

    # Windows --------------------------------------------------------------
    def appeal_deadline(self, violation_at: int) -> int:
        """First instant at which an appeal is late."""
        end = violation_at + self.policy.appeals.window_days * DAY
        if self.policy.appeals.end_of_day:
            local = end + self.offset_seconds
            end = local - local % DAY + DAY - self.offset_seconds
        return end

    def period_of(self, instant: int) -> int | None:
        """Index of the reset period (local quarter or year) that contains `instant`."""
        reset = self.policy.reset
        if reset is None:
            return None
        local = datetime.fromtimestamp(instant + self.offset_seconds, timezone.utc)
        if reset.every == "year":
            return local.year
        return local.year * 4 + (local.month - 1) // 3

    def period_start(self, period: int) -> int:
        """The instant a reset period begins (memoised: asked on every fold)."""
        cache = self.__dict__.setdefault("_period_starts", {})
        if period not in cache:
            cache[period] = self._period_start(period)
        return cache[period]

    def _period_start(self, period: int) -> int:
        if self.policy.reset and self.policy.reset.every == "year":
            year, month = period, 1
        else:
            year, month = divmod(period, 4)[0], divmod(period, 4)[1] * 3 + 1
        local = datetime(year, month, 1, tzinfo=timezone.utc)
        return int((local - timedelta(seconds=self.offset_seconds)).timestamp())

    def recovery_step(self, score: int) -> tuple[int, int] | None:
        """(seconds, points) of clean-period credit at this score, or None."""
        for below, seconds, points in self.recovery:
            if below is None or score < below:
                return seconds, points
        return None

    def exam_for(self, code: str, severity: str):
        exam = self.policy.catalogue[code].exam
        if exam is None or (exam.severities is not None and severity not in exam.severities):
            return None
        return exam

    def violation_penalties(self, code: str, severity: str) -> list[tuple[str, Measure]]:
        """Corrective actions and the violation's own penalties, each with the rule that imposes it."""
        cache = self.__dict__.setdefault("_violation_penalties", {})
        if (code, severity) not in cache:
            entry, rule = self.policy.catalogue[code], f"violation:{code}"
            own = [*entry.penalties, *entry.penalties_by_severity.get(severity, [])]  # type: ignore[call-overload]
            cache[code, severity] = self.corrective(code) + [(rule, measure(p)) for p in own]
        return cache[code, severity]

    def corrective(self, code: str) -> list[tuple[str, Measure]]:
        cache = self.__dict__.setdefault("_corrective", {})
        if code not in cache:
            cache[code] = [(f"violation:{code}", Measure(action.value)) for action in self.policy.catalogue[code].corrective]
        return cache[code]

    def escalation_penalties(self, index: int) -> list[tuple[str, Measure]]:
        cache = self.__dict__.setdefault("_escalations", {})
        if index not in cache:
            rule = self.policy.escalation[index]
            cache[index] = [(f"escalation:{rule.name}", measure(p)) for p in rule.penalties]
        return cache[index]

    def exam_misses(self, code: str, severity: str, violation: str) -> list[tuple[str, Measure]]:
        """What missing a mandatory exam imposes, until the exam is passed."""
        requirement = self.exam_for(code, severity) if code in self.policy.catalogue else None
        return [(f"exam_missed:{violation}", measure(p, None)) for p in (requirement.on_miss if requirement else [])]


class RulebookNotLoaded(LookupError):
    """The default rulebook named is not among the policies loaded."""


class Rulebooks:
    """Every loaded policy, by rulebook and role, and the default for unenrolled creators."""

    def __init__(self, policies: Iterable[Policy], default: str):
        self._by_key = {p.key: Rulebook(p) for p in policies}
        if default not in self._by_key:
            loaded = ", ".join(sorted(self._by_key)) or "none"
            raise RulebookNotLoaded(f"the default rulebook {default!r} is not among the policies loaded ({loaded})")
        self.default_key = default

    def replacing(self, policy: Policy) -> "Rulebooks":
        """The same catalogue with one policy swapped, for what-if replays."""
        others = [rb.policy for key, rb in self._by_key.items() if key != policy.key]
        return Rulebooks([*others, policy], self.default_key)

    def find(self, rulebook: str, role: str | None) -> Rulebook | None:
        return self._by_key.get(rulebook_key(rulebook, role)) or self._by_key.get(rulebook)

    def __getitem__(self, key: str) -> Rulebook:
        return self._by_key[key]

    def __iter__(self):
        return iter(self._by_key.values())

    @property
    def default(self) -> Rulebook:
        return self._by_key[self.default_key]
