"""The fold review (tests/cases/fold-review/README.md): each situation as a test named after its rule.

The files are the reviewers' own, replayed as an auditor would (`tally replay FILE`)."""

from pathlib import Path

import pytest

from cli.common import read_events
from projections.fold import fold
from projections.standing import view
from service.explain import timeline
from service.policies import shipped_rulebooks
from service.replay import Replayer

CASES = Path(__file__).resolve().parents[1] / "cases" / "fold-review"
RULEBOOKS = shipped_rulebooks()


class Replayed:
    def __init__(self, name: str, events: list[dict] | None = None):
        self.events = events if events is not None else [e for _, e in read_events(str(next(CASES.glob(f"{name}_*.jsonl"))))]
        self.replayer = Replayer(RULEBOOKS)
        self.outcomes, self.commands = [], []
        for event in self.events:
            folded = self.replayer.feed(event)
            self.outcomes.append(folded.outcome)
            self.commands += folded.commands
        (self.view,) = list(self.replayer.views())

    def outcome(self, event_id_suffix: str):
        index = next(i for i, e in enumerate(self.events) if e["event_id"].endswith(event_id_suffix))
        return self.outcomes[index]

    def sent(self, action: str) -> list:
        return [c for c in self.commands if c.action == action]

    def lifts(self, rule: str) -> list:
        return [c for c in self.commands if c.action == "lift" and c.reason.rule == f"lift:{rule}"]

    def in_force(self) -> list[tuple[str, str, str | None, str]]:
        return sorted((p["action"], p["effective_from"], p["effective_until"], p["rule"]) for p in self.view["active_penalties"])


# Wrong before the rebuild --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["E10b", "E11a", "E11b", "E11c"])
def test_an_overturn_needs_an_appeal_filed_in_time_and_not_yet_decided(name):
    """seed 001 §3.4: overdue or failed, the handling stands."""
    case = Replayed(name)
    assert case.view["revoked_violations"] == []
    assert not case.lifts("appeal_overturned") and not case.lifts("no_longer_follows")
    decision = case.outcomes[-1]
    if name == "E11c":
        assert (decision.status, decision.reason) == ("rejected", "appeal_already_decided")
    else:  # an appeal dated in time could still arrive inside the horizon: the decision waits, and stands refused later
        assert (decision.status, decision.reason) == ("held", "waiting_for_appeal")


def test_scheduler_ticks_never_decide_an_appeal():
    """E11a and E11b differ only by two appeal_window_closed events: what stands is the same."""
    with_ticks, without = Replayed("E11a"), Replayed("E11b")
    for case in (with_ticks, without):
        case.view.pop("creator_id"), case.view.pop("held_events")
        for p in case.view["active_penalties"]:
            p.pop("command_id")
    assert with_ticks.view == without.view


def test_a_held_decision_is_refused_once_no_appeal_can_still_arrive():
    events = Replayed("E11b").events
    later = {**events[0], "event_id": "much-later", "violation_id": "v9", "occurred_at": "2024-05-01T10:00:00+08:00"}
    folded = fold(Replayed("E11b").replayer.states["dy.e11b"], later, RULEBOOKS)
    assert [(r.event_id, r.status, r.reason) for r in folded.outcome.resolved] == [
        ("E11b_overturn_late_no_appeal_no_scheduler-0003", "rejected", "no_appeal_on_file")
    ]


def test_a_violation_id_counts_once_whatever_time_a_re_report_carries():
    """DOMAIN edge 4 (E04a): the same violation re-reported an hour earlier or later is refused."""
    case = Replayed("E04a")
    assert [(o.status, o.reason) for o in case.outcomes] == [
        ("folded", ""), ("duplicate", "duplicate_event_id"), ("rejected", "duplicate_violation"), ("rejected", "duplicate_violation"),
    ]
    assert case.view["score"] == "8"


def test_an_overturned_violation_reported_again_is_refused_forever():
    """DOMAIN edge 11 (E04b): a reviewer's decision survives; the re-report 43 days later deducts nothing."""
    case = Replayed("E04b")
    assert (case.outcomes[-1].status, case.outcomes[-1].reason) == ("rejected", "violation_overturned")
    assert case.view["score"] == "10" and case.view["revoked_violations"] == ["v1"]


@pytest.mark.parametrize(("name", "other"), [("E05a", "a voluntary exam"), ("E05b", "a later violation")])
def test_a_late_event_takes_its_true_place_whatever_came_before_it(name, other):
    """README and DOMAIN edge 5 (E05a vs E05b): v1, recorded on 03-01 and reported weeks later, is decided at
    03-01 in both files; its appeal window closed on 03-08 whatever else the creator did."""
    case = Replayed(name)
    v1 = [c for c in case.commands if c.action != "lift" and c.reason.caused_by[0].endswith("-0002")]
    assert [(c.action, c.effective_from, c.reason.rule) for c in v1] == [
        ("delist_product", "2024-03-01T02:00:00Z", "violation:false_advertising"),
        ("restrict_marketing", "2024-03-01T02:00:00Z", "node:6"),
        ("suspend_product_sharing", "2024-03-01T02:00:00Z", "node:6"),
    ]
    assert (case.outcomes[-1].status, case.outcomes[-1].reason) == ("rejected", "appeal_window_closed")


def test_a_penalty_decided_late_is_sent_with_its_true_dates_and_lifted():
    """seed 001 §4.2 (E05c): the node 8 restriction v1 brings is sent with its true dates, though over by the
    time v1 is known, and lifted at its end."""
    case = Replayed("E05c")
    (restriction,) = case.sent("restrict_marketing")
    assert (restriction.effective_from, restriction.effective_until, restriction.reason.rule) == ("2024-03-01T02:00:00Z", "2024-03-08T02:00:00Z", "node:8")
    (lift,) = case.lifts("period_over")
    assert (lift.lifts, lift.effective_from) == (restriction.command_id, "2024-03-08T02:00:00Z")


def test_the_appeal_window_runs_from_the_record_not_from_old_content():
    """Contract v3 (E05c corrected): the detector records v1 on 03-18 for content published on 03-01. The
    window runs from the record, so the appeal of 03-19 is in time; content_at only explains."""
    events = Replayed("E05c").events
    recorded = {**events[1], "occurred_at": "2024-03-18T11:00:00+08:00", "content_at": "2024-03-01T10:00:00+08:00"}
    case = Replayed("E05c-corrected", [events[0], recorded, events[2]])
    assert case.outcomes[-1].status == "folded"
    assert case.view["pending_appeals"] == ["v1"]
    assert {c.effective_from for c in case.commands if c.reason.caused_by == [recorded["event_id"]]} == {"2024-03-18T03:00:00Z"}


def test_corrective_actions_come_with_every_violation_after_product_sharing_closed():
    """seed 001 §3.2 (E03): closing product sharing does not close the account; later violations still bring
    their corrective actions and penalties of other kinds, but no further product-sharing penalty."""
    case = Replayed("E03")
    later = [(c.action, c.reason.rule) for c in case.commands if c.effective_from >= "2024-03-20" and c.action != "lift"]
    assert later == [("hide_videos", "violation:inappropriate_content"), ("delist_product", "violation:counterfeit_goods"),
                     ("freeze_deposit", "violation:counterfeit_goods")]
    assert "product_sharing is closed for good" in " ".join(case.outcomes[1].notes)
    assert case.view["terminal"] == "close_product_sharing"


@pytest.mark.parametrize(("name", "status", "score"), [("E05f", "folded", "9"), ("E05g", "rejected", "8")])
def test_an_exam_passed_in_time_and_reported_late_counts_only_within_the_grace(name, status, score):
    """DOMAIN edge 5 (E05f vs E05g): passed 03-07, due 03-08. Reported within exam_report_grace_days it takes
    its place and waives the deferred point; later it is refused, not folded silently."""
    case = Replayed(name)
    assert case.outcomes[-1].status == status
    assert case.outcomes[-1].reason == ("" if status == "folded" else "exam_report_too_late")
    assert case.view["score"] == score


def test_an_appeal_for_a_violation_long_past_its_window_is_refused_with_a_reason():
    """DOMAIN edge 10 (E10a): the appeal is late, the overturn has nothing on file; nothing is listed as revoked."""
    case = Replayed("E10a")
    assert [(o.status, o.reason) for o in case.outcomes[2:]] == [("rejected", "appeal_window_closed"), ("rejected", "no_appeal_on_file")]
    assert case.view["revoked_violations"] == [] and case.view["held_events"] == []


def test_tier_5_freeze_is_extended_when_more_points_arrive():
    """DOMAIN, Shopee (E08a): at 16 and 17 points the running freeze is imposed again from the new points."""
    case = Replayed("E08a")
    freezes = [(c.effective_from, c.effective_until, c.reason.rule) for c in case.sent("suspend_account")]
    assert freezes == [
        ("2024-05-05T02:00:00Z", "2024-06-02T02:00:00Z", "node:15"),
        ("2024-05-20T02:00:00Z", "2024-06-17T02:00:00Z", "extension:node:15"),
        ("2024-05-25T02:00:00Z", "2024-06-22T02:00:00Z", "extension:node:15"),
    ]
    assert len([c for c in case.lifts("superseded") if c.effective_from >= "2024-05-20"]) == 2


def test_explain_labels_a_late_record_with_the_rulebook_in_force_at_its_place():
    """E12b: the legacy record reported after the migration is explained under the legacy pack."""
    lines = list(timeline(Replayed("E12b").events, RULEBOOKS))
    late = lines.index(next(line for line in lines if "v-old" in line))
    assert "kuaishou-shop-legacy 2020" in lines[late + 1]


@pytest.mark.parametrize("name", ["E12a", "E12b"])
def test_a_late_pre_migration_record_is_judged_under_the_old_rules_and_migrated(name):
    """seed 004 Q1 (E12a, E12b): the general record of 09-10 belongs before the migration of 09-16: legacy rules
    apply to it (a delisting, no exam, no damages), and the migration drops it as a general record."""
    case = Replayed(name)
    late = case.outcomes[-1]
    assert (late.status, late.rulebook) == ("folded", "kuaishou-shop-legacy/merchant")
    assert [(c.action, c.reason.policy_id) for c in case.commands if c.reason.caused_by[0].endswith(case.events[-1]["event_id"][-4:])] == [
        ("delist_product", "kuaishou-shop-legacy")
    ]
    assert case.view["score"] == "0" and case.view["rulebook"] == "kuaishou-shop-2021"


def test_the_exam_pass_that_arrives_before_its_violation_is_credited():
    """The douyin-creator-2022 sample in the order 1,3,2,4,6,5 (issue 7): the pass waits for its violation."""
    events = [e for _, e in read_events(str(CASES.parents[2] / "samples" / "douyin-creator-2022.jsonl"))]
    creator = events[0]["creator_id"]
    mine = [e for e in events if e["creator_id"] == creator][:6]
    shuffled = [mine[i - 1] for i in (1, 3, 2, 4, 6, 5)]
    in_order, reordered = Replayed("sample", mine), Replayed("sample", shuffled)
    assert reordered.view["score"] == in_order.view["score"]
    assert len(reordered.lifts("exam_passed")) == len(in_order.lifts("exam_passed"))


# Right before the rebuild, kept right -------------------------------------------------------


def test_an_overturn_after_a_node_recomputes_the_timeline_without_the_violation():
    """DOMAIN edge 1 (E01a): without v1, v2 crosses node 8 (not 4) and v3 node 6."""
    case = Replayed("E01a")
    assert case.view["score"] == "6"
    assert {c.lifts for c in case.lifts("appeal_overturned")} == {c.command_id for c in case.commands if c.reason.caused_by[0].endswith("-0001") and c.action != "lift"} - {
        c.lifts for c in case.lifts("superseded")
    }
    assert len(case.lifts("no_longer_follows")) == 2  # v2's node 4 penalties
    assert case.in_force() == [("restrict_marketing", "2024-03-06T02:00:00Z", "2024-04-05T02:00:00Z", "node:6"),
                               ("suspend_product_sharing", "2024-03-06T02:00:00Z", "2024-03-13T02:00:00Z", "node:6")]


def test_overturning_the_violation_behind_a_closure_reopens_product_sharing():
    """DOMAIN edge 1 (E01b): the closure never happened."""
    case = Replayed("E01b")
    assert case.view["terminal"] is None and case.view["score"] == "8"


def test_an_appeal_decided_fifty_days_later_still_revokes():
    """seed 001 §3.4 (E01c): filed in time, decided late: the violation stays revisable until decided."""
    case = Replayed("E01c")
    assert case.view["revoked_violations"] == ["v1"] and case.view["score"] == "9"


def test_one_deduction_crossing_several_nodes_applies_the_highest_of_each_group():
    """seed 001 §4.2 (E02)."""
    case = Replayed("E02")
    first = [(c.action, c.effective_until, c.reason.rule) for c in case.commands if c.reason.caused_by[0].endswith("-0001")]
    assert ("suspend_product_sharing", "2024-05-30T02:00:00Z", "node:2") in first
    assert ("restrict_marketing", "2024-03-31T02:00:00Z", "node:6") in first
    assert case.view["terminal"] == "close_product_sharing"


def test_a_mandatory_exam_missed_then_passed_lifts_what_the_miss_imposed():
    """seed 004 三 (E06)."""
    case = Replayed("E06")
    misses = {c.command_id for c in case.commands if c.reason.rule == "exam_missed:v1"}
    assert len(misses) == 2 and {c.lifts for c in case.lifts("exam_passed")} == misses


def test_recovery_cadence_and_exam_credit():
    """DOMAIN edge 7 (E07): +1 per 7 clean days below 10, per 30 from 10; exam credit once per 30 days; cap 12."""
    case = Replayed("E07")
    assert [o.score for o in case.outcomes] == [600, 700, 500, 600, 800, 1000, 1100, 1200]
    assert case.outcome("-0005").notes == ("exam credit already earned in this period",)


def test_points_reset_at_the_local_quarter_boundary():
    """DOMAIN edge 8 (E08b): 15:30Z and 16:30Z on 03-31 straddle midnight at +08:00."""
    assert Replayed("E08b").view["score"] == "1"


def test_points_expire_ninety_days_after_they_were_issued():
    """DOMAIN, TikTok Shop (E08c): v1 expires at the very instant v3 arrives, before it."""
    case = Replayed("E08c")
    assert [o.score for o in case.outcomes[1:]] == [600, 1200, 700]


def test_repeat_counting_ignores_an_overturned_violation():
    """DOMAIN edge 9 (E09): with v5 overturned, v6 is the fifth in 90 days: the closure no longer follows."""
    case = Replayed("E09")
    (closure,) = case.sent("close_product_sharing")
    assert [c.lifts for c in case.lifts("no_longer_follows")] == [closure.command_id]


def test_the_appeal_window_is_exact_to_the_second():
    """DOMAIN edge 10 (E10c)."""
    case = Replayed("E10c")
    assert [(o.status, o.reason) for o in case.outcomes[2:]] == [("folded", ""), ("rejected", "appeal_window_closed")]


def test_a_migration_recomputes_held_records_under_the_new_rules():
    """seed 004 Q1 (E12c): serious records are kept and recomputed, general ones dropped (43 -> 36 points)."""
    case = Replayed("E12c")
    assert case.outcome("-0008").score == 3600


def test_a_cleared_out_merchant_stays_cleared_through_migration():
    """DOMAIN edge 12, seed 004 Q1: E12c with one more serious record reaches 48 and is cleared out; after the
    migration nothing further applies."""
    events = Replayed("E12c").events
    extra = {**events[4], "event_id": "E12c-extra", "violation_id": "v4b", "occurred_at": "2021-07-04T12:00:00+08:00"}
    case = Replayed("E12c-cleared", [*events[:5], extra, *events[5:]])
    assert case.sent("clear_out")
    assert case.view["terminal"] == "clear_out"
    assert not [c for c in case.commands if c.effective_from >= "2021-09-16" and c.action != "lift"]  # running periods still end


def test_every_decision_has_an_id_of_its_own():
    """A penalty superseded, then restored when the stronger one's violation is overturned, comes back under a
    new id, and so does each lift: consumers dedupe by id (issue 7)."""
    def ev(n, kind, at, **fields):
        return {"event_id": f"e{n}", "creator_id": "c1", "occurred_at": at, "source": "d", "schema_version": 3, "type": kind, **fields}

    events = [
        ev(1, "violation_recorded", "2024-03-06T10:00:00Z", violation_id="v1", code="off_platform_trading", severity="general"),
        ev(2, "violation_recorded", "2024-03-08T10:00:00Z", violation_id="v2", code="false_advertising", severity="serious"),
        ev(3, "appeal_filed", "2024-03-09T10:00:00Z", violation_id="v2"),
        ev(4, "appeal_resolved", "2024-03-11T10:00:00Z", violation_id="v2", outcome="overturned"),
        ev(5, "violation_recorded", "2024-03-17T10:00:00Z", violation_id="v3", code="inappropriate_content", severity="minor"),
    ]
    case = Replayed("ids", events)
    ids = [c.command_id for c in case.commands]
    assert len(ids) == len(set(ids))
    restored = [c for c in case.commands if c.action == "restrict_marketing" and c.reason.rule == "node:8"]
    assert len(restored) == 2 and restored[0].command_id != restored[1].command_id
    assert view(case.replayer.states["c1"], RULEBOOKS)["score"] == case.view["score"]
