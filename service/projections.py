"""The projections on the journal, each as the same small bundle: which event types it reads, its pure fold,
and its view of one key's state. Replay, explain, audit, simulate and report take a Projection, so the
penalty fold and the operator scores are replayed, explained and audited the same way."""

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from projections.fold import fold
from projections.outcome import Folded
from projections.rulebook import Rulebooks
from projections.scores.fold import SCORE_TYPES, fold_scores
from projections.scores.policy import ScorePolicy
from projections.scores.standing import score_view
from projections.standing import view
from schemas.events import DEADLINE_TYPES, PENALTY_INPUT_TYPES

PROJECTIONS = ("penalties", "scores")


@dataclass(frozen=True)
class Projection:
    name: str
    """'penalties' or 'scores'."""
    types: frozenset[str]
    """The event types its fold reads; it skips the others (they belong to another projection)."""
    fold: Callable[[Any, dict[str, Any]], Folded]
    view: Callable[[Any], dict[str, Any]]
    policy_id: str

    def reads(self, event: dict[str, Any]) -> bool:
        return event["type"] in self.types


def penalties(rulebooks: Rulebooks) -> Projection:
    # partials of module functions, not lambdas: a Projection goes to `replay --jobs N` worker processes (pickled)
    return Projection("penalties", PENALTY_INPUT_TYPES | DEADLINE_TYPES, partial(fold, rulebooks=rulebooks),
                      partial(view, rulebooks=rulebooks), rulebooks.default.policy.id)


def scores(policy: ScorePolicy) -> Projection:
    return Projection("scores", SCORE_TYPES, partial(fold_scores, policy=policy), partial(score_view, policy=policy), policy.id)
