"""Peers for the side-by-side live benchmark: the same simple fold, run by other stream processors on the same records.

    .venv/bin/python bench/peers.py [--events 20000] [--creators 2000] [--partitions 4]

On an embedded tansu broker, a synthetic journal (bench/synthetic_journal.py) of N JSON events, key = creator id, is
published once to one topic. Each peer then runs in a process of its own (bench/peer_workers.py), with a fresh
consumer group or app id, and measures itself:
1. `raw_read_rate`: a plain aiokafka consumer, no group, reading the N records without decoding (the ceiling);
2. `bare_faust_rate`: a bare Faust app (memory store, Faust's defaults but for the fetch wait) folding into a Table;
3. `quix_rate`: Quix Streams (RocksDB state, changelog on) folding with `apply(stateful=True)`; optional:
   `pip install -e '.[bench]'`;
4. `raw_round_trip`: produce-to-consume latency of one aiokafka producer and consumer, the latency floor.
The fold, for every peer: decode the value (orjson), update the creator's state {"events", "violations", "score"}, write
it back to the state store, send one small JSON command per event to an output topic. A peer's events/s counts from
its first processed record (a group's first join on tansu takes half the session timeout) until its N-th record is
processed and its outputs are acknowledged (Faust: producer flushed; Quix: the final checkpoint committed); the
peer counts the records itself (tansu under-reports end offsets). Figures are printed, never asserted.
`bench/side_by_side.py` imports these functions; `bench/live.py` measures Tally itself.
"""

import argparse
import asyncio
import importlib.util
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from streams.broker import EmbeddedBroker  # noqa: E402
from streams.journal_admin import publish_dicts  # noqa: E402
from synthetic_journal import journal  # noqa: E402

WORKERS = ROOT / "bench" / "peer_workers.py"
RESULT_PREFIX = "PEER_RESULT "  # as bench/peer_workers.py writes it
QUIX_MISSING = "quixstreams not installed: pip install -e '.[bench]'"


# The peers -----------------------------------------------------------------------------------------------------------

def raw_read_rate(bootstrap: str, topic: str, n: int, workdir: str | None = None) -> float:
    """Records/s of a plain aiokafka read of the n records (no group, no decoding)."""
    return run_worker("raw", {"bootstrap": bootstrap, "topic": topic, "n": n}, workdir)["events_per_s"]


def bare_faust_rate(bootstrap: str, topic: str, n: int, partitions: int, workdir: str) -> dict[str, Any]:
    """{"events_per_s", "processed_per_s", "seconds", "startup_s", ...} of a bare Faust app folding the n records."""
    app_id = f"peers-faust-{uuid.uuid4().hex[:8]}"
    out = output_topic(bootstrap, topic, "faust", partitions)
    spec = {"bootstrap": bootstrap, "topic": topic, "n": n, "partitions": partitions, "workdir": _fresh(workdir, app_id),
            "app_id": app_id, "out_topic": out}
    return {"peer": "faust", "out_topic": out, **run_worker("faust", spec, workdir, exits_itself=False)}


def quix_rate(bootstrap: str, topic: str, n: int, partitions: int, workdir: str) -> dict[str, Any] | None:
    """As bare_faust_rate, for Quix Streams; None if quixstreams is not installed."""
    if importlib.util.find_spec("quixstreams") is None:
        return None
    group = f"peers-quix-{uuid.uuid4().hex[:8]}"
    out = output_topic(bootstrap, topic, "quix", partitions)
    spec = {"bootstrap": bootstrap, "topic": topic, "n": n, "partitions": partitions, "workdir": _fresh(workdir, group),
            "group": group, "out_topic": out}
    return {"peer": "quix", "out_topic": out, **run_worker("quix", spec, workdir)}


def raw_round_trip(bootstrap: str, topic: str, rate: float = 200, seconds: float = 10, workdir: str | None = None) -> dict[str, Any]:
    """{"p50_ms", "p99_ms", "max_ms", "count"}: produce-to-consume latency at `rate` records/s for `seconds`.
    The topic is created with one partition if it does not exist."""
    ensure_topic(bootstrap, topic, 1)
    spec = {"bootstrap": bootstrap, "topic": topic, "rate": rate, "seconds": seconds}
    return run_worker("round_trip", spec, workdir, timeout=seconds + 120)


# Running a worker ----------------------------------------------------------------------------------------------------

def run_worker(kind: str, spec: dict[str, Any], workdir: str | None, timeout: float = 600, exits_itself: bool = True) -> dict[str, Any]:
    """Start `peer_workers.py KIND SPEC`, wait (blocked, not polling) for its result line, then end it.
    Its stderr goes to WORKDIR/KIND.log."""
    log_path = Path(workdir or tempfile.mkdtemp(prefix="tally-peers-")) / f"{kind}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen([sys.executable, str(WORKERS), kind, json.dumps(spec)], stdout=subprocess.PIPE,
                                   stderr=log, cwd=str(ROOT))
    try:
        return read_result(process, timeout, f"{kind} (log: {log_path})")
    finally:
        end(process, grace=15 if exits_itself else 0)


def read_result(process: subprocess.Popen, timeout: float, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    fd = process.stdout.fileno()  # type: ignore[union-attr]
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"peer {name} exited with {process.wait()} before its result")
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:  # not necessarily at the start: a library may have written to the same line
                if (at := line.find(RESULT_PREFIX.encode())) >= 0:
                    return json.loads(line[at + len(RESULT_PREFIX):])
    raise TimeoutError(f"peer {name} gave no result within {timeout:.0f} s")


def end(process: subprocess.Popen, grace: float) -> None:
    """Let the worker exit by itself for `grace` seconds, then SIGTERM (Faust stops gracefully), then SIGKILL."""
    for stop, wait in ((None, grace), (process.terminate, 15), (process.kill, 15)):
        if stop:
            stop()
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.stdout:
        process.stdout.close()


# Topics --------------------------------------------------------------------------------------------------------------

def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    from streams.journal_admin import _ensure_topic

    asyncio.run(_ensure_topic(bootstrap, topic, partitions))


def output_topic(bootstrap: str, topic: str, peer: str, partitions: int) -> str:
    """A fresh output topic for one run of one peer, co-partitioned with the input."""
    name = f"{topic}.out.{peer}.{uuid.uuid4().hex[:8]}"
    ensure_topic(bootstrap, name, partitions)
    return name


def _fresh(workdir: str, name: str) -> str:
    path = Path(workdir) / name
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


# Standalone ----------------------------------------------------------------------------------------------------------

def publish_journal(bootstrap: str, topic: str, events: int, creators: int, partitions: int) -> int:
    """The synthetic journal, cut to exactly `events` records; returns how many were published."""
    records = journal(creators, max(1, -(-events // creators)))[:events]
    publish_dicts(bootstrap, topic, records, partitions=partitions, batched=True)
    return len(records)


def attempt(function, *args, **kwargs) -> Any:
    """The peer's figures, or the reason it gave none (printed in its row: one failed peer does not hide the others)."""
    try:
        return function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001
        return f"failed: {error!r}"


def print_table(n: int, raw: Any, peers: dict[str, Any], trip: Any) -> None:
    print(f"{n} events. raw: from its first fetch; peers: from their first processed record to the N-th, outputs acknowledged")
    print(f"{'peer':<14}{'events/s':>10}{'vs raw':>8}{'processed/s':>13}{'seconds':>9}{'startup s':>11}")
    if isinstance(raw, str):
        print(f"{'raw aiokafka':<14}{raw}")
        raw = None
    else:
        print(f"{'raw aiokafka':<14}{raw:>10.0f}{1:>8.3f}")
    for name, result in peers.items():
        if not isinstance(result, dict):
            print(f"{name:<14}{result}")
            continue
        ratio = f"{result['events_per_s'] / raw:>8.3f}" if raw else f"{'-':>8}"
        print(f"{name:<14}{result['events_per_s']:>10.0f}{ratio}{result['processed_per_s']:>13.0f}"
              f"{result['seconds']:>9.2f}{result['startup_s']:>11.2f}")
    if isinstance(trip, str):
        print(f"round trip: {trip}")
    else:
        print(f"round trip (aiokafka producer -> consumer, {trip['count']} records): "
              f"p50 {trip['p50_ms']} ms, p99 {trip['p99_ms']} ms, max {trip['max_ms']} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--creators", type=int, default=2_000)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="tally-peers-")
    topic = "peers.journal"
    with EmbeddedBroker(log_path=str(Path(workdir) / "tansu.log")) as broker:
        bootstrap = broker.bootstrap
        n = publish_journal(bootstrap, topic, args.events, args.creators, args.partitions)
        raw = attempt(raw_read_rate, bootstrap, topic, n, workdir)
        peers = {"bare faust": attempt(bare_faust_rate, bootstrap, topic, n, args.partitions, workdir),
                 "quix streams": attempt(quix_rate, bootstrap, topic, n, args.partitions, workdir) or QUIX_MISSING}
        trip = attempt(raw_round_trip, bootstrap, f"{topic}.round-trip", workdir=workdir)
    print_table(n, raw, peers, trip)
    print(f"logs: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
