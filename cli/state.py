"""`tally state`: creators' stored states, as a table keeps them (compact msgpack), and readable.

    tally state build EVENTS.jsonl --out states.bin     fold a journal; write each creator's stored state
    tally state show states.bin [--creator ID]          print stored states as JSON, field by field
    tally state show --from-kafka --topic T             the same from a table's changelog topic

A states file is a sequence of records, each a 4-byte big-endian length and a stored state.
"""

import argparse
import struct
import sys
from typing import IO, Iterator

import orjson

from cli.common import add_rulebook_options, environment_settings, load_rulebooks, settings
from cli.journal_source import add_kafka_options, events_only, journal
from projections.fold import compact
from projections.state import from_bytes, named, to_bytes
from schemas.instants import format_instant
from schemas.points import format_points
from service.replay import Replayer

_LENGTH = struct.Struct(">I")
# Fields that hold instants or points, shown as RFC 3339 and decimal strings (they are ints when stored).
_INSTANTS = {"at", "clock", "due", "start", "until", "deadline", "latest", "clean_since", "exam_credit_at", "lenient_at", "decided_at"}
_POINTS = {"score", "points", "before", "after", "deferred"}


def register(subparsers) -> None:
    parser = subparsers.add_parser("state", help="creators' stored states: build them from a journal, print them as JSON")
    actions = parser.add_subparsers(dest="state_command", required=True)
    build = actions.add_parser("build", help="fold a journal and write each creator's compacted stored state")
    build.add_argument("events", help="JSONL file of events (.gz allowed)")
    build.add_argument("--out", required=True, metavar="PATH", help="states file to write")
    build.add_argument("--trusted", action="store_true", help="input is a Tally journal export: skip validation")
    add_rulebook_options(build)
    build.set_defaults(handler=run_build)
    show = actions.add_parser("show", help="print stored states as JSON, one per line")
    show.add_argument("states", nargs="?", help="states file (from `tally state build`); omit with --from-kafka")
    show.add_argument("--creator", help="only this creator")
    show.add_argument("--raw", action="store_true", help="instants and points as stored (ints), not formatted")
    show.add_argument("--from-kafka", action="store_true", help="read a table's changelog topic (--topic) instead of a file")
    show.add_argument("--topic", help="the changelog topic (default: the workers' table, {TALLY_APP_ID}-creators-changelog)")
    add_kafka_options(show, from_kafka=False, topic=False)
    show.set_defaults(handler=run_show)


def run_build(args: argparse.Namespace) -> int:
    rulebooks = load_rulebooks(args)
    replayer = Replayer(rulebooks)
    for event in events_only(journal(args)):
        replayer.feed(event)
    sizes = []
    with open(args.out, "wb") as handle:
        for creator in sorted(replayer.states):
            data = to_bytes(compact(replayer.states[creator], rulebooks))
            handle.write(_LENGTH.pack(len(data)) + data)
            sizes.append(len(data))
    mean = sum(sizes) / len(sizes) if sizes else 0
    print(f"{len(sizes)} creators, {sum(sizes)} bytes, mean {mean:.0f} B per creator -> {args.out}", file=sys.stderr)
    return 0


def run_show(args: argparse.Namespace) -> int:
    if args.from_kafka:
        from streams.journal_reader import topic_values

        records: Iterator[bytes] = (v for v in topic_values(settings(args), args.topic or environment_settings().changelog_topic, drain=args.drain) if v)
    elif args.states:
        records = read_states(open(args.states, "rb"))
    else:
        raise SystemExit("tally: give a states file or --from-kafka")
    out = sys.stdout.buffer
    for data in records:
        state = from_bytes(data)
        if args.creator and state.creator_id != args.creator:
            continue
        shown = named(state) if args.raw else readable(named(state))
        out.write(orjson.dumps(shown) + b"\n")
    return 0


def read_states(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while header := handle.read(_LENGTH.size):
            (length,) = _LENGTH.unpack(header)
            yield handle.read(length)


def readable(value, key: str = ""):
    """Instants as RFC 3339, points as decimal strings: the stored ints, for people."""
    if isinstance(value, dict):
        return {k: readable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [readable(v, key) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        if key in _INSTANTS and 0 < value < 2**40:
            return format_instant(value)
        if key in _POINTS:
            return format_points(value)
    return value
