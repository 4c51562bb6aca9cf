"""`tally migrate --to RULEBOOK --creators FILE|--all --at INSTANT`: rulebook_migrated events.

The events (source "admin", ids derived from creator, rulebook and instant, so a migration
published twice folds once) go to a file (--out) or straight into the journal topic (--publish),
where live workers and every later replay apply the same migration.
"""

import argparse
import sys

from cli.common import add_rulebook_options, load_rulebooks, open_text, settings, write_jsonl
from cli.journal_source import add_kafka_options, events_only, journal, journal_topic
from service.audit import migration_candidates, migration_events
from service.replay import Replayer


def register(subparsers) -> None:
    parser = subparsers.add_parser("migrate", help="write rulebook_migrated events for creators (to a file or the journal)")
    parser.add_argument("--to", required=True, metavar="RULEBOOK", help="target rulebook id, e.g. kuaishou-shop-2021")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--creators", metavar="FILE", help="creator ids, one per line")
    who.add_argument("--all", action="store_true", help="every creator of the journal governed by a rulebook the target migrates from")
    parser.add_argument("--at", required=True, metavar="INSTANT", help="when the migration takes effect (RFC 3339 with offset)")
    parser.add_argument("--journal", metavar="FILE|kafka", help="with --all: the journal to find the creators in")
    parser.add_argument("--trusted", action="store_true", help="the journal file is a Tally export: skip validation")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", metavar="FILE", help="write the events as JSONL ('-' for stdout)")
    where.add_argument("--publish", action="store_true", help="append them to the journal topic (key creator id)")
    add_rulebook_options(parser)
    add_kafka_options(parser)
    parser.set_defaults(handler=run, events=None)


def run(args: argparse.Namespace) -> int:
    if args.creators:
        with open_text(args.creators) as handle:
            creators = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    else:
        source = "kafka" if args.from_kafka else args.journal
        if not source:
            print("tally migrate: --all needs --journal FILE|kafka (or --from-kafka)", file=sys.stderr)
            return 2
        rulebooks = load_rulebooks(args)
        replayer = Replayer(rulebooks)
        for event in events_only(journal(args, source)):
            replayer.feed(event)
        creators = migration_candidates(replayer.views(), rulebooks, args.to)
    try:
        events = list(migration_events(creators, args.to, args.at))
    except ValueError as error:
        print(f"tally migrate: {error}", file=sys.stderr)
        return 2
    if args.publish:
        from streams.journal_admin import publish_dicts

        chosen = settings(args)
        publish_dicts(chosen, journal_topic(args), events)
        where = f"{journal_topic(args)} on {chosen.bootstrap}"
    else:
        out = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")
        for event in events:
            write_jsonl(out, event)
        out.flush()
        if out is not sys.stdout.buffer:
            out.close()
        where = args.out
    print(f"{len(events)} rulebook_migrated events to {args.to} at {args.at} -> {where}", file=sys.stderr)
    return 0
