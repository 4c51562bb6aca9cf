"""Kill loop: two workers fold a journal while one or the other is killed with SIGKILL, again and again.

    .venv/bin/python bench/kill_loop.py [--events 20000] [--kills 10] [--seed 1]

Publishes a synthetic journal (bench/synthetic_journal.py) to an embedded tansu broker, starts two `tally worker`
processes in one group (3 s sessions), and while they fold it kills a worker chosen at random every 2 to 6 s
(seeded), restarting it at once with the same settings. Then it waits until the penalties topic holds every
command a replay of the journal gives, and prints:
- missing (replayed, never published) and different (same id, other content): both must be 0;
- redeliveries (a command published more than once, byte for byte: at-least-once);
- recovery after each kill: SIGKILL to the restarted worker ready again (/health 200), p50 and max.
Exit 1 if anything is missing or different. Nothing is timed in a test; this is a script to run by hand.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import orjson  # noqa: E402

from schemas.codec import encode  # noqa: E402
from service.policies import shipped_rulebooks  # noqa: E402
from service.replay import Replayer  # noqa: E402
from streams.broker import EmbeddedBroker, free_port  # noqa: E402
from streams.clients import read_values  # noqa: E402
from streams.journal_admin import publish_dicts  # noqa: E402
from streams.journal_reader import TopicReader  # noqa: E402
from projections.state import from_bytes  # noqa: E402
from streams.process import WorkerProcess  # noqa: E402
from streams.settings import Settings  # noqa: E402
from synthetic_journal import journal  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--creators", type=int, default=2_000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0, help="give up waiting for the commands after this many seconds")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    events = journal(args.creators, max(1, args.events // args.creators))
    expected = {c.command_id: encode(c) for c in Replayer(shipped_rulebooks()).run(events)}
    tmp = Path(tempfile.mkdtemp(prefix="tally-kill-loop-"))
    with EmbeddedBroker(log_path=str(tmp / "tansu.log")) as broker:
        a = Settings(_env_file=None, broker_url=f"kafka://{broker.bootstrap}", app_id="tally-kill-loop", partitions=4,
                     data_dir=str(tmp / "a"), web_port=free_port(), session_timeout=3.0, clock_file=str(tmp / "no-clock"), log_level="INFO")
        b = a.model_copy(update={"data_dir": str(tmp / "b"), "web_port": free_port()})
        publish_dicts(a, a.topic_journal, events, partitions=a.partitions, batched=True)
        print(f"journal: {len(events):,} events over {args.creators:,} creators; a replay gives {len(expected):,} commands")
        workers = {"a": WorkerProcess(a, str(tmp / "a-0.log")).start(), "b": WorkerProcess(b, str(tmp / "b-0.log")).start()}
        settings = {"a": a, "b": b}
        recoveries = []
        started = time.monotonic()
        try:
            for worker in workers.values():
                worker.ready(timeout=120)
            for kill in range(1, args.kills + 1):
                time.sleep(rng.uniform(2.0, 6.0))
                name = rng.choice(sorted(workers))
                workers[name].kill()
                killed_at = time.monotonic()
                workers[name] = WorkerProcess(settings[name], str(tmp / f"{name}-{kill}.log")).start()
                workers[name].ready(timeout=120)
                recoveries.append(time.monotonic() - killed_at)
                print(f"kill {kill:>2}: worker {name} at {killed_at - started:6.1f} s, ready again after {recoveries[-1]:.1f} s", flush=True)
            deadline = time.monotonic() + args.timeout
            while True:
                published = read_values(a, a.topic_penalties)
                ids = {orjson.loads(v)["command_id"] for v in published}
                if set(expected) <= ids or time.monotonic() > deadline:
                    break
                time.sleep(3)
            elapsed = time.monotonic() - started
        finally:
            for worker in workers.values():
                worker.stop()
        seen: dict[str, set[bytes]] = {}
        for value in published:
            command = orjson.loads(value)
            seen.setdefault(command["command_id"], set()).add(encode(command))
        missing = [cid for cid in expected if cid not in seen]
        different = [cid for cid, contents in seen.items() if cid not in expected or contents != {expected[cid]}]
        if missing or different:
            creators = {orjson.loads(expected[cid])["creator_id"] for cid in missing if cid in expected}
            creators |= {orjson.loads(next(iter(seen[cid])))["creator_id"] for cid in different}
            for cid in different[:5]:
                print(f"  different {cid}: replay {expected.get(cid, b'(no such id)').decode()}")
                for content in seen[cid]:
                    print(f"    published {content.decode()}")
            print_changelog_positions(a, creators)
    print(f"published {len(published):,} records, {len(seen):,} distinct commands in {elapsed:.0f} s; "
          f"missing {len(missing)}, different {len(different)}, redelivered {len(published) - len(seen):,}")
    if recoveries:
        print(f"recovery (SIGKILL to ready again): p50 {statistics.median(recoveries):.1f} s, max {max(recoveries):.1f} s over {len(recoveries)} kills")
    print(f"logs in {tmp}")
    return 1 if missing or different else 0


def print_changelog_positions(settings: Settings, creators: set[str]) -> None:
    """For each creator with a missing or different command: the journal positions of its states, in the order the
    table's changelog holds them. A position lower than an earlier one is a stale state written after a newer one
    (a restore then takes the stale one); a position never reached means the state's write was lost."""
    history: dict[str, list[tuple[int, int]]] = {}
    with TopicReader(settings, settings.changelog_topic) as reader:
        for record in reader:
            creator = (record.key or b"").decode()
            if creator in creators and record.value is not None:
                history.setdefault(creator, []).append((record.offset, from_bytes(record.value).position))
    for creator in sorted(creators):
        positions = [position for _, position in history.get(creator, [])]
        went_back = [(o, p) for (o, p), before in zip(history.get(creator, [])[1:], positions) if p < before]
        print(f"  {creator}: changelog positions {positions}; stale writes (offset, position) {went_back}")


if __name__ == "__main__":
    sys.exit(main())
