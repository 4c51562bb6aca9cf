"""`tally audit intake`'s reconciliation (service.intake_audit), without a broker: inputs named by topic,
partition and offset against a journal and dead letters; the journal's order against an in-order fold."""

import orjson

from schemas.codec import encode
from service.intake_audit import InputRecord, reconcile_intake
from service.policies import shipped_rulebooks

RULEBOOKS = shipped_rulebooks()


def violation(eid: str, at: str, creator: str = "c1") -> dict:
    return {"event_id": eid, "creator_id": creator, "occurred_at": at, "source": "detector.a", "schema_version": 3,
            "type": "violation_recorded", "violation_id": f"v-{eid}", "code": "prohibited_goods", "severity": "general"}


def test_every_input_is_journaled_dead_lettered_or_reported_missing():
    journaled = [violation("e1", "2024-03-01T00:00:00Z")]
    inputs = [InputRecord("creator.violations", 0, 0, encode(journaled[0])),
              InputRecord("creator.violations", 0, 1, b"not json"),
              InputRecord("creator.appeals", 1, 5, encode(violation("e9", "2024-03-02T00:00:00Z")))]
    letters = [{"reason": "malformed_json", "source_topic": "creator.violations", "partition": 0, "offset": 1},
               {"reason": "too_late", "source_topic": "creator.journal", "partition": 0, "offset": 0}]  # the fold's: not an input
    verdict = reconcile_intake(inputs, journaled, letters, RULEBOOKS)
    assert (verdict.inputs, verdict.journaled, verdict.dead_lettered) == (3, 1, {"malformed_json": 1})
    assert [(r.topic, r.partition, r.offset) for r in verdict.missing] == [("creator.appeals", 1, 5)]
    assert not verdict.agree


def test_a_refusal_caused_by_the_journal_order_is_reported():
    """A catch-up journaled a creator's later event first: the fold's horizon refuses the earlier violation."""
    late = violation("e1", "2024-03-01T00:00:00Z")
    ahead = violation("e2", "2024-05-01T00:00:00Z")  # 61 days later: beyond the 30-day late-event horizon
    other = violation("e3", "2024-03-01T00:00:00Z", creator="c2")
    journaled = [ahead, late, other]
    inputs = [InputRecord("creator.violations", 0, i, encode(e)) for i, e in enumerate(journaled)]
    verdict = reconcile_intake(inputs, journaled, [], RULEBOOKS)
    assert verdict.journaled == 3 and not verdict.missing
    assert [(r.event_id, r.creator_id, r.reason, r.in_order) for r in verdict.order_refusals] == [("e1", "c1", "too_late", "folded")]
    assert orjson.loads(encode(verdict.as_dict()))["agree"] is False


def test_journal_events_from_no_input_are_counted_and_an_in_order_journal_agrees():
    journaled = [violation("e1", "2024-03-01T00:00:00Z"), violation("e2", "2024-03-05T00:00:00Z")]
    deadline = {"event_id": "deadline:appeal_window_closed:c1:v-e1", "creator_id": "c1", "occurred_at": "2024-03-08T00:00:00Z",
                "source": "scheduler", "schema_version": 3, "type": "appeal_window_closed", "violation_id": "v-e1"}
    inputs = [InputRecord("creator.violations", 0, i, encode(e)) for i, e in enumerate(journaled)]
    verdict = reconcile_intake(inputs, [*journaled, deadline], [], RULEBOOKS)
    assert verdict.agree and verdict.journal_only == 1


def test_an_event_journaled_again_after_a_restart_is_not_an_order_refusal():
    """A worker killed before its intake committed: its successor journaled e1 again, after events two months later.
    The second record is a redelivery (the live fold counts it so), not a refusal the order caused."""
    first = violation("e1", "2024-03-01T00:00:00Z")
    later = violation("e2", "2024-05-01T00:00:00Z")
    inputs = [InputRecord("creator.violations", 0, i, encode(e)) for i, e in enumerate([first, later])]
    verdict = reconcile_intake(inputs, [first, later, first], [], RULEBOOKS)
    assert verdict.agree and verdict.journaled == 2 and not verdict.order_refusals
