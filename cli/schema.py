"""`tally schema export`: JSON Schema for every event and the penalty command, for other languages."""

import argparse
from pathlib import Path

import orjson

from schemas.jsonschema import DIRECTORY, generate


def register(subparsers) -> None:
    parser = subparsers.add_parser("schema", help="the event contract as JSON Schema")
    actions = parser.add_subparsers(dest="schema_command", required=True)
    export = actions.add_parser("export", help="write one JSON Schema file per event type and for commands")
    export.add_argument("--out", default=str(DIRECTORY), help="directory (default: the committed copies, %(default)s)")
    export.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in generate().items():
        (out / f"{name}.json").write_bytes(orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
        print(out / f"{name}.json")
    return 0
