"""Parallel replay of one journal: what `tally replay FILE --jobs N` (and `--from-kafka --jobs N`) runs.

Events of different creators never interact (projections/fold.py), so the creators are shared out over N
worker processes. Each worker reads its share of the input (a `Source`), folds it, and keeps what it
would print in a temporary file, tagged with the input line number (the journal position, for a topic).
The parent then merges those files by line number (and the final states by creator id), so N processes
print exactly the bytes one process prints.

A file: every worker reads and decodes the whole file itself (parsing a line costs ~1 µs, folding it 50+)
and folds only its own creators' events. A topic (`streams.journal_share`): creators are partition-local,
so each worker reads only its own partitions.

Who folds which creator is decided once, by the parent, and handed to every worker: the busiest creators
first, each to the least loaded worker. A hash of the creator id alone is not enough when activity is
skewed: on the benchmark's Zipf journal (bench/replay.py) it gives one of two workers 59% of the events.
"""

import heapq
import multiprocessing
import multiprocessing.forkserver
import pickle
import tempfile
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from io import BytesIO, StringIO
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Protocol

import orjson

from service.files import open_text, read_events, write_jsonl
from projections.rulebook import Rulebooks
from schemas.codec import Rejection
from service.projections import Projection
from service.replay import Counts, Replayer

ReplayLine = Callable[[Replayer, int, dict[str, Any] | Rejection, IO[bytes], IO[str]], None]
"""Folds one input line into the replayer (or counts its rejection), writing its commands to the bytes
stream and its messages to the text stream: the single process's loop body, so both print the same."""

Owners = dict[Any, int]
"""Creator id (a partition number, for a topic) -> the worker (0 to N-1) that folds its events."""
Numbered = Iterator[tuple[int, dict[str, Any] | Rejection]]

SAMPLE_EVERY = 4
"""Creators are weighed on every 4th line: enough to find the busy ones, for a quarter of the parsing
(done by the parent before any worker can start)."""


class ReplayFailed(Exception):
    """The input could not be read, or a worker raised or died: nothing was printed, the replay fails."""


class LineFailed(Exception):
    """Folding one line raised in a worker; says which line (the worker's traceback stays there)."""


class Source(Protocol):
    """Where a parallel replay's lines come from. Pickled for the workers."""

    def share_out(self, workers: int) -> Owners:
        """In the parent, once: who folds what."""
        ...

    def events(self, owners: Owners, index: int, workers: int) -> Numbered:
        """In worker `index`: the lines it folds, numbered as one process reading everything numbers them."""
        ...


@dataclass(frozen=True)
class FileSource:
    """A JSONL file (.gz allowed): creators shared out by activity, every worker reads the whole file."""

    path: str
    trusted: bool

    def share_out(self, workers: int) -> Owners:
        try:
            return share_out(sampled_activity(self.path), workers)
        except (OSError, ValueError) as error:  # missing, unreadable, not gzip, not UTF-8
            reason = getattr(error, "strerror", None) or str(error)  # strerror: without the path, said already
            raise ReplayFailed(f"cannot read {self.path}: {reason}") from None

    def events(self, owners: Owners, index: int, workers: int) -> Numbered:
        return ((number, event) for number, event in read_events(self.path, self.trusted) if owner(event, owners, workers) == index)


@dataclass(frozen=True)
class Job:
    """One parallel replay, as each worker receives it. Pickled for the workers: plain values, the loaded
    rulebooks (loaded once, by the parent) and a module-level function."""

    source: Source
    rulebooks: Rulebooks | Projection
    """The penalty rulebooks, or any projection (`service.projections`)."""
    replay_line: ReplayLine
    workers: int
    state_path: str | None = None
    """Where the final per-creator states go (--state), if anywhere."""


def replay(job: Job, out: IO[bytes], err: IO[str]) -> Counts:
    """Fold the source in `job.workers` processes; print the commands to `out` and the line messages to `err`
    in input order; write the final states if asked. Returns the merged counts."""
    context = worker_context(job)  # the worker server starts importing now, while the parent reads the file
    owners = job.source.share_out(job.workers)
    with tempfile.TemporaryDirectory(prefix="tally-replay-") as directory:
        counts = run_workers(job, owners, directory, context)
        for _, commands, messages in merge_files(directory, "lines", job.workers):
            err.write(messages)
            out.write(commands)
        out.flush()
        if job.state_path:
            with open(job.state_path, "wb") as handle:
                for _, view in merge_files(directory, "views", job.workers):
                    handle.write(view)
    return counts


def worker_context(job: Job) -> multiprocessing.context.BaseContext:
    """forkserver: the modules a worker needs are imported once, in the server, instead of once per worker
    (~0.5 s each); and unlike fork, no copy of whatever the parent holds (threads, locks). spawn where
    there is no forkserver (Windows)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, job.replay_line.__module__, type(job.source).__module__])
    multiprocessing.forkserver.ensure_running()
    return context


def sampled_activity(path: str) -> Counter:
    """Events per creator on a sample of the lines, from a plain parse. Only a weight for `share_out`: a
    creator missed or a line misread costs balance, never correctness."""
    counts: Counter = Counter()
    with open_text(path) as handle:
        for line in islice(handle, 0, None, SAMPLE_EVERY):
            try:
                creator = orjson.loads(line).get("creator_id")
            except (orjson.JSONDecodeError, AttributeError):  # malformed, or not an object
                continue
            if isinstance(creator, str):
                counts[creator] += 1
    return counts


def share_out(weights: Counter, workers: int) -> Owners:
    """Each creator to a worker, busiest first, each to the worker with the fewest events so far."""
    loads = [(0, worker) for worker in range(workers)]  # a heap of (events so far, worker)
    owners: Owners = {}
    for creator, events in sorted(weights.items(), key=lambda item: (-item[1], item[0])):
        load, worker = heapq.heappop(loads)
        owners[creator] = worker
        heapq.heappush(loads, (load + events, worker))
    return owners


def owner(event: dict[str, Any] | Rejection, owners: Owners, workers: int) -> int:
    """The worker that handles a line. A line refused before the fold has no creator: worker 0 reports it.
    A creator `share_out` did not see goes by a hash that is the same in every process (never `hash()`,
    randomised per process). A line with no creator id goes to worker 0 too, which reports the error."""
    if not isinstance(event, dict):  # a Rejection, or trusted input that is not an object
        return 0
    creator = event.get("creator_id")
    if not isinstance(creator, str):
        return 0
    found = owners.get(creator)
    return zlib.crc32(creator.encode()) % workers if found is None else found


def run_workers(job: Job, owners: Owners, directory: str, context: multiprocessing.context.BaseContext) -> Counts:
    """Start every worker, wait for all of them; their counts merged. One failure fails the replay."""
    counts = Counts()
    with ProcessPoolExecutor(job.workers, mp_context=context) as pool:
        futures = [pool.submit(fold_share, job, owners, index, directory) for index in range(job.workers)]
        for index, future in enumerate(futures):
            try:
                counts.merge(future.result())
            except Exception as error:  # raised in the worker, or BrokenProcessPool when one died
                reason = str(error) if isinstance(error, LineFailed) else f"{type(error).__name__}: {error}"
                reason = " ".join(reason.split())  # one line, whatever the exception's message holds
                raise ReplayFailed(f"replay worker {index + 1} of {job.workers} failed: {reason}") from None
    return counts


def fold_share(job: Job, owners: Owners, index: int, directory: str) -> Counts:
    """Worker `index`: fold the lines it owns; record what each one prints, then (with --state) the views."""
    replayer = Replayer(job.rulebooks)
    commands, messages = BytesIO(), StringIO()
    with open(record_path(directory, "lines", index), "wb") as lines:
        for number, event in job.source.events(owners, index, job.workers):
            try:
                job.replay_line(replayer, number, event, commands, messages)
            except Exception as error:
                raise LineFailed(f"line {number}: {type(error).__name__}: {error}") from None
            if commands.tell() or messages.tell():  # most lines print nothing: no record for them
                write_record(lines, (number, take(commands), take(messages)))
    if job.state_path:
        with open(record_path(directory, "views", index), "wb") as views:
            for view in replayer.views():  # sorted by creator id, so the parent can merge the workers' runs
                write_jsonl(commands, view)
                write_record(views, (view["creator_id"], take(commands)))
    return replayer.counts


def take(buffer: BytesIO | StringIO) -> bytes | str:
    """What the buffer holds; the buffer is emptied for the next line."""
    value = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return value


def record_path(directory: str, kind: str, index: int) -> Path:
    return Path(directory) / f"{kind}-{index}.pickle"


def write_record(handle: IO[bytes], record: tuple) -> None:
    # Pickle is safe here: files our own workers wrote, in a directory only this replay knows.
    pickle.dump(record, handle, pickle.HIGHEST_PROTOCOL)


def read_records(path: Path) -> Iterator[tuple]:
    """The records of one file, in the order written; read as the merge asks for them."""
    with open(path, "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def merge_files(directory: str, kind: str, workers: int) -> Iterator[tuple]:
    """Every worker's records of one kind, merged on their first field (line number, creator id): each
    worker wrote its own in that order, and no two workers share a key."""
    return heapq.merge(*(read_records(record_path(directory, kind, index)) for index in range(workers)), key=itemgetter(0))
