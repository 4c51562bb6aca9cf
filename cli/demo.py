"""`tally demo`: an embedded broker, a live worker, the shipped samples published; commands and scores as they happen.

Everything runs locally (tansu in memory, one `tally worker` child process). It exits 0 once the final
scores are printed; `--follow` keeps it running, printing new commands, until Ctrl-C.
"""

import argparse
import json
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="run broker + worker locally, publish the samples, show commands and scores")
    parser.add_argument("--samples", default=None, help="directory of *.jsonl sample files (default: the shipped samples)")
    parser.add_argument("--follow", action="store_true", help="after the final scores, keep printing new commands until Ctrl-C")
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for old scripts
    parser.add_argument("--quiet-seconds", type=float, default=3.0, help="how long nothing new means 'done' (default %(default)s)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from samples import DIRECTORY as SHIPPED
    from streams.broker import EmbeddedBroker, free_port
    from streams.clients import producer, publish_lines
    from streams.process import WorkerProcess
    from streams.settings import Settings

    directory = Path(args.samples) if args.samples else SHIPPED
    files = sorted(directory.glob("*.jsonl"), key=lambda p: (p.name.startswith("bad"), p.name))
    if not files:
        print(f"no *.jsonl files in {directory}", file=sys.stderr)
        return 1
    sources = _sources(files)
    tmp = Path(tempfile.mkdtemp(prefix="tally-demo-"))
    out = _Printer()
    out.info(f"tally demo: logs in {tmp}")
    broker = EmbeddedBroker(log_path=str(tmp / "tansu.log")).start()
    worker = None
    try:
        settings = Settings(
            _env_file=None, broker_url=f"kafka://{broker.bootstrap}", partitions=2, session_timeout=3.0,
            data_dir=str(tmp / "data"), web_port=free_port(), log_level="INFO",
            source_keys={source: secrets.token_hex(16) for source in sources},  # a fresh key per source, for this run only
            clock_file=str(tmp / "now"),  # the scheduler waits until the samples are in (see below)
        )
        out.info(f"broker {broker.bootstrap}; starting a worker (query API on {settings.web_port})...")
        worker = WorkerProcess(settings, log_path=str(tmp / "worker.log")).start()
        out.info(f"worker ready after {worker.ready(timeout=120):.1f} s")
        follower = threading.Thread(target=_follow, args=(settings, out), daemon=True)
        follower.start()
        prod = producer(settings)
        sent = 0
        for path in files:
            out.info(f"publishing {path.name}")
            for line in path.read_bytes().splitlines():
                # One at a time, each journaled before the next: the three input topics are read concurrently, so
                # a creator's enrolment (violations topic) could otherwise be journaled after a later exam result.
                sent += publish_lines(prod, settings, [line], None, None, allow_unsigned=True)
                _wait_intake(worker, sent)
        prod.close()
        out.wait_quiet(args.quiet_seconds)
        # The samples are historical. With the scheduler on the wall clock from the start, a deadline months after
        # an event could be journaled before the creator's next (older) sample event. So its clock starts now.
        out.info("samples in; the scheduler's clock now jumps to the present: deadlines since the samples fall due")
        (tmp / "now").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        out.wait_quiet(args.quiet_seconds)
        _scores(worker, files, out)
        if not args.follow:
            return 0
        out.info("following (new commands print as they happen); Ctrl-C to stop")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return 130
    finally:
        out.info("stopping")
        if worker:
            worker.stop()
        broker.stop()


def _wait_intake(worker, count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(worker.counts()["intake_received"].values()) >= count:
            return
        time.sleep(0.005)


class _Printer:
    def __init__(self):
        self.lock = threading.Lock()
        self.last = time.monotonic()

    def line(self, text: str) -> None:
        with self.lock:
            print(text, flush=True)
            self.last = time.monotonic()

    def info(self, text: str) -> None:
        self.line(f"-- {text}")

    def wait_quiet(self, seconds: float) -> None:
        time.sleep(seconds)
        while time.monotonic() - self.last < seconds:
            time.sleep(0.2)


def _sources(files) -> set[str]:
    found = {"scheduler", "admin"}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and isinstance(event.get("source"), str):
                found.add(event["source"])
    return found


def _follow(settings, out: _Printer) -> None:
    """Print every command and refusal as it arrives. Polls rather than iterating the consumer: the iterator of
    kafka-python 3 can hold fetched records back for tens of seconds. Topics created later (the dead letters
    appear with the first refusal) are picked up as they appear."""
    import orjson
    from kafka import KafkaConsumer, TopicPartition

    from streams.connection import kafka_python_options

    consumer = KafkaConsumer(enable_auto_commit=False, fetch_max_wait_ms=20, **kafka_python_options(settings))
    assigned: set = set()
    while True:
        found = {TopicPartition(topic, p) for topic in (settings.topic_penalties, settings.topic_resources, settings.topic_deadletter)
                 for p in consumer.partitions_for_topic(topic) or ()}
        if found - assigned:
            positions = {tp: consumer.position(tp) for tp in assigned}
            assigned |= found
            consumer.assign(sorted(assigned))
            for tp in assigned:
                if tp in positions:
                    consumer.seek(tp, positions[tp])
                else:
                    consumer.seek_to_beginning(tp)
        if not assigned:
            time.sleep(0.2)
            continue
        for records in consumer.poll(timeout_ms=300).values():
            for record in records:
                out.line(_record_line(record.topic, settings, orjson.loads(record.value)))


def _record_line(topic: str, settings, value: dict) -> str:
    if topic == settings.topic_penalties:
        return _command_line(value)
    if topic == settings.topic_resources:
        return _resource_line(value)
    what = value.get("value") or value.get("value_base64") or ""
    return (f"  refused  {value['reason']:<24} {value['source_topic']}@{value['partition']}:{value['offset']}  {value['detail'][:60]}"
            f"  | {what[:50]}")


def _command_line(c: dict) -> str:
    reason = c["reason"]
    until = f" until {c['effective_until']}" if c.get("effective_until") else ""
    what = f"lift {c['lifts']}" if c["action"] == "lift" else c["action"]
    return (f"  command  {c['creator_id']:<16} {what:<28} from {c['effective_from']}{until}"
            f"  [{reason['policy_id']} {reason['rule']}; score {reason['score_before']} -> {reason['score_after']}]")


def _resource_line(c: dict) -> str:
    reason = c["reason"]
    return (f"  resource {c['creator_id']:<16} {c['action'] + ' ' + c['resource']:<28} from {c['effective_from']}"
            f"  [{reason['policy_id']} {reason['rule']}; {c['score']} {reason['score_before'] or '-'} -> {reason['score_after'] or '-'}]")


def _scores(worker, files, out: _Printer) -> None:
    creators: list[str] = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                creator = json.loads(line).get("creator_id")
            except (ValueError, AttributeError):
                continue
            if isinstance(creator, str) and creator not in creators:
                creators.append(creator)
    out.info("scores now (GET /creators/{id})")
    out.line(f"  {'creator':<18} {'rulebook':<28} {'score':>6}  {'penalties in force':<40} pending")
    for creator in creators:
        status, body = worker.get(f"/creators/{creator}")
        if status != 200:
            out.line(f"  {creator:<18} (no state: every event refused)")
            continue
        active = ", ".join(sorted(p["action"] for p in body["active_penalties"])) or "-"
        pending = []
        if body["pending_exams"]:
            pending.append(f"{len(body['pending_exams'])} exam(s)")
        if body["pending_appeals"]:
            pending.append(f"{len(body['pending_appeals'])} appeal(s)")
        terminal = f" [{body['terminal']}]" if body.get("terminal") else ""
        out.line(f"  {creator:<18} {body['rulebook']:<28} {body['score']:>6}  {active[:40]:<40} {', '.join(pending) or '-'}{terminal}")
    operators = [(creator, body) for creator in creators for status, body in [worker.get(f"/creators/{creator}/scores")] if status == 200
                 and any(s["band"] != "unrated" for s in body["scores"].values())]
    if not operators:
        return
    out.info("operator scores now (GET /creators/{id}/scores): score (band), and what the bands grant")
    for creator, body in operators:
        scores = "  ".join(f"{name} {s['score'] or '-'} ({s['band']})" for name, s in body["scores"].items())
        granted = sorted({f"{resource} ({name})" for name, s in body["scores"].items() for resource in s["grants"]})
        out.line(f"  {creator:<18} {scores}")
        out.line(f"  {'':<18} grants: {', '.join(granted) or '-'}")
