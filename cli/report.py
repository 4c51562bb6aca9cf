"""`tally report [--creator ID] EVENTS --out report.html`: one self-contained HTML page.

With --projection scores --creator ID: that operator's three scores over time, with the grant and withhold
commands. With --creator: that creator's score over time (nodes as lines), events and commands on one time
axis, every step with its rule. Without: the population's score histograms and penalties per day.
"""

import argparse
import sys

from cli.common import CommandLineError, add_projection_options, add_rulebook_options, load_rulebooks, load_score_policy_option
from cli.journal_source import add_kafka_options, events_only, journal
from render.report import creator_report, population_report
from render.score_report import operator_report


def register(subparsers) -> None:
    parser = subparsers.add_parser("report", help="a self-contained HTML report of a creator or of the population")
    parser.add_argument("events", nargs="?", help="journal file (.gz, - for stdin); omit with --from-kafka")
    parser.add_argument("--creator", metavar="ID", help="report on this creator (default: the population)")
    parser.add_argument("--out", required=True, metavar="FILE", help="HTML file to write")
    parser.add_argument("--trusted", action="store_true", help="the file is a Tally export: skip validation")
    add_rulebook_options(parser)
    add_projection_options(parser)  # --projection scores --creator ID: an operator's three scores over time
    add_kafka_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.projection == "scores" and not args.creator:
        raise CommandLineError("report --projection scores needs --creator ID (an operator's scores over time)")
    events = events_only(journal(args))
    try:
        if args.projection == "scores":
            page = operator_report(events, args.creator, load_score_policy_option(args.score_policy))
        else:
            rulebooks = load_rulebooks(args)
            page = creator_report(events, args.creator, rulebooks) if args.creator else population_report(events, rulebooks)
    except ValueError as error:
        print(f"tally report: {error}", file=sys.stderr)
        return 1
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(page)
    print(f"wrote {args.out} ({len(page.encode()) // 1024} KiB)", file=sys.stderr)
    return 0
