"""Side by side: one Tally worker, a bare Faust agent, Quix Streams and a plain aiokafka read, on the same events and
the same embedded tansu broker, in one run.

    .venv/bin/python bench/side_by_side.py [--events 20000] [--creators 2000] [--partitions 4]

- Tally (bench/live.py): the synthetic year published signed to the input topics; one `tally worker` takes it through
  intake (verify, decode, align, journal) and the fold (penalties and operator scores, commands acknowledged, states
  recorded). The scheduler's own events are left out of the input (the worker's scheduler makes those).
- bare Faust, Quix Streams (bench/peers.py): the same events on one topic, a simple fold (count, violations, score)
  into a table and one command per event. Quix is optional: `pip install -e '.[bench]'`.
- plain aiokafka: a read of that topic, no decoding: the ceiling.
Prints events/s and the ratios to Quix and to the read. Figures are printed, never asserted.
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from live import tally_rate  # noqa: E402
from peers import QUIX_MISSING, attempt, bare_faust_rate, quix_rate, raw_read_rate  # noqa: E402
from streams.broker import EmbeddedBroker  # noqa: E402
from streams.journal_admin import publish_dicts  # noqa: E402
from synthetic_journal import journal  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--creators", type=int, default=2_000)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    events = journal(args.creators, max(1, args.events // args.creators))
    workdir = Path(tempfile.mkdtemp(prefix="tally-side-by-side-"))
    topic = "peers.journal"
    with EmbeddedBroker(log_path=str(workdir / "tansu.log")) as broker:
        publish_dicts(broker.bootstrap, topic, events, partitions=args.partitions, batched=True)
        raw = attempt(raw_read_rate, broker.bootstrap, topic, len(events), str(workdir))
        rows = {
            "Tally worker": attempt(tally_rate, broker.bootstrap, events, args.partitions, workdir / "tally"),
            "bare Faust": attempt(bare_faust_rate, broker.bootstrap, topic, len(events), args.partitions, str(workdir)),
            "Quix Streams": attempt(quix_rate, broker.bootstrap, topic, len(events), args.partitions, str(workdir)) or QUIX_MISSING,
        }
    quix = rows["Quix Streams"]["events_per_s"] if isinstance(rows["Quix Streams"], dict) else None
    tally = rows["Tally worker"]
    through = f" (Tally: {tally['events']:,} through intake)" if isinstance(tally, dict) else ""
    print(f"{len(events):,} events over {args.creators:,} creators, {args.partitions} partitions{through}")
    print(f"{'':<16}{'events/s':>10}{'vs Quix':>9}{'vs read':>9}")
    if isinstance(raw, str):
        print(f"{'plain aiokafka':<16}{raw}")
        raw = None
    else:
        print(f"{'plain aiokafka':<16}{raw:>10,.0f}{'':>9}{1:>9.3f}")
    for name, result in rows.items():
        if not isinstance(result, dict):
            print(f"{name:<16}{result}")
            continue
        rate = result["events_per_s"]
        print(f"{name:<16}{rate:>10,.0f}{(f'{rate / quix:.3f}' if quix else '-'):>9}{(f'{rate / raw:.4f}' if raw else '-'):>9}")
    print(f"logs: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
