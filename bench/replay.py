"""Replay benchmark: fold a Zipf-skewed journal and compare with plain orjson parsing of the same lines.

    python bench/replay.py                    # 1,000,000 events over 100,000 creators
    python bench/replay.py --events 200000    # quicker

Prints events/s for: orjson.loads alone (the baseline, same lines, same run), the trusted replay
(journal path: orjson + fold + command encoding), and the validated path (pydantic) on a sample;
then the serialised state size per creator. No figure here is asserted anywhere.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic_journal import creator_events  # noqa: E402
from service.replay import Replayer  # noqa: E402
from projections.rulebook import Rulebooks
from service.policies import load_rulebooks, shipped_policies_dir  # noqa: E402
from projections.state import to_bytes  # noqa: E402
from schemas.codec import decode_untrusted, encode  # noqa: E402
from schemas.instants import DAY, format_instant, parse_instant  # noqa: E402

YEAR = 365 * DAY


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
            "source": "scheduler", "schema_version": 2, "type": "appeal_window_closed", "violation_id": event["violation_id"],
        }))
    return out


def generate(creators: int, events: int, exponent: float, seed: int) -> list[bytes]:
    """A year of journal records, arrival order, as the intake would have written them."""
    rng = random.Random(seed)
    start = parse_instant("2024-01-01T00:00:00Z")
    merged = []
    for index, count in enumerate(zipf_counts(creators, events, exponent, rng)):
        # A violation brings ~2.6 events on average (appeals, exams, deadlines); spread them over the year.
        count = max(1, round(count / 1.6))
        mean_gap = max(60, int(YEAR / max(1, count / 1.6)))
        creator = f"c{index:07d}"
        events = creator_events(rng, creator, count, start, gaps=(mean_gap // 4, mean_gap * 7 // 4))
        for position, (arrival, event) in enumerate(events + scheduler_events(events)):
            merged.append((arrival, creator, position, event))
    merged.sort(key=lambda entry: entry[:3])
    return [encode(entry[3]) for entry in merged]


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>12,.0f} events/s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--zipf", type=float, default=1.0, help="skew exponent (default %(default)s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", metavar="PATH", help="also write the generated journal as JSONL")
    args = parser.parse_args()

    began = time.perf_counter()
    lines = generate(args.creators, args.events, args.zipf, args.seed)
    print(f"generated {len(lines):,} events over {args.creators:,} creators (zipf {args.zipf}) in {time.perf_counter() - began:.1f}s")
    sizes = sorted((len(line) for line in lines))
    print(f"event size: mean {statistics.fmean(sizes):.0f} B, p50 {sizes[len(sizes) // 2]} B")
    if args.write:
        Path(args.write).write_bytes(b"\n".join(lines) + b"\n")

    loads = orjson.loads
    began = time.perf_counter()
    for line in lines:
        loads(line)
    parse_seconds = time.perf_counter() - began

    rulebooks = load_rulebooks(shipped_policies_dir(), "douyin-creator-2022")
    replayer = Replayer(rulebooks)
    feed, out = replayer.feed, []
    began = time.perf_counter()
    for line in lines:
        for command in feed(loads(line)).commands:
            out.append(encode(command))
    replay_seconds = time.perf_counter() - began

    sample = lines[: min(len(lines), 100_000)]
    began = time.perf_counter()
    for line in sample:
        decode_untrusted(line)
    validate_seconds = time.perf_counter() - began

    print(f"orjson.loads (baseline)       {rate(len(lines), parse_seconds)}")
    print(f"replay, trusted journal path  {rate(len(lines), replay_seconds)}   ratio to baseline {parse_seconds / replay_seconds:.3f} (target >= 0.5)")
    print(f"pydantic validation alone     {rate(len(sample), validate_seconds)}   (untrusted input path, {len(sample):,}-event sample)")
    counts = replayer.counts.as_dict()
    print(f"folded {counts['folded']:,}, duplicates {counts['duplicates']:,}, rejected {counts['rejected']:,} {counts['rejected_by_reason']}; commands {len(out):,}")

    state_sizes = sorted(len(to_bytes(state)) for state in replayer.states.values())
    print(
        f"state per creator: mean {statistics.fmean(state_sizes):.0f} B, p50 {state_sizes[len(state_sizes) // 2]} B, "
        f"p99 {state_sizes[len(state_sizes) * 99 // 100]} B, max {state_sizes[-1]} B (target mean <= 200 B)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
