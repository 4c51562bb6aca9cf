"""`tally export --topic journal|penalties --out FILE.jsonl.gz`: a topic to a (gzip) JSONL file, in journal order.

Each line is a record's value byte for byte (canonical JSON), so `tally replay --trusted FILE`
gives the same output as `tally replay --from-kafka`. The gzip header carries no name and no
time: the same topic exports to the same bytes.
"""

import argparse
import gzip
import os
import sys

from cli.common import settings
from cli.journal_source import add_kafka_options


def register(subparsers) -> None:
    parser = subparsers.add_parser("export", help="copy the journal or penalties topic to a JSONL(.gz) file, in journal order")
    parser.add_argument("--topic", dest="which", default="journal", help="journal, penalties, or a topic name (default %(default)s)")
    parser.add_argument("--out", required=True, metavar="FILE", help="output file; .gz compresses")
    add_kafka_options(parser, from_kafka=False, topic=False)
    parser.set_defaults(handler=run)


def open_output(path: str, compress: bool):
    if compress:
        raw = open(path, "wb")
        return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6), raw
    return open(path, "wb"), None


def run(args: argparse.Namespace) -> int:
    from streams.journal_reader import TopicNotFound, topic_values

    chosen = settings(args)
    topic = chosen.topic_named(args.which)
    handle, raw = open_output(args.out + ".partial", args.out.endswith(".gz"))
    count = 0
    try:
        for value in topic_values(chosen, topic, drain=args.drain):
            handle.write(value.rstrip(b"\n"))
            handle.write(b"\n")
            count += 1
    except TopicNotFound as error:
        print(f"tally export: {error}", file=sys.stderr)
        failed = True
    else:
        failed = False
    finally:
        handle.close()
        if raw:
            raw.close()
    if failed:
        os.unlink(args.out + ".partial")
        return 2
    os.replace(args.out + ".partial", args.out)
    print(f"exported {count} records from {topic} to {args.out}", file=sys.stderr)
    return 0
