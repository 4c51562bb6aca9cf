"""`tally audit asof`: event time, with today's knowledge; time-driven changes up to the instant."""

import json

from schemas.codec import encode


def write_jsonl(path, objects):
    path.write_bytes(b"".join(encode(o) + b"\n" for o in objects))
    return path


def event(n, kind, at, **fields):
    return {"event_id": f"a-e{n}", "creator_id": "asof-1", "occurred_at": at, "source": "detector-a", "schema_version": 2, "type": kind, **fields}


EVENTS = [
    event(1, "violation_recorded", "2024-03-01T00:00:00Z", violation_id="v1", code="prohibited_goods", severity="general"),
    event(2, "appeal_filed", "2024-03-03T00:00:00Z", violation_id="v1"),
    event(3, "appeal_resolved", "2024-03-05T00:00:00Z", violation_id="v1", outcome="overturned"),
    event(5, "exam_passed", "2024-03-20T00:00:00Z", exam_id="x1"),
    # Reported after the exam, occurred before it: a late detection.
    event(4, "violation_recorded", "2024-03-10T00:00:00Z", violation_id="v2", code="false_advertising", severity="general"),
    # Far too old behind the creator's latest event: the journal fold refuses it.
    event(6, "violation_recorded", "2024-01-10T00:00:00Z", violation_id="v0", code="counterfeit_goods", severity="serious"),
    {**event(7, "violation_recorded", "2024-03-01T00:00:00Z", violation_id="w1", code="false_advertising", severity="minor"), "creator_id": "asof-2"},
]


def asof(tally, path, instant, *extra):
    done = tally("audit", "asof", instant, path, *extra, check=False)
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], done.stderr.decode()


def actions(view):
    return sorted(p["action"] for p in view["active_penalties"])


def test_as_of_follows_event_time_and_leaves_out_what_replay_refuses(tally, tmp_path):
    path = write_jsonl(tmp_path / "j.jsonl", EVENTS)
    # Refused by the journal fold (too late), so never part of any as-of state.
    refused = tally("replay", path).stderr.decode()
    assert "too_late" in refused

    code, [view], _ = asof(tally, path, "2024-03-02T00:00:00Z", "--creator", "asof-1")
    assert code == 0
    assert view["score"] == "6" and view["as_of"] == "2024-03-02T00:00:00Z"
    assert actions(view) == ["restrict_marketing", "suspend_product_sharing"]
    assert view["pending_appeals"] == []

    _, [view], _ = asof(tally, path, "2024-03-04T00:00:00Z", "--creator", "asof-1")
    assert view["score"] == "6" and view["pending_appeals"] == ["v1"]

    # The appeal decided on 03-05 has not overturned anything as of 03-04T23:59.
    _, [view], _ = asof(tally, path, "2024-03-04T23:59:59Z", "--creator", "asof-1")
    assert view["score"] == "6" and view["revoked_violations"] == []

    _, [view], _ = asof(tally, path, "2024-03-06T00:00:00Z", "--creator", "asof-1")
    assert view["score"] == "10" and actions(view) == [] and view["revoked_violations"] == ["v1"]

    # The late detection counts as of an instant after it occurred, though it was recorded later.
    _, [view], _ = asof(tally, path, "2024-03-12T00:00:00Z", "--creator", "asof-1")
    assert view["score"] == "8" and actions(view) == ["restrict_marketing"]

    # Penalty periods run out by the instant itself: the 7-day restriction from 03-10 is over on 03-18.
    _, [view], _ = asof(tally, path, "2024-03-18T00:00:00Z", "--creator", "asof-1")
    assert actions(view) == []


def test_as_of_everyone_and_before_the_first_event(tally, tmp_path):
    path = write_jsonl(tmp_path / "j.jsonl", EVENTS)
    code, views, err = asof(tally, path, "2024-03-02T00:00:00Z", "--commands")
    assert code == 0
    states = [v for v in views if "command" not in v]
    commands = [v["command"] for v in views if "command" in v]
    assert [v["creator_id"] for v in states] == ["asof-1", "asof-2"]
    assert commands and all(c["effective_from"] <= "2024-03-02T00:00:00Z" for c in commands)
    assert "refused" in err

    code, views, err = asof(tally, path, "2024-01-15T00:00:00Z", "--creator", "asof-1")
    assert code == 1 and views == [] and "no events at or before" in err
