"""`tally simulate --policy CANDIDATE.yaml EVENTS`: the same journal under another policy version (with
`--projection scores`, another score policy).

Both catalogues fold the same events in one pass; the report lists commands added and removed
(compared by creator, action, rule and effective_from: ids differ between versions), creators
whose outcome changes, and the score distributions before and after.
"""

import argparse
import sys

from cli.common import CommandLineError, add_projection_options, load_rulebooks, load_score_policy_option
from cli.journal_source import add_kafka_options, events_only, journal
from render.text import score_simulation_text, simulation_text
from service.audit import simulate
from service.policies import load_policy
from service.score_simulation import simulate_scores
from schemas.codec import encode


def register(subparsers) -> None:
    parser = subparsers.add_parser("simulate", help="replay the journal under a candidate policy; report what would change")
    parser.add_argument("events", nargs="?", help="journal file (.gz, - for stdin); omit with --from-kafka")
    parser.add_argument("--policy", action="append", required=True, metavar="CANDIDATE", help="candidate policy file; replaces the loaded one with the same rulebook and role (repeatable)")
    parser.add_argument("--baseline-policy", action="append", default=[], metavar="FILE", help="extra or replacing policy for the baseline (repeatable)")
    parser.add_argument("--rulebook", help="rulebook for creators with no enrolment event (overrides TALLY_DEFAULT_RULEBOOK; default douyin-creator-2022)")
    parser.add_argument("--policies", help="directory of policy files (overrides TALLY_POLICIES_DIR; default: the shipped packs)")
    parser.add_argument("--trusted", action="store_true", help="the file is a Tally export: skip validation")
    parser.add_argument("--json", action="store_true", help="the full difference as one JSON object")
    parser.add_argument("--limit", type=int, default=20, help="rows per list in text (0: all; default %(default)s)")
    add_projection_options(parser)  # --projection scores: --policy is a candidate score policy, --score-policy the baseline
    add_kafka_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.projection == "scores":
        return run_scores(args)
    baseline = load_rulebooks(argparse.Namespace(policies=args.policies, policy=args.baseline_policy, rulebook=args.rulebook))
    candidate = baseline
    names = []
    for path in args.policy:
        policy = load_policy(path)
        candidate = candidate.replacing(policy)
        old = next((rb.policy for rb in baseline if rb.key == policy.key), None)
        names.append((f"{old.key} {old.version}" if old else f"(none for {policy.key})", f"{policy.key} {policy.version}"))
    events = journal_events(args)
    sim = simulate(events, baseline, candidate, ", ".join(b for b, _ in names), ", ".join(c for _, c in names))
    return print_simulation(args, sim, simulation_text)


def run_scores(args: argparse.Namespace) -> int:
    """Two score policies over the same journal: the baseline (--score-policy, else the configured one) and the
    candidate (--policy)."""
    if len(args.policy) != 1:
        raise CommandLineError("--projection scores compares one candidate score policy: give --policy once")
    baseline, candidate = load_score_policy_option(args.score_policy), load_score_policy_option(args.policy[0])
    events = journal_events(args)
    return print_simulation(args, simulate_scores(events, baseline, candidate), score_simulation_text)


def journal_events(args: argparse.Namespace):
    """The journal's events; a record that does not validate is reported on stderr and left out."""
    return events_only(journal(args), lambda n, r: print(f"journal position {n}: rejected, {r.reason}: {r.detail}", file=sys.stderr))


def print_simulation(args: argparse.Namespace, sim, as_text) -> int:
    """--json: the whole difference as one object; else the text, lists capped by --limit (0: all)."""
    if args.json:
        sys.stdout.buffer.write(encode(sim.as_dict()) + b"\n")
    else:
        for line in as_text(sim, None if args.limit == 0 else args.limit):
            print(line)
    return 0
