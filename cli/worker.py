"""`tally worker`: run one live worker (intake, fold, scheduler, query API). Configured by TALLY_* variables."""

import argparse

from cli.common import add_broker_option, settings


def register(subparsers) -> None:
    parser = subparsers.add_parser("worker", help="run a live worker against Kafka (settings from TALLY_* env, see docs/streams.md)")
    add_broker_option(parser)
    parser.add_argument("--web-port", type=int, help="override TALLY_WEB_PORT")
    parser.add_argument("--loglevel", help="override TALLY_LOG_LEVEL (warning, info, debug)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    overrides = {}
    if args.web_port:
        overrides["web_port"] = args.web_port
    if args.loglevel:
        overrides["log_level"] = args.loglevel
    run_worker(settings(args).model_copy(update=overrides))
    return 0


def run_worker(settings) -> None:
    """Blocks until the worker is stopped (SIGINT/SIGTERM)."""
    from streams.app import build_app
    from streams.worker import Worker

    Worker(build_app(settings), loglevel=settings.log_level.lower(), quiet=True, redirect_stdouts=False).execute_from_commandline()
