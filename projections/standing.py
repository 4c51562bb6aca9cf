"""What stands for a creator, as people and APIs see it: score, penalties in force, exams, appeals."""

from typing import Any

from projections.fold import warm
from projections.reconcile import sent_id
from projections.rulebook import Rulebooks
from projections.state import Core, CreatorState
from schemas.instants import format_instant
from schemas.points import format_points


def view(state: CreatorState, rulebooks: Rulebooks, head: Core | None = None) -> dict[str, Any]:
    """The standing state. `head` overrides the cached head (the audit's view as of an instant)."""
    head = head or warm(state, rulebooks).head
    rulebook = rulebooks[head.rulebook]
    decided = state.decisions.keys() | state.revoked.keys()
    return {
        "creator_id": state.creator_id,
        "rulebook": rulebook.policy.id,
        "policy_version": rulebook.policy.version,
        "role": rulebook.policy.role,
        "score": format_points(head.score),
        "mode": rulebook.policy.score.mode,
        "as_of": format_instant(head.clock) if head.clock else None,
        "rule": head.rule,
        "terminal": terminal(head),
        "active_penalties": [
            {
                "command_id": sent_id(state.creator_id, p.id, state.lifted),
                "action": p.action,
                "effective_from": format_instant(p.start),
                "effective_until": None if p.until is None else format_instant(p.until),
                "rule": p.rule,
            }
            for p in head.active
        ],
        "pending_exams": [{"violation_id": x.violation, "deadline": format_instant(x.deadline), "missed": x.missed} for x in head.exams],
        "pending_appeals": [vid for vid in state.appeals if vid not in decided],
        "held_events": [{"event_id": w.event_id, "violation_id": w.violation} for w in state.waiting],
        "revoked_violations": list(state.revoked),
    }


def terminal(head: Core) -> str | None:
    """The terminal penalty in force: the account gone (ban, clear_out), or what closed a kind for good."""
    if head.gone:
        return head.gone
    closing = [p.action for p in head.active if p.until is None and (p.group or p.action) in head.closed]
    return ",".join(closing) or None
