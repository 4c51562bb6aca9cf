"""The ledger's shortcuts against their plain definitions.

The oracle shares the rule clauses with the fast fold, so a shortcut inside a clause is held here
instead: counting repeats reads only the window, newest first, and stops once it has enough;
expiring or forgetting a record finds it by time. Each must decide exactly what a scan of the
whole ledger decides, ties of time included.
"""

from types import SimpleNamespace

from hypothesis import given, settings, strategies as st

from projections import due
from projections.policy import Escalation
from projections.rules import _repeats
from projections.state import Record

CODES = ("a", "b", "c")
FAMILY = {"a": "ab", "b": "ab", "c": None}


def ledgers(max_size: int = 40):
    """Records in timeline order, several often at one instant, some without live points."""
    record = st.tuples(st.integers(0, 5), st.sampled_from(CODES), st.sampled_from((0, 100)))
    return st.lists(record, max_size=max_size).map(
        lambda rows: [Record(at, f"v{i}", code, "general", points, f"e{i}") for i, (at, code, points) in enumerate(sorted(rows, key=lambda r: r[0]))]
    )


def catalogue_rulebook():
    catalogue = {code: SimpleNamespace(family=family) for code, family in FAMILY.items()}
    return SimpleNamespace(policy=SimpleNamespace(catalogue=catalogue))


def plain_repeats(ledger: list[Record], since: int, rule: Escalation, family: str, rb) -> int:
    return sum(
        1
        for r in ledger
        if r.at > since
        and (rule.codes is None or r.code in rule.codes)
        and (not rule.same_family or (rb.policy.catalogue[r.code].family or r.code) == family)
    )


@settings(max_examples=300, deadline=None)
@given(
    ledger=ledgers(),
    since=st.integers(-1, 5),
    count=st.integers(2, 6),
    codes=st.none() | st.lists(st.sampled_from(CODES), min_size=1, unique=True),
    same_family=st.booleans(),
    new_code=st.sampled_from(CODES),
)
def test_repeats_read_only_the_window_and_decide_as_a_full_scan(ledger, since, count, codes, same_family, new_code):
    rule = Escalation(name="r", window_days=1, codes=codes, same_family=same_family, count=count)
    rb = catalogue_rulebook()
    family = FAMILY[new_code] or new_code
    fast = _repeats(ledger, since, rule, family, rb)
    plain = plain_repeats(ledger, since, rule, family, rb)
    assert fast == min(plain, count - 1)
    assert (fast + 1 < count) == (plain + 1 < count)  # the only question the rule asks


def run_over(ledger: list[Record], drops_spent_records: bool = False):
    core = SimpleNamespace(ledger=ledger, score=0, rule="")
    rulebook = SimpleNamespace(credit=False, clamp=lambda score: score, drops_spent_records=drops_spent_records)
    return SimpleNamespace(core=core, rulebook=rulebook)


@settings(max_examples=300, deadline=None)
@given(ledger=ledgers().filter(bool), data=st.data())
def test_expiring_or_forgetting_a_record_touches_that_record_only(ledger, data):
    record = data.draw(st.sampled_from(ledger))
    expired = ledger[:]
    due.points_expire(run_over(expired), record, record.at)
    assert [(r.violation, r.points) for r in expired] == [(r.violation, 0 if r is record else r.points) for r in ledger]

    dropped = ledger[:]  # no repeat-offence window reads a spent record: it goes at once
    due.points_expire(run_over(dropped, drops_spent_records=True), record, record.at)
    assert dropped == [r for r in ledger if r is not record]

    forgotten = ledger[:]
    due.record_forgotten(run_over(forgotten), record, record.at)
    assert forgotten == [r for r in ledger if r is not record]
