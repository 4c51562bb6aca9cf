"""Replay benchmark: the fold over a year of journal, against plain orjson parsing of the same lines.

    python bench/replay.py                              # 1M events over 100k creators (about 8 minutes here)
    python bench/replay.py --events 200000 --creators 20000   # quicker
    python bench/replay.py --skip-jobs --skip-single    # only the population replays

Prints, each measured in this run and beside its target (issue 7):
- orjson.loads of the journal's lines: the baseline;
- one process replaying the trusted journal (parse, fold, encode every command), Zipf-skewed and
  uniform populations of the same size;
- one creator with 100,000 events in a year, against the uniform rate;
- one busy creator enrolled in each pack (20,000 events by default): the packs that keep a ledger of
  records are where a long history could cost;
- the stored state per creator (compacted msgpack, what a table keeps);
- `tally replay --trusted` with --jobs 2 against --jobs 1 (whole processes, output compared byte for byte).
No figure here is asserted anywhere: the machines are shared and noisy.
"""

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic_journal import creator_events  # noqa: E402
from projections.fold import compact  # noqa: E402
from projections.state import to_bytes  # noqa: E402
from schemas.codec import encode  # noqa: E402
from schemas.instants import DAY, format_instant, parse_instant  # noqa: E402
from service.policies import shipped_rulebooks  # noqa: E402
from service.replay import Replayer  # noqa: E402

YEAR = 365 * DAY
START = parse_instant("2024-01-01T00:00:00Z")


def zipf_counts(creators: int, events: int, exponent: float, rng: random.Random) -> list[int]:
    """Events per creator, Zipf-like: the k-th most active creator gets ~1/k^exponent of the activity."""
    weights = [1 / (rank**exponent) for rank in range(1, creators + 1)]
    rng.shuffle(weights)
    total = sum(weights)
    return [max(1, round(events * w / total)) for w in weights]


def scheduler_events(events: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """What a live scheduler writes: an appeal_window_closed for each violation, stamped with the deadline."""
    out = []
    for _, event in events:
        if event["type"] != "violation_recorded":
            continue
        closes = parse_instant(event["occurred_at"]) + 7 * DAY
        out.append((closes, {
            "event_id": f"deadline:{event['violation_id']}", "creator_id": event["creator_id"], "occurred_at": format_instant(closes),
            "source": "scheduler", "schema_version": 3, "type": "appeal_window_closed", "violation_id": event["violation_id"],
        }))
    return out


def one_creator(creator: str, events: int, rng: random.Random) -> list[tuple[int, str, int, dict]]:
    # A violation brings ~1.6 further events on average (appeals, exams, deadlines); spread them over the year.
    count = max(1, round(events / 1.6))
    mean_gap = max(60, int(YEAR / max(1, count / 1.6)))
    story = creator_events(rng, creator, count, START, gaps=(mean_gap // 4, mean_gap * 7 // 4))
    return [(arrival, creator, position, event) for position, (arrival, event) in enumerate(story + scheduler_events(story))]


def generate(creators: int, events: int, exponent: float, seed: int) -> list[bytes]:
    """A year of journal records in arrival order, as the intake would have written them."""
    rng = random.Random(seed)
    merged = []
    for index, count in enumerate(zipf_counts(creators, events, exponent, rng)):
        merged += one_creator(f"c{index:07d}", count, rng)
    merged.sort(key=lambda entry: entry[:3])
    return [encode(entry[3]) for entry in merged]


def single_creator(events: int, seed: int) -> list[bytes]:
    merged = sorted(one_creator("busy", events, random.Random(seed)), key=lambda entry: entry[:3])
    return [encode(entry[3]) for entry in merged]


def busy_on_pack(rulebooks, key: str, events: int, seed: int) -> list[bytes]:
    """One creator enrolled in a pack, with its catalogue's violations at the single-creator pace: the
    packs that keep a ledger of records (points, repeat offences) are where history could cost."""
    rulebook, rng = rulebooks[key], random.Random(seed)
    codes = tuple((code, tuple(severities)) for code, severities in rulebook.points.items())
    count = max(1, round(events / 1.6))
    mean_gap = max(60, int(YEAR / max(1, count / 1.6)))
    story = creator_events(rng, "busy", count, START, codes=codes, gaps=(mean_gap // 4, mean_gap * 7 // 4))
    enrol = {"event_id": "busy-enrolled", "creator_id": "busy", "occurred_at": format_instant(START - 1), "source": "admin",
             "schema_version": 2, "type": "creator_enrolled", "rulebook": rulebook.policy.id, "role": rulebook.policy.role}
    merged = sorted([(START - 1, enrol), *story, *scheduler_events(story)], key=lambda entry: entry[0])
    return [encode(event) for _, event in merged]


def parse_rate(lines: list[bytes]) -> float:
    loads, began = orjson.loads, time.perf_counter()
    for line in lines:
        loads(line)
    return len(lines) / (time.perf_counter() - began)


def replay(lines: list[bytes], rulebooks) -> tuple[float, Replayer, int]:
    """Events/s of the trusted journal path: orjson, fold, encode every command."""
    replayer, loads = Replayer(rulebooks), orjson.loads
    feed, commands = replayer.feed, 0
    began = time.perf_counter()
    for line in lines:
        for command in feed(loads(line)).commands:
            encode(command)
            commands += 1
    return len(lines) / (time.perf_counter() - began), replayer, commands


def jobs_seconds(path: Path, jobs: int, runs: int) -> tuple[float, bytes]:
    times, out = [], b""
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "cli.main", "replay", str(path), "--trusted", "--jobs", str(jobs)],
                              cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - began)
        out = done.stdout
    return statistics.median(times), out


def row(what: str, figure: str, target: str = "", ratio: str = "") -> None:
    print(f"  {what:<56} {figure:>22}   {ratio:<16} {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="input events before scheduler deadlines (default %(default)s)")
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--zipf", type=float, default=1.0, help="skew exponent of the skewed population (default %(default)s)")
    parser.add_argument("--single", type=int, default=100_000, help="events of the single busy creator (default %(default)s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, help="whole-command runs per --jobs setting (median)")
    parser.add_argument("--skip-jobs", action="store_true")
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--pack-events", type=int, default=20_000, help="events of the busy creator on each pack (default %(default)s)")
    parser.add_argument("--skip-packs", action="store_true")
    parser.add_argument("--write", metavar="PATH", help="also write the skewed journal as JSONL")
    args = parser.parse_args()
    rulebooks = shipped_rulebooks()

    skewed = generate(args.creators, args.events, args.zipf, args.seed)
    uniform = generate(args.creators, args.events, 0.0, args.seed)
    print(f"journals: {len(skewed):,} events (zipf {args.zipf}), {len(uniform):,} events (uniform), {args.creators:,} creators; "
          f"mean event {statistics.fmean(map(len, skewed)):.0f} B")
    if args.write:
        Path(args.write).write_bytes(b"\n".join(skewed) + b"\n")

    baseline = parse_rate(skewed)
    skewed_rate, replayer, commands = replay(skewed, rulebooks)
    uniform_rate, _, _ = replay(uniform, rulebooks)
    counts = replayer.counts.as_dict()
    print(f"skewed replay: folded {counts['folded']:,}, held {counts['held']:,}, duplicates {counts['duplicates']:,}, "
          f"rejected {counts['rejected']:,} {counts['rejected_by_reason']}; commands {commands:,}")

    sizes = sorted(len(to_bytes(compact(state, rulebooks))) for state in replayer.states.values())
    print()
    row("measure", "measured", "target", "ratio")
    row("orjson.loads of the same lines (baseline)", f"{baseline:,.0f} ev/s")
    row(f"replay, one process, zipf {args.zipf}", f"{skewed_rate:,.0f} ev/s", ">= 100,000 ev/s (0.1 of baseline)", f"{skewed_rate / baseline:.3f} of base")
    row("replay, one process, uniform", f"{uniform_rate:,.0f} ev/s", ">= 100,000 ev/s (0.1 of baseline)", f"{uniform_rate / baseline:.3f} of base")
    if not args.skip_single:
        busy = single_creator(args.single, args.seed)
        single_rate, _, _ = replay(busy, rulebooks)
        row(f"one creator, {len(busy):,} events in a year", f"{single_rate:,.0f} ev/s", ">= 0.5 of uniform", f"{single_rate / uniform_rate:.2f} of uniform")
    if not args.skip_packs:
        for key in sorted(rulebook.policy.key for rulebook in rulebooks):
            busy = busy_on_pack(rulebooks, key, args.pack_events, args.seed)
            rate, _, _ = replay(busy, rulebooks)
            row(f"one creator, {key}, {len(busy):,} events", f"{rate:,.0f} ev/s", ">= 0.5 of uniform", f"{rate / uniform_rate:.2f} of uniform")
    row("stored state per creator, mean", f"{statistics.fmean(sizes):,.0f} B", "<= 200 B")
    row("stored state per creator, p50 / p99 / max", f"{sizes[len(sizes) // 2]} / {sizes[len(sizes) * 99 // 100]} / {sizes[-1]} B")
    if not args.skip_jobs:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "journal.jsonl"
            path.write_bytes(b"\n".join(skewed) + b"\n")
            one, out_one = jobs_seconds(path, 1, args.runs)
            two, out_two = jobs_seconds(path, 2, args.runs)
        same = "identical bytes" if out_one == out_two else "OUTPUTS DIFFER"
        row("tally replay --trusted --jobs 1, median", f"{one:.1f} s")
        row("tally replay --trusted --jobs 2, median", f"{two:.1f} s", ">= 1.7x --jobs 1", f"{one / two:.2f}x, {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
