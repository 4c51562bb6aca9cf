"""What the audit tools found in the fold, kept as regression tests.

A penalty superseded by a stronger one, then restored when the stronger one's violation is overturned,
used to come back under its old id (and its second lift too): consumers deduping by id dropped them."""

from pathlib import Path

from projections.replay import Replayer
from projections.rulebook import Rulebooks

PINNED = Path(__file__).parent / "fixtures" / "policies"


def ev(n, kind, at, **fields):
    return {"event_id": f"e{n}", "creator_id": "c1", "occurred_at": at, "source": "d", "schema_version": 2, "type": kind, **fields}


EVENTS = [
    ev(1, "violation_recorded", "2024-03-06T10:00:00Z", violation_id="v1", code="off_platform_trading", severity="general"),  # 10 -> 8: node 8
    ev(2, "violation_recorded", "2024-03-08T10:00:00Z", violation_id="v2", code="false_advertising", severity="serious"),  # 8 -> 4: node 6 supersedes node 8's
    ev(3, "appeal_resolved", "2024-03-11T10:00:00Z", violation_id="v2", outcome="overturned"),  # node 8's restriction holds again
    ev(4, "violation_recorded", "2024-03-17T10:00:00Z", violation_id="v3", code="inappropriate_content", severity="minor"),  # its period is over
]


def test_every_decision_has_an_id_of_its_own():
    commands = list(Replayer(Rulebooks.from_dir(PINNED, "douyin-creator-2022")).run(EVENTS))
    ids = [c["command_id"] for c in commands]
    assert len(ids) == len(set(ids)), [c["action"] + " " + c["command_id"] for c in commands if ids.count(c["command_id"]) > 1]
