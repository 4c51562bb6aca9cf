"""The fold: `fold(state, event, rulebooks) -> (state, commands, outcome)`.

Pure: no clock, no randomness, no I/O. The Faust agent, the replay CLI and the tests all call
this one function, so live and replay cannot disagree. What it decides is written down in
docs/semantics.md; `tests/projections/oracle.py` decides the same the slow way.

How one event is folded:
1. A duplicate event id folds once; an event older than the late-event horizon is refused.
2. Appeals and decisions are checked against what is known; one that names something not yet
   known is held until it arrives (or can no longer arrive).
3. A timeline event (violation, exam result, enrolment, migration) takes its place by event time.
   In order, it is applied to the head in place: O(1) whatever the history. Late, or when an
   overturn removes a violation, the timeline is recomputed from the nearest checkpoint before
   the change.
4. The penalties that changed are compared with what enforcement was told
   (`projections.reconcile`); the difference becomes commands.
5. Leading events that can no longer change are settled into the snapshot.

`projections.accept` holds step 2's rules per kind of event, `projections.step` the working of one
call, `projections.placement` step 3, `projections.settle` step 5.

The state passed in is updated in place and returned: it is the creator's private working copy.
"""

from typing import Any

from projections.accept import ACCEPT
from projections.outcome import Folded, Outcome, Resolution  # noqa: F401  (the fold's answer, re-exported)
from projections.placement import CHECKPOINT_EVERY, warm  # noqa: F401
from projections.rulebook import Rulebooks
from projections.state import Core, CreatorState, fingerprint
from projections.step import Step
from schemas.instants import parse_instant


def new_state(creator_id: str, rulebooks: Rulebooks) -> CreatorState:
    default = rulebooks.default
    return CreatorState(creator_id, Core(default.key, default.start))


def fold(state: CreatorState | None, event: dict[str, Any], rulebooks: Rulebooks) -> Folded:
    if state is None:
        state = new_state(event["creator_id"], rulebooks)
    step = Step(state, state.cache or warm(state, rulebooks), rulebooks, event["event_id"])
    # Lateness first: whether an old event is still remembered depends on how much was compacted, and no
    # outcome may depend on that.
    at = parse_instant(event["occurred_at"])
    if at < state.latest - step.rulebook.late_seconds:
        return step.refuse(at, "too_late")
    if step.event_id in step.cache.ids or (state.remembered and fingerprint(step.event_id) in state.remembered):
        return Folded(state, [], Outcome("duplicate", "duplicate_event_id"))
    return ACCEPT[event["type"]](step, event, at)


def compact(state: CreatorState, rulebooks: Rulebooks) -> CreatorState:
    """Settle everything that can no longer change into the snapshot: what a table should store. Changes no
    outcome, ever; only how much is kept."""
    step = Step(state, state.cache or warm(state, rulebooks), rulebooks, "")
    step.settle_to(step.settleable(), replay=True)
    return state
