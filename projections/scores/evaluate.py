"""Computing an operator's scores as of an instant, from the reports and violations in their windows. Exact
arithmetic (fractions of integers), so every machine gets the same hundredths."""

from dataclasses import dataclass
from fractions import Fraction

from projections.scores.policy import Band, ScorePolicy, ScoreRule, exact
from projections.scores.state import OperatorState, overturned
from schemas.instants import DAY

MICROS = 1_000_000
UNRATED = "unrated"


def to_micros(value: float | int) -> int:
    """A reported metric in millionths. JSON numbers parse to the same double everywhere, so this is exact enough
    and identical on every machine."""
    return round(value * MICROS)


@dataclass(frozen=True)
class Standing:
    """One score as of an instant."""

    score: int | None
    """Hundredths; None when no report is in the window."""
    band: str
    grants: tuple[str, ...]
    means: dict[str, int]
    """Each input's mean over the window, in millionths."""
    reports: int
    deducted: int
    """Hundredths taken off for violations in the window."""


def standing(rule: ScoreRule, policy: ScorePolicy, state: OperatorState, at: int) -> Standing:
    since = at - rule.window_days * DAY
    reports = [r for r in state.reports.values() if r.type == rule.report and r.period_end > since]
    if not reports:
        return Standing(None, UNRATED, tuple(rule.unrated), {}, 0, 0)
    means = {item.metric: Fraction(sum(r.metrics[item.metric] for r in reports), len(reports) * MICROS) for item in rule.inputs}
    total = Fraction(0)
    for item in rule.inputs:
        worst, best = exact(item.worst), exact(item.best)
        share = min(max((means[item.metric] - worst) / (best - worst), Fraction(0)), Fraction(1))
        total += exact(item.weight) * share
    score = round(total * exact(policy.scale) * 100)
    deducted = 0
    if rule.violations is not None:
        recent = at - rule.violations.window_days * DAY
        deducted = sum(round(exact(rule.violations.deduct.get(w.severity, "0")) * 100)
                       for vid, w in state.violations.items() if w.at > recent and not overturned(state.decisions, vid))
    score = max(score - deducted, 0)
    band = band_of(rule, score)
    return Standing(score, band.name, tuple(band.grants), {m: round(v * MICROS) for m, v in means.items()}, len(reports), deducted)


def band_of(rule: ScoreRule, hundredths: int) -> Band:
    for band in rule.bands:
        if hundredths >= round(exact(band.at_least) * 100):
            return band
    return rule.bands[-1]


def grants_of(rule: ScoreRule, band: str) -> set[str]:
    if band == UNRATED:
        return set(rule.unrated)
    return set(next(b.grants for b in rule.bands if b.name == band))


def format_micros(value: int) -> str:
    """950000 -> '0.95', 12500000 -> '12.5'."""
    whole, frac = divmod(value, MICROS)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)
