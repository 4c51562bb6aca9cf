"""Options and I/O the subcommands share: which rulebooks, reading event files, writing JSONL."""

import argparse
import os

from projections.rulebook import Rulebooks
from service import policies as policy_files
from service.policies import shipped_policies_dir
from service.files import open_text, read_events, write_jsonl  # noqa: F401  (the CLI's I/O helpers)

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
