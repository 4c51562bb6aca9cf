"""An operator's score state: the reports and violations still inside their windows, and what the resource
services were told. Small and plain; stored as canonical JSON."""

from dataclasses import dataclass, field

import orjson


@dataclass(slots=True)
class Report:
    type: str
    period_end: int
    at: int
    event_id: str
    metrics: dict[str, int]
    """Each metric in millionths: exact, and the same on every machine."""

    def wins_over(self, other: "Report") -> bool:
        """Of two reports with one id, the later publication counts (then the larger event id): any arrival order
        gives the same winner."""
        return (self.at, self.event_id) > (other.at, other.event_id)


@dataclass(slots=True)
class Weighing:
    """A violation as the scores see it."""

    at: int
    severity: str
    event_id: str


def overturned(decisions: dict[str, tuple[int, str, bool]], vid: str) -> bool:
    decision = decisions.get(vid)
    return decision is not None and decision[2]


@dataclass(slots=True)
class OperatorState:
    operator_id: str
    latest: int = 0
    """The latest instant of an accepted event: the scores are computed as of it."""
    position: int = -1
    """The journal offset of the latest record folded (live only): a record at or before it is a redelivery."""
    reports: dict[str, Report] = field(default_factory=dict)
    violations: dict[str, Weighing] = field(default_factory=dict)
    decisions: dict[str, tuple[int, str, bool]] = field(default_factory=dict)
    """Per violation id, the first appeal decision by event time (instant, event id, overturned): it binds, as in the
    penalty fold. Kept forever (they are rare)."""
    scores: dict[str, int | None] = field(default_factory=dict)
    """Each score as of `latest`, in hundredths; None while unrated."""
    bands: dict[str, str] = field(default_factory=dict)
    """The band the resource services were last told of, per score."""
    inputs: dict[int, int] = field(default_factory=dict)
    """Live only: per input topic (by index), the offset of the latest input record folded (see CreatorState.inputs)."""


def to_bytes(state: OperatorState) -> bytes:
    return orjson.dumps({
        "operator_id": state.operator_id,
        "latest": state.latest,
        "position": state.position,
        "reports": {rid: [r.type, r.period_end, r.at, r.event_id, r.metrics] for rid, r in state.reports.items()},
        "violations": {vid: [w.at, w.severity, w.event_id] for vid, w in state.violations.items()},
        "decisions": {vid: list(value) for vid, value in state.decisions.items()},
        "scores": state.scores,
        "bands": state.bands,
        **({"inputs": {str(k): v for k, v in state.inputs.items()}} if state.inputs else {}),
    }, option=orjson.OPT_SORT_KEYS)


def from_bytes(raw: bytes) -> OperatorState:
    data = orjson.loads(raw)
    return OperatorState(
        data["operator_id"], data["latest"], data["position"],
        {rid: Report(*value) for rid, value in data["reports"].items()},
        {vid: Weighing(*value) for vid, value in data["violations"].items()},
        {vid: (value[0], value[1], value[2]) for vid, value in data["decisions"].items()},
        data["scores"], data["bands"], {int(k): v for k, v in data.get("inputs", {}).items()},
    )
