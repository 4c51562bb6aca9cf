"""The scheduler's decision (pure): which deadlines are due by `now`, as journal events."""

from projections.fold import fold
from projections.rulebook import Rulebooks
from service.policies import load_rulebooks, shipped_policies_dir
from schemas.instants import parse_instant
from streams.clock import file_clock
from streams.deadlines import due_events, event_id, next_due

RULEBOOKS = load_rulebooks(shipped_policies_dir(), "douyin-creator-2022")


def folded_minor_violation():
    # First minor offence: leniency, an exam instead of the deduction, due 7 days later.
    event = {"event_id": "e1", "creator_id": "c1", "occurred_at": "2024-03-01T10:00:00+08:00", "source": "detector.a",
             "schema_version": 2, "type": "violation_recorded", "violation_id": "v1", "code": "false_advertising",
             "severity": "minor", "evidence": {}}
    return fold(None, event, RULEBOOKS).state


def test_nothing_is_due_before_the_first_deadline():
    state = folded_minor_violation()
    assert due_events(state, RULEBOOKS, parse_instant("2024-03-08T00:00:00Z")) == []


def test_due_deadlines_are_stamped_with_their_own_instant_and_have_stable_ids():
    state = folded_minor_violation()
    now = parse_instant("2024-04-01T00:00:00Z")
    events = due_events(state, RULEBOOKS, now)
    kinds = [(e["type"], e["occurred_at"]) for e in events]
    assert ("exam_due", "2024-03-08T02:00:00Z") in kinds
    assert ("appeal_window_closed", "2024-03-08T02:00:00Z") in kinds
    assert all(e["source"] == "scheduler" and e["event_id"].startswith("deadline:") for e in events)
    assert [e["occurred_at"] for e in events] == sorted(e["occurred_at"] for e in events)
    assert due_events(state, RULEBOOKS, now) == events


def test_once_folded_a_deadline_is_no_longer_due():
    state = folded_minor_violation()
    now = parse_instant("2024-04-01T00:00:00Z")
    for event in due_events(state, RULEBOOKS, now):
        state = fold(state, event, RULEBOOKS).state
    assert all(e["occurred_at"] > "2024-03-08T02:00:00Z" for e in due_events(state, RULEBOOKS, now))


def test_long_ids_are_digested():
    assert len(event_id("exam_due", "c" * 120, "v" * 100)) <= 128


def test_file_clock(tmp_path):
    path = tmp_path / "now"
    clock = file_clock(str(path))
    assert clock() == 0
    path.write_text("2024-03-08T02:00:00Z\n")
    assert clock() == parse_instant("2024-03-08T02:00:00Z")


def test_next_due_is_the_earliest_deadline_ahead():
    state = folded_minor_violation()
    assert next_due(state, RULEBOOKS) == parse_instant("2024-03-08T02:00:00Z")
