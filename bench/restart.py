"""Recovery benchmark: how long after a SIGKILL a restarted worker folds again (issue 8, item 6).

    .venv/bin/python bench/restart.py [--runs 3] [--session-timeout 6] [--instance-id worker-1]

Starts an embedded tansu broker and one `tally worker`, folds an event, then `--runs` times: kills the worker
with SIGKILL (no goodbye to the group), starts it again with the same settings, publishes one violation, and
times from the restart to the first journal record folded. With dynamic membership the new member waits for the
dead one's session to expire; with `--instance-id` (static membership, TALLY_INSTANCE_ID) it takes the dead one's
place. Beside it, the same worker's cold start on the same broker. Timings are printed, never asserted.
"""

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from kafka import KafkaProducer  # noqa: E402

from streams.broker import EmbeddedBroker, free_port  # noqa: E402
from streams.clients import publish_signed  # noqa: E402
from streams.connection import kafka_python_options  # noqa: E402
from streams.process import WorkerProcess  # noqa: E402
from streams.settings import Settings  # noqa: E402

KEY = b"bench-key"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--session-timeout", type=float, default=6.0)
    parser.add_argument("--instance-id", default=None, help="static group membership (TALLY_INSTANCE_ID)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tally-restart-"))
    broker = EmbeddedBroker(log_path=str(tmp / "tansu.log")).start()
    settings = Settings(_env_file=None, broker_url=f"kafka://{broker.bootstrap}", app_id=f"restart-{uuid.uuid4().hex[:6]}", partitions=2,
                        data_dir=str(tmp / "data"), web_port=free_port(), source_keys={"detector.bench": KEY.decode()},
                        instance_id=args.instance_id, session_timeout=args.session_timeout)
    producer = KafkaProducer(linger_ms=0, batch_size=1, **kafka_python_options(settings))
    published = 0

    def publish() -> None:
        nonlocal published
        published += 1
        value = orjson.dumps({"event_id": f"e{published}", "creator_id": f"c{published}", "occurred_at": "2024-03-01T10:00:00+08:00",
                              "source": "detector.bench", "type": "violation_recorded", "violation_id": f"v{published}",
                              "code": "false_advertising", "severity": "general"})
        publish_signed(producer, settings.topic_violations, value, "detector.bench", KEY)

    def first_fold(worker: WorkerProcess, started: float) -> float:
        while True:
            try:
                if worker.counts()["fold_received"] >= 1:
                    return time.monotonic() - started
            except Exception:  # not answering yet
                pass
            time.sleep(0.05)

    try:
        started = time.monotonic()
        worker = WorkerProcess(settings, str(tmp / "worker-0.log")).start()
        publish()
        cold = first_fold(worker, started)
        restarts = []
        for run in range(1, args.runs + 1):
            worker.kill()
            started = time.monotonic()
            worker = WorkerProcess(settings, str(tmp / f"worker-{run}.log")).start()
            publish()
            restarts.append(first_fold(worker, started))
        worker.stop()
    finally:
        producer.close()
        broker.stop()
    membership = f"static ({args.instance_id})" if args.instance_id else "dynamic"
    print(f"session timeout {args.session_timeout} s, {membership} membership, {args.runs} SIGKILL restarts")
    print(f"cold start to first fold:              {cold:.1f} s")
    print(f"restart after SIGKILL to first fold:   median {statistics.median(restarts):.1f} s, max {max(restarts):.1f} s "
          f"({', '.join(f'{r:.1f}' for r in restarts)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
