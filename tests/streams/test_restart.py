"""A worker on the RocksDB store (rocksdict) keeps its table across a restart, and an event delivered again
after the restart folds once: no second deduction, no new command. Publishing and reading go through the
`tally publish` and `tally tail` commands. A journal read again from the start (the committed offsets lost,
as after a crash between recording states and committing) is counted as redelivered: no dead letter."""

import os
import subprocess
import sys

import orjson

from streams.process import WorkerProcess, settings_env


def tally(settings, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    env.update(settings_env(settings))
    return subprocess.run([sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, timeout=60, check=True)


def test_rocksdb_state_survives_a_restart_and_redelivery_folds_once(broker, live, tmp_path):
    settings = live.settings(broker, tmp_path, store="rocksdb://", session_timeout=3.0)
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(orjson.dumps(e) for e in [
        {"event_id": "r-1", "creator_id": "rocky", "occurred_at": "2024-03-01T10:00:00+08:00", "source": "detector.a",
         "type": "violation_recorded", "violation_id": "rv-1", "code": "prohibited_goods", "severity": "general"},
        {"event_id": "r-2", "creator_id": "rocky", "occurred_at": "2024-03-02T10:00:00+08:00", "source": "appeal-desk",
         "type": "appeal_filed", "violation_id": "rv-1", "statement": "not mine"},
    ]) + b"\n")

    def commands():
        out = tally(settings, "tail", "--topic", "penalties", "--no-follow").stdout
        return [orjson.loads(line) for line in out.splitlines() if line.strip()]

    worker = WorkerProcess(settings, log_path=str(tmp_path / "first.log")).start()
    try:
        worker.ready(timeout=90)
        tally(settings, "publish", str(events))  # routed by type: violations, appeals
        live.wait(lambda: worker.counts()["folded"] == 2, timeout=30, what="both events folded")
        before = worker.get("/creators/rocky")[1]
    finally:
        worker.stop()
    first = commands()
    assert first and before["score"] == "6" and before["pending_appeals"] == ["rv-1"]
    assert list((tmp_path / "data").rglob("creators-*.db")), "no RocksDB files written"

    worker = WorkerProcess(settings, log_path=str(tmp_path / "second.log")).start()
    try:
        worker.ready(timeout=90)
        status, after = worker.get("/creators/rocky")
        assert status == 200 and after == before  # restored from the local store (and changelog)
        tally(settings, "publish", str(events))  # the same two events again
        live.wait(lambda: worker.counts()["duplicates"] == 2, timeout=30, what="re-sent events seen as duplicates")
        assert worker.get("/creators/rocky")[1] == before
    finally:
        worker.stop()
    assert commands() == first

    rewind_journal(settings)  # the four journal records will all be delivered again
    worker = WorkerProcess(settings, log_path=str(tmp_path / "third.log")).start()
    try:
        worker.ready(timeout=90)
        live.wait(lambda: worker.counts()["redelivered"] == 4, timeout=30, what="the journal delivered again, counted as such")
        counts = worker.counts()
        assert (counts["duplicates"], counts["deadlettered"], counts["commands"]) == (0, {}, {})
        # The score side counts them alike: the two violation records are redelivered, not duplicates.
        live.wait(lambda: worker.counts()["scores"]["redelivered"] == 2, timeout=30, what="the score side to count them as redelivered")
        assert worker.counts()["scores"]["duplicates"] == 0
        assert worker.get("/creators/rocky")[1] == before
    finally:
        worker.stop()
    assert commands() == first


def rewind_journal(settings) -> None:
    """Commit offset 0 on every journal partition for the workers' consumer group (no worker running)."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    from streams.connection import kafka_python_options

    consumer = KafkaConsumer(group_id=settings.app_id, enable_auto_commit=False, **kafka_python_options(settings))
    try:
        partitions = [TopicPartition(settings.topic_journal, p) for p in sorted(consumer.partitions_for_topic(settings.topic_journal))]
        consumer.commit({tp: OffsetAndMetadata(0, "", -1) for tp in partitions})
        assert all(consumer.committed(tp) == 0 for tp in partitions)
    finally:
        consumer.close()
