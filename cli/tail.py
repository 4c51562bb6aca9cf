"""`tally tail`: print a Tally topic as JSONL (penalty commands by default), following new records."""

import argparse
import sys

from cli.common import add_broker_option, settings
from streams.settings import TOPIC_ALIASES


def register(subparsers) -> None:
    parser = subparsers.add_parser("tail", help="print a topic (penalties, deadletter, journal...) from the beginning")
    parser.add_argument("--topic", default="penalties", help=f"{', '.join(TOPIC_ALIASES)} or a topic name (default %(default)s)")
    parser.add_argument("--no-follow", action="store_true", help="exit once nothing new arrives for 2 s")
    add_broker_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from streams.clients import read_topic

    chosen = settings(args)
    out = sys.stdout.buffer
    for record in read_topic(chosen, chosen.topic_named(args.topic), follow=not args.no_follow):
        out.write((record.value or b"") + b"\n")
        out.flush()
    return 0
