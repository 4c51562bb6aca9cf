"""Options and I/O the subcommands share: which rulebooks, reading event files, writing JSONL."""

import argparse
import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from projections.rulebook import RulebookNotLoaded, Rulebooks
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


class CommandLineError(Exception):
    """Bad input at the command line: `tally` prints it as one line and exits with 2 (cli/main.py)."""


def load_rulebooks(args: argparse.Namespace) -> Rulebooks:
    """The policy directory, with any --policy files added or replacing the same rulebook and role."""
    if not Path(args.policies).is_dir():
        raise CommandLineError(f"{args.policies}: not a directory of policy files (--policies, TALLY_POLICIES)")
    try:
        return policy_files.load_rulebooks(args.policies, args.rulebook, args.policy)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CommandLineError(f"invalid policy {error.title}: {where}: {first['msg']} (tally policy validate FILE shows all)") from None
    except yaml.YAMLError as error:
        raise CommandLineError(f"a policy file is not valid YAML: {' '.join(str(error).split())}") from None
    except RulebookNotLoaded as error:
        raise CommandLineError(f"{error} (--rulebook, TALLY_DEFAULT_RULEBOOK)") from None
