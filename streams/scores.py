"""The operator scores, live: a second agent on the journal, with its own table and its own output topic.

It reads every journal record, as the penalty fold does (Faust acknowledges a record once both agents have),
folds the score events (`projections.scores.fold`) with the same acknowledgement protocol
(`streams.batches.FoldBatches`: commands acknowledged, then states recorded, then events acked), and skips
the others. Refused metric reports are dead-lettered here; a refused violation or decision is the penalty
fold's to dead-letter, and is only counted here.
"""

import logging
from typing import Any, Awaitable, Callable

import faust

from projections.scores.fold import SCORE_TYPES, fold_scores
from projections.scores.policy import ScorePolicy
from projections.scores.standing import score_view
from projections.scores.state import OperatorState, from_bytes, to_bytes
from schemas.codec import Rejection, decode_trusted, encode
from schemas.events import METRIC_TYPES
from streams.batches import FoldBatches
from streams.metrics import Metrics
from streams.settings import SCORE_TABLE, Settings

log = logging.getLogger("tally.streams.scores")


def attach_scores(app: faust.App, settings: Settings, policy: ScorePolicy, journal, resources, metrics: Metrics,
                  send: Callable[[Any, bytes, bytes], Awaitable[Any]], reject: Callable[[Rejection, Any], Awaitable[Any]]):
    """Add the score agent and its table to `app`; returns the table (the query API reads it)."""
    raw_schema = faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    table = app.Table(SCORE_TABLE, default=None, key_type=bytes, value_type=bytes, schema=raw_schema, partitions=settings.partitions)
    counts = metrics.scores

    async def fold_one(event, batch: FoldBatches):
        message = event.message
        try:
            journal_event = decode_trusted(message.value)
            if journal_event["type"] not in SCORE_TYPES:
                counts.skip()
                return None
            key = journal_event["creator_id"].encode()
            state: OperatorState | None = batch.earlier(key)
            if state is None:
                raw = table.get(key)
                state = from_bytes(raw) if raw is not None else None
            redelivered = state is not None and message.offset <= state.position
            folded = fold_scores(state, journal_event, policy)
        except Exception as error:  # a record we cannot fold must not stop the others
            log.exception("score fold failed on %s[%s]@%s", message.topic, message.partition, message.offset)
            counts.reject("score_fold_error")
            await reject(Rejection("score_fold_error", repr(error)), message)
            return None
        folded.state.position = max(folded.state.position, message.offset)
        outcome = folded.outcome
        if redelivered and (outcome.status == "duplicate" or outcome.reason == "too_late"):
            counts.read += 1
            counts.duplicates += 1
            return key, folded.state, []
        counts.record(folded)
        if outcome.status == "rejected" and journal_event["type"] in METRIC_TYPES:
            await reject(Rejection(outcome.reason, f"event {journal_event['event_id']} refused by the score fold"), message)
        return key, folded.state, [encode(command) for command in folded.commands]

    @app.agent(journal, name="tally.scores", concurrency=1)
    async def fold_journal_scores(stream):
        async def store(event, key: bytes, state: OperatorState) -> None:
            stream._set_current_event(event)  # the changelog partition of the current event
            table[key] = to_bytes(state)

        async def send_command(key: bytes, command: bytes):
            return await send(resources, key, command)

        batches = FoldBatches(fold_one, send_command, store, stream.ack, settings.fold_batch_max)
        async for event in stream.noack().events():
            await batches.take(event)
            if batches.full or stream.channel.empty():
                await batches.settle()

    return table


def operator_view(raw: bytes, policy: ScorePolicy) -> dict[str, Any]:
    return score_view(from_bytes(raw), policy)
