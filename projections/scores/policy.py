"""The score policy format: how an operator's metrics become scores, and what each band of a score decides.

Like penalty packs, score policies are data (YAML) with a `provenance` map. Numbers are decimal strings; a
metric's mean over the window is placed between the policy's `worst` (0) and `best` (1), the inputs weighted,
and the sum scaled to `scale`; violations may then deduct. No platform publishes its formula: a shipped
policy lists every number it invents under `illustrative`.
"""

from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from projections.provenance import NOT_RULES, check_paths_name_something, check_provenance
from schemas.events import METRIC_MODELS

Severity = Literal["minor", "general", "serious", "especially_serious"]
Name = Field(pattern=r"^[a-z][a-z0-9_]*$")


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def exact(value: str) -> Fraction:
    """'0.95' -> Fraction(19, 20): decimal strings in, exact arithmetic inside."""
    return Fraction(Decimal(value))


class Input(Strict):
    """One metric of the report and how much it weighs."""

    metric: str
    """A field of the score's report type, e.g. logistics_on_time_rate."""
    weight: str
    """Share of the score; the weights of a score add up to 1."""
    worst: str
    """The mean at or beyond which this input gives nothing."""
    best: str
    """The mean at or beyond which it gives its whole weight. Below `worst` for a lower-is-better metric."""

    @model_validator(mode="after")
    def _distinct(self) -> "Input":
        if exact(self.worst) == exact(self.best):
            raise ValueError(f"{self.metric}: worst and best must differ")
        if not 0 < exact(self.weight) <= 1:
            raise ValueError(f"{self.metric}: weight must be in (0, 1]")
        return self


class Band(Strict):
    """A range of the score and the resources it grants; every resource of the score not granted is withheld."""

    name: str = Name
    at_least: str
    grants: list[str] = Field(default_factory=list)


class ViolationWeight(Strict):
    """Violations deduct from this score while they are recent and not overturned."""

    window_days: int = Field(ge=1)
    deduct: dict[Severity, str]


class ScoreRule(Strict):
    """One of the operator's scores."""

    title: str
    report: Literal["service_metrics_reported", "product_metrics_reported", "content_metrics_reported"]
    """The report type whose metrics feed it."""
    window_days: int = Field(ge=1)
    """Rolling window: reports whose period ended within this many days of the operator's latest event count."""
    inputs: list[Input] = Field(min_length=1)
    violations: ViolationWeight | None = None
    bands: list[Band] = Field(min_length=1)
    """Highest first; the last must start at 0 so every score has a band."""
    unrated: list[str] = Field(default_factory=list)
    """Resources granted while no report is in the window (a new operator, or one whose reports stopped)."""

    @model_validator(mode="after")
    def _consistent(self) -> "ScoreRule":
        fields = METRIC_MODELS[self.report].model_fields
        for item in self.inputs:
            if item.metric not in fields or item.metric in ("report_id", "period_start", "period_end"):
                raise ValueError(f"{item.metric}: not a metric of {self.report}")
        if sum(exact(item.weight) for item in self.inputs) != 1:
            raise ValueError("the input weights of a score must add up to 1")
        floors = [exact(band.at_least) for band in self.bands]
        if floors != sorted(floors, reverse=True) or len(set(floors)) != len(floors):
            raise ValueError("bands go from the highest to the lowest, each starting lower than the one before")
        if floors[-1] != 0:
            raise ValueError("the last band must start at 0")
        return self

    @property
    def resources(self) -> list[str]:
        """Everything this score decides, in a stable order."""
        return sorted({resource for band in self.bands for resource in band.grants} | set(self.unrated))


class ExpectedResource(Strict):
    """One resource command a scenario expects; keys left out are not compared."""

    action: Literal["grant", "withhold"]
    score: str
    resource: str
    band: str | None = None
    effective_from: str | None = None

    def compared(self) -> dict[str, str]:
        given = self.model_dump(exclude_unset=True, mode="json")
        return {key: given[key] for key in ("action", "score", "resource", "band", "effective_from") if key in given}


class ScoreScenario(Strict):
    """A policy test: given these events, expect these commands and these scores at the end."""

    name: str
    rule: str
    creator_id: str = "operator-1"
    events: list[dict]
    expect_commands: list[ExpectedResource]
    expect_scores: dict[str, str | None]
    """Each score's value after the last event (None: unrated)."""


class ScorePolicy(Strict):
    """The scores of one platform's operator evaluation."""

    kind: Literal["scores"]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    version: str
    title: str
    provenance: dict[str, str] = Field(default_factory=dict)
    """As in penalty packs (`projections.provenance`): every number cites a source or says it is illustrative."""
    scale: str
    """The top of every score (Kuaishou shows 0 to 5)."""
    scores: dict[str, ScoreRule]
    late_event_days: int = Field(default=30, ge=1)
    """An event more than this many days behind the operator's latest is refused as too_late."""
    violation_memory_days: int = Field(default=365, ge=1)
    """How long a violation id is remembered, so a re-report counts once."""
    scenarios: list[ScoreScenario] = Field(default_factory=list)

    @field_validator("provenance")
    @classmethod
    def _citations_well_formed(cls, value: dict[str, str]) -> dict[str, str]:
        return check_provenance(value)

    @model_validator(mode="after")
    def _consistent(self) -> "ScorePolicy":
        if exact(self.scale) <= 0:
            raise ValueError("scale must be above 0")
        for rule in self.scores.values():
            if rule.violations and rule.violations.window_days > self.violation_memory_days:
                raise ValueError("violation_memory_days must cover every score's violations.window_days")
        check_paths_name_something(self.provenance, self.rules_data())
        return self

    def rules_data(self) -> dict:
        return self.model_dump(mode="json", exclude=set(NOT_RULES) | {"kind"}, exclude_none=True)

    @property
    def late_seconds(self) -> int:
        return self.late_event_days * 86_400

    @property
    def memory_seconds(self) -> int:
        return self.violation_memory_days * 86_400

    def scores_fed_by(self, event_type: str) -> list[str]:
        return [name for name, rule in self.scores.items() if rule.report == event_type]
