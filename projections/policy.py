"""The policy file format: one rulebook version, validated.

Policies are data (YAML or JSON). This model is the format's reference: each
field's docstring says what it means. Points are decimal strings ("0.5") and
become exact hundredths on load. The file's `provenance` says where each number
comes from, or that it is illustrative (`projections.provenance`). Reading files is
an adapter's job (`service.policies`).
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from projections.provenance import NOT_RULES, check_paths_name_something, check_provenance
from schemas.commands import Action
from schemas.points import to_hundredths

Severity = Literal["minor", "general", "serious", "especially_serious"]
SEVERITIES: tuple[Severity, ...] = ("minor", "general", "serious", "especially_serious")

# Actions that are done once and stay done: they have no period and no end.
INSTANT_ACTIONS = frozenset(
    {Action.WARN, Action.DELIST_PRODUCT, Action.HIDE_VIDEOS, Action.CUT_LIVE_STREAM, Action.REMOVE_COMMENT, Action.CHARGE_DAMAGES, Action.STRIKE}
)
# Actions after which there is nothing left to enforce; the state is terminal.
TERMINAL_ACTIONS = frozenset({Action.CLOSE_PRODUCT_SHARING, Action.CLEAR_OUT, Action.BAN})


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _points(value: object) -> int:
    return to_hundredths(value)  # type: ignore[arg-type]


class Penalty(Strict):
    """A penalty a rule imposes."""

    action: Action
    days: int | None = Field(default=None, ge=0, le=3650)
    """How long it runs; none means permanent (or, for exam misses, until the exam is passed)."""
    group: str | None = None
    """Penalties of one group compete: when several fire at once only the highest level applies
    (Douyin: product-sharing penalties), and `overlap` decides what happens when one still runs."""
    level: int = 0
    """Rank within the group; higher wins."""
    extend_on_points: bool = False
    """While it runs, each violation that adds points imposes it again from that violation, for its
    days (Shopee: the tier-5 freeze is extended if more points arrive)."""

    @model_validator(mode="after")
    def _instant_has_no_period(self) -> "Penalty":
        if self.action in INSTANT_ACTIONS and self.days is not None:
            raise ValueError(f"{self.action.value} is done once and takes no days")
        if self.action == Action.LIFT:
            raise ValueError("lift is emitted by Tally, not configured")
        return self


class ExamRequirement(Strict):
    """A mandatory exam (Kuaishou 强制考试): pass it by the deadline or the miss penalties apply until it is passed."""

    deadline_days: int = Field(ge=1, le=365)
    on_miss: list[Penalty] = Field(default_factory=list)
    severities: list[Severity] | None = None
    """Only for these severities; none means every severity."""


class Violation(Strict):
    """One entry of the violation catalogue."""

    title: str
    points: dict[Severity, str]
    """Points deducted (credit mode) or added (points mode) per severity tier. A severity missing here is not accepted."""
    corrective: list[Action] = Field(default_factory=list)
    """Corrective actions that come with the violation regardless of points (warn, delist, hide videos, cut the stream,
    remove the comment)."""
    penalties: list[Penalty] = Field(default_factory=list)
    """Penalties every such violation carries at once (Kuaishou: no nodes, each violation has its own)."""
    penalties_by_severity: dict[Severity, list[Penalty]] = Field(default_factory=dict)
    """Extra penalties for some tiers only."""
    exam: ExamRequirement | None = None
    family: str | None = None
    """Policy family for repeat counting ('same policy N times'); defaults to the code itself."""

    @field_validator("points")
    @classmethod
    def _exact(cls, value: dict[str, str]) -> dict[str, str]:
        for points in value.values():
            if _points(points) < 0:
                raise ValueError("points are given as positive amounts")
        return value


class Node(Strict):
    """A score node (Douyin 信用分节点) or points milestone (TikTok, Shopee, YouTube).

    Credit mode: fires when a deduction brings the score from above `at` to `at` or below.
    Points mode: fires when points go from below `at` to `at` or above.
    """

    at: str
    penalties: list[Penalty]
    quiz_reduces_to: list[Penalty] | None = None
    """TikTok: a perfect milestone quiz cancels this milestone's penalties and imposes these instead."""


class Escalation(Strict):
    """Repeat offences in a rolling window (Douyin 2025 marketing; TikTok 6 in 90 days; YouTube)."""

    name: str
    window_days: int = Field(ge=1, le=3650)
    codes: list[str] | None = None
    """Count only these codes; none means any."""
    same_family: bool = True
    """Count only violations of the same family as the new one."""
    count: int = Field(ge=2)
    """Fires when this violation is the count-th (or later) in the window. Overturned violations never count."""
    severity_at_least: Severity | None = None
    """Raise the new violation to at least this severity before its points are taken."""
    penalties: list[Penalty] = Field(default_factory=list)


class Leniency(Strict):
    """First or minor offences handled by education instead of penalty (Douyin 以考代罚, YouTube's one warning)."""

    severities: list[Severity]
    codes: list[str] | None = None
    replace_with: Literal["warn", "exam"]
    """warn: a warning and no points. exam: points deferred; pass by the deadline and they are waived,
    fail or miss it and they apply then."""
    exam_deadline_days: int = Field(default=7, ge=1, le=365)
    max_uses: int = Field(default=1, ge=1)
    renew_after_days: int | None = Field(default=None, ge=1)
    """Leniency is available again this long after it was last used (none: never again)."""
    renew_requires_exam: bool = False
    """Renewal also needs an exam passed since the last use (YouTube: policy training)."""


class Recovery(Strict):
    """Clean-period credit (Douyin: +1 per 30 clean days at 10 or above, per 7 below)."""

    class Step(Strict):
        below: str | None = None
        """Applies while the score is below this; the last step without `below` is the default."""
        days: int = Field(ge=1)
        points: str

    steps: list[Step]


class ExamCredit(Strict):
    """A passed voluntary exam adds points, at most once per period (Douyin: +1 per 30 days)."""

    points: str
    once_per_days: int = Field(ge=1)


class Appeals(Strict):
    window_days: int = Field(ge=1, le=365)
    """An appeal must be filed within this many days of the violation."""
    end_of_day: bool = False
    """If true the window runs to the end of the last local calendar day (inclusive deadline day)."""


class Reset(Strict):
    """Calendar resets of accumulated points (Shopee quarterly; Kuaishou yearly)."""

    every: Literal["quarter", "year"]
    carry_over: str = "0"
    """Points carried into the new period (points mode) or restored toward start (credit mode)."""


class ClearOut(Strict):
    """Points mode: at this many points the merchant is cleared out (Kuaishou 清退). Terminal."""

    at: str


class Migration(Strict):
    """How records come over from an older rulebook (Kuaishou 2021 FAQ)."""

    from_rulebooks: list[str]
    keep_severities: list[Severity]
    """Records of these severities are kept and their points recomputed under this rulebook; others are dropped.
    Terminal states (cleared out, closed) always stay."""


class Score(Strict):
    mode: Literal["credit", "points"]
    """credit: start high and deduct (Douyin). points: accumulate from zero (Kuaishou, TikTok, Shopee, YouTube)."""
    start: str = "0"
    floor: str = "0"
    cap: str | None = None


class ExpectedCommand(Strict):
    """One command a scenario expects; keys left out are not compared. An unknown key is an error."""

    action: Action
    rule: str | None = None
    """The reason's rule, e.g. node:8 or lift:period_over."""
    effective_from: str | None = None
    effective_until: str | None = None
    """RFC 3339 UTC; write null to expect an open-ended penalty."""

    def compared(self) -> dict[str, str | None]:
        """The keys the scenario pins down: action always, the others where given (null included)."""
        given = self.model_dump(exclude_unset=True, mode="json")
        return {key: given[key] for key in ("action", "rule", "effective_from", "effective_until") if key in given}


class Scenario(Strict):
    """A policy test: given these events, expect these commands and this score."""

    name: str
    rule: str
    """The clause of the rulebook this scenario proves."""
    creator_id: str = "creator-1"
    events: list[dict]
    expect_commands: list[ExpectedCommand]
    """The commands in the order they are decided."""
    expect_score: str


class Policy(Strict):
    """One rulebook version for one role."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    """Rulebook name as events and configuration refer to it, e.g. douyin-creator-2022."""
    version: str
    role: str | None = None
    """Role this file governs under the rulebook (Kuaishou: merchant, promoter); none means any."""
    title: str
    provenance: dict[str, str] = Field(default_factory=dict)
    """Where each number comes from: a path of this policy (`appeals.window_days`, `catalogue.x.points`,
    `catalogue.*.exam`, `nodes[at=8]`, `escalation[*].window_days`) mapped to a citation pinned to checkable words
    (`seed 001 §4.3`, `seed 003 "0.5~3分"`, `DOMAIN.md (3p) "..."`) or to `illustrative: <why>` for a
    number no source publishes. A path covers everything under it; the most specific one wins.
    The syntax is in `projections.provenance`; the tests hold every shipped number to a source."""
    utc_offset: str = Field(default="+00:00", pattern=r"^[+-]\d\d:\d\d$")
    """Local time for calendar resets and end-of-day deadlines. A fixed offset, so every machine agrees."""
    score: Score
    catalogue: dict[str, Violation]
    nodes: list[Node] = Field(default_factory=list)
    overlap: Literal["max", "replace", "extend"] = "max"
    """When a node or rule fires a penalty of a group whose earlier penalty still runs:
    max keeps whichever is stronger, replace lifts the old one, extend starts the new one when the old ends."""
    escalation: list[Escalation] = Field(default_factory=list)
    leniency: Leniency | None = None
    exam_credit: ExamCredit | None = None
    exam_report_grace_days: int = Field(default=7, ge=0)
    """How long after a deadline an exam result dated before it can still be reported and undo the miss;
    a later report is refused as exam_report_too_late. No source gives it: list it as illustrative."""
    recovery: Recovery | None = None
    point_expiry_days: int | None = Field(default=None, ge=1)
    """Each violation's points drop off this many days after it (TikTok, YouTube: 90)."""
    reset: Reset | None = None
    appeals: Appeals
    clear_out: ClearOut | None = None
    migration: Migration | None = None
    late_event_days: int = Field(default=30, ge=1)
    """The late-event horizon: an event up to this many days behind the creator's latest accepted event
    takes its true place in the timeline; an older one is refused as too_late (docs/semantics.md)."""
    violation_memory_days: int = Field(default=365, ge=1)
    """How long a settled violation id is remembered: a re-report within it is refused as
    duplicate_violation, a late appeal for it as appeal_window_closed. Overturns are remembered forever."""
    scenarios: list[Scenario] = Field(default_factory=list)

    @field_validator("provenance")
    @classmethod
    def _citations_well_formed(cls, value: dict[str, str]) -> dict[str, str]:
        return check_provenance(value)

    @model_validator(mode="after")
    def _consistent(self) -> "Policy":
        for node in self.nodes:
            _points(node.at)
        if self.score.mode == "credit" and self.score.cap is None:
            raise ValueError("credit mode needs a cap")
        if self.clear_out and self.score.mode != "points":
            raise ValueError("clear_out applies to points mode")
        if self.exam_report_grace_days > self.late_event_days:
            raise ValueError("exam_report_grace_days cannot exceed late_event_days: a report past the horizon is too late anyway")
        if self.violation_memory_days < self.late_event_days + self.appeals.window_days:
            raise ValueError("violation_memory_days must cover late_event_days + appeals.window_days, or a late appeal could find its violation forgotten")
        check_paths_name_something(self.provenance, self.rules_data())
        return self

    def rules_data(self) -> dict:
        """The policy as plain data without its identity and scenarios: what provenance paths name."""
        return self.model_dump(mode="json", exclude=set(NOT_RULES), exclude_none=True)

    @property
    def key(self) -> str:
        return rulebook_key(self.id, self.role)


def rulebook_key(rulebook: str, role: str | None) -> str:
    return f"{rulebook}/{role}" if role else rulebook
