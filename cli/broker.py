"""`tally broker`: the embedded Kafka-protocol broker (tansu, in memory) for local and staging use.

The same broker the demo and the tests start. It keeps everything in memory: stopping it loses every
topic. For production, point Tally at an Apache Kafka cluster (docs/streams.md).
"""

import argparse
import signal
import sys
import threading


def register(subparsers) -> None:
    parser = subparsers.add_parser("broker", help="run the embedded Kafka-protocol broker (tansu, in memory) until Ctrl-C or SIGTERM")
    parser.add_argument("--port", type=int, default=9092, help="port on 127.0.0.1 (default %(default)s)")
    parser.add_argument("--log", metavar="FILE", help="append the broker's log here (level: TALLY_BROKER_LOG; default: discarded)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from streams.broker import EmbeddedBroker

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    broker = EmbeddedBroker(port=args.port, log_path=args.log)
    try:
        broker.start()
    except (RuntimeError, TimeoutError) as error:
        print(f"tally broker: {error} (is port {args.port} taken?)", file=sys.stderr)
        return 1
    print(f"tally broker: listening on {broker.bootstrap} (export TALLY_BROKER_URL=kafka://{broker.bootstrap}); Ctrl-C stops it", flush=True)
    try:
        while not stop.wait(0.5):
            if not broker.running:
                print("tally broker: the broker exited", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()
    return 0
