"""The operator scores, live: folded by the one journal agent, beside the penalties, into their own table and onto
their own output topic.

Every journal record reaches the fold agent once; a score event (metric report, violation, appeal decision) is also
folded by `projections.scores.fold` into the `operator-scores` table, and its resource commands go to
`creator.resources`, under the same acknowledgement protocol (`streams.batches.FoldBatches`: commands acknowledged,
then states recorded, then the event acked). One agent, not two on the same topic: Faust clears the agents' queues in
a rebalance, and a record one agent had acknowledged and the other never received stayed unacknowledged, so the
rebalance waited for it for ever (bench/kill_loop.py found it). Refused metric reports are dead-lettered here; a
refused violation or decision is the penalty fold's to dead-letter, and is only counted here.
"""

import logging
from typing import Any, Awaitable, Callable

import faust

from projections.scores.fold import SCORE_TYPES, fold_scores
from projections.scores.policy import ScorePolicy
from projections.scores.standing import score_view
from projections.scores.state import OperatorState, from_bytes, to_bytes
from schemas.codec import Rejection, encode
from schemas.events import METRIC_TYPES
from streams.batches import FoldBatches
from streams.metrics import Metrics
from streams.positions import delivered_before, input_origin, record_position
from streams.settings import SCORE_TABLE, Settings
from streams.tables import furthest_state_table

log = logging.getLogger("tally.streams.scores")
PROJECTION = "scores"


class LiveScores:
    """The score side of the fold agent: its table, and what one journal record decides for it."""

    def __init__(self, app: faust.App, settings: Settings, policy: ScorePolicy, metrics: Metrics,
                 reject: Callable[[Rejection, Any], Awaitable[Any]]):
        self.table = furthest_state_table(app, SCORE_TABLE, settings.partitions, lambda raw: from_bytes(raw).position)
        self.policy, self.metrics, self.counts, self.reject = policy, metrics, metrics.scores, reject
        self.input_topics = settings.input_topics

    async def decide(self, journal_event: dict[str, Any], message, batch: FoldBatches) -> tuple[str, bytes, OperatorState, list] | None:
        """The score decision for one journal record, on top of this batch's earlier one; None if the record is not a
        score event (counted as skipped). Commands come back as ("resources", bytes) for the agent's send."""
        if journal_event["type"] not in SCORE_TYPES:
            self.counts.skip()
            return None
        try:
            key = journal_event["creator_id"].encode()
            state: OperatorState | None = batch.earlier(key, PROJECTION)
            if state is None:
                raw = self.table.get(key)
                state = from_bytes(raw) if raw is not None else None
            origin = input_origin(message.headers, self.input_topics)
            if delivered_before(state, message.offset, origin):  # folded before a restart: as on the penalty side
                self.metrics.scores_redelivered += 1
                return None
            folded = fold_scores(state, journal_event, self.policy)
        except Exception as error:  # a record we cannot fold must not stop the others
            log.exception("score fold failed on %s[%s]@%s", message.topic, message.partition, message.offset)
            self.counts.reject("score_fold_error")
            await self.reject(Rejection("score_fold_error", repr(error)), message)
            return None
        record_position(folded.state, message.offset, origin)
        outcome = folded.outcome
        self.counts.record(folded)
        if outcome.status == "rejected" and journal_event["type"] in METRIC_TYPES:
            await self.reject(Rejection(outcome.reason, f"event {journal_event['event_id']} refused by the score fold"), message)
        return PROJECTION, key, folded.state, [("resources", encode(command)) for command in folded.commands]

    def store(self, key: bytes, state: OperatorState):
        """Write the state; returns the future of its changelog record's acknowledgement."""
        return self.table.write(key, to_bytes(state))


def operator_view(raw: bytes, policy: ScorePolicy) -> dict[str, Any]:
    return score_view(from_bytes(raw), policy)
