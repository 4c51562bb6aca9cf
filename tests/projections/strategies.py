"""Hypothesis strategies: plausible event streams for one creator under a shipped rulebook."""

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

from projections.rulebook import Rulebooks, shipped_policies_dir

RULEBOOKS = Rulebooks.from_dir(shipped_policies_dir(), "douyin-creator-2022")
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def creator_stream(draw, creator_id: str = "c-1", rulebook: str = "douyin-creator-2022", max_events: int = 25):
    """Time-ordered events for one creator: violations, voluntary exams, appeals on earlier violations."""
    catalogue = RULEBOOKS[rulebook].points
    codes = sorted(catalogue)
    moment = START
    events, violations = [], []
    for index in range(draw(st.integers(1, max_events))):
        moment += timedelta(hours=draw(st.integers(1, 24 * 20)))
        base = {"event_id": f"{creator_id}-e{index}", "creator_id": creator_id, "occurred_at": stamp(moment), "source": "gen", "schema_version": 2}
        kind = draw(st.sampled_from(["violation"] * 5 + ["exam", "appeal"]))
        if kind == "violation" or not violations:
            code = draw(st.sampled_from(codes))
            severity = draw(st.sampled_from(sorted(catalogue[code])))
            vid = f"{creator_id}-v{index}"
            violations.append((vid, moment))
            events.append({**base, "type": "violation_recorded", "violation_id": vid, "code": code, "severity": severity, "evidence": {}})
        elif kind == "exam":
            events.append({**base, "type": "exam_passed", "exam_id": f"x{index}", "violation_id": None, "score_percent": 100})
        else:
            vid, _ = draw(st.sampled_from(violations))
            events.append({**base, "type": "appeal_filed", "violation_id": vid, "statement": ""})
    return events
