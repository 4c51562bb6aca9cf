"""Invariants of the fold over generated event streams (hypothesis)."""

import orjson
from hypothesis import HealthCheck, given, settings, strategies as st

from projections.replay import Replayer, view
from schemas.codec import encode
from schemas.instants import format_instant, parse_instant
from schemas.points import to_hundredths
from tests.projections.strategies import RULEBOOKS, creator_stream

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def replay(events):
    replayer = Replayer(RULEBOOKS)
    commands = list(replayer.run(events))
    return commands, {cid: view(state, RULEBOOKS) for cid, state in replayer.states.items()}


@FAST
@given(creator_stream())
def test_score_stays_within_floor_and_cap(events):
    replayer = Replayer(RULEBOOKS)
    policy = RULEBOOKS.default.policy
    for event in events:
        folded = replayer.feed(event)
        if folded.outcome.score is not None:
            assert to_hundredths(policy.score.floor) <= folded.outcome.score <= to_hundredths(policy.score.cap)


@FAST
@given(creator_stream(), st.data())
def test_a_duplicated_event_changes_nothing(events, data):
    position = data.draw(st.integers(0, len(events) - 1))
    again = data.draw(st.integers(position + 1, len(events)))
    doubled = events[:again] + [events[position]] + events[again:]
    assert replay(doubled) == replay(events)


@FAST
@given(creator_stream("c-1"), creator_stream("c-2"), st.randoms(use_true_random=False))
def test_other_creators_events_change_nothing_for_this_creator(mine, theirs, rng):
    merged, a, b = [], list(mine), list(theirs)
    while a or b:  # keep each creator's own order, interleave at random
        source = a if (a and (not b or rng.random() < 0.5)) else b
        merged.append(source.pop(0))
    alone_commands, alone_views = replay(mine)
    merged_commands, merged_views = replay(merged)
    assert [c for c in merged_commands if c["creator_id"] == "c-1"] == alone_commands
    assert merged_views["c-1"] == alone_views["c-1"]


@FAST
@given(creator_stream(), st.data())
def test_an_overturned_violation_is_as_if_never_recorded(events, data):
    """Douyin 3.4: an appeal passed revokes the violation; DOMAIN edge case 1: recompute without it."""
    violations = [e for e in events if e["type"] == "violation_recorded"]
    target = data.draw(st.sampled_from(violations))
    vid, at = target["violation_id"], parse_instant(target["occurred_at"])
    # The appeal comes an hour after the violation (inside the window); the decision after everything else.
    others = [e for e in events if e is not target and not (e["type"] == "appeal_filed" and e["violation_id"] == vid)]
    last = max([at + 3600, *(parse_instant(e["occurred_at"]) for e in others)])
    appeal = _event("appeal-x", at + 3600, "appeal_filed", violation_id=vid, statement="")
    decision = _event("decision-x", last + 60, "appeal_resolved", violation_id=vid, outcome="overturned", reviewer="r")
    tick = _event("tick", last + 120, "penalty_ended", command_id="none")
    in_time = lambda es: sorted(es, key=lambda e: e["occurred_at"])  # noqa: E731
    _, overturned = replay(in_time([*others, target, appeal]) + [decision, tick])
    _, never = replay(in_time(others) + [tick])
    assert in_force(overturned["c-1"]) == in_force(never["c-1"])


def in_force(view):
    """Score, exams and penalties in force. Not their ids: a penalty that an overturn restores after it
    had been superseded is a new decision, sent under a new id."""
    penalties = [{k: v for k, v in p.items() if k != "command_id"} for p in view["active_penalties"]]
    return {"score": view["score"], "pending_exams": view["pending_exams"], "terminal": view["terminal"], "active_penalties": penalties}


def _event(event_id, at, kind, **fields):
    return {"event_id": event_id, "creator_id": "c-1", "occurred_at": format_instant(at), "source": "desk", "schema_version": 2, "type": kind, **fields}


@FAST
@given(creator_stream("c-1"), creator_stream("c-2"))
def test_replaying_twice_gives_identical_bytes(mine, theirs):
    events = sorted(mine + theirs, key=lambda e: e["occurred_at"])
    first = b"".join(encode(c) for c in replay(events)[0])
    second = b"".join(encode(c) for c in replay(events)[0])
    assert first == second


@FAST
@given(creator_stream(), st.data())
def test_restoring_state_from_json_between_events_changes_nothing(events, data):
    """A worker restored from the changelog has no cached head; it must decide exactly as one that never stopped."""
    from projections.fold import fold
    from projections.state import CreatorState

    extra = data.draw(st.lists(st.sampled_from(events), max_size=3))  # duplicates and late re-sends too
    stream = events + extra
    warm, cold, warm_commands, cold_commands = None, None, [], []
    for event in stream:
        warm, commands, _ = fold(warm, event, RULEBOOKS)
        warm_commands += commands
        restored = CreatorState.from_json(orjson.loads(orjson.dumps(cold.to_json()))) if cold else None
        cold, commands, _ = fold(restored, event, RULEBOOKS)
        cold_commands += commands
    assert cold_commands == warm_commands
    assert view(cold, RULEBOOKS) == view(warm, RULEBOOKS)
