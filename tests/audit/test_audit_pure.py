"""projections.audit without the CLI: the verify comparison, migration events, journal order."""

import orjson
import pytest

from service.audit import journal_order, migration_event_id, migration_events, verify


def command(cid="cmd-" + "a" * 24, **changes):
    base = {
        "command_id": cid, "creator_id": "c1", "action": "restrict_marketing", "effective_from": "2024-01-01T00:00:00Z",
        "effective_until": "2024-01-08T00:00:00Z", "lifts": None,
        "reason": {"policy_id": "p", "policy_version": "1", "rule": "node:8", "score_before": "10", "score_after": "8", "caused_by": ["e1"], "detail": ""},
    }
    return {**base, **changes}


def test_redeliveries_and_key_order_are_not_discrepancies():
    a, b = command(), command("cmd-" + "b" * 24, action="warn")
    reordered = orjson.dumps(dict(reversed(list(a.items()))))
    verdict = verify([a, b], lambda: [reordered, orjson.dumps(a), b])
    assert verdict.agree and verdict.recomputed == 2 and verdict.published == 3 and verdict.redelivered == 1


def test_one_id_with_two_contents_needs_both_published():
    # The fold can emit one id twice with different contents (a lift id is derived from the lifted id only).
    first, second = command(action="lift"), command(action="lift", effective_from="2024-01-05T00:00:00Z")
    verdict = verify([first, second], lambda: [first])
    assert [(d.kind, d.expected["effective_from"]) for d in verdict.discrepancies] == [("missing", "2024-01-05T00:00:00Z")]
    assert verify([first, second], lambda: [second, first]).agree


def test_different_names_the_fields_and_the_causes():
    a = command()
    b = command(effective_until="2024-02-01T00:00:00Z", reason={**a["reason"], "policy_version": "2"})
    [d] = verify([a], lambda: [b]).discrepancies
    assert (d.kind, d.fields, d.caused_by) == ("different", ["effective_until", "reason.policy_version"], ["e1"])


def test_migration_events_are_deterministic_and_validated():
    first = list(migration_events(["m1", "m2"], "kuaishou-shop-2021", "2021-09-16T00:00:00+08:00"))
    again = list(migration_events(["m1", "m2"], "kuaishou-shop-2021", "2021-09-15T16:00:00Z"))
    assert first == again and first[0]["event_id"] == migration_event_id("m1", "kuaishou-shop-2021", "2021-09-15T16:00:00Z")
    with pytest.raises(ValueError):
        list(migration_events(["bad id with spaces"], "kuaishou-shop-2021", "2021-09-16T00:00:00Z"))


def test_journal_order_is_by_partition_then_file_order():
    events = [{"creator_id": c, "n": i} for i, c in enumerate("abacb")]
    ordered = journal_order(events, {"a": 1, "b": 0, "c": 1}.__getitem__)
    assert [(e["creator_id"], e["n"]) for e in ordered] == [("b", 1), ("b", 4), ("a", 0), ("a", 2), ("c", 3)]
