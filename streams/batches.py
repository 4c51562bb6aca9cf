"""The fold agent's acknowledgement protocol, as a plain class: what makes at-least-once safe.

Events are folded one by one, each on top of the batch's earlier decisions, and acknowledged in
batches. For each batch, in this order:

1. every event is folded and its commands are handed to the producer (`take`);
2. every command's acknowledgement by the broker is awaited (`settle`);
3. every creator's new state is written to the table;
4. every event of the batch is acknowledged, so its offset may be committed.

A crash at any point leaves the uncommitted events to be delivered again. Their creators' states
are either the new ones (step 3 done for them: the event is then a duplicate and sends nothing)
or the old ones (the fold decides again exactly as before: the same commands, with the same ids).
So a command can be repeated, with its id, but never lost, and no state is recorded ahead of the
commands it implies. `tests/streams/test_batches.py` crashes it at every step to show this.

Faust-free: `build_app` wires it to the agent's stream, the producer and the table.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from projections.state import CreatorState

Folded = tuple[bytes, CreatorState, list[bytes]]
"""What folding one event decided: the creator key, the creator's state after it, the commands (encoded)."""


class FoldBatches:
    def __init__(
        self,
        fold: Callable[[Any, "FoldBatches"], Awaitable[Folded | None]],
        send: Callable[[bytes, bytes], Awaitable[Awaitable[Any]]],
        store: Callable[[Any, bytes, CreatorState], Awaitable[None]],
        ack: Callable[[Any], Awaitable[None]],
        max_batch: int,
    ):
        """`fold(event, batch)`: what folding the event decided, on top of `batch.earlier(key)` if the batch has
        touched its creator; None if there is no state to record (it could not be folded and was dead-lettered). `send(key, command)` returns the future of the broker's acknowledgement.
        `store(event, key, state)` writes the table; `ack(event)` lets its offset be committed."""
        self.fold, self.send, self.store, self.ack, self.max_batch = fold, send, store, ack, max_batch
        self.events: list[Any] = []
        self.acks: list[Awaitable[Any]] = []
        self.decided: dict[bytes, tuple[Any, CreatorState]] = {}
        """Creator key -> (the latest event of theirs in the batch, their state after it)."""

    @property
    def full(self) -> bool:
        return len(self.events) >= self.max_batch

    def earlier(self, key: bytes) -> CreatorState | None:
        """A creator's state as this batch left it, or None if the batch has not touched them."""
        decided = self.decided.get(key)
        return decided[1] if decided is not None else None

    async def take(self, event: Any) -> None:
        self.events.append(event)
        folded = await self.fold(event, self)
        if folded is None:
            return
        key, state, commands = folded
        self.decided[key] = (event, state)  # the fold updated the state in place: this batch's to store
        for command in commands:
            self.acks.append(await self.send(key, command))

    async def settle(self) -> int:
        """Steps 2 to 4 for the batch so far; returns how many events it held."""
        events, acks, decided = self.events, self.acks, self.decided
        self.events, self.acks, self.decided = [], [], {}
        await asyncio.gather(*acks)
        for key, (event, state) in decided.items():
            await self.store(event, key, state)
        for event in events:
            await self.ack(event)
        return len(events)
