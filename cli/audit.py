"""`tally audit verify`, `intake` and `asof`: the auditor's questions, answered by replaying the journal.

verify: exit 0 iff the published commands are exactly what the journal folds to; 1 if not; 2 on
unusable input. intake: exit 0 iff every input record was journaled or dead-lettered and the journal's
order made the fold refuse nothing an in-order fold accepts. See docs/audit.md.
"""

import argparse
import sys
from typing import Iterator

import orjson

from cli.common import CommandLineError, add_projection_options, add_rulebook_options, load_projection, load_rulebooks, open_text, settings, write_jsonl
from cli.journal_source import KAFKA, add_kafka_options, events_only, journal, journal_topic, penalties_topic
from render.text import intake_text, verdict_text
from service.audit import as_of, attach_events, verify
from service.intake_audit import InputRecord, reconcile_intake
from service.replay import Replayer
from schemas.codec import encode


def register(subparsers) -> None:
    parser = subparsers.add_parser("audit", help="verify published commands against the journal; state as of an instant")
    commands = parser.add_subparsers(dest="audit_command", required=True)

    verify = commands.add_parser("verify", help="recompute the commands from the journal and compare with the published ones (exit 0 iff they agree)")
    verify.add_argument("--journal", metavar="FILE|kafka", help="journal export file, or 'kafka' for the journal topic")
    verify.add_argument("--penalties", metavar="FILE|kafka", help="published penalty commands: an export file, or 'kafka' for the penalties topic")
    verify.add_argument("--resources", metavar="FILE|kafka", help="with --projection scores: published resource commands, an export file or 'kafka' "
                        "for the resources topic (TALLY_TOPIC_RESOURCES)")
    verify.add_argument("--trusted", action="store_true", help="the journal file is a Tally export: skip validation")
    verify.add_argument("--json", action="store_true", help="machine-readable verdict on stdout")
    verify.add_argument("--limit", type=int, default=50, help="discrepancies shown in text (0: all; default %(default)s)")
    add_rulebook_options(verify)
    add_projection_options(verify)
    add_kafka_options(verify)
    verify.set_defaults(handler=run_verify, events=None)

    intake = commands.add_parser("intake", help="reconcile the input topics with the journal and the dead letters (exit 0 iff nothing is lost "
                                 "and the journal's order refused nothing)")
    intake.add_argument("--json", action="store_true", help="machine-readable verdict on stdout")
    intake.add_argument("--limit", type=int, default=50, help="findings shown of each kind in text (0: all; default %(default)s)")
    add_rulebook_options(intake)
    add_kafka_options(intake, from_kafka=False)
    intake.set_defaults(handler=run_intake)

    asof = commands.add_parser("asof", help="state of a creator (or everyone) as of an instant, in event time")
    asof.add_argument("instant", help="RFC 3339 instant with offset, e.g. 2024-03-01T00:00:00Z")
    asof.add_argument("events", nargs="?", help="journal file (.gz, - for stdin); omit with --from-kafka")
    asof.add_argument("--creator", metavar="ID", help="only this creator")
    asof.add_argument("--commands", action="store_true", help="also print the commands decided up to the instant (before the states)")
    asof.add_argument("--trusted", action="store_true", help="the file is a Tally export: skip validation")
    add_rulebook_options(asof)
    add_kafka_options(asof)
    asof.set_defaults(handler=run_asof)


def _journal_source(args: argparse.Namespace) -> str:
    if args.from_kafka:
        return KAFKA
    if not args.journal:
        raise SystemExit("tally audit verify: give --journal FILE|kafka or --from-kafka")
    return args.journal


def _report_rejection(number, rejection) -> None:
    print(f"journal position {number}: rejected, {rejection.reason}: {rejection.detail}", file=sys.stderr)


def _published_source(args: argparse.Namespace) -> str:
    """--penalties for the penalty fold, --resources for the scores: a file or 'kafka'."""
    scores = args.projection == "scores"
    source = args.resources if scores else args.penalties
    if not source:
        raise CommandLineError("audit verify: give --resources FILE|kafka with --projection scores" if scores
                               else "audit verify: give --penalties FILE|kafka")
    return source


def published_commands(args: argparse.Namespace) -> Iterator[bytes]:
    source = _published_source(args)
    if source == KAFKA:
        from streams.journal_reader import topic_values

        topic = settings(args).topic_resources if args.projection == "scores" else penalties_topic(args)
        yield from topic_values(settings(args), topic, drain=args.drain)
        return
    with open_text(source) as handle:
        for line in handle:
            if line.strip():
                yield line.encode()


def run_verify(args: argparse.Namespace) -> int:
    projection = load_projection(args)
    source = _journal_source(args)
    _published_source(args)
    try:
        expected = Replayer(projection).run(events_only(journal(args, source), _report_rejection))
        verdict = verify(expected, lambda: published_commands(args))
    except (OSError, orjson.JSONDecodeError, KeyError) as error:
        print(f"tally audit verify: {error}", file=sys.stderr)
        return 2
    if verdict.discrepancies:
        attach_events(verdict, events_only(journal(args, source)))
    return _print_verdict(args, verdict, verdict_text)


def run_intake(args: argparse.Namespace) -> int:
    """Kafka only: an input record is named by its topic, partition and offset."""
    from streams.journal_reader import TopicNotFound, TopicReader, journal_events

    rulebooks = load_rulebooks(args)
    chosen = settings(args)

    def records(topic: str):
        with TopicReader(chosen, topic, drain=args.drain) as reader:
            yield from reader

    try:
        inputs = [InputRecord(topic, r.partition, r.offset, r.value) for topic in chosen.input_topics for r in records(topic)]
        journaled = list(events_only(journal_events(chosen, journal_topic(args), drain=args.drain), _report_rejection))
        try:
            letters = [orjson.loads(r.value) for r in records(chosen.topic_deadletter)]
        except TopicNotFound:
            letters = []  # nothing was ever refused
    except TopicNotFound as error:
        print(f"tally audit intake: {error}", file=sys.stderr)
        return 2
    verdict = reconcile_intake(inputs, journaled, letters, rulebooks)
    return _print_verdict(args, verdict, intake_text)


def _print_verdict(args: argparse.Namespace, verdict, as_text) -> int:
    """--json or text; exit 0 iff the verdict agrees."""
    if args.json:
        sys.stdout.buffer.write(encode(verdict.as_dict()) + b"\n")
    else:
        for line in as_text(verdict, None if args.limit == 0 else args.limit):
            print(line)
    return 0 if verdict.agree else 1


def run_asof(args: argparse.Namespace) -> int:
    rulebooks = load_rulebooks(args)
    result = as_of(events_only(journal(args), _report_rejection), args.instant, rulebooks, args.creator)
    out = sys.stdout.buffer
    if args.commands:
        for command in result.commands:
            write_jsonl(out, {"command": command})
    for v in result.views:
        write_jsonl(out, v)
    out.flush()
    print(
        f"as of {args.instant}: {len(result.views)} creators; left out {result.excluded_later} events that occurred later"
        f" and {result.excluded_refused} the journal fold refused",
        file=sys.stderr,
    )
    if args.creator and not result.views:
        print(f"creator {args.creator} has no events at or before {args.instant}", file=sys.stderr)
        return 1
    return 0
