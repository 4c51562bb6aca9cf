"""`tally replay EVENTS.jsonl`: fold a file of events, print the commands as JSONL."""

import argparse
import sys

from cli.common import add_rulebook_options, load_rulebooks, write_jsonl
from cli.journal_source import add_kafka_options, journal
from service.replay import Counts, Replayer
from schemas.codec import Rejection


def register(subparsers) -> None:
    parser = subparsers.add_parser("replay", help="fold a file of events; commands as JSONL on stdout")
    parser.add_argument("events", nargs="?", help="JSONL file of events (.gz allowed, - for stdin); omit with --from-kafka")
    parser.add_argument("--state", metavar="PATH", help="write the final per-creator states as JSONL")
    parser.add_argument("--trusted", action="store_true", help="input is a Tally journal export: skip validation (fast path)")
    add_rulebook_options(parser)
    add_kafka_options(parser)  # --from-kafka: the journal topic, in journal order (docs/audit.md)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    replayer = Replayer(load_rulebooks(args))
    out = sys.stdout.buffer
    for number, event in journal(args):
        if isinstance(event, Rejection):
            replayer.counts.reject(event.reason)
            print(f"line {number}: rejected, {event.reason}: {event.detail}", file=sys.stderr)
            continue
        folded = replayer.feed(event)
        outcome = folded.outcome
        if outcome.status in ("rejected", "held"):
            print(f"line {number}: {outcome.status}, {outcome.reason} (event {event['event_id']})", file=sys.stderr)
        for resolution in outcome.resolved:
            if resolution.status == "rejected":
                print(f"line {number}: held event {resolution.event_id} rejected now, {resolution.reason}", file=sys.stderr)
        for command in folded.commands:
            write_jsonl(out, command)
    out.flush()
    if args.state:
        with open(args.state, "wb") as handle:
            for view in replayer.views():
                write_jsonl(handle, view)
    print(summary(replayer.counts), file=sys.stderr)
    return 0


def summary(counts: Counts) -> str:
    totals = counts.as_dict()
    reasons = ", ".join(f"{reason} {n}" for reason, n in totals["rejected_by_reason"].items())
    line = f"read {totals['read']}, folded {totals['folded']}, held {totals['held']}, duplicates {totals['duplicates']}, rejected {totals['rejected']}"
    return line + (f" ({reasons})" if reasons else "") + f"; commands {sum(counts.commands.values())}"
