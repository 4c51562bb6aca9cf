"""A catch-up: a year of history for many creators already on the three input topics, published topic by topic
(every exam result first, then every appeal, then every violation; each topic in arrival order), and one worker
started after. Intake
aligns the topics by event time, so the journal folds what an in-order replay folds: no too_late, every
input accounted for (`tally audit intake`), each creator standing where an event-time-order replay stands."""

import os
import subprocess
import sys
from pathlib import Path

import orjson
from kafka import KafkaProducer

from projections.standing import view
from service.replay import Replayer
from schemas.instants import parse_instant
from streams.clients import publish_signed
from streams.connection import kafka_python_options
from streams.process import WorkerProcess, settings_env

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from synthetic_journal import journal  # noqa: E402

SOURCES = {"detector-a": "detector.a"}


def history(creators: int) -> list[dict]:
    """Input events in arrival order across creators, as detectors would have published them live (the scheduler's
    deadline events left out: the worker makes those)."""
    events = [dict(e) for e in journal(creators, 24) if e["source"] != "scheduler"]
    for event in events:
        event["source"] = SOURCES.get(event["source"], event["source"])
    return events


def test_a_catch_up_across_the_three_topics_is_journaled_in_event_time_order(broker, live, tmp_path):
    settings = live.settings(broker, tmp_path)
    Path(settings.clock_file).write_text("2023-06-01T00:00:00Z")  # the scheduler's now: before the history
    events = history(40)
    producer = KafkaProducer(linger_ms=0, batch_size=1, **kafka_python_options(settings))
    try:
        for kind in ("exam_", "appeal_", "violation_"):  # a topic at a time: the worst interleaving for intake
            for event in (e for e in events if e["type"].startswith(kind)):
                value = orjson.dumps(event)
                publish_signed(producer, settings.topic_for(event["type"]), value, event["source"], live.keys[event["source"]].encode())
    finally:
        producer.close()

    worker = WorkerProcess(settings, log_path=str(tmp_path / "worker.log")).start()
    try:
        worker.ready(timeout=90)

        def caught_up():
            counts = worker.counts()
            return sum(counts["intake_received"].values()) == len(events) and counts["fold_received"] == sum(counts["journaled"].values()) and counts

        counts = live.wait(caught_up, timeout=40, what="the catch-up journaled and folded")
        assert "too_late" not in counts["rejected"], counts["rejected"]
        assert sum(counts["journaled"].values()) == len(events)

        in_order = Replayer(live.rulebooks(settings))
        for event in sorted(events, key=lambda e: (parse_instant(e["occurred_at"]), e["event_id"])):
            in_order.feed(event)
        for creator, state in in_order.states.items():
            status, body = worker.get(f"/creators/{creator}")
            assert status == 200
            body.pop("recent_events")
            assert body == in_order.projection.view(state), creator
    finally:
        worker.stop()

    # Restarted, live again: a lone new violation is journaled at once. The input partitions hold only committed
    # records, so nothing is waited for (intake must not count records committed before the restart as unread).
    worker = WorkerProcess(settings, log_path=str(tmp_path / "restarted.log")).start()
    try:
        worker.ready(timeout=90)
        # The table was restored from its changelog (memory store), written in multi-record batches: all of it.
        for creator, state in in_order.states.items():
            status, body = worker.get(f"/creators/{creator}")
            assert status == 200, creator
            body.pop("recent_events")
            assert body == in_order.projection.view(state), creator
        lone = {"event_id": "lone-1", "creator_id": events[0]["creator_id"], "occurred_at": "2025-03-01T00:00:00Z", "source": "detector.a",
                "schema_version": 3, "type": "violation_recorded", "violation_id": "lone-v1", "code": "prohibited_goods", "severity": "general"}
        producer = KafkaProducer(linger_ms=0, batch_size=1, **kafka_python_options(settings))
        try:
            publish_signed(producer, settings.topic_violations, orjson.dumps(lone), "detector.a", live.keys["detector.a"].encode())
        finally:
            producer.close()
        counts = live.wait(lambda: (c := worker.counts())["fold_received"] >= 1 and c, timeout=60, what="the lone violation folded")
        assert counts["intake_waited_out"] == 0 and sum(counts["journaled"].values()) == 1
    finally:
        worker.stop()

    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    env.update(settings_env(settings))
    done = subprocess.run([sys.executable, "-m", "cli.main", "audit", "intake", "--json"], env=env, capture_output=True, timeout=120)
    verdict = orjson.loads(done.stdout)
    assert done.returncode == 0 and verdict["agree"] and verdict["journaled"] == len(events) + 1, done.stdout.decode()[:2000]
