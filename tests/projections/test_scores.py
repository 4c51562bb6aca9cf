"""The operator-score fold: its rules by example, and against a slow reference for any arrival order (hypothesis).

The reference decides from the whole set of events at once (the latest publication of each report id, the
earliest record of each violation id, the first decision on it) and knows nothing of arrival order. The fold
must stand where it stands after shuffled, duplicated and late events, with its state stored and restored at
random points, and the resource commands it sent must add up to what the reference grants.
"""

import random

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from projections.scores.evaluate import UNRATED, standing
from projections.scores.fold import fold_scores
from projections.scores.policy import ScorePolicy
from projections.scores.standing import score_view
from projections.scores.state import OperatorState, Report, Weighing, from_bytes, to_bytes
from schemas.codec import Rejection, encode, validate
from schemas.instants import DAY, parse_instant
from service.policies import SCORE_POLICIES, load_score_policy

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SHIPPED = load_score_policy()
BASE = parse_instant("2023-06-01T00:00:00Z")


def short_windows() -> ScorePolicy:
    """The shipped policy with windows of days, so short stories see reports and violations leave them."""
    data = yaml.safe_load((SCORE_POLICIES / "kuaishou-operator-2023.yaml").read_text(encoding="utf-8"))
    for rule in data["scores"].values():
        rule["window_days"] = 3
        if "violations" in rule:
            rule["violations"]["window_days"] = 4
    data["late_event_days"], data["violation_memory_days"] = 30, 60
    data.pop("scenarios")
    return ScorePolicy.model_validate(data)


SHORT = short_windows()


def instant(seconds: int) -> str:
    from schemas.instants import format_instant
    return format_instant(seconds)


def event(**fields) -> dict:
    raw = {"schema_version": 3, "creator_id": "op-1", "source": "test", **fields}
    checked = validate(raw)
    assert not isinstance(checked, Rejection), checked
    return checked


def service_report(event_id: str, report_id: str, day: int, hour: int = 1, quality: float = 0.95) -> dict:
    end = BASE + day * DAY
    return event(event_id=event_id, type="service_metrics_reported", occurred_at=instant(end + hour * 3600), report_id=report_id,
                 period_start=instant(end - DAY), period_end=instant(end), orders=100, logistics_on_time_rate=quality,
                 after_sales_resolution_rate=quality, customer_service_response_rate=quality)


def fold_all(events, policy=SHIPPED):
    state, commands, outcomes = None, [], []
    for e in events:
        state, made, outcome = fold_scores(state, e, policy)
        commands += made
        outcomes.append(outcome)
    return state, commands, outcomes


# Rules by example -------------------------------------------------------------------------------------------


def test_an_event_older_than_the_horizon_is_refused_as_too_late():
    late = service_report("e1", "r1", 0)
    _, _, outcomes = fold_all([service_report("e2", "r2", 40), late])
    assert outcomes[-1].status == "rejected" and outcomes[-1].reason == "too_late"


def test_the_same_event_twice_folds_once_and_sends_nothing_the_second_time():
    report = service_report("e1", "r1", 1)
    _, commands, outcomes = fold_all([report, report])
    assert [o.status for o in outcomes] == ["folded", "duplicate"]
    assert len(commands) == 3  # excellent: three grants, once


def test_a_report_id_counts_once_its_latest_publication_whichever_arrives_first():
    first, correction = service_report("e1", "r1", 1, hour=1, quality=0.99), service_report("e2", "r1", 1, hour=5, quality=0.75)
    for order in ([first, correction], [correction, first]):
        state, _, outcomes = fold_all(order)
        assert score_view(state, SHIPPED)["scores"]["store_experience"]["band"] == "poor"
    assert outcomes[-1].reason == "report_superseded"


def test_a_violation_weighs_while_recent_and_not_overturned_and_the_first_decision_binds():
    report = service_report("e1", "r1", 1)
    violation = event(event_id="v1", type="violation_recorded", occurred_at=instant(BASE + 2 * DAY), violation_id="x", code="c", severity="serious")
    sustained = event(event_id="d1", type="appeal_resolved", occurred_at=instant(BASE + 3 * DAY), violation_id="x", outcome="sustained")
    overturned = event(event_id="d2", type="appeal_resolved", occurred_at=instant(BASE + 4 * DAY), violation_id="x", outcome="overturned")
    state, _, outcomes = fold_all([report, violation, overturned, sustained])
    assert score_view(state, SHIPPED)["scores"]["store_experience"]["deducted_for_violations"] == "0.6"
    assert outcomes[2].status == "folded"  # the overturn counted until the earlier sustained decision arrived
    state, _, outcomes = fold_all([report, violation, sustained, overturned])
    assert outcomes[-1].reason == "appeal_already_decided"
    state, _, _ = fold_all([report, violation, overturned])
    assert score_view(state, SHIPPED)["scores"]["store_experience"]["deducted_for_violations"] == "0"


def test_a_violation_alone_rates_nothing_and_sends_nothing():
    violation = event(event_id="v1", type="violation_recorded", occurred_at=instant(BASE), violation_id="x", code="c", severity="serious")
    state, commands, _ = fold_all([violation])
    assert commands == [] and all(s["band"] == UNRATED for s in score_view(state, SHIPPED)["scores"].values())


def test_when_the_reports_leave_the_window_the_score_is_unrated_and_its_grants_withheld():
    _, commands, _ = fold_all([service_report("e1", "r1", 1), service_report("e2", "r2", 10, quality=0.5)], SHORT)
    assert [(c.action, c.resource, c.band) for c in commands][-3:] == [
        ("withhold", "activity_entry", "poor"), ("withhold", "subsidy", "poor"), ("withhold", "traffic_boost", "poor")]
    state, commands, _ = fold_all([service_report("e1", "r1", 1),
                                   event(event_id="v1", type="violation_recorded", occurred_at=instant(BASE + 10 * DAY), violation_id="x", code="c", severity="minor")], SHORT)
    assert score_view(state, SHORT)["scores"]["store_experience"]["band"] == UNRATED
    assert {c.action for c in commands[3:]} == {"withhold"}


def test_command_ids_are_distinct_and_stable():
    events = [service_report(f"e{d}", f"r{d}", d, quality=q) for d, q in ((1, 0.99), (2, 0.6), (3, 0.99), (4, 0.6))]
    _, first, _ = fold_all(events)
    _, second, _ = fold_all(events)
    assert [encode(c) for c in first] == [encode(c) for c in second]
    assert len({c.command_id for c in first}) == len(first)


def test_the_state_round_trips_through_its_bytes():
    state, _, _ = fold_all([service_report("e1", "r1", 1),
                            event(event_id="d", type="appeal_resolved", occurred_at=instant(BASE + DAY), violation_id="x", outcome="overturned")])
    assert to_bytes(from_bytes(to_bytes(state))) == to_bytes(state)
    assert from_bytes(to_bytes(state)) == state


# Any arrival order, against the reference -------------------------------------------------------------------

METRICS = {
    "service_metrics_reported": ("logistics_on_time_rate", "after_sales_resolution_rate", "customer_service_response_rate"),
    "product_metrics_reported": ("price_competitiveness_rate", "quality_complaint_rate"),
    "content_metrics_reported": ("open_rate", "completion_rate", "interaction_rate"),
}
COUNTS = {"service_metrics_reported": "orders", "product_metrics_reported": "products", "content_metrics_reported": "views"}


@st.composite
def story(draw):
    """One operator's events over three weeks: reports (some ids corrected), violations (some re-reported),
    decisions (some contradicting each other)."""
    events = []
    for n in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["report", "report", "report", "violation", "decision"]))
        at = BASE + draw(st.integers(0, 21 * DAY // 3600)) * 3600
        if kind == "report":
            report_type = draw(st.sampled_from(sorted(METRICS)))
            end = at - draw(st.integers(0, 3)) * 3600
            fields = {name: draw(st.sampled_from([0.0, 0.01, 0.05, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0])) for name in METRICS[report_type]}
            if report_type == "content_metrics_reported":
                fields["watch_seconds"] = draw(st.sampled_from([0, 15.5, 45, 90, 120]))
            events.append(event(event_id=f"e{n}", type=report_type, occurred_at=instant(at), report_id=f"{report_type[:3]}-{draw(st.integers(0, 3))}",
                                period_start=instant(end - DAY), period_end=instant(end), **{COUNTS[report_type]: 10}, **fields))
        elif kind == "violation":
            events.append(event(event_id=f"e{n}", type="violation_recorded", occurred_at=instant(at), violation_id=f"v{draw(st.integers(0, 1))}",
                                code="c", severity=draw(st.sampled_from(["minor", "general", "serious", "especially_serious"]))))
        else:
            events.append(event(event_id=f"e{n}", type="appeal_resolved", occurred_at=instant(at), violation_id=f"v{draw(st.integers(0, 1))}",
                                outcome=draw(st.sampled_from(["overturned", "sustained"]))))
    return events


def reference(events: list[dict], policy: ScorePolicy) -> OperatorState:
    """The standing from the set of events at once: no arrival order, nothing forgotten."""
    latest = max(parse_instant(e["occurred_at"]) for e in events)
    reports: dict[str, Report] = {}
    violations: dict[str, Weighing] = {}
    decisions: dict[str, tuple[int, str, bool]] = {}
    for e in sorted({e["event_id"]: e for e in events}.values(), key=lambda e: (parse_instant(e["occurred_at"]), e["event_id"])):
        at = parse_instant(e["occurred_at"])
        if e["type"] == "violation_recorded":
            violations.setdefault(e["violation_id"], Weighing(at, e["severity"], e["event_id"]))  # the earliest
        elif e["type"] == "appeal_resolved":
            decisions.setdefault(e["violation_id"], (at, e["event_id"], e["outcome"] == "overturned"))  # the first
        else:
            metrics = {k: round(v * 1_000_000) for k, v in e.items() if k in METRICS[e["type"]] or k in ("watch_seconds", COUNTS[e["type"]])}
            reports[e["report_id"]] = Report(e["type"], parse_instant(e["period_end"]), at, e["event_id"], metrics)  # the latest
    return OperatorState("op-1", latest, -1, reports, violations, decisions)


def arrival(draw, events: list[dict]) -> list[dict]:
    """Shuffled, with some events delivered again."""
    order = draw(st.permutations(events))
    again = draw(st.lists(st.sampled_from(events), max_size=4)) if events else []
    merged = list(order)
    for repeat in again:
        merged.insert(draw(st.integers(0, len(merged))), repeat)
    return merged


@FAST
@given(st.data())
def test_any_arrival_order_stands_where_the_reference_stands_and_the_commands_add_up_to_it(data):
    policy = data.draw(st.sampled_from([SHIPPED, SHORT]))
    events = data.draw(story())
    order = arrival(data.draw, events)
    restore_at = set(data.draw(st.lists(st.integers(0, len(order)), max_size=3)))
    state, held = None, {}
    for index, e in enumerate(order):
        if state is not None and index in restore_at:
            state = from_bytes(to_bytes(state))
        state, commands, outcome = fold_scores(state, e, policy)
        assert outcome.status != "rejected" or outcome.reason != "too_late"  # three weeks: inside the horizon
        for command in commands:
            held[(command.score, command.resource)] = command.action == "grant"
    expected = reference(events, policy)
    for name, rule in policy.scores.items():
        now = standing(rule, policy, expected, expected.latest)
        assert score_view(state, policy)["scores"][name] == score_view(expected, policy)["scores"][name]
        granted = {r for r in rule.resources if held.get((name, r), r in rule.unrated)}
        assert granted == set(now.grants), f"{name}: enforcement holds {granted}, the standing grants {now.grants}"


@FAST
@given(st.data())
def test_the_same_order_gives_the_same_bytes(data):
    events = data.draw(story())
    order = arrival(data.draw, events)
    runs = [b"".join(encode(c) for c in fold_all(order, SHORT)[1]) for _ in range(2)]
    assert runs[0] == runs[1]


def test_a_fixed_shuffle_of_a_long_story_matches_the_reference():
    """A longer, seeded example alongside hypothesis's small ones: 300 events over three weeks, shuffled."""
    rng = random.Random(7)
    events = []
    for n in range(300):
        day = rng.randrange(1, 21)
        events.append(service_report(f"e{n}", f"r{rng.randrange(40)}", day, hour=rng.randrange(1, 20), quality=rng.choice([0.6, 0.8, 0.9, 0.97])))
    rng.shuffle(events)
    state, _, _ = fold_all(events, SHORT)
    assert score_view(state, SHORT) == score_view(reference(events, SHORT), SHORT) | {"violations_remembered": [], "overturned": []}
