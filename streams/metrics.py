"""Counters of one worker, and their Prometheus text exposition (format 0.0.4), written by hand:
a handful of counters and one histogram do not justify another dependency."""

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

from service.replay import Counts

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass
class Histogram:
    buckets: tuple[float, ...] = LATENCY_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0
    n: int = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.buckets, seconds)] += 1
        self.total += seconds
        self.n += 1


@dataclass
class Metrics:
    intake_received: Counter = field(default_factory=Counter)
    """by input topic"""
    journaled: Counter = field(default_factory=Counter)
    """by input topic"""
    deadlettered: Counter = field(default_factory=Counter)
    """by reason (intake and fold refusals alike)"""
    intake_waited_out: int = 0
    """input records journaled while a partition they waited for still had records to read (the alignment's bound)"""
    fold: Counts = field(default_factory=Counts)
    """the penalty fold's counts, kept as `tally replay` keeps them (read = folded + held + duplicates + rejected +
    skipped, held events moving on as they resolve; rejected by reason, commands by action); skipped are journal
    records for the other projection (metric reports)"""
    folded_batches: int = 0
    """batches whose commands were acknowledged and states recorded"""
    redelivered: int = 0
    """journal records delivered again after a restart, already folded into the stored state (not in `fold`)"""
    reactivated: int = 0
    """partitions put back in the consumer's active set after Faust's flow control lost them (streams/app.py)"""
    refetched: int = 0
    """input or journal partitions read again because the consumer skipped records it had fetched (streams/gaps.py)"""
    deadlines: Counter = field(default_factory=Counter)
    """deadline events published, by type"""
    fold_latency: Histogram = field(default_factory=Histogram)
    scores: Counts = field(default_factory=Counts)
    """the operator-score fold's counts (read = folded + duplicates + rejected + skipped); its commands by action"""
    scores_redelivered: int = 0
    """as `redelivered`, for the operator-score fold (not in `scores`)"""
    lag: dict[tuple[str, int], int] = field(default_factory=dict)
    """input and journal partitions: records beyond what was read (at the last scrape)"""
    commit_gap: dict[tuple[str, int], int] = field(default_factory=dict)
    """input and journal partitions: records read but not committed yet (at the last scrape)"""
    stalled: list[str] = field(default_factory=list)
    """input and journal partitions with records waiting and no progress for stall_seconds"""

    def as_dict(self) -> dict:
        return {
            "intake_received": dict(self.intake_received),
            "journaled": dict(self.journaled),
            "deadlettered": dict(self.deadlettered),
            "intake_waited_out": self.intake_waited_out,
            "fold_received": self.fold.read + self.redelivered,
            "folded": self.fold.folded,
            "duplicates": self.fold.duplicates,
            "redelivered": self.redelivered,
            "reactivated": self.reactivated,
            "refetched": self.refetched,
            "skipped": self.fold.skipped,
            "held": self.fold.held,
            "rejected": dict(self.fold.rejected),
            "commands": dict(self.fold.commands),
            "deadlines": dict(self.deadlines),
            "scores": {**self.scores.as_dict(), "redelivered": self.scores_redelivered},
        }

    def prometheus(self) -> str:
        out: list[str] = []

        def family(name: str, kind: str, text: str, samples: list[tuple[str, float]]) -> None:
            out.append(f"# HELP {name} {text}")
            out.append(f"# TYPE {name} {kind}")
            out.extend(f"{name}{labels} {_number(value)}" for labels, value in samples)

        def by(label: str, counter: Counter | dict) -> list[tuple[str, float]]:
            return [(f'{{{label}="{_escape(str(k))}"}}', v) for k, v in sorted(counter.items())]

        family("tally_intake_received_total", "counter", "Input messages read, by topic.", by("topic", self.intake_received))
        family("tally_intake_journaled_total", "counter", "Input messages accepted into the journal, by topic.", by("topic", self.journaled))
        family("tally_deadletter_total", "counter", "Messages dead-lettered, by reason.", by("reason", self.deadlettered))
        family("tally_intake_waited_out_total", "counter", "Input records journaled before a partition they waited for was read.",
               [("", self.intake_waited_out)])
        family("tally_fold_received_total", "counter", "Journal events read by the fold.", [("", self.fold.read + self.redelivered)])
        family("tally_events_folded_total", "counter", "Journal events folded.", [("", self.fold.folded)])
        family("tally_events_duplicate_total", "counter", "Journal events folded before (same event_id).", [("", self.fold.duplicates)])
        family("tally_events_redelivered_total", "counter", "Journal records delivered again after a restart, already folded.",
               [("", self.redelivered)])
        family("tally_events_skipped_total", "counter", "Journal records the penalty fold skipped (metric reports: the scores' own).",
               [("", self.fold.skipped)])
        family("tally_partitions_reactivated_total", "counter", "Partitions put back after the consumer's flow control lost them.",
               [("", self.reactivated)])
        family("tally_partitions_refetched_total", "counter", "Partitions read again because the consumer skipped records it had fetched.",
               [("", self.refetched)])
        family("tally_partitions_stalled", "gauge", "Input and journal partitions with records waiting and no progress.",
               [("", len(self.stalled))])
        family("tally_events_held", "gauge", "Journal events held: they name a violation or appeal not yet known.", [("", self.fold.held)])
        family("tally_events_rejected_total", "counter", "Journal events the fold refused, by reason.", by("reason", self.fold.rejected))
        family("tally_commands_total", "counter", "Penalty commands sent, by action.", by("action", self.fold.commands))
        family("tally_deadline_events_total", "counter", "Deadline events the scheduler published, by type.", by("type", self.deadlines))
        scores = self.scores
        family("tally_score_events_total", "counter", "Journal events read by the operator-score fold, by outcome.",
               [('{status="folded"}', scores.folded), ('{status="duplicate"}', scores.duplicates),
                ('{status="rejected"}', sum(scores.rejected.values())), ('{status="skipped"}', scores.skipped),
                ('{status="redelivered"}', self.scores_redelivered)])
        family("tally_resource_commands_total", "counter", "Resource commands sent (operator scores), by action.", by("action", scores.commands))
        lag = [(f'{{topic="{_escape(t)}",partition="{p}"}}', v) for (t, p), v in sorted(self.lag.items())]
        family("tally_consumer_lag", "gauge", "Records beyond what was read, per input and journal partition (at last scrape).", lag)
        gap = [(f'{{topic="{_escape(t)}",partition="{p}"}}', v) for (t, p), v in sorted(self.commit_gap.items())]
        family("tally_commit_gap", "gauge", "Records read but not committed yet, per input and journal partition (at last scrape).", gap)
        h = self.fold_latency
        out.append("# HELP tally_fold_seconds Time to fold one journal event and send its commands.")
        out.append("# TYPE tally_fold_seconds histogram")
        running = 0
        for bound, count in zip(h.buckets, h.counts):
            running += count
            out.append(f'tally_fold_seconds_bucket{{le="{bound}"}} {running}')
        out.append(f'tally_fold_seconds_bucket{{le="+Inf"}} {h.n}')
        out.append(f"tally_fold_seconds_sum {h.total:.6f}")
        out.append(f"tally_fold_seconds_count {h.n}")
        return "\n".join(out) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
