"""`tally worker`: run one live worker (intake, fold, scheduler, query API). Configured by TALLY_* variables."""

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser("worker", help="run a live worker against Kafka (settings from TALLY_* env, see docs/streams.md)")
    parser.add_argument("--broker", help="override TALLY_BROKER_URL, e.g. kafka://127.0.0.1:9092")
    parser.add_argument("--web-port", type=int, help="override TALLY_WEB_PORT")
    parser.add_argument("--loglevel", help="override TALLY_LOG_LEVEL (warning, info, debug)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from streams.settings import Settings

    overrides = {}
    if args.broker:
        overrides["broker_url"] = args.broker if "://" in args.broker else f"kafka://{args.broker}"
    if args.web_port:
        overrides["web_port"] = args.web_port
    if args.loglevel:
        overrides["log_level"] = args.loglevel
    settings = Settings(**overrides)
    run_worker(settings)
    return 0


def run_worker(settings) -> None:
    """Blocks until the worker is stopped (SIGINT/SIGTERM)."""
    import faust

    from streams.app import build_app

    app = build_app(settings)
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
