"""The fold against the reference oracle, for every shipped pack and any arrival order (hypothesis).

`HYPOTHESIS_PROFILE=deep` runs 2,000 examples each (tests/conftest.py).
"""

from contextlib import contextmanager

from hypothesis import HealthCheck, given, settings, strategies as st

import projections.placement
from projections.fold import compact, fold
from projections.standing import view
from projections.state import from_bytes, to_bytes
from schemas.codec import encode
from service.replay import Replayer
from tests.projections.oracle import Oracle, net_of, standing_of
from tests.projections.stories import BY_PACK, arrival, story

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ACCEPTED = ("folded", "held")


@contextmanager
def checkpoints_every(data):
    """Checkpoints (and so settling to them, and recomputes that stop where the old run is met) every 1 to 4
    entries, or the shipped spacing: short stories then exercise every shortcut of the fold. Spacing that
    widens with the ledger is drawn too, at a ledger of a few records instead of hundreds."""
    placement = projections.placement
    spacing = data.draw(st.sampled_from([1, 2, 3, 4, placement.CHECKPOINT_EVERY]))
    per_entry = data.draw(st.sampled_from([1, 2, placement.LEDGER_COPIED_PER_ENTRY]))
    shipped = placement.CHECKPOINT_EVERY, placement.LEDGER_COPIED_PER_ENTRY
    placement.CHECKPOINT_EVERY, placement.LEDGER_COPIED_PER_ENTRY = spacing, per_entry
    try:
        yield
    finally:
        placement.CHECKPOINT_EVERY, placement.LEDGER_COPIED_PER_ENTRY = shipped


def fast_standing(state, rulebooks) -> dict:
    cache = state.cache
    decided = state.decisions.keys() | state.revoked.keys()
    return standing_of(cache.head, rulebooks, [v for v in state.appeals if v not in decided], [w.event_id for w in state.waiting], list(state.revoked))


def fold_all(events, rulebooks, restore_at: frozenset = frozenset()):
    """Fold in the order given; before the events in `restore_at`, compact the state as a worker does
    before storing it, and restore it from its stored bytes."""
    state, commands, statuses = None, [], []
    for index, event in enumerate(events):
        if state is not None and index in restore_at:
            state = from_bytes(to_bytes(compact(state, rulebooks)))
        state, made, outcome = fold(state, event, rulebooks)
        commands += made
        statuses.append(outcome.status)
    return state, commands, statuses


@FAST
@given(st.data())
def test_after_every_event_the_fold_stands_where_the_oracle_stands(data):
    """Shuffled, duplicated, late, re-reported, refused: event by event, the fast fold accepts what the
    slow reference accepts and stands where it stands; its commands net of lifts are the penalties the
    reference has in force (and every corrective action it fired)."""
    pack, events = data.draw(story())
    rulebooks = BY_PACK[pack]
    order = data.draw(arrival(events, max_delay_days=40, max_exam_delay_days=12))  # some beyond the horizons
    restore_at = frozenset(data.draw(st.lists(st.integers(0, len(order)), max_size=4)))
    oracle, state, commands = Oracle(rulebooks, "c-1"), None, []
    with checkpoints_every(data):
        for index, event in enumerate(order):
            state, made = _step_against(oracle, state, event, index, restore_at, rulebooks)
            commands += made
    assert net_of(commands) == oracle.net()


def _step_against(oracle, state, event, index, restore_at, rulebooks):
    """One event through both folds (the state compacted and restored from bytes first, at `restore_at`)."""
    if state is not None and index in restore_at:
        state = from_bytes(to_bytes(compact(state, rulebooks)))
    state, made, outcome = fold(state, event, rulebooks)
    expected = oracle.feed(event)
    assert (outcome.status in ACCEPTED) == (expected in ACCEPTED), (index, event, outcome, expected)
    assert fast_standing(state, rulebooks) == oracle.standing(), (index, event, outcome)
    return state, made


@FAST
@given(st.data())
def test_what_stands_and_what_is_in_force_do_not_depend_on_arrival_order(data):
    """Two arrival orders inside the horizon: the same standing state, the same commands net of lifts."""
    pack, events = data.draw(story())
    rulebooks = BY_PACK[pack]
    with checkpoints_every(data):
        first = fold_all(data.draw(arrival(events)), rulebooks)
        second = fold_all(data.draw(arrival(events)), rulebooks)
    assert fast_standing(first[0], rulebooks) == fast_standing(second[0], rulebooks)
    assert net_of(first[1]) == net_of(second[1])


@FAST
@given(st.data())
def test_a_command_id_names_exactly_one_command(data):
    pack, events = data.draw(story())
    with checkpoints_every(data):
        _, commands, _ = fold_all(data.draw(arrival(events)), BY_PACK[pack])
    by_id: dict[str, bytes] = {}
    for command in commands:
        assert by_id.setdefault(command.command_id, encode(command)) == encode(command), command.command_id
    lifted = [c.lifts for c in commands if c.action == "lift"]
    assert len(lifted) == len(set(lifted)), "an id is lifted at most once"
    assert set(lifted) <= set(by_id), "a lift names a command that was sent"


@FAST
@given(st.data())
def test_compacting_and_restoring_the_state_between_events_changes_nothing(data):
    """A worker compacts a state and stores its bytes; restored from the changelog it has no cache. It must
    decide exactly as one that never stopped."""
    pack, events = data.draw(story())
    rulebooks = BY_PACK[pack]
    order = data.draw(arrival(events))
    restore_at = frozenset(data.draw(st.lists(st.integers(0, len(order)), min_size=1, max_size=len(order))))
    with checkpoints_every(data):
        warm_state, warm_commands, warm_statuses = fold_all(order, rulebooks)
        cold_state, cold_commands, cold_statuses = fold_all(order, rulebooks, restore_at)
    assert [encode(c) for c in cold_commands] == [encode(c) for c in warm_commands]
    assert cold_statuses == warm_statuses
    assert view(cold_state, rulebooks) == view(warm_state, rulebooks)


@FAST
@given(st.data())
def test_the_score_stays_within_floor_and_cap(data):
    pack, events = data.draw(story())
    rulebooks = BY_PACK[pack]
    rulebook = rulebooks[pack]
    state = None
    for event in data.draw(arrival(events)):
        state, _, outcome = fold(state, event, rulebooks)
        assert rulebook.floor <= state.cache.head.score
        if rulebook.cap is not None:
            assert state.cache.head.score <= rulebook.cap


@FAST
@given(story(pack="douyin-creator-2022", creator="c-1"), story(pack="douyin-creator-2022", creator="c-2"), st.randoms(use_true_random=False))
def test_other_creators_events_change_nothing_for_this_creator(mine, theirs, rng):
    rulebooks = BY_PACK["douyin-creator-2022"]
    merged, a, b = [], list(mine[1]), list(theirs[1])
    while a or b:  # keep each creator's own order, interleave at random
        source = a if (a and (not b or rng.random() < 0.5)) else b
        merged.append(source.pop(0))
    alone, together = Replayer(rulebooks), Replayer(rulebooks)
    alone_commands = [encode(c) for c in alone.run(mine[1])]
    together_commands = [encode(c) for c in together.run(merged) if c.creator_id == "c-1"]
    assert together_commands == alone_commands
    assert view(together.states["c-1"], rulebooks) == view(alone.states["c-1"], rulebooks)


@FAST
@given(story(creator="c-1"), st.data())
def test_replaying_twice_gives_identical_bytes(told, data):
    pack, events = told
    order = data.draw(arrival(events))
    first = b"".join(encode(c) for c in Replayer(BY_PACK[pack]).run(order))
    second = b"".join(encode(c) for c in Replayer(BY_PACK[pack]).run(order))
    assert first == second
