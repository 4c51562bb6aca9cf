"""`tally`: one subcommand per module; each module has `register(subparsers)`."""

import argparse
import importlib
import logging
import sys

from cli.common import CommandLineError
from streams.settings import Settings

# Each name is a module cli/<name>.py with register(subparsers) setting `handler`.
COMMANDS = ("replay", "explain", "policy", "schema", "worker", "publish", "tail", "demo", "export", "audit", "simulate", "migrate", "report", "state", "config", "broker")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally", description="Event-sourced credit scores and penalties for creator commerce.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "config":
        for name in Settings.unknown_variables():  # a typo, or a name older versions read: say so, once
            print(f"tally: warning: {name} is set but not read (tally config shows the settings)", file=sys.stderr)
    # A client library's error log would print beside the one line below (Python's last-resort handler);
    # where logging is configured (the worker), its handlers still receive everything.
    logging.getLogger("aiokafka").addHandler(logging.NullHandler())
    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError:  # `tally replay ... | head` is fine
        return 0
    except KeyboardInterrupt:
        return 130
    except CommandLineError as error:
        return usage_error(str(error))
    except UnicodeDecodeError as error:
        return usage_error(f"the input is not UTF-8 text ({error.reason} at byte {error.start})")
    except OSError as error:  # a file missing, a directory given, no permission, a broker not there
        where = f"{error.filename}: " if error.filename else ""
        return usage_error(f"{where}{error.strerror or error}")


def usage_error(message: str) -> int:
    """Bad input at the command line: one line, exit code 2, never a traceback."""
    print(f"tally: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
