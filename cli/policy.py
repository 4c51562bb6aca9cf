"""`tally policy validate|show|test`: the policy author's tools."""

import argparse
import sys
from pathlib import Path

import yaml
from pydantic import ValidationError

from cli.common import add_rulebook_options, load_rulebooks
from projections.policy import Policy
from projections.provenance import sourced
from projections.scores.policy import ScorePolicy
from service.policies import load_any_policy, shipped_score_policies
from service.scenarios import run_scenario


def register(subparsers) -> None:
    parser = subparsers.add_parser("policy", help="validate, show and test policy files")
    actions = parser.add_subparsers(dest="policy_command", required=True)

    validate = actions.add_parser("validate", help="check a policy file against the format")
    validate.add_argument("files", nargs="+")
    validate.set_defaults(handler=run_validate)

    show = actions.add_parser("show", help="print a loaded rulebook (by id, or id/role) and where each number comes from")
    show.add_argument("name", nargs="?", help="omit to list every rulebook")
    add_rulebook_options(show)
    show.set_defaults(handler=run_show)

    test = actions.add_parser("test", help="run the scenarios a policy file carries")
    test.add_argument("files", nargs="*", help="policy files (default: every loaded rulebook)")
    test.add_argument("-v", "--verbose", action="store_true", help="print each scenario, not only failures")
    add_rulebook_options(test)
    test.set_defaults(handler=run_test)


def run_validate(args: argparse.Namespace) -> int:
    """Exit 0 if every file is a valid policy, 1 if one is not, 2 if one cannot be read."""
    failed = unreadable = 0
    for path in args.files:
        try:
            policy = load_any_policy(path)
        except OSError as error:
            unreadable += 1
            print(f"tally: {path}: {error.strerror or error}", file=sys.stderr)
            continue
        except (ValidationError, yaml.YAMLError) as error:
            failed += 1
            print(f"{path}: invalid\n{error}", file=sys.stderr)
            continue
        if isinstance(policy, ScorePolicy):
            print(f"{path}: ok, {policy.id} {policy.version} (scores): {', '.join(policy.scores)}; {len(policy.scenarios)} scenarios")
            continue
        print(
            f"{path}: ok, {policy.id} {policy.version}{' role ' + policy.role if policy.role else ''}: "
            f"{len(policy.catalogue)} violation codes, {len(policy.nodes)} nodes, {len(policy.scenarios)} scenarios"
        )
    return 2 if unreadable else 1 if failed else 0


def run_show(args: argparse.Namespace) -> int:
    rulebooks = load_rulebooks(args)
    score_policies = shipped_score_policies()
    if not args.name:
        for rb in rulebooks:
            default = "  (default)" if rb.key == rulebooks.default_key else ""
            print(f"{rb.key:40} {rb.policy.version:10} {rb.policy.title}{default}")
        for sp in score_policies:
            print(f"{sp.id:40} {sp.version:10} {sp.title}  (scores)")
        return 0
    matches: list[Policy | ScorePolicy] = [rb.policy for rb in rulebooks if args.name in (rb.key, rb.policy.id)]
    matches += [sp for sp in score_policies if sp.id == args.name]
    if not matches:
        print(f"no rulebook {args.name!r}; `tally policy show` lists them", file=sys.stderr)
        return 1
    for policy in matches:
        print(yaml.safe_dump(policy.model_dump(mode="json", exclude={"scenarios", "provenance"}), allow_unicode=True, sort_keys=False))
        print("\n".join(provenance_lines(policy)) + "\n")
    return 0


def provenance_lines(policy: Policy | ScorePolicy) -> list[str]:
    """Each number of the policy with its source, as YAML comments so the output stays valid YAML."""
    lines = ["# where each number comes from (docs/policies.md, Provenance):"]
    for number in sourced(policy.provenance, policy.rules_data()):
        value = f"[{', '.join(number.value)}]" if isinstance(number.value, list) else number.value
        lines.append(f"# {number.path}: {value}  ({number.citation or 'no source given'})")
    return lines


def run_test(args: argparse.Namespace) -> int:
    rulebooks = load_rulebooks(args)
    policies: list[Policy | ScorePolicy] = [load_any_policy(Path(f)) for f in args.files] if args.files else [
        *(rb.policy for rb in rulebooks), *shipped_score_policies()]
    passed = failed = 0
    for policy in policies:
        key = policy.key if isinstance(policy, Policy) else policy.id
        if not policy.scenarios:
            print(f"{key}: no scenarios", file=sys.stderr)
        for scenario in policy.scenarios:
            result = run_scenario(policy, scenario, rulebooks)  # type: ignore[arg-type]
            if result.passed:
                passed += 1
                if args.verbose:
                    print(f"ok    {key}: {scenario.name}")
                continue
            failed += 1
            print(f"FAIL  {key}: {scenario.name}  ({scenario.rule})")
            for line in result.diff:
                print(f"      {line}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
