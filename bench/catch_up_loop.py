"""Catch-up loop (issue 8): a year of history for 200 creators, published signed to the input topics, folded by a
fresh worker on a fresh broker, again and again. Does the worker ever stall, and does it stop promptly on SIGTERM?

    .venv/bin/python bench/catch_up_loop.py [--runs 20] [--creators 200] [--stall-seconds 60] [--wall-clock]

Each run: a new embedded tansu, the synthetic year (bench/synthetic_journal.py, the scheduler's own events left out)
published by type to the input topics, one `tally worker` started. The run passes when every input record is
journaled or dead-lettered and every journal record folded; it stalls when the worker's counts do not move for
`--stall-seconds` before that. The scheduler is off unless `--wall-clock` (then it fires by today's date, ahead of
the history: issue 8, item 2). Then SIGTERM, timed until the process exits (SIGKILL after 30 s). Prints one line per
run, the `too_late` refusals, and the stop times' median and max. Exit 1 on a stall or a stop slower than 10 s.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from live import SOURCE_KEYS, bench_settings, publish_inputs, through  # noqa: E402
from streams.broker import EmbeddedBroker  # noqa: E402
from streams.process import WorkerProcess  # noqa: E402
from synthetic_journal import journal  # noqa: E402


def one_run(run: int, events: list[dict], stall_seconds: float, wall_clock: bool) -> tuple[str, float, dict]:
    tmp = Path(tempfile.mkdtemp(prefix=f"tally-catch-up-{run}-"))
    with EmbeddedBroker(log_path=str(tmp / "tansu.log")) as broker:
        settings = bench_settings(broker.bootstrap, tmp, partitions=4, **({"clock_file": None} if wall_clock else {}))
        publish_inputs(settings, events)
        worker = WorkerProcess(settings, str(tmp / "worker.log")).start()
        outcome, counts = "stalled", {}
        try:
            worker.ready(timeout=120)
            last, moved = None, time.monotonic()
            while time.monotonic() - moved < stall_seconds:
                counts = worker.counts()
                received, folded, expected = through(counts)
                if received >= len(events) and folded >= expected:
                    outcome = "caught up"
                    break
                if (received, folded) != last:
                    last, moved = (received, folded), time.monotonic()
                time.sleep(0.5)
        finally:
            stopping = time.monotonic()
            worker.stop(timeout=30)
            stop_seconds = time.monotonic() - stopping
    return f"{outcome} ({tmp / 'worker.log'})", stop_seconds, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--creators", type=int, default=200)
    parser.add_argument("--stall-seconds", type=float, default=60.0)
    parser.add_argument("--wall-clock", action="store_true", help="run the scheduler on the wall clock (default: off)")
    args = parser.parse_args()
    events = [e for e in journal(args.creators, 26) if e["source"] in SOURCE_KEYS]
    print(f"{len(events):,} events of {args.creators} creators per run")
    stops, failed = [], 0
    for run in range(1, args.runs + 1):
        outcome, stop_seconds, counts = one_run(run, events, args.stall_seconds, args.wall_clock)
        stops.append(stop_seconds)
        too_late = counts.get("rejected", {}).get("too_late", 0)
        failed += not outcome.startswith("caught up") or stop_seconds > 10
        print(f"run {run:>2}: {outcome}; too_late {too_late}; stopped {stop_seconds:.1f} s after SIGTERM", flush=True)
    print(f"{args.runs - failed} of {args.runs} runs caught up and stopped within 10 s; "
          f"stop after SIGTERM: median {statistics.median(stops):.1f} s, max {max(stops):.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
