"""Where a journal comes from: a file (export, sample) or the `creator.journal` topic. Shared by
`tally replay --from-kafka`, export, audit, simulate, migrate and report.

Either way the events arrive in journal order (see streams/journal_reader.py) and as
(position, event or rejection) pairs, position n being line n of the same journal exported.
"""

import argparse
from typing import Any, Iterator

from cli.common import add_broker_option, environment_settings, read_events, settings
from schemas.codec import Rejection

KAFKA = "kafka"


def add_kafka_options(parser: argparse.ArgumentParser, from_kafka: bool = True, topic: bool = True) -> None:
    """Where the journal and the commands are: the same settings as the workers (TALLY_*), flags override."""
    if from_kafka:
        parser.add_argument("--from-kafka", action="store_true", help="read the journal topic instead of a file (all partitions, start to the end offsets at start)")
    add_broker_option(parser)
    if topic:
        parser.add_argument("--topic", help="journal topic (overrides TALLY_TOPIC_JOURNAL; default creator.journal)")
    parser.add_argument("--penalties-topic", help="penalties topic (overrides TALLY_TOPIC_PENALTIES; default creator.penalties)")
    parser.add_argument("--drain", action="store_true", help="also read what is appended after the end offsets taken at start, until the topic is idle for a second")


def journal(args: argparse.Namespace, source: str | None = None, trusted: bool | None = None) -> Iterator[tuple[int, dict[str, Any] | Rejection]]:
    """The journal named by `source` (a path, '-', or 'kafka'), or by `args.events` / `--from-kafka`."""
    if source is None:
        source = KAFKA if getattr(args, "from_kafka", False) else args.events
    if source is None:
        raise SystemExit("tally: give an events file or --from-kafka")
    if source == KAFKA:
        from streams.journal_reader import journal_events

        return journal_events(settings(args), journal_topic(args), drain=args.drain)
    return read_events(source, trusted=args.trusted if trusted is None else trusted)


def journal_topic(args: argparse.Namespace) -> str:
    return getattr(args, "topic", None) or environment_settings().topic_journal


def penalties_topic(args: argparse.Namespace) -> str:
    return args.penalties_topic or environment_settings().topic_penalties


def events_only(pairs: Iterator[tuple[int, dict[str, Any] | Rejection]], on_reject=None) -> Iterator[dict[str, Any]]:
    for number, event in pairs:
        if isinstance(event, Rejection):
            if on_reject:
                on_reject(number, event)
            continue
        yield event
