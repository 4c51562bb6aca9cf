"""`tally replay EVENTS.jsonl`: fold a file of events, print the commands as JSONL."""

import argparse
import sys
from typing import IO, Any

from cli.common import add_projection_options, add_rulebook_options, load_projection, settings, write_jsonl
from cli.journal_source import add_kafka_options, journal, journal_topic
from service import jobs
from service.replay import Counts, Replayer
from schemas.codec import Rejection


def register(subparsers) -> None:
    parser = subparsers.add_parser("replay", help="fold a file of events; commands as JSONL on stdout (penalties, or --projection scores)")
    parser.add_argument("events", nargs="?", help="JSONL file of events (.gz allowed, - for stdin); omit with --from-kafka")
    parser.add_argument("--state", metavar="PATH", help="write the final per-creator states as JSONL")
    parser.add_argument("--trusted", action="store_true", help="input is a Tally journal export: skip validation (fast path)")
    parser.add_argument("--jobs", type=positive_int, default=1, metavar="N", help="fold in N processes, creators shared out (by partition, from Kafka); same output (default %(default)s)")
    add_rulebook_options(parser)
    add_projection_options(parser)
    add_kafka_options(parser)  # --from-kafka: the journal topic, in journal order (docs/audit.md)
    parser.set_defaults(handler=run)


def source(args: argparse.Namespace) -> jobs.Source:
    if not args.from_kafka:
        return jobs.FileSource(args.events, args.trusted)
    from streams.journal_share import TopicSource

    return TopicSource.taken_now(settings(args), journal_topic(args))


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def run(args: argparse.Namespace) -> int:
    if args.jobs > 1:
        return run_parallel(args)
    replayer = Replayer(load_projection(args))
    out, err = sys.stdout.buffer, sys.stderr
    for number, event in journal(args):
        replay_line(replayer, number, event, out, err)
    out.flush()
    if args.state:
        with open(args.state, "wb") as handle:
            for view in replayer.views():
                write_jsonl(handle, view)
    print(summary(replayer.counts), file=sys.stderr)
    return 0


def replay_line(replayer: Replayer, number: int, event: dict[str, Any] | Rejection, out: IO[bytes], err: IO[str]) -> None:
    """Fold one input line, or count its rejection: its commands to `out`, its messages to `err`.
    The one place that says what a line prints, for one process and for --jobs N alike."""
    if isinstance(event, Rejection):
        replayer.counts.reject(event.reason)
        print(f"line {number}: rejected, {event.reason}: {event.detail}", file=err)
        return
    folded = replayer.feed(event)
    outcome = folded.outcome
    if outcome.status in ("rejected", "held"):
        print(f"line {number}: {outcome.status}, {outcome.reason} (event {event['event_id']})", file=err)
    for resolution in outcome.resolved:
        if resolution.status == "rejected":
            print(f"line {number}: held event {resolution.event_id} rejected now, {resolution.reason}", file=err)
    for command in folded.commands:
        write_jsonl(out, command)


def run_parallel(args: argparse.Namespace) -> int:
    """--jobs N: the creators folded in N processes (service/jobs.py), the same bytes printed."""
    if not args.from_kafka and args.events in (None, "-"):
        # Every worker reads the whole input itself: that needs a file it can open again.
        print("tally: --jobs needs an events file or --from-kafka (not stdin); use --jobs 1", file=sys.stderr)
        return 2
    if args.from_kafka and args.drain:
        print("tally: --jobs reads the journal up to the end offsets taken at start; --drain needs --jobs 1", file=sys.stderr)
        return 2
    try:
        job = jobs.Job(source(args), load_projection(args), replay_line, args.jobs, args.state)
        counts = jobs.replay(job, sys.stdout.buffer, sys.stderr)
    except jobs.ReplayFailed as error:
        print(f"tally: {error}", file=sys.stderr)
        return 2
    print(summary(counts), file=sys.stderr)
    return 0


def summary(counts: Counts) -> str:
    totals = counts.as_dict()
    reasons = ", ".join(f"{reason} {n}" for reason, n in totals["rejected_by_reason"].items())
    line = f"read {totals['read']}, folded {totals['folded']}, held {totals['held']}, duplicates {totals['duplicates']}, rejected {totals['rejected']}"
    skipped = f"; skipped {totals['skipped']} (for the other projection)" if totals["skipped"] else ""
    return line + (f" ({reasons})" if reasons else "") + skipped + f"; commands {sum(counts.commands.values())}"
