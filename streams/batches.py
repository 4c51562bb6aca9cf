"""The fold agent's acknowledgement protocol, as a plain class: what makes at-least-once safe.

Events are folded one by one, each on top of the batch's earlier decisions, and acknowledged in
batches. For each batch, in this order:

1. every event is folded and its commands are kept, in order (`take`);
2. the batch's commands are handed to the producer, all at once, and their acknowledgements by the broker are
   awaited (`settle`);
3. every creator's new state is written to the table, and the broker's acknowledgements of the changelog
   records are awaited;
4. every event of the batch is acknowledged, so its offset may be committed.

Why the commands wait for step 2: handed over one event at a time, the producer sent a request per event (Faust's
stream yields to the event loop between events, and the producer sends whatever it holds when it runs), about four
records each. Handed over together, they leave in as few requests as the batch size allows. A lone event is not
delayed: the agent settles whenever no more records are waiting.

A crash at any point leaves the uncommitted events to be delivered again. Their creators' states
are either the new ones (step 3 done for them: the event is then a duplicate and sends nothing)
or the old ones (the fold decides again exactly as before: the same commands, with the same ids).
So a command can be repeated, with its id, but never lost, and no state is recorded ahead of the
commands it implies. `tests/streams/test_batches.py` crashes it at every step to show this.

Why step 3 awaits the changelog: Faust flushes its producer before it commits offsets, but its buffer's flush gives
up after 0.1 s without a send (faust/transport/producer.py, `flush_atmost`), so a commit can go out while the state
writes behind it are still in the buffer. A worker killed then would have its events committed and their states
lost, and the next owner would resume after the events with the states before them. Read in Faust's code, not seen
in a run; the cost is one changelog round trip per batch.

Faust-free: `build_app` wires it to the agent's stream, the producer and the table.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


Folded = tuple[str, bytes, Any, list[Any]]
"""What folding one event decided for one projection: its name, the creator key, the state after it, the commands
(as `send` takes them). `fold` returns one, a list (one per projection the record concerns), or None."""


class FoldBatches:
    def __init__(
        self,
        fold: Callable[[Any, "FoldBatches"], Awaitable[Folded | None]],
        send: Callable[[bytes, Any], Awaitable[Awaitable[Any]]],
        store: Callable[[Any, str, bytes, Any], Awaitable[Awaitable[Any]]],
        ack: Callable[[Any], Awaitable[None]],
        max_batch: int,
    ):
        """`fold(event, batch)`: what folding the event decided, on top of `batch.earlier(key)` if the batch has
        touched its creator; None if there is no state to record (it could not be folded and was dead-lettered). `send(key, command)` returns the future of the broker's acknowledgement.
        `store(event, projection, key, state)` writes that projection's table and returns the future of the write's
        acknowledgement; `ack(event)` lets its offset be committed."""
        self.fold, self.send, self.store, self.ack, self.max_batch = fold, send, store, ack, max_batch
        self.lock = asyncio.Lock()
        """`take` and `settle` one at a time: the agent takes and settles, and `settle_if_idle` may settle from a timer."""
        self.last_take = 0.0
        self.events: list[Any] = []
        self.commands: list[tuple[bytes, Any]] = []
        """(creator key, command) of the batch, in the order the fold made them."""
        self.decided: dict[tuple[str, bytes], tuple[Any, Any]] = {}
        """(projection, creator key) -> (the latest event of theirs in the batch, their state after it). One journal
        record can decide a state of each projection (a violation weighs on the penalties and on the scores)."""

    @property
    def full(self) -> bool:
        return len(self.events) >= self.max_batch

    def earlier(self, key: bytes, projection: str = "penalties") -> Any:
        """A creator's state (of a projection) as this batch left it, or None if the batch has not touched it."""
        decided = self.decided.get((projection, key))
        return decided[1] if decided is not None else None

    async def take(self, event: Any, now: float = 0.0) -> None:
        async with self.lock:
            self.last_take = now
            self.events.append(event)
            folded = await self.fold(event, self)
            for projection, key, state, commands in ([] if folded is None else [folded] if isinstance(folded, tuple) else folded):
                self.decided[(projection, key)] = (event, state)  # the fold updated the state in place: this batch's to store
                self.commands.extend((key, command) for command in commands)

    async def settle(self) -> int:
        """Steps 2 to 4 for the batch so far; returns how many events it held (0 if another settle took them)."""
        async with self.lock:
            events, commands, decided = self.events, self.commands, self.decided
            self.events, self.commands, self.decided = [], [], {}
            acks = [await self.send(key, command) for key, command in commands]
            await asyncio.gather(*acks)
            writes = [await self.store(event, projection, key, state) for (projection, key), (event, state) in decided.items()]
            await asyncio.gather(*writes)
            for event in events:
                await self.ack(event)
            return len(events)

    async def settle_if_idle(self, now: float, idle: float) -> int:
        """Settle a batch nothing was added to for `idle` seconds. The agent settles when its channel is empty; but a
        rebalance clears the channel after the agent decided not to settle (more events were waiting), and then waits
        for every taken event to be acknowledged while no new event comes: without this, the batch is never settled,
        the rebalance never ends and the group stalls (found by bench/kill_loop.py)."""
        if self.events and now - self.last_take >= idle:
            return await self.settle()
        return 0
