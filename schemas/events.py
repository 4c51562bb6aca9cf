"""Input events: one envelope, one model per type, a union discriminated on `type`.

Detector teams, the appeal desk and the exam service publish these; the
scheduler publishes the deadline events. Field names are a public contract.
"""

from typing import Annotated, Any, Literal, Union

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.instants import parse_instant_strict

CURRENT_SCHEMA_VERSION = 3

Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/-]*$")]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
ShortText = Annotated[str, Field(max_length=2000)]
Severity = Literal["minor", "general", "serious", "especially_serious"]
Role = Literal["creator", "merchant", "promoter", "seller", "channel"]

MAX_EVIDENCE_BYTES = 4096


class Envelope(BaseModel):
    """Fields every input event carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: Identifier
    """Unique per event; the idempotency key. Publishing it twice folds once."""
    creator_id: Identifier
    """The creator (or merchant, seller, channel) the event is about; the Kafka key."""
    occurred_at: str = Field(max_length=40)
    """When it happened, RFC 3339 with a UTC offset, e.g. 2024-03-01T10:00:00+08:00. Naive times are rejected.
    For a violation: when it was recorded and the creator told; its penalties and appeal window run from it."""
    source: Identifier
    """Who published it (a detector, the appeal desk, the exam service, the scheduler)."""
    schema_version: Literal[3] = CURRENT_SCHEMA_VERSION
    """Contract version; older versions are upcast on intake."""

    @field_validator("occurred_at")
    @classmethod
    def _has_offset(cls, value: str) -> str:
        parse_instant_strict(value)
        return value


class ViolationRecorded(Envelope):
    """A detector recorded a violation and the creator was told, at `occurred_at`."""

    type: Literal["violation_recorded"]
    violation_id: Identifier
    """The detector's id for this finding; appeals and exams refer to it."""
    code: Code
    """Violation code from the creator's rulebook catalogue."""
    severity: Severity
    """Tier judged by the detector; the rulebook maps it to points and penalties."""
    content_at: str | None = Field(default=None, max_length=40)
    """When the misconduct itself happened, if earlier than the record (old content detected late).
    It explains the record to auditors and never moves a deadline: penalties and the appeal window
    run from `occurred_at`."""
    evidence: dict[str, Any] = Field(default_factory=dict)
    """Opaque to Tally, kept for auditors; at most 4 KiB as JSON."""

    @model_validator(mode="after")
    def _content_not_after_record(self) -> "ViolationRecorded":
        if self.content_at is not None and parse_instant_strict(self.content_at) > parse_instant_strict(self.occurred_at):
            raise ValueError("content_at: the misconduct cannot come after the record of it (occurred_at)")
        return self

    @field_validator("evidence")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(orjson.dumps(value)) > MAX_EVIDENCE_BYTES:
            raise ValueError(f"evidence larger than {MAX_EVIDENCE_BYTES} bytes")
        return value


class AppealFiled(Envelope):
    """The creator appealed a violation."""

    type: Literal["appeal_filed"]
    violation_id: Identifier
    statement: ShortText = ""


class AppealResolved(Envelope):
    """A reviewer decided an appeal. Human decisions outrank detectors."""

    type: Literal["appeal_resolved"]
    violation_id: Identifier
    outcome: Literal["overturned", "sustained"]
    reviewer: Annotated[str, Field(max_length=128)] = ""


class ExamPassed(Envelope):
    """The creator passed an exam: one a violation required, a milestone quiz, or a voluntary one."""

    type: Literal["exam_passed"]
    exam_id: Identifier
    violation_id: Identifier | None = None
    """The violation whose required exam this was; none for a voluntary exam."""
    score_percent: int = Field(default=100, ge=0, le=100)


class ExamFailed(Envelope):
    """The creator failed an exam."""

    type: Literal["exam_failed"]
    exam_id: Identifier
    violation_id: Identifier | None = None
    score_percent: int = Field(default=0, ge=0, le=100)


class CreatorEnrolled(Envelope):
    """The creator is governed by a rulebook, in a role (Kuaishou: merchant or promoter)."""

    type: Literal["creator_enrolled"]
    rulebook: Code
    role: Role | None = None


class RulebookMigrated(Envelope):
    """The creator moves to another rulebook version (e.g. Kuaishou's 2021 rules)."""

    type: Literal["rulebook_migrated"]
    rulebook: Code


class ExamDue(Envelope):
    """Scheduler: the exam a violation required was due at `occurred_at`."""

    type: Literal["exam_due"]
    violation_id: Identifier


class AppealWindowClosed(Envelope):
    """Scheduler: the appeal window of a violation closed at `occurred_at`."""

    type: Literal["appeal_window_closed"]
    violation_id: Identifier


class PenaltyEnded(Envelope):
    """Scheduler: a penalty's period ended at `occurred_at`."""

    type: Literal["penalty_ended"]
    command_id: Identifier


# Operator metrics (seed 002: Kuaishou's operator evaluation). Metrics teams publish one report per operator and
# period; the score projection (projections/scores) folds them into three scores. Rates are fractions 0..1.

Rate = Annotated[float, Field(ge=0, le=1)]


class MetricsReport(Envelope):
    """A metrics team's figures for one operator over one period. `creator_id` is the operator (shop or promoter)."""

    report_id: Identifier
    """The team's id for this operator and period. Publishing the same report_id again corrects it: of two reports
    with one id, the one with the later `occurred_at` (then the larger event_id) counts."""
    period_start: str = Field(max_length=40)
    """Start of the period measured, RFC 3339 with an offset."""
    period_end: str = Field(max_length=40)
    """End of the period measured; no later than `occurred_at` (a report is published after its period)."""

    @field_validator("period_start", "period_end")
    @classmethod
    def _period_has_offset(cls, value: str) -> str:
        parse_instant_strict(value)
        return value

    @model_validator(mode="after")
    def _period_in_order(self) -> "MetricsReport":
        start, end = parse_instant_strict(self.period_start), parse_instant_strict(self.period_end)
        if not start < end:
            raise ValueError("period_start: the period must start before it ends (period_end)")
        if end > parse_instant_strict(self.occurred_at):
            raise ValueError("period_end: a period cannot end after its report was published (occurred_at)")
        return self


class ServiceMetricsReported(MetricsReport):
    """Store experience (店铺体验分) inputs: logistics, after-sales, customer service."""

    type: Literal["service_metrics_reported"]
    orders: int = Field(ge=0)
    """Orders the period's rates are measured over."""
    logistics_on_time_rate: Rate
    """Share of orders shipped and delivered within the promised time."""
    after_sales_resolution_rate: Rate
    """Share of after-sales requests (returns, refunds, complaints) resolved without escalation."""
    customer_service_response_rate: Rate
    """Share of buyer messages answered within the service-level time."""


class ProductMetricsReported(MetricsReport):
    """Product (商品分) inputs: price and quality."""

    type: Literal["product_metrics_reported"]
    products: int = Field(ge=0)
    """Products on sale in the period."""
    price_competitiveness_rate: Rate
    """Share of products priced at or below the platform's reference price for the same item."""
    quality_complaint_rate: Rate
    """Share of orders with a quality complaint (lower is better)."""


class ContentMetricsReported(MetricsReport):
    """Promoter reputation (带货口碑分) inputs: how the operator's selling content is received."""

    type: Literal["content_metrics_reported"]
    views: int = Field(ge=0)
    """Content impressions in the period."""
    open_rate: Rate
    """Share of impressions that were opened."""
    completion_rate: Rate
    """Share of opened videos and streams watched to the end."""
    interaction_rate: Rate
    """Share of opens with a like, comment, share or follow."""
    watch_seconds: float = Field(ge=0, le=86_400)
    """Mean watch time per open, in seconds."""


METRIC_MODELS: dict[str, type[MetricsReport]] = {
    "service_metrics_reported": ServiceMetricsReported,
    "product_metrics_reported": ProductMetricsReported,
    "content_metrics_reported": ContentMetricsReported,
}

EVENT_MODELS: dict[str, type[Envelope]] = {
    "violation_recorded": ViolationRecorded,
    "appeal_filed": AppealFiled,
    "appeal_resolved": AppealResolved,
    "exam_passed": ExamPassed,
    "exam_failed": ExamFailed,
    "creator_enrolled": CreatorEnrolled,
    "rulebook_migrated": RulebookMigrated,
    "exam_due": ExamDue,
    "appeal_window_closed": AppealWindowClosed,
    "penalty_ended": PenaltyEnded,
    **METRIC_MODELS,
}

Event = Annotated[Union[tuple(EVENT_MODELS.values())], Field(discriminator="type")]  # type: ignore[valid-type]
PENALTY_INPUT_TYPES = frozenset(
    {"violation_recorded", "appeal_filed", "appeal_resolved", "exam_passed", "exam_failed", "creator_enrolled", "rulebook_migrated"}
)
METRIC_TYPES = frozenset(METRIC_MODELS)
INPUT_TYPES = PENALTY_INPUT_TYPES | METRIC_TYPES
DEADLINE_TYPES = frozenset({"exam_due", "appeal_window_closed", "penalty_ended"})
