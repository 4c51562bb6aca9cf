"""What an operator's scores stand at: for the query API, `tally replay --state` and the report."""

from typing import Any

from projections.scores.evaluate import format_micros, standing
from projections.scores.policy import ScorePolicy
from projections.scores.state import OperatorState
from schemas.instants import format_instant
from schemas.points import format_points


def score_view(state: OperatorState, policy: ScorePolicy) -> dict[str, Any]:
    scores = {}
    for name, rule in policy.scores.items():
        now = standing(rule, policy, state, state.latest)
        scores[name] = {
            "title": rule.title,
            "score": None if now.score is None else format_points(now.score),
            "band": now.band,
            "grants": sorted(now.grants),
            "withholds": sorted(set(rule.resources) - set(now.grants)),
            "reports_in_window": now.reports,
            "deducted_for_violations": format_points(now.deducted),
            "metrics": {metric: format_micros(value) for metric, value in sorted(now.means.items())},
        }
    return {
        "creator_id": state.operator_id,
        "policy": f"{policy.id} {policy.version}",
        "as_of": format_instant(state.latest) if state.latest else None,
        "scores": scores,
        "violations_remembered": sorted(state.violations),
        "overturned": sorted(vid for vid, decision in state.decisions.items() if decision[2]),
    }
