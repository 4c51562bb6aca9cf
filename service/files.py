"""Event files: reading them (validated, or trusted journal exports) and writing JSONL. An adapter, shared by
the CLI and the service modules that read a journal file themselves (`service.jobs`)."""

import gzip
import sys
from typing import IO, Any, Iterator

from schemas.codec import Rejection, decode_untrusted, encode, read_trusted


def open_text(path: str) -> IO[str]:
    """A file, a gzip file (.gz) or standard input (-)."""
    if path == "-":
        return sys.stdin
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_events(path: str, trusted: bool = False) -> Iterator[tuple[int, dict[str, Any] | Rejection]]:
    """(line number, event or rejection) for each non-blank line. Trusted input (a journal export)
    skips validation; anything else goes through the same checks as the intake."""
    decode = read_trusted if trusted else decode_untrusted
    with open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, decode(line)


def write_jsonl(out: IO[bytes], obj: Any) -> None:
    out.write(encode(obj))
    out.write(b"\n")
