"""`tally tail`: print a Tally topic as JSONL (penalty commands by default), following new records."""

import argparse
import sys

TOPICS = {"penalties": "topic_penalties", "deadletter": "topic_deadletter", "journal": "topic_journal",
          "violations": "topic_violations", "appeals": "topic_appeals", "exams": "topic_exams"}


def register(subparsers) -> None:
    parser = subparsers.add_parser("tail", help="print a topic (penalties, deadletter, journal...) from the beginning")
    parser.add_argument("--topic", default="penalties", help=f"{', '.join(TOPICS)} or a topic name (default %(default)s)")
    parser.add_argument("--no-follow", action="store_true", help="exit once nothing new arrives for 2 s")
    parser.add_argument("--broker", help="override TALLY_BROKER_URL")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from streams.clients import read_topic
    from streams.settings import Settings

    settings = Settings(**({"broker_url": args.broker if "://" in args.broker else f"kafka://{args.broker}"} if args.broker else {}))
    topic = getattr(settings, TOPICS[args.topic]) if args.topic in TOPICS else args.topic
    out = sys.stdout.buffer
    for record in read_topic(settings, topic, follow=not args.no_follow):
        out.write((record.value or b"") + b"\n")
        out.flush()
    return 0
