"""`tally explain CREATOR_ID EVENTS.jsonl`: one creator's timeline, for a person to read."""

import argparse
import sys

from cli.common import add_projection_options, add_rulebook_options, load_rulebooks, load_score_policy_option, read_events
from service.explain import score_timeline, timeline
from schemas.codec import Rejection


def register(subparsers) -> None:
    parser = subparsers.add_parser("explain", help="a creator's timeline: events, score after each, rules fired, commands")
    parser.add_argument("creator_id")
    parser.add_argument("events", help="JSONL file of events (.gz allowed, - for stdin)")
    parser.add_argument("--trusted", action="store_true", help="input is a Tally journal export: skip validation")
    add_rulebook_options(parser)
    add_projection_options(parser)  # --projection scores: why an operator changed band
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    events = []
    for number, event in read_events(args.events, trusted=args.trusted):
        if isinstance(event, Rejection):
            print(f"line {number}: rejected, {event.reason}: {event.detail}", file=sys.stderr)
        elif event["creator_id"] == args.creator_id:
            events.append(event)
    if not events:
        print(f"no events for creator {args.creator_id!r}", file=sys.stderr)
        return 1
    lines = score_timeline(events, load_score_policy_option(args.score_policy)) if args.projection == "scores" else timeline(events, load_rulebooks(args))
    for line in lines:
        print(line)
    return 0
