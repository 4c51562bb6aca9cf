"""The fold agent's acknowledgement protocol (streams.batches.FoldBatches), crashed at every step.

No broker: a journal in a list, a penalties log, a table of stored bytes and a committed offset stand
in for Kafka, with the real fold. A crash loses whatever was not done: commands and state writes handed
to the producer but not yet acknowledged (or, in the other variant, delivered anyway), events not yet
acknowledged. A restarted worker resumes at the committed offset with the table as it is.
Whatever the crash point: no command is lost, a repeated command repeats its id with the same bytes,
and the creators end where an uninterrupted worker leaves them.
"""

import asyncio
import random
from collections import Counter

import orjson
import pytest

from projections.fold import compact, fold
from projections.standing import view
from projections.state import from_bytes, to_bytes
from service.files import read_events
from service.policies import shipped_rulebooks
from schemas.codec import Rejection, encode
from streams.batches import FoldBatches
from tests.policies.golden import SAMPLES

RULEBOOKS = shipped_rulebooks()
JOURNAL = [encode(event) for path in ("douyin-creator-2022", "shopee", "kuaishou-shop-2021-merchant")
           for _, event in read_events(str(SAMPLES / f"{path}.jsonl")) if not isinstance(event, Rejection)]


class Crash(Exception):
    pass


class Broker:
    """What survives a crash: the penalties log, the table, the committed offset."""

    def __init__(self) -> None:
        self.log: list[bytes] = []
        self.table: dict[bytes, bytes] = {}
        self.committed = 0


class Acknowledgement:
    """The broker's acknowledgement of one send (a command, or a state's changelog record): awaiting it is when the
    record is known to be in the log."""

    def __init__(self, worker: "Worker", record):
        self.worker, self.record = worker, record

    def __await__(self):
        self.worker.acknowledge(self.record)
        return iter(())


class Worker:
    """One life of a worker: from the committed offset until the end of the journal or a crash at step `crash_at`."""

    def __init__(self, broker: Broker, crash_at: int | None, deliver_in_flight: bool, seed: int):
        self.broker, self.crash_at, self.deliver_in_flight = broker, crash_at, deliver_in_flight
        self.steps, self.in_flight, self.acked = 0, [], set()
        self.random = random.Random(seed)

    def step(self) -> None:
        self.steps += 1
        if self.steps == self.crash_at:
            raise Crash

    async def fold(self, offset: int, batch: FoldBatches):
        event = orjson.loads(JOURNAL[offset])
        key = event["creator_id"].encode()
        state = batch.earlier(key)
        if state is None and key in self.broker.table:
            state = from_bytes(self.broker.table[key])
        folded = fold(state, event, RULEBOOKS)
        return "penalties", key, folded.state, [encode(command) for command in folded.commands]

    async def send(self, key: bytes, command: bytes):
        self.step()
        self.in_flight.append(command)
        return Acknowledgement(self, command)

    def acknowledge(self, record) -> None:
        self.step()
        if record in self.in_flight:
            self.in_flight.remove(record)
            self.land(record)

    def land(self, record) -> None:
        if isinstance(record, tuple):  # (key, state bytes): a changelog record
            self.broker.table[record[0]] = record[1]
        else:
            self.broker.log.append(record)

    async def store(self, offset: int, projection: str, key: bytes, state):
        self.step()
        record = (key, to_bytes(compact(state, RULEBOOKS)))
        self.in_flight.append(record)
        return Acknowledgement(self, record)

    async def ack(self, offset: int) -> None:
        self.step()
        self.acked.add(offset)
        while self.broker.committed in self.acked:  # Kafka commits the contiguous acknowledged prefix
            self.broker.committed += 1

    async def run(self) -> bool:
        batches = FoldBatches(self.fold, self.send, self.store, self.ack, max_batch=self.random.choice((1, 3, 8, 500)))
        try:
            for offset in range(self.broker.committed, len(JOURNAL)):
                await batches.take(offset)
                if batches.full or self.random.random() < 0.3 or offset == len(JOURNAL) - 1:  # "nothing more waiting"
                    await batches.settle()
        except Crash:
            if self.deliver_in_flight:
                for record in self.in_flight:  # sent before the crash, acknowledged after it
                    self.land(record)
            return False
        return True


def run_to_end(crash_at: int | None, deliver_in_flight: bool = False, seed: int = 0) -> Broker:
    broker = Broker()
    lives = 0
    while not asyncio.run(Worker(broker, crash_at if lives == 0 else None, deliver_in_flight, seed + lives).run()):
        lives += 1
    return broker


def standing(broker: Broker) -> dict:
    return {key: view(from_bytes(raw), RULEBOOKS) for key, raw in sorted(broker.table.items())}


CLEAN = run_to_end(None)


def test_the_clean_run_sends_every_command_once():
    ids = Counter(orjson.loads(command)["command_id"] for command in CLEAN.log)
    assert ids and max(ids.values()) == 1
    assert CLEAN.committed == len(JOURNAL)


def _steps_of_a_clean_life() -> int:
    worker = Worker(Broker(), None, False, 0)
    asyncio.run(worker.run())
    return worker.steps


@pytest.mark.parametrize("deliver_in_flight", [False, True], ids=["in-flight-lost", "in-flight-delivered"])
def test_a_crash_at_any_step_loses_nothing_and_repeats_only_ids(deliver_in_flight):
    expected = set(CLEAN.log)
    total = _steps_of_a_clean_life()
    assert total > 3 * len(JOURNAL)  # sends, acknowledgements, stores and acks are all crash points
    for crash_at in range(1, total + 1):
        broker = run_to_end(crash_at, deliver_in_flight, seed=crash_at)
        sent = set(broker.log)
        assert sent == expected, f"crash at step {crash_at}: lost {len(expected - sent)}, unexpected {len(sent - expected)}"
        by_id: dict[str, bytes] = {}
        for command in broker.log:  # a repeat is the same command: same id, same bytes
            assert by_id.setdefault(orjson.loads(command)["command_id"], command) == command
        assert standing(broker) == standing(CLEAN), f"crash at step {crash_at}"
        assert broker.committed == len(JOURNAL)


def test_a_batch_left_open_is_settled_once_idle_and_only_once():
    """A rebalance clears the agent's channel after it chose not to settle (more events were waiting); the rebalance
    then waits for every taken event to be acknowledged. The idle timer settles the batch, and the agent's own later
    settle finds nothing left to do."""
    acked, stored, sent = [], [], []

    async def fold_one(event, batch):
        return "penalties", event.encode(), {"state of": event}, [f"command for {event}".encode()]

    def acknowledged():
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def send(key, command):
        sent.append(command)
        return acknowledged()

    async def store(event, projection, key, state):
        stored.append(key)
        return acknowledged()

    async def ack(event):
        acked.append(event)

    async def scenario():
        batches = FoldBatches(fold_one, send, store, ack, max_batch=100)
        await batches.take("e1", now=10.0)
        await batches.take("e2", now=10.01)
        assert await batches.settle_if_idle(10.03, idle=0.05) == 0  # not idle yet
        assert await batches.settle_if_idle(10.07, idle=0.05) == 2
        assert await batches.settle() == 0 and await batches.settle_if_idle(20.0, idle=0.05) == 0

    asyncio.run(scenario())
    assert acked == ["e1", "e2"] and stored == [b"e1", b"e2"] and len(sent) == 2
