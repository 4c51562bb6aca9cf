"""A catch-up: a year of history for many creators already on the three input topics, published topic by topic
(every exam result first, then every appeal, then every violation; each topic in arrival order), and one worker
started after. Intake
aligns the topics by event time, so the journal folds what an in-order replay folds: no too_late, every
input accounted for (`tally audit intake`), each creator standing where an event-time-order replay stands."""

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import orjson
from kafka import KafkaProducer

from schemas.codec import decode_trusted
from service.replay import Replayer
from schemas.instants import parse_instant
from streams.broker import free_port
from streams.clients import publish_signed, read_values
from streams.connection import kafka_python_options
from streams.journal_reader import TopicReader
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


def publish_topic_by_topic(settings, live, events: list[dict]) -> None:
    producer = KafkaProducer(linger_ms=0, batch_size=1, **kafka_python_options(settings))
    try:
        for kind in ("exam_", "appeal_", "violation_"):  # a topic at a time: the worst interleaving for intake
            for event in (e for e in events if e["type"].startswith(kind)):
                value = orjson.dumps(event)
                publish_signed(producer, settings.topic_for(event["type"]), value, event["source"], live.keys[event["source"]].encode())
    finally:
        producer.close()


def published_history(broker, live, tmp_path, creators: int, now: str, **overrides):
    """Settings with the scheduler's clock at `now`, and the history of `creators` published topic by topic before any
    worker starts."""
    settings = live.settings(broker, tmp_path, **overrides)
    Path(settings.clock_file).write_text(now)
    events = history(creators)
    publish_topic_by_topic(settings, live, events)
    return settings, events


def assert_stands_as(worker: WorkerProcess, replayer: Replayer) -> None:
    """Every creator the replay knows stands in the worker's table as in the replay."""
    for creator, state in replayer.states.items():
        status, body = worker.get(f"/creators/{creator}")
        assert status == 200, creator
        recent = body.pop("recent_events")
        expected = replayer.projection.view(state)
        assert body == expected, f"{creator}: live {body}, recent {recent}; replay {expected}; journal {journal_of(worker.settings, creator)}"


def journal_of(settings, creator: str) -> list[tuple]:
    """A creator's journal records as (journal offset, event time, type, event id): what to look at when a creator
    does not stand where it should (the order the fold saw)."""
    with TopicReader(settings, settings.topic_journal) as reader:
        return [(r.offset, e["occurred_at"], e["type"], e["event_id"]) for r in reader if (e := orjson.loads(r.value))["creator_id"] == creator]


def in_order_replay(events: list[dict], rulebooks) -> Replayer:
    """The events replayed in event-time order: where an in-order arrival leaves every creator."""
    replayer = Replayer(rulebooks)
    for event in sorted(events, key=lambda e: (parse_instant(e["occurred_at"]), e["event_id"])):
        replayer.feed(event)
    return replayer


def assert_audit_intake_agrees(settings, journaled: int) -> None:
    """`tally audit intake`: every input journaled or dead-lettered, no refusal the journal's order caused."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    env.update(settings_env(settings))
    done = subprocess.run([sys.executable, "-m", "cli.main", "audit", "intake", "--json"], env=env, capture_output=True, timeout=120)
    verdict = orjson.loads(done.stdout)
    assert done.returncode == 0 and verdict["agree"] and verdict["journaled"] == journaled, done.stdout.decode()[:2000]


def test_a_catch_up_across_the_three_topics_is_journaled_in_event_time_order(broker, live, tmp_path):
    settings, events = published_history(broker, live, tmp_path, 40, now="2023-06-01T00:00:00Z")  # the scheduler's now: before the history

    worker = WorkerProcess(settings, log_path=str(tmp_path / "worker.log")).start()
    try:
        worker.ready(timeout=90)

        def caught_up():
            counts = worker.counts()
            return sum(counts["intake_received"].values()) == len(events) and counts["fold_received"] == sum(counts["journaled"].values()) and counts

        counts = live.wait(caught_up, timeout=40, what="the catch-up journaled and folded")
        assert "too_late" not in counts["rejected"], counts["rejected"]
        assert sum(counts["journaled"].values()) == len(events)

        in_order = in_order_replay(events, live.rulebooks(settings))
        assert_stands_as(worker, in_order)
    finally:
        worker.stop()

    # Restarted, live again: a lone new violation is journaled at once. The input partitions hold only committed
    # records, so nothing is waited for (intake must not count records committed before the restart as unread).
    worker = WorkerProcess(settings, log_path=str(tmp_path / "restarted.log")).start()
    try:
        worker.ready(timeout=90)
        # The table was restored from its changelog (memory store), written in multi-record batches: all of it.
        assert_stands_as(worker, in_order)
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

    assert_audit_intake_agrees(settings, journaled=len(events) + 1)


def test_with_the_scheduler_on_today_a_catch_up_fires_deadlines_only_once_caught_up(broker, live, tmp_path):
    """The scheduler's clock is past the whole history (issue 8, item 2). While a partition catches up its events carry
    time forward and no deadline is fired; once caught up, the deadlines still pending are fired. None is refused as
    too_late, and the creators stand where a replay of the journal (deadlines included) stands."""
    settings, events = published_history(broker, live, tmp_path, 40, now="2026-01-01T00:00:00Z")

    worker = WorkerProcess(settings, log_path=str(tmp_path / "worker.log")).start()
    try:
        worker.ready(timeout=90)

        def settled():
            counts = worker.counts()
            deadlines = sum(counts["deadlines"].values())
            everything = sum(counts["intake_received"].values()) == len(events)
            folded = counts["fold_received"] == sum(counts["journaled"].values()) + deadlines
            return everything and folded and deadlines and counts

        def settled_twice():  # a second look after several scheduler passes: nothing more was due
            before = settled()
            time.sleep(1.0)
            after = settled()
            return before and after and before["deadlines"] == after["deadlines"] and after

        counts = live.wait(settled_twice, timeout=90, what="the catch-up folded and its deadlines fired and folded")
        assert "too_late" not in counts["rejected"], counts["rejected"]

        replay = Replayer(live.rulebooks(settings))
        for value in read_values(settings, settings.topic_journal):
            replay.feed(decode_trusted(value))
        assert_stands_as(worker, replay)
    finally:
        worker.stop()


def test_a_catch_up_with_a_worker_killed_half_way_folds_as_an_in_order_replay(broker, live, tmp_path):
    """Two workers share the catch-up; one is killed with SIGKILL half way and not restarted. The survivor takes its
    partitions over (input and journal records it had not committed are read again, journaled or folded again as
    duplicates) and every creator ends where an in-order replay ends: no too_late anywhere, every input accounted for."""
    a, events = published_history(broker, live, tmp_path, 160, now="2023-06-01T00:00:00Z", partitions=4, session_timeout=3.0,
                                  data_dir=str(tmp_path / "a"))
    b = a.model_copy(update={"web_port": free_port(), "data_dir": str(tmp_path / "b")})

    victim = WorkerProcess(a, log_path=str(tmp_path / "a.log")).start()
    survivor = WorkerProcess(b, log_path=str(tmp_path / "b.log")).start()
    try:
        victim.ready(timeout=90)
        survivor.ready(timeout=90)
        live.wait(lambda: victim.counts()["fold_received"] >= 50, timeout=60, what="the victim folding")
        victim.kill()

        inputs = {*a.input_topics, a.topic_journal}

        seen: list = []

        def all_committed():
            status, body = survivor.get("/health")
            offsets = {name: o for name, o in body["offsets"].items() if name.rsplit(":", 1)[0] in inputs}
            behind = {name: o for name, o in offsets.items() if o["end"] is None or (o["committed"] or 0) != o["end"]}
            seen[:] = [status, sorted(offsets), behind, body.get("counts")]
            return status == 200 and len(offsets) == 4 * len(inputs) and not behind

        try:
            live.wait(all_committed, timeout=180, what="the survivor to take every partition over and commit it to the end")
        except AssertionError as error:
            raise AssertionError(f"{error}; the survivor's last /health (status, partitions, behind, counts): {seen}") from None
        assert_stands_as(survivor, in_order_replay(events, live.rulebooks(a)))
    finally:
        victim.stop()
        survivor.stop()

    reasons = Counter(orjson.loads(value)["reason"] for value in read_values(a, a.topic_deadletter))
    assert "too_late" not in reasons, reasons
    assert_audit_intake_agrees(a, journaled=len(events))
