"""`tally`: one subcommand per module; each module has `register(subparsers)`."""

import argparse
import importlib
import sys

# Each name is a module cli/<name>.py with register(subparsers) setting `handler`.
COMMANDS = ("replay", "explain", "policy", "schema", "worker", "publish", "tail", "demo", "export", "audit", "simulate", "migrate", "report", "state")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally", description="Event-sourced credit scores and penalties for creator commerce.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError:  # `tally replay ... | head` is fine
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
