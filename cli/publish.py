"""`tally publish FILE`: publish a JSONL file of events, each signed as its source (see docs/streams.md)."""

import argparse
import sys

from cli.common import add_broker_option, open_text, settings


def register(subparsers) -> None:
    parser = subparsers.add_parser("publish", help="publish a JSONL file of events to the input topics, signed")
    parser.add_argument("events", help="JSONL file (.gz allowed, - for stdin); each line is sent byte for byte")
    parser.add_argument("--topic", help="violations, appeals, exams or a topic name; default: by each event's type")
    parser.add_argument("--source", help="sign as this source (key from TALLY_SOURCE_KEYS); default: each event's own source")
    add_broker_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from streams.clients import producer, publish_lines

    chosen = settings(args)
    topic = chosen.topic_named(args.topic) if args.topic else None
    prod = producer(chosen)
    try:
        with open_text(args.events) as handle:
            count = publish_lines(prod, chosen, (line.encode() for line in handle), topic, args.source)
    finally:
        prod.close()
    print(f"published {count} events", file=sys.stderr)
    return 0
