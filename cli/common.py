"""Options and I/O the subcommands share: which rulebooks, reading event files, writing JSONL."""

import argparse
import gzip
import os
import sys
from pathlib import Path
from typing import IO, Any, Iterator

from projections.rulebook import Rulebooks
from service import policies as policy_files
from service.policies import shipped_policies_dir
from schemas.codec import Rejection, decode_trusted, decode_untrusted, encode

DEFAULT_RULEBOOK = "douyin-creator-2022"


def add_rulebook_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rulebook",
        default=os.environ.get("TALLY_DEFAULT_RULEBOOK", DEFAULT_RULEBOOK),
        help="rulebook for creators with no enrolment event (env TALLY_DEFAULT_RULEBOOK; default %(default)s)",
    )
    parser.add_argument(
        "--policies",
        default=os.environ.get("TALLY_POLICIES", str(shipped_policies_dir())),
        help="directory of policy files (env TALLY_POLICIES; default: the shipped packs)",
    )
    parser.add_argument("--policy", action="append", default=[], metavar="FILE", help="extra or replacing policy file (repeatable)")


def load_rulebooks(args: argparse.Namespace) -> Rulebooks:
    """The policy directory, with any --policy files added or replacing the same rulebook and role."""
    return policy_files.load_rulebooks(args.policies, args.rulebook, args.policy)


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
    decode = decode_trusted if trusted else decode_untrusted
    with open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield number, decode(line)
            except ValueError as error:  # only the trusted path raises
                yield number, Rejection("malformed_json", str(error))


def write_jsonl(out: IO[bytes], obj: Any) -> None:
    out.write(encode(obj))
    out.write(b"\n")
