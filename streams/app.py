"""The live service: a Faust app built from Settings. No module-level app; `build_app(settings)` makes one.

- intake agents (one per input topic): raw bytes -> admit() -> journal, or dead letter;
- the fold agent (journal, concurrency 1): table state -> fold() -> commands (acked) -> table;
  and, for score events, operator score states -> resource commands (streams/scores.py);
- the scheduler (timer): due deadlines of local creators -> deadline events into the journal;
- web views: /creators/{id} and /creators/{id}/scores (table-routed), /health, /metrics.

No rule logic lives here: everything about scores and penalties is `projections.fold` and `projections.scores.fold`.
"""

import asyncio
import functools
import logging
import os
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faust
from aiokafka.partitioner import murmur2
from faust.types import TP

from projections.fold import compact, fold
from projections.standing import view
from projections.rulebook import Rulebooks
from projections.scores.policy import ScorePolicy
from projections.state import CreatorState, from_bytes, to_bytes
from service import policies as policy_files
from schemas.codec import Rejection, decode_trusted, encode
from schemas.events import METRIC_TYPES
from schemas.instants import format_instant, parse_instant
from streams import deadlines
from streams.alignment import Aligner
from streams.batches import FoldBatches
from streams.clock import Clock, file_clock, wall_clock
from streams.connection import faust_credentials
from streams.intake import admit, dead_letter
from streams.metrics import Metrics
from streams.positions import delivered_before, input_header, input_origin, record_position
from streams.scores import PROJECTION as SCORES, LiveScores, operator_view
from streams.settings import STATE_TABLE, Settings
from streams.stalls import StallWatch
from streams.tables import furthest_state_table
from streams.transport import LowLatencyTransport, PromptTableManager

log = logging.getLogger("tally.streams")


class TallyApp(faust.App):
    """faust.App with the low-latency consumer transport and Tally's pieces attached."""

    settings: Settings
    rulebooks: Rulebooks
    score_policy: ScorePolicy
    metrics: Metrics
    clock: Clock
    next_due_cache: dict
    fetch_max_wait_ms: int = 10
    on_seek: list  # called with each partition the consumer is moved on (streams/transport.py)

    def _new_transport(self):  # type: ignore[override]
        return LowLatencyTransport(self.conf.broker_consumer, self)


def load_rulebooks(settings: Settings) -> Rulebooks:
    return policy_files.load_rulebooks(settings.policies_dir or policy_files.shipped_policies_dir(), settings.default_rulebook)


def build_app(settings: Settings, *, rulebooks: Rulebooks | None = None, score_policy: ScorePolicy | None = None,
              clock: Clock | None = None) -> TallyApp:
    rulebooks = rulebooks or load_rulebooks(settings)
    score_policy = score_policy or policy_files.load_score_policy(settings.score_policy)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    app = TallyApp(
        settings.app_id,
        broker=settings.broker_url,
        broker_credentials=faust_credentials(settings),
        store=settings.store,
        datadir=settings.data_dir,
        autodiscover=False,
        # Batches are safe on tansu too: table recovery reads changelogs to the end fetches report (streams/transport.py).
        producer_max_batch_size=settings.producer_max_batch_size,
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=settings.heartbeat_interval,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        table_standby_replicas=settings.standby_replicas,
        consumer_auto_offset_reset="earliest",
        consumer_group_instance_id=settings.instance_id,
        stream_wait_empty=True,
        TableManager=PromptTableManager,
        web_enabled=True,
        web_port=settings.web_port,
        web_bind=settings.web_bind,
        web_host=settings.web_host,
        canonical_url=f"http://{settings.web_host}:{settings.web_port}",
    )
    app.settings, app.rulebooks, app.score_policy, app.metrics = settings, rulebooks, score_policy, Metrics()
    app.fetch_max_wait_ms = settings.fetch_max_wait_ms
    app.clock = clock or (file_clock(settings.clock_file) if settings.clock_file else wall_clock)
    app.next_due_cache = {}
    metrics = app.metrics

    def topic(name: str):
        return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
                         partitions=settings.partitions, internal=True)

    journal = topic(settings.topic_journal)
    penalties = topic(settings.topic_penalties)
    resources = topic(settings.topic_resources)
    deadletter = topic(settings.topic_deadletter)
    states = furthest_state_table(app, STATE_TABLE, settings.partitions, stored_position)

    async def send(topic_name: str, key: bytes | None, value: bytes, headers: list | None = None):
        """Hand a record to the producer; returns the future of the broker's acknowledgement. Straight to the producer,
        past Faust's per-message bookkeeping (FutureMessage, sensors, callbacks), which cost more than the send.
        Not awaiting the future is safe where the source offset is what matters: Faust flushes the producer before
        it commits any consumer offset, and a send that fails for good crashes the producer (no commit)."""
        return await app.producer.send(topic_name, key, value, partition=None, timestamp=None, headers=headers)

    async def reject(rejection: Rejection, message):
        record = dead_letter(rejection, topic=message.topic, partition=message.partition, offset=message.offset,
                             key=message.key, value=message.value, headers=message.headers)
        metrics.deadlettered[rejection.reason] += 1
        return await send(settings.topic_deadletter, message.key, record)

    live_scores = LiveScores(app, settings, score_policy, metrics, reject)
    scores = live_scores.table

    # Intake -------------------------------------------------------------------
    # One agent reads the three co-partitioned input topics and journals, per partition number, the record with
    # the smallest event time first (streams/alignment.py): a catch-up journals each creator's events in order.
    aligner = Aligner(settings.input_topics, settings.intake_max_idle)
    read_up_to: dict[tuple[str, int], int] = {}
    """Offset of the latest record the intake agent has taken from each input partition, since the consumer was last
    moved on it: after a seek (a rebalance's seek to the committed offsets) what was taken before is delivered again.
    A value left from before can make intake believe a partition read to its end and journal the other topics'
    records without waiting for it: one way to what tests/streams/test_catch_up.py saw, a worker that took over
    journaling a creator's appeals of May to November ahead of its violations of April."""
    app.on_seek = [lambda tp: read_up_to.pop((tp.topic, tp.partition), None)]
    releasing = asyncio.Lock()
    intake_streams: list = []

    assigned: list[frozenset] = []
    """The consumer's assignment, cached until the next rebalance: asking the consumer builds a set of every partition
    (in a profile of bench/live.py that was 7% of the worker's time, asked once per partition per input record)."""

    def has_unread(topic_name: str, partition: int) -> bool:
        """Records beyond what intake has taken? Until it takes one, from where Faust seeked the partition to (the
        committed offset), so a restart does not wait for records committed long ago."""
        tp = TP(topic_name, partition)
        if not assigned:
            assigned.append(frozenset(app.consumer.assignment()))
        if tp not in assigned[0]:
            # Not ours (revoked), or no such partition: an input topic created with fewer partitions than the others
            # (a new input topic, or one a producer auto-created). Nothing can arrive from it here.
            return False
        end = app.consumer.highwater(tp)
        taken = read_up_to.get((topic_name, partition))
        next_offset = taken + 1 if taken is not None else (app.consumer._read_offset.get(tp) or 0)
        return end is None or end > next_offset

    journal_sends: Counter[int] = Counter()
    """Per journal partition, the records intake has sent there and the broker not yet acknowledged."""
    journaled_up_to: dict[int, int] = {}
    """Per journal partition, the offset of the latest record intake journaled (acknowledged)."""

    def journal_acknowledged(partition: int, future) -> None:
        journal_sends[partition] -= 1
        if not future.cancelled() and future.exception() is None:
            placed = future.result()
            journaled_up_to[placed.partition] = max(journaled_up_to.get(placed.partition, -1), placed.offset)

    async def journal_released() -> None:
        async with releasing:  # the agent and the timer both release: one at a time, so the order holds
            for event, accepted in aligner.release(time.monotonic(), has_unread):
                key = accepted["creator_id"].encode()
                partition = partition_of(key, settings.partitions)  # where the producer will put it
                journal_sends[partition] += 1
                message = event.message
                sent = await send(settings.topic_journal, key, encode(accepted), [input_header(message.topic, message.partition, message.offset)])
                sent.add_done_callback(functools.partial(journal_acknowledged, partition))
                metrics.journaled[event.message.topic] += 1
                await intake_streams[0].ack(event)
            metrics.intake_waited_out = aligner.waited_out

    @app.agent(app.topic(*settings.input_topics, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
                         partitions=settings.partitions, internal=True), name="tally.intake", concurrency=1)
    async def intake(stream):
        intake_streams[:] = [stream]
        async for event in stream.noack().events():
            message = event.message
            metrics.intake_received[message.topic] += 1
            read_up_to[(message.topic, message.partition)] = message.offset
            try:
                accepted = admit(message.value, message.headers, settings)
                at = None if isinstance(accepted, Rejection) else parse_instant(accepted["occurred_at"])
            except Exception as error:  # never crash on input
                log.exception("intake failed on %s[%s]@%s", message.topic, message.partition, message.offset)
                accepted, at = Rejection("intake_error", repr(error)), None
            if isinstance(accepted, Rejection):
                await reject(accepted, message)
                await stream.ack(event)
                continue
            aligner.add(message.topic, message.partition, at, (event, accepted), time.monotonic())
            await journal_released()

    @app.timer(interval=0.05, name="tally.intake.release")
    async def release_waiting():
        """A record waiting for an empty partition is journaled when the wait ends, even if nothing else arrives."""
        if len(aligner) and intake_streams:
            try:
                await journal_released()
            except Exception:  # retried at the next tick; the timer must not stop
                log.exception("intake release failed")

    @app.on_partitions_assigned.connect
    async def forget_assignment(app_, assigned_now, **kwargs) -> None:
        assigned.clear()

    @app.on_partitions_revoked.connect
    async def forget_revoked(app_, revoked, **kwargs) -> None:
        """Records buffered from partitions this worker no longer owns go to their new owner (never acked here)."""
        assigned.clear()
        numbers = {tp.partition for tp in revoked if tp.topic in settings.input_topics}
        aligner.drop(numbers)
        for key in [k for k in read_up_to if k[1] in numbers]:
            del read_up_to[key]

    # Fold ---------------------------------------------------------------------
    warm_states = WarmStates(settings.warm_states)
    recent_deadlines: OrderedDict[str, None] = OrderedDict()

    @app.agent(journal, name="tally.fold", concurrency=1)
    async def fold_journal(stream):
        # The acknowledgement protocol is streams.batches.FoldBatches: commands acknowledged by the broker,
        # then states recorded, then events acked. A batch ends when it is full or nothing more is waiting,
        # so a lone event is not delayed.
        async def store(event, projection: str, key: bytes, state):
            stream._set_current_event(event)  # a table write goes to the changelog partition of the current event
            if projection == SCORES:
                return live_scores.store(key, state)
            return states.write(key, warm_states.store(key, state, rulebooks))

        async def send_command(key: bytes, command):
            if isinstance(command, tuple):  # ("resources", bytes): a score decision's
                return await send(settings.topic_resources, key, command[1])
            return await send(settings.topic_penalties, key, command)

        async def ack(event) -> None:
            await stream.ack(event)
            message = event.message
            folded_up_to[message.partition] = max(folded_up_to.get(message.partition, -1), message.offset)

        batches = FoldBatches(fold_one, send_command, store, ack, settings.fold_batch_max)
        open_batches.append(batches)
        async for event in stream.noack().events():
            await batches.take(event, time.monotonic())
            if batches.full or stream.channel.empty():
                started = time.perf_counter()
                count = await batches.settle()
                if not count:  # the idle timer settled it first
                    continue
                metrics.folded_batches += 1
                if metrics.folded_batches == 1:
                    log.warning("tally: first events folded")
                metrics.fold_latency.observe((time.perf_counter() - started) / count)

    folded_up_to: dict[int, int] = {}
    """Per journal partition, the offset of the latest record whose states are recorded (for the scheduler)."""
    open_batches: list[FoldBatches] = []
    """The fold agent's batches (one per agent start), for the idle timer."""

    @app.timer(interval=0.05, name="tally.settle_idle_batches")
    async def settle_idle_batches():
        """A batch left open when its agent's channel was cleared (a rebalance) is settled here (FoldBatches.settle_if_idle)."""
        for batches in list(open_batches):
            try:
                await batches.settle_if_idle(time.monotonic(), 0.05)
            except Exception:  # retried at the next tick
                log.exception("settling an idle batch failed")

    async def fold_one(event, batch: FoldBatches):
        """Fold one journal record, for each projection it concerns, on top of this batch's earlier decisions."""
        try:
            journal_event = decode_trusted(event.message.value)
        except Exception as error:  # a journal record we cannot read must not stop the others
            log.exception("journal record unreadable at %s[%s]@%s", event.message.topic, event.message.partition, event.message.offset)
            metrics.fold.reject("fold_error")
            await reject(Rejection("fold_error", repr(error)), event.message)
            return None
        decisions = [d for d in (await fold_penalties(journal_event, event.message, batch),
                                 await live_scores.decide(journal_event, event.message, batch)) if d is not None]
        return decisions

    async def fold_penalties(journal_event: dict, message, batch: FoldBatches):
        """The penalty fold's decision for one journal record; refusals go to the dead letters."""
        counts = metrics.fold
        try:
            if journal_event["type"] in METRIC_TYPES:  # the scores' alone
                counts.skip()
                return None
            key = journal_event["creator_id"].encode()
            state = batch.earlier(key, "penalties")
            if state is None:
                state = warm_states.load(key, states.get(key))
            origin = input_origin(message.headers, settings.input_topics)
            if delivered_before(state, message.offset, origin):
                # Folded into this state before a restart: delivered again from the journal, or journaled again by
                # intake (streams/positions.py). Its commands went then; folded again it could only be refused
                # (duplicate, too_late, overturned...) and dead-lettered for nothing.
                metrics.redelivered += 1
                return None
            folded = fold(state, journal_event, rulebooks)
        except Exception as error:  # a journal record we cannot fold must not stop the others
            log.exception("fold failed on %s[%s]@%s", message.topic, message.partition, message.offset)
            counts.reject("fold_error")
            await reject(Rejection("fold_error", repr(error)), message)
            return None
        outcome = folded.outcome
        record_position(folded.state, message.offset, origin)
        commands = [encode(command) for command in folded.commands]
        counts.record(folded)  # the same bookkeeping as `tally replay`
        if outcome.status == "rejected":
            await reject(Rejection(outcome.reason, f"event {journal_event['event_id']} refused by the fold"), message)
        for resolution in outcome.resolved:
            if resolution.status != "folded":
                # The held event itself is in the journal already; this record names it and says why it is refused now.
                refusal = Rejection(resolution.reason, f"held event {resolution.event_id} refused when event {journal_event['event_id']} arrived")
                metrics.deadlettered[refusal.reason] += 1
                record = dead_letter(refusal, topic=message.topic, partition=message.partition, offset=message.offset,
                                     key=message.key, value=None, headers=None)
                await send(settings.topic_deadletter, message.key, record)
        return "penalties", key, folded.state, commands


    # Scheduler ----------------------------------------------------------------
    def caught_up(partition: int) -> bool:
        """Is everything of this partition number folded: no input record unread or held by intake, no journal send
        unacknowledged, and the states recorded up to the journal's end? Only then may the scheduler's clock speak
        for it (publish_due_deadlines)."""
        if journal_sends[partition] or aligner.holds(partition) or any(has_unread(topic, partition) for topic in settings.input_topics):
            return False
        tp = TP(settings.topic_journal, partition)
        # Where the fold stands: after the latest record it recorded, or, before any, at the committed offset.
        position = max(folded_up_to.get(partition, -1) + 1, app.consumer._committed_offset.get(tp) or 0)
        return position >= max(app.consumer.highwater(tp) or 0, journaled_up_to.get(partition, -1) + 1)

    @app.timer(interval=settings.scheduler_interval, name="tally.scheduler")
    async def scheduler():
        try:
            await publish_due_deadlines(app, states, journal, recent_deadlines, caught_up)
        except Exception:  # a failed pass is retried at the next tick; it must not stop the worker
            log.exception("scheduler pass failed")

    # Web ------------------------------------------------------------------------
    @app.page("/creators/{creator_id}")
    @app.table_route(table=states, match_info="creator_id")
    async def creator(web_view, request, creator_id: str):
        raw = states.get(creator_id.encode())
        if raw is None:
            return web_view.json({"error": "unknown creator", "creator_id": creator_id}, status=404)
        return web_view.json(creator_view(from_bytes(raw), rulebooks))

    @app.page("/creators/{creator_id}/scores")
    @app.table_route(table=scores, match_info="creator_id")
    async def operator_scores(web_view, request, creator_id: str):
        raw = scores.get(creator_id.encode())
        if raw is None:
            return web_view.json({"error": "no score events for this operator", "creator_id": creator_id}, status=404)
        return web_view.json(operator_view(raw, score_policy))

    stall_watch = StallWatch(settings.stall_seconds)

    @app.timer(interval=5.0, name="tally.stall_watch")
    async def watch_for_stalls():
        stalled: list = []
        try:
            for tp in reactivate_lost_partitions(app):
                metrics.reactivated += 1
                log.error("tally: %s:%s was assigned and not paused, but missing from the consumer's active partitions, so "
                          "never handed to the agents; re-activated", tp.topic, tp.partition)
            stalled = stall_watch.observe(time.monotonic(), watched_positions(app))
            metrics.stalled = [f"{t}:{p}" for t, p in stalled]
        except Exception:  # best effort, like lag: never stop the worker over it
            log.warning("stall watch failed", exc_info=True)
        if metrics.stalled:
            log.error("tally: partitions stalled (records waiting, no progress for %ss): %s; consumer state: %s",
                      settings.stall_seconds, metrics.stalled, partition_states(app, metrics.stalled))
            stalled_for = stall_watch.longest(time.monotonic(), stalled)
            if settings.stall_exit_seconds and stalled_for >= settings.stall_exit_seconds:
                # Nothing restarted it (no supervisor acting on /live): exit, so whatever runs it starts it afresh. Offsets
                # are committed only for what was done, so the next start resumes there.
                log.critical("tally: stalled for %.0f s; exiting with status 70 for the supervisor to restart the worker", stalled_for)
                os._exit(70)

    @app.page("/live")
    async def live(web_view, request):
        """Liveness: 503 once a partition is stalled, so the supervisor restarts the worker."""
        return web_view.json({"status": "stalled" if metrics.stalled else "live", "stalled": metrics.stalled},
                             status=503 if metrics.stalled else 200)

    def consumer_counts() -> None:
        gaps = getattr(app.consumer, "gaps", None)
        metrics.refetched = gaps.refetches if gaps is not None else 0

    @app.page("/health")
    async def health(web_view, request):
        """Readiness: assigned, not rebalancing, nothing stalled."""
        consumer_counts()
        ready = app.consumer is not None and bool(app.consumer.assignment()) and not app.rebalancing and not metrics.stalled
        body = {"status": "ok" if ready else ("stalled" if metrics.stalled else "starting"), "rebalancing": app.rebalancing,
                "stalled": metrics.stalled,
                "partitions": sorted(f"{tp.topic}:{tp.partition}" for tp in app.assignor.assigned_actives()),
                "paused": sorted(f"{tp.topic}:{tp.partition}" for tp in paused_partitions(app)),
                "offsets": {f"{t}:{p}": o for (t, p), o in sorted(consumer_offsets(app).items())},
                "counts": metrics.as_dict()}
        return web_view.json(body, status=200 if ready else 503)

    @app.page("/metrics")
    async def prometheus(web_view, request):
        update_lag(app)
        consumer_counts()
        return web_view.text(metrics.prometheus(), content_type="text/plain; version=0.0.4")

    app.journal_topic, app.penalties_topic, app.deadletter_topic, app.states = journal, penalties, deadletter, states
    app.resources_topic, app.scores = resources, scores
    return app


def stored_position(raw: bytes) -> int:
    """The journal position of a stored creator state (streams/tables.py keeps the furthest on restore)."""
    return from_bytes(raw).position


class WarmStates:
    """Creator states as the fold left them (head and checkpoints cached), for as long as the table still
    holds exactly the bytes they were stored as. Saves decoding and re-folding the tail on every event;
    anything else in the table (a restore, a rebalance) is simply decoded again.

    The fold updates a state in place, so `load` hands the cached state over (it leaves the cache) and
    only `store`, once the batch is acknowledged, puts it back: a batch that fails half way leaves no
    half-updated state behind."""

    def __init__(self, size: int):
        self.size, self.states = size, OrderedDict()

    def load(self, key: bytes, raw: bytes | None) -> CreatorState | None:
        if raw is None:
            return None
        held = self.states.pop(key, None)
        if held is not None and (held[0] is raw or held[0] == raw):
            return held[1]
        return from_bytes(raw)

    def store(self, key: bytes, state: CreatorState, rulebooks: Rulebooks) -> bytes:
        raw = to_bytes(compact(state, rulebooks))  # what can no longer change goes into the snapshot
        self.states[key] = (raw, state)
        self.states.move_to_end(key)
        if len(self.states) > self.size:
            self.states.popitem(last=False)
        return raw


def creator_view(state: CreatorState, rulebooks: Rulebooks) -> dict[str, Any]:
    """replay.view() plus the events not yet settled into the snapshot (the recent, still-revisable history)."""
    out = view(state, rulebooks)
    out["recent_events"] = [
        {"at": format_instant(entry.at), "event_id": entry.event_id, "type": type(entry).__name__} for entry in state.tail
    ]
    return out


async def publish_due_deadlines(app: TallyApp, states, journal, recent: OrderedDict,
                                caught_up: Callable[[int], bool] = lambda partition: True, limit: int = 100_000) -> int:
    """Scan this worker's active table partitions that are caught up; publish deadline events that are due by the
    scheduler's clock. Timers cannot write tables: the events go to the journal and the fold agent applies them like
    any other. Each creator's next deadline is cached with the hash of the state bytes it came from, so an unchanged
    creator costs a hash comparison per pass, not a parse and a replay.

    The watermark (issue 8): the wall clock speaks for a partition only once it is caught up (`caught_up`): nothing
    held at intake or unread on the inputs, no journal send unacknowledged, states recorded up to the journal's end.
    While a partition catches up, its events carry time forward themselves: the fold applies every deadline their
    times pass (the time-driven rules), so a tick would add nothing, and fired by today's clock ahead of the history
    it was journaled behind later events and refused as too_late. Once caught up, every deadline still pending in a
    state lies after the creator's latest event, so a tick is never too late."""
    now = app.clock()
    if not now:
        return 0
    journal_name = app.settings.topic_journal
    actives = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == journal_name}
    actives = {partition for partition in actives if caught_up(partition)}
    if not actives:
        return 0
    cache: dict[bytes, tuple[int, int, int | None]] = app.next_due_cache
    """key -> (its partition, the hash of its state bytes, its next deadline)"""
    published = 0
    for scanned, (key, raw) in enumerate(list(states.items()), 1):
        if scanned % 500 == 0:
            await asyncio.sleep(0)  # a scan of 100k creators would hold up intake and the fold for over a second
        if raw is None:
            continue
        cached = cache.get(key)
        partition = cached[0] if cached is not None else partition_of(key, app.settings.partitions)
        if partition not in actives:
            continue
        if cached is not None and cached[1] == hash(raw) and (cached[2] is None or cached[2] > now):
            continue
        state = from_bytes(raw)
        cache[key] = (partition, hash(raw), deadlines.next_due(state, app.rulebooks))
        for event in deadlines.due_events(state, app.rulebooks, now):
            if event["event_id"] in recent:  # sent, not folded yet; the fold would dedupe it anyway
                continue
            await (await journal.send(key=key, value=encode(event), force=True))
            recent[event["event_id"]] = None
            if len(recent) > limit:
                recent.popitem(last=False)
            app.metrics.deadlines[event["type"]] += 1
            published += 1
    return published


def partition_of(key: bytes, partitions: int) -> int:
    """The partition a keyed record goes to: Kafka's default partitioner (murmur2), as every producer uses."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def reactivate_lost_partitions(app: TallyApp) -> list[TP]:
    """Faust 0.15.3's flow control can lose a partition after a rebalance: assigned, not paused, yet neither in its
    active set nor waiting for its buffer to drain, so the records aiokafka fetched for it are never asked for and the
    agents never see them (the takeover stall of tests/streams/test_cluster.py; faust-streaming issues 175, 629).
    Such a partition is put back. Only partitions of Tally's stream topics are touched, never table changelogs
    (recovery pauses and resumes those itself)."""
    consumer = app.consumer
    if consumer is None or consumer._active_partitions is None or app.rebalancing or app.in_recovery:
        return []
    active = consumer._active_partitions
    streams = {*app.settings.input_topics, app.settings.topic_journal}
    lost = [tp for tp in consumer.assignment()
            if tp.topic in streams and tp not in active and tp not in consumer._paused_partitions and tp not in consumer._buffered_partitions]
    active.update(lost)
    return lost


def partition_states(app: TallyApp, names: list[str]) -> dict[str, str]:
    """What the consumer holds of each partition named ('topic:partition'): for the log of a stall, so its cause can be
    told (not fetched, awaiting a reset, paused, fetched but not delivered to the agents)."""
    out = {}
    try:
        consumer = app.consumer
        inner = consumer._thread._ensure_consumer()
        assignment = inner._subscription.subscription.assignment if inner._subscription.subscription else None
        for name in names:
            topic, partition = name.rsplit(":", 1)
            tp = TP(topic, int(partition))
            state = assignment.state_value(tp) if assignment is not None else None
            aiokafka = ("not in aiokafka's assignment" if state is None else
                        f"position {state._position} highwater {state.highwater} paused {state.paused} reset {state._reset_strategy}")
            channels = len(app.topics._tp_index.get(tp, ())) if hasattr(app.topics, "_tp_index") else "?"
            out[name] = (f"{aiokafka}; faust read {consumer._read_offset.get(tp)} committed {consumer._committed_offset.get(tp)} "
                         f"channels {channels} active {tp in (consumer._active_partitions or ())} "
                         f"flow-buffered {tp in consumer._buffered_partitions} paused {tp in consumer._paused_partitions}")
    except Exception as error:  # diagnostics only
        out["error"] = repr(error)
    return out


def paused_partitions(app: TallyApp) -> set:
    """Partitions the consumer holds paused (recovery pauses stream partitions until the tables are restored)."""
    try:
        return set(app.consumer._paused_partitions) | set(app.consumer._thread._ensure_consumer().paused())
    except Exception:
        return set()


def consumer_offsets(app: TallyApp) -> dict[tuple[str, int], dict[str, int | None]]:
    """Per assigned partition: the end offset (highwater), the last offset read and the last committed."""
    consumer = app.consumer
    out = {}
    for tp in consumer.assignment():
        try:
            end = consumer.highwater(tp)
        except Exception:  # not fetched yet
            end = None
        out[(tp.topic, tp.partition)] = {"end": end, "read": consumer._read_offset.get(tp), "committed": consumer._committed_offset.get(tp)}
    return out


def watched_positions(app: TallyApp) -> dict[tuple[str, int], tuple[int, int | None]]:
    """(next offset to read, end offset) of the assigned input and journal partitions not paused (recovery pauses
    them on purpose)."""
    watched = {*app.settings.input_topics, app.settings.topic_journal}
    paused = {(tp.topic, tp.partition) for tp in paused_partitions(app)}
    return {key: ((o["read"] + 1) if o["read"] is not None else (o["committed"] or 0), o["end"])
            for key, o in consumer_offsets(app).items() if key[0] in watched and key not in paused}


def update_lag(app: TallyApp) -> None:
    """Lag of the input and journal partitions this worker reads (changelogs are the tables' business: a standby
    replica never "reads" them as a stream), and the commit gap: records read whose offsets are not committed yet."""
    try:
        offsets = consumer_offsets(app)
        watched = watched_positions(app)
        app.metrics.lag = {key: max(0, end - position) for key, (position, end) in watched.items() if end is not None}
        app.metrics.commit_gap = {key: max(0, position - (offsets[key]["committed"] or 0))
                                  for key, (position, _) in watched.items() if offsets[key]["read"] is not None}
    except Exception:  # lag is best effort; never fail a scrape
        log.warning("consumer lag unavailable", exc_info=True)
