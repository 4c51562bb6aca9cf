"""One real worker (`tally worker` subprocess) on the real broker: intake, dead letters, duplicates,
deadlines, the query API, and live == replay over the journal it wrote.

The tests run in file order and share the worker; the last ones check everything the earlier ones did.
"""

import orjson
import pytest
from kafka import KafkaProducer

from service import projections
from service.policies import load_score_policy
from service.replay import Replayer
from schemas.codec import decode_trusted
from streams.clients import publish_signed, read_values
from streams.connection import kafka_python_options
from streams.process import WorkerProcess
from streams.signing import sign


@pytest.fixture(scope="module")
def world(broker, live, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live")
    settings = live.settings(broker, tmp)
    worker = WorkerProcess(settings, log_path=str(tmp / "worker.log")).start()
    producer = KafkaProducer(linger_ms=0, batch_size=1, **kafka_python_options(settings))
    state = {"published": 0}
    try:
        worker.ready(timeout=90)

        class World:
            pass

        w = World()
        w.settings, w.worker, w.producer, w.live, w.tmp, w.state = settings, worker, producer, live, tmp, state
        yield w
    finally:
        producer.close()
        worker.stop()


def event(creator: str, eid: str, **fields):
    base = {"event_id": eid, "creator_id": creator, "occurred_at": "2024-03-01T10:00:00+08:00", "source": "detector.a",
            "type": "violation_recorded", "violation_id": f"v-{eid}", "code": "prohibited_goods", "severity": "general"}
    base.update(fields)
    return orjson.dumps(base)


def publish(world, value: bytes, source: str = "detector.a", topic: str | None = None):
    topic = topic or world.settings.topic_violations
    publish_signed(world.producer, topic, value, source, world.live.keys[source].encode())
    world.state["published"] += 1


def publish_raw(world, value: bytes, headers, topic: str | None = None):
    world.producer.send(topic or world.settings.topic_violations, value=value, headers=headers).get(timeout=10)
    world.state["published"] += 1


def settle(world):
    """Wait until the worker has read every input we published and folded every journal record it wrote."""

    def quiet():
        counts = world.worker.counts()
        received = sum(counts["intake_received"].values())
        journal_writes = sum(counts["journaled"].values()) + sum(counts["deadlines"].values())
        return received == world.state["published"] and counts["fold_received"] == journal_writes and counts

    world.live.wait(quiet, timeout=60, what="worker to catch up")
    world.live.wait(quiet, timeout=60, what="worker to stay caught up")
    return world.worker.counts()


def deadletters(world):
    return [orjson.loads(v) for v in read_values(world.settings, world.settings.topic_deadletter)]


def commands_for(world, creator: str):
    values = read_values(world.settings, world.settings.topic_penalties)
    return [c for c in map(orjson.loads, values) if c["creator_id"] == creator]


def test_a_signed_violation_becomes_commands(world):
    publish(world, event("ok-1", "ok-1-e1"))
    settle(world)
    actions = [c["action"] for c in commands_for(world, "ok-1")]
    assert "delist_product" in actions and "restrict_marketing" in actions


def test_bad_input_is_dead_lettered_with_its_reason(world):
    s = world.settings
    key_a = world.live.keys["detector.a"].encode()

    def signed(value, source="detector.a", key=key_a):
        return [("tally-source", source.encode()), ("tally-signature", sign(key, value).encode())]

    malformed = b'{"event_id": "bad-1", '
    unknown_type = event("bad-2", "bad-2", type="made_up")
    unknown_code = event("bad-3", "bad-3", code="no_such_code")
    naive = event("bad-4", "bad-4", occurred_at="2024-03-01T10:00:00")
    oversized = event("bad-5", "bad-5", evidence={"blob": "x" * 20_000})
    unsigned = event("bad-6", "bad-6")
    forged = event("bad-7", "bad-7")
    mismatch = event("bad-8", "bad-8", source="detector.b")
    unauthorised = event("bad-9", "bad-9", type="appeal_filed", source="detector.a")
    unauthorised = orjson.dumps({k: v for k, v in orjson.loads(unauthorised).items() if k not in ("code", "severity")})
    publish_raw(world, malformed, signed(malformed))
    publish_raw(world, unknown_type, signed(unknown_type))
    publish_raw(world, unknown_code, signed(unknown_code))
    publish_raw(world, naive, signed(naive))
    publish_raw(world, oversized, signed(oversized))
    publish_raw(world, unsigned, [])
    publish_raw(world, forged, signed(forged, key=b"not-the-key"))
    publish_raw(world, mismatch, signed(mismatch))  # event says detector.b, signed by detector.a
    publish_raw(world, unauthorised, signed(unauthorised), topic=s.topic_appeals)
    counts = settle(world)

    letters = {}
    for letter in deadletters(world):
        value = letter.get("value") or ""
        letters[letter["reason"]] = letter
        assert letter["source_topic"] in (*s.input_topics, s.topic_journal) and letter["offset"] is not None
    expected = {"malformed_json", "unknown_type", "unknown_violation_code", "naive_timestamp", "oversized", "unsigned",
                "bad_signature", "source_mismatch", "unauthorised_source"}
    assert expected <= set(letters)
    assert letters["unknown_violation_code"]["source_topic"] == s.topic_journal  # refused by the fold, after intake
    assert letters["unsigned"]["value"] == unsigned.decode() and letters["unsigned"]["headers"] == {}
    assert letters["bad_signature"]["headers"]["tally-source"] == "detector.a"

    # received = journaled + dead-lettered at intake; journal = folded + duplicates + rejected + held + redelivered at the fold
    intake_letters = sum(1 for letter in deadletters(world) if letter["source_topic"] in s.input_topics)
    assert sum(counts["intake_received"].values()) == sum(counts["journaled"].values()) + intake_letters
    assert counts["fold_received"] == (counts["folded"] + counts["duplicates"] + sum(counts["rejected"].values())
                                       + counts["held"] + counts["redelivered"] + counts["skipped"])
    assert counts["rejected"] == {"unknown_violation_code": 1}


def test_duplicate_delivery_folds_once(world):
    value = event("dup-1", "dup-1-e1", code="false_advertising", severity="serious")
    before = world.worker.counts()["duplicates"]
    publish(world, value)
    publish(world, value)
    counts = settle(world)
    assert counts["duplicates"] == before + 1
    commands = commands_for(world, "dup-1")
    assert len({c["command_id"] for c in commands}) == len(commands)
    status, body = world.worker.get("/creators/dup-1")
    assert status == 200 and body["score"] == "6"  # 10 - 4, once


def test_exam_deadline_fires_without_further_events_and_a_later_pass_lifts_it(world):
    creator = "exam-1"
    publish(world, event(creator, "exam-1-e1", code="counterfeit_goods", severity="serious", violation_id="vx"))
    settle(world)
    assert [c["action"] for c in commands_for(world, creator) if c["reason"]["rule"] == "exam:vx"] == ["require_exam"]
    assert not [c for c in commands_for(world, creator) if c["reason"]["rule"] == "exam_missed:vx"]

    (world.tmp / "now").write_text("2024-03-05T00:00:00Z")  # the deadline (03-04 02:00Z) is now in the past
    world.live.wait(lambda: world.worker.counts()["deadlines"].get("exam_due"), timeout=30, what="exam_due published")
    settle(world)
    missed = [c for c in commands_for(world, creator) if c["reason"]["rule"] == "exam_missed:vx"]
    assert [c["action"] for c in missed] == ["restrict_listings"]
    assert missed[0]["effective_from"] == "2024-03-04T02:00:00Z"  # stamped with the deadline, not the clock

    passed = orjson.dumps({"event_id": "exam-1-pass", "creator_id": creator, "occurred_at": "2024-03-06T10:00:00+08:00",
                           "source": "exam-service", "type": "exam_passed", "exam_id": "x1", "violation_id": "vx"})
    publish(world, passed, source="exam-service", topic=world.settings.topic_exams)
    settle(world)
    lifts = [c for c in commands_for(world, creator) if c["action"] == "lift" and c["lifts"] == missed[0]["command_id"]]
    assert len(lifts) == 1 and lifts[0]["reason"]["rule"] == "lift:exam_passed"
    assert world.worker.get(f"/creators/{creator}")[1]["pending_exams"] == []


def metrics_report(creator: str, eid: str, day: int, rate: float) -> bytes:
    return orjson.dumps({"event_id": eid, "creator_id": creator, "occurred_at": f"2024-03-{day:02d}T06:00:00+08:00", "source": "metrics.service",
                         "type": "service_metrics_reported", "report_id": f"svc-{creator}-{day}", "period_start": f"2024-03-{day - 1:02d}T00:00:00+08:00",
                         "period_end": f"2024-03-{day:02d}T00:00:00+08:00", "orders": 500, "logistics_on_time_rate": rate,
                         "after_sales_resolution_rate": rate, "customer_service_response_rate": rate})


def test_operator_scores_fold_live_into_resource_commands_and_the_query_api(world):
    """Metric reports on their own topic: the score agent grants and withholds on the resources topic; a violation
    (on the violations topic) weighs on store experience; the penalty fold reads past the reports."""
    creator, s = "shop-live", world.settings
    publish(world, metrics_report(creator, "m-1", 2, 0.97), source="metrics.service", topic=s.topic_metrics)
    publish(world, event(creator, "m-v1", occurred_at="2024-03-03T10:00:00+08:00", severity="serious"))
    publish(world, metrics_report(creator, "m-2", 4, 0.6), source="metrics.service", topic=s.topic_metrics)
    publish(world, metrics_report(creator, "m-2", 4, 0.6), source="metrics.service", topic=s.topic_metrics)  # delivered twice
    counts = settle(world)
    world.live.wait(lambda: world.worker.counts()["scores"]["folded"] >= 3, timeout=60, what="the score agent to fold the reports")
    resources = [c for c in map(orjson.loads, read_values(s, s.topic_resources)) if c["creator_id"] == creator]
    assert [(c["action"], c["resource"], c["band"]) for c in resources] == [
        ("grant", "activity_entry", "excellent"), ("grant", "subsidy", "excellent"), ("grant", "traffic_boost", "excellent"),
        ("withhold", "traffic_boost", "good"),
        ("withhold", "activity_entry", "poor"), ("withhold", "subsidy", "poor")]
    assert world.worker.counts()["scores"]["duplicates"] >= 1 and counts["skipped"] >= 3
    status, body = world.worker.get(f"/creators/{creator}/scores")
    assert status == 200 and body["scores"]["store_experience"]["band"] == "poor"
    assert set(body["scores"]) == {"store_experience", "product", "promoter_reputation"}
    assert world.worker.get("/creators/nobody/scores")[0] == 404


def test_live_equals_replay_of_the_journal_and_the_query_api_agrees(world):
    settle(world)
    s = world.settings
    replayer = Replayer(world.live.rulebooks(s))
    expected = [c.as_dict() for c in replayer.run(decode_trusted(v) for v in read_values(s, s.topic_journal))]
    actual = [orjson.loads(v) for v in read_values(s, s.topic_penalties)]
    assert actual, "no commands at all"
    assert {c["command_id"]: c for c in actual} == {c["command_id"]: c for c in expected}
    for creator in replayer.states:  # per creator, the same commands in the same order
        assert [c for c in actual if c["creator_id"] == creator] == [c for c in expected if c["creator_id"] == creator]
    for creator, state in replayer.states.items():
        status, body = world.worker.get(f"/creators/{creator}")
        if status == 404:  # only refused events: the fold never stored a state
            assert state.base.clock == 0 and not state.tail
            continue
        assert status == 200
        body.pop("recent_events")
        assert body == replayer.projection.view(state)
    assert world.worker.get("/creators/nobody")[0] == 404
    # the scores too: the resources topic is what the journal folds to
    scores = Replayer(projections.scores(load_score_policy()))
    expected = [c.as_dict() for c in scores.run(decode_trusted(v) for v in read_values(s, s.topic_journal))]
    actual = [orjson.loads(v) for v in read_values(s, s.topic_resources)]
    assert expected and {c["command_id"]: c for c in actual} == {c["command_id"]: c for c in expected}
    for creator, state in scores.states.items():
        assert world.worker.get(f"/creators/{creator}/scores")[1] == scores.projection.view(state)


def test_every_input_is_accounted_for_end_to_end(world):
    """`tally audit intake` on the live topics: every input record journaled or dead-lettered, nothing refused
    because of the order it was journaled in."""
    import os
    import subprocess
    import sys

    from streams.process import settings_env

    settle(world)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    env.update(settings_env(world.settings))
    done = subprocess.run([sys.executable, "-m", "cli.main", "audit", "intake", "--json"], env=env, capture_output=True, timeout=120)
    verdict = orjson.loads(done.stdout)
    assert done.returncode == 0 and verdict["agree"], done.stdout.decode() + done.stderr.decode()
    assert verdict["inputs"] == world.state["published"] and verdict["missing"] == []
    assert verdict["journaled"] + sum(verdict["dead_lettered"].values()) == verdict["inputs"]
    assert verdict["dead_lettered"]["bad_signature"] == 1


def test_live_and_ready_are_separate_and_nothing_is_stalled(world):
    settle(world)
    assert world.worker.get("/live") == (200, {"status": "live", "stalled": []})
    status, body = world.worker.get("/health")
    assert status == 200 and body["status"] == "ok" and body["stalled"] == []


def test_metrics_are_prometheus_text(world):
    status, text = world.worker.get("/metrics")
    assert status == 200
    assert "tally_partitions_stalled 0" in text
    assert 'tally_events_rejected_total{reason="unknown_violation_code"} 1' in text
    assert 'tally_deadletter_total{reason="bad_signature"} 1' in text
    assert "tally_fold_seconds_count" in text and "tally_consumer_lag" in text
    assert 'tally_commands_total{action="lift"}' in text
    # an idle, caught-up worker: no lag on any input or journal partition, and changelogs are not counted
    settle(world)
    world.live.wait(lambda: "tally_consumer_lag{" in (t := world.worker.get("/metrics")[1]) and all(
        line.endswith(" 0") for line in t.splitlines() if line.startswith("tally_consumer_lag{")), timeout=30, what="lag 0 everywhere")
    lag_lines = [line for line in world.worker.get("/metrics")[1].splitlines() if line.startswith("tally_consumer_lag{")]
    assert lag_lines and not any("changelog" in line for line in lag_lines)
