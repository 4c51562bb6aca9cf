"""Options and I/O the subcommands share: which rulebooks, reading event files, writing JSONL."""

import argparse
from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from projections.rulebook import RulebookNotLoaded, Rulebooks
from projections.scores.policy import ScorePolicy
from service import policies as policy_files
from service.policies import shipped_policies_dir
from service.projections import PROJECTIONS, Projection, penalties, scores
from service.files import open_text, read_events, write_jsonl  # noqa: F401  (the CLI's I/O helpers)
from streams.settings import Settings


class CommandLineError(Exception):
    """Bad input at the command line: `tally` prints it as one line and exits with 2 (cli/main.py)."""


@cache
def environment_settings() -> Settings:
    """The settings of this process, from the TALLY_* environment: the same model the worker builds."""
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = "TALLY_" + str(first["loc"][0]).upper() if first["loc"] else "a TALLY_* variable"
        raise CommandLineError(f"{name}: {first['msg']} (tally config shows the settings)") from None


def settings(args: argparse.Namespace) -> Settings:
    """The environment's settings with this command's overrides (--broker)."""
    base = environment_settings()
    broker = getattr(args, "broker", None)
    if broker:
        return base.model_copy(update={"broker_url": broker if "://" in broker else f"kafka://{broker}"})
    return base


def add_broker_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", "--bootstrap", dest="broker", metavar="HOST:PORT",
                        help="Kafka bootstrap servers (overrides TALLY_BROKER_URL; default kafka://127.0.0.1:9092)")


def add_rulebook_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rulebook", help="rulebook for creators with no enrolment event (overrides TALLY_DEFAULT_RULEBOOK; default douyin-creator-2022)")
    parser.add_argument("--policies", help="directory of policy files (overrides TALLY_POLICIES_DIR; default: the shipped packs)")
    parser.add_argument("--policy", action="append", default=[], metavar="FILE", help="extra or replacing policy file (repeatable)")


def rulebook_choice(args: argparse.Namespace) -> tuple[str, str]:
    """The policy directory and default rulebook: the flags, else the settings, else the shipped packs."""
    env = environment_settings()
    return (args.policies or env.policies_dir or str(shipped_policies_dir())), (args.rulebook or env.default_rulebook)


def load_rulebooks(args: argparse.Namespace) -> Rulebooks:
    """The policy directory, with any --policy files added or replacing the same rulebook and role."""
    policies, rulebook = rulebook_choice(args)
    if not Path(policies).is_dir():
        raise CommandLineError(f"{policies}: not a directory of policy files (--policies, TALLY_POLICIES_DIR)")
    try:
        return policy_files.load_rulebooks(policies, rulebook, args.policy)
    except (ValidationError, yaml.YAMLError) as error:
        raise _policy_error(error, "a policy file") from None
    except RulebookNotLoaded as error:
        raise CommandLineError(f"{error} (--rulebook, TALLY_DEFAULT_RULEBOOK)") from None


def add_projection_options(parser: argparse.ArgumentParser) -> None:
    """Which projection of the journal: the penalty fold (default) or the operator scores."""
    parser.add_argument("--projection", choices=PROJECTIONS, default="penalties",
                        help="penalties (the default: penalty commands) or scores (operator scores: resource commands)")
    parser.add_argument("--score-policy", metavar="FILE|ID",
                        help="score policy for --projection scores (overrides TALLY_SCORE_POLICY; default kuaishou-operator-2023)")


def load_projection(args: argparse.Namespace) -> Projection:
    """The projection the options name, with its rulebooks or score policy."""
    if getattr(args, "projection", "penalties") == "scores":
        return scores(load_score_policy_option(getattr(args, "score_policy", None)))
    return penalties(load_rulebooks(args))


def load_score_policy_option(given: str | None) -> ScorePolicy:
    choice = given or environment_settings().score_policy
    try:
        return policy_files.load_score_policy(choice)
    except OSError as error:
        raise CommandLineError(f"{choice}: {error.strerror or error} (--score-policy, TALLY_SCORE_POLICY: a file or a shipped id)") from None
    except (ValidationError, yaml.YAMLError) as error:
        raise _policy_error(error, f"score policy {choice}") from None


def _policy_error(error: ValidationError | yaml.YAMLError, what: str) -> CommandLineError:
    """One line for a policy that does not load: the first problem, and where."""
    if isinstance(error, yaml.YAMLError):
        return CommandLineError(f"{what} is not valid YAML: {' '.join(str(error).split())}")
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return CommandLineError(f"invalid policy {error.title}: {where}: {first['msg']} (tally policy validate FILE shows all)")
