"""Hypothesis strategies: a creator's story under any shipped pack, and orders in which it may arrive.

A story is a list of events in event time: violations (now and then one the rulebook does not
know), appeals in and out of their window, decisions with and without an appeal, exam results
for violations and voluntary ones, scheduler ticks, migrations where the pack has a successor,
duplicated deliveries and re-reports of a violation under a new event id.
"""

from hypothesis import strategies as st

from projections.rulebook import Rulebooks
from schemas.instants import DAY, format_instant, parse_instant
from service.policies import load_policy, shipped_policies_dir

POLICIES = [load_policy(path) for path in sorted(shipped_policies_dir().glob("*.yaml"))]
PACKS = sorted(p.key for p in POLICIES)
BY_PACK = {key: Rulebooks(POLICIES, key) for key in PACKS}
"""The shipped catalogue with each pack as the default rulebook (no enrolment needed)."""
SUCCESSOR = {"kuaishou-shop-legacy/merchant": "kuaishou-shop-2021", "douyin-creator-2022": "douyin-creator-2023"}
START = parse_instant("2024-01-01T00:00:00Z")
HOUR = 3600


@st.composite
def story(draw, pack: str | None = None, creator: str = "c-1", max_violations: int = 8, messy: bool = True):
    """(pack, events in event-time order)."""
    key = pack or draw(st.sampled_from(PACKS))
    rulebook = BY_PACK[key][key]
    window = rulebook.policy.appeals.window_days * DAY
    codes = sorted(rulebook.points)
    events: list[dict] = []

    def add(kind: str, at: int, **fields) -> dict:
        event = {"event_id": f"{creator}-{len(events)}", "creator_id": creator, "occurred_at": format_instant(at),
                 "source": "story", "schema_version": 3, "type": kind, **fields}
        events.append(event)
        return event

    at = START
    for index in range(draw(st.integers(1, max_violations))):
        at += draw(st.integers(1, 20 * 24)) * HOUR
        code = draw(st.sampled_from(codes + (["no_such_code"] if messy else [])))
        severity = draw(st.sampled_from(sorted(rulebook.points.get(code, {"general": 0}))))
        vid = f"v{index}"
        violation = add("violation_recorded", at, violation_id=vid, code=code, severity=severity, evidence={})
        if messy and draw(st.integers(0, 9)) == 0:  # a detector reports it again under a new event id
            events.append({**violation, "event_id": f"{violation['event_id']}-again"})
        roll = draw(st.integers(0, 9))
        if roll < 3:
            filed = at + draw(st.integers(0, (window + 3 * DAY) // HOUR)) * HOUR
            add("appeal_filed", filed, violation_id=vid, statement="")
            decided = filed + draw(st.integers(0, 10 * 24)) * HOUR
            add("appeal_resolved", decided, violation_id=vid, outcome=draw(st.sampled_from(["overturned", "sustained"])), reviewer="r")
        elif roll == 3 and messy:  # a decision with no appeal on file
            add("appeal_resolved", at + draw(st.integers(0, 10 * 24)) * HOUR, violation_id=vid, outcome="overturned", reviewer="r")
        if draw(st.integers(0, 3)) == 0:
            kind = draw(st.sampled_from(["exam_passed", "exam_passed", "exam_failed"]))
            add(kind, at + draw(st.integers(0, 10 * 24)) * HOUR, exam_id=f"x{index}", violation_id=vid)
        if draw(st.integers(0, 5)) == 0:  # voluntary exam or milestone quiz
            add("exam_passed", at + draw(st.integers(1, 5 * 24)) * HOUR, exam_id=f"q{index}", score_percent=draw(st.sampled_from([80, 100])))
        if draw(st.integers(0, 3)) == 0:
            add("appeal_window_closed", at + window, violation_id=vid)
        if draw(st.integers(0, 5)) == 0:
            add("penalty_ended", at + draw(st.integers(1, 40)) * DAY, command_id="cmd-tick")
    if key in SUCCESSOR and draw(st.booleans()):
        add("rulebook_migrated", START + draw(st.integers(0, (at - START) // HOUR)) * HOUR, rulebook=SUCCESSOR[key])
    for _ in range(draw(st.integers(0, 2))):  # at-least-once delivery
        events.append(dict(draw(st.sampled_from(events))))
    events.sort(key=lambda e: e["occurred_at"])
    return key, events


@st.composite
def arrival(draw, events: list[dict], max_delay_days: int = 12, max_exam_delay_days: int = 6):
    """The story's events in an order they may arrive in: each delayed by up to `max_delay_days` after it
    occurred (exam results by less than the report grace). Within the late-event horizon."""
    delays = []
    for event in events:
        cap = max_exam_delay_days if event["type"].startswith("exam_") else max_delay_days
        delays.append(draw(st.integers(0, cap * 24)) * HOUR)
    order = sorted(range(len(events)), key=lambda i: (parse_instant(events[i]["occurred_at"]) + delays[i], i))
    return [events[i] for i in order]
