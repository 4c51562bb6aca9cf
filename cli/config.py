"""`tally config`: the effective settings every entry point builds (TALLY_* environment), secrets masked."""

import argparse
import sys

from cli.common import add_broker_option, settings
from schemas.codec import encode
from streams.settings import Settings


def register(subparsers) -> None:
    parser = subparsers.add_parser("config", help="print the effective settings (TALLY_* environment), secrets masked")
    add_broker_option(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    shown = settings(args).shown()
    if args.json:
        sys.stdout.buffer.write(encode(shown) + b"\n")
    else:
        width = max(map(len, shown)) + len("TALLY_")
        for name, value in shown.items():
            variable = f"TALLY_{name.upper()}"
            origin = "" if variable not in _environment() else "  (set)"
            print(f"{variable:<{width}}  {_text(value)}{origin}")
    for name in Settings.unknown_variables():
        print(f"tally config: {name} is set but not read", file=sys.stderr)
    return 0


def _environment() -> set[str]:
    import os

    return {name for name in os.environ if name.startswith("TALLY_")}


def _text(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, (dict, list)):
        return encode(value).decode()
    return str(value)
