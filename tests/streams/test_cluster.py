"""Two workers in one group: queries are routed to the owner of a creator, and when one worker is killed
(no goodbye to the group) the other takes its partitions, restores their state from the changelog, and the
commands still equal a replay of the journal: repeats allowed (same id, same content), nothing lost. Nothing
is done by hand: the survivor must carry on by itself (docs/streams.md, "A survivor that skipped or stalled")."""

import orjson
import pytest
from kafka import KafkaProducer

from projections.standing import view
from service.replay import Replayer
from schemas.codec import decode_trusted
from streams.broker import free_port
from streams.clients import publish_signed, read_values
from streams.connection import kafka_python_options
from streams.process import WorkerProcess

CREATORS = [f"cl-{n}" for n in range(12)]


def violation(creator: str, n: int, code: str = "false_advertising"):
    return orjson.dumps({"event_id": f"{creator}-e{n}", "creator_id": creator, "occurred_at": f"2024-03-0{n}T10:00:00+08:00",
                         "source": "detector.a", "type": "violation_recorded", "violation_id": f"{creator}-v{n}", "code": code,
                         "severity": "general"})


def journal_and_expected(settings, rulebooks):
    journal = [decode_trusted(v) for v in read_values(settings, settings.topic_journal)]
    replayer = Replayer(rulebooks)
    return journal, [c.as_dict() for c in replayer.run(journal)], replayer


def owned(worker) -> set[str]:
    status, body = worker.get("/health")
    return {p for p in body["partitions"] if p.startswith(worker.settings.topic_journal + ":")} if status == 200 else set()


@pytest.fixture(scope="module")
def cluster(broker, live, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    # stall_seconds: a stall shows in the worker log, with the consumer's view of the partition, well before the test gives up
    a = live.settings(broker, tmp, partitions=4, session_timeout=3.0, data_dir=str(tmp / "a"), stall_seconds=15)
    b = a.model_copy(update={"web_port": free_port(), "data_dir": str(tmp / "b")})
    workers = [WorkerProcess(a, str(tmp / "a.log")).start(), WorkerProcess(b, str(tmp / "b.log")).start()]
    try:
        for worker in workers:
            worker.ready(timeout=90)
        everything = {f"{a.topic_journal}:{p}" for p in range(a.partitions)}
        live.wait(lambda: (owned(workers[0]) | owned(workers[1])) == everything and not owned(workers[0]) & owned(workers[1])
                  and owned(workers[0]) and owned(workers[1]), timeout=60, what="both workers to own journal partitions")
        yield a, workers
    finally:
        for worker in workers:
            worker.stop()


def test_queries_are_routed_to_the_owner(cluster, live):
    settings, (a, b) = cluster
    rulebooks = live.rulebooks(settings)
    producer = KafkaProducer(linger_ms=0, batch_size=1, **kafka_python_options(settings))
    key = live.keys["detector.a"].encode()
    for creator in CREATORS:
        publish_signed(producer, settings.topic_violations, violation(creator, 1), "detector.a", key)

    def caught_up():
        journal, expected, replayer = journal_and_expected(settings, rulebooks)
        actual = {c["command_id"] for c in map(orjson.loads, read_values(settings, settings.topic_penalties))}
        ids = {e["event_id"] for e in journal}
        return ids == {f"{c}-e1" for c in CREATORS} and actual == {c["command_id"] for c in expected} and replayer

    replayer = live.wait(caught_up, timeout=60, what="first round folded")
    producer.close()
    for creator in CREATORS:  # both workers answer for every creator: one from its table, the other by forwarding
        expected_view = view(replayer.states[creator], rulebooks)
        for worker in (a, b):
            def answers(worker=worker, creator=creator):
                status, body = worker.get(f"/creators/{creator}")
                if status == 200:
                    body.pop("recent_events")
                return (status, body) if status == 200 and body == expected_view else None

            live.wait(answers, timeout=20, what=f"{worker.url} to answer for {creator}")  # 503 while a rebalance settles


def test_a_killed_worker_loses_nothing(cluster, live):
    settings, (a, b) = cluster
    rulebooks = live.rulebooks(settings)
    producer = KafkaProducer(linger_ms=0, batch_size=1, **kafka_python_options(settings))
    key = live.keys["detector.a"].encode()
    a.kill()  # no LeaveGroup: b gets a's partitions after the session timeout
    for creator in CREATORS:
        publish_signed(producer, settings.topic_violations, violation(creator, 2, "inappropriate_content"), "detector.a", key)
    producer.close()

    progress = {}

    def recovered():
        journal, expected, replayer = journal_and_expected(settings, rulebooks)
        actual = [orjson.loads(v) for v in read_values(settings, settings.topic_penalties)]
        # a killed worker's uncommitted input is read again by b and journaled twice: the fold dedupes it
        progress["not journaled"] = sorted({f"{c}-e{n}" for c in CREATORS for n in (1, 2)} - {e["event_id"] for e in journal})
        published = {c["command_id"] for c in actual}
        progress["commands not published"] = [f"{c['creator_id']} {c['action']} {c['reason']['rule']} {c['reason']['caused_by']}"
                                              for c in expected if c["command_id"] not in published]
        return not any(progress.values()) and (expected, actual, replayer)

    try:
        expected, actual, replayer = live.wait(recovered, timeout=90, what="b to take over and fold the second round")
    except AssertionError as error:
        raise AssertionError(f"{error}; {progress}; b's health: {b.get('/health')[1]}") from None
    by_id = {c["command_id"]: c for c in expected}
    assert all(c == by_id[c["command_id"]] for c in actual)  # repeats, if any, are identical
    for creator in CREATORS:
        status, body = b.get(f"/creators/{creator}")
        assert status == 200
        body.pop("recent_events")
        assert body == view(replayer.states[creator], rulebooks)
