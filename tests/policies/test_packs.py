"""The shipped policy packs: each validates, each scenario passes, each sample replays to its golden file."""

from pathlib import Path

import pytest

from cli.common import read_events
from projections.policy import Policy
from service.policies import load_policy
from service.replay import Replayer
from projections.rulebook import Rulebooks
from service.scenarios import run_scenario, scenario_events
from schemas.codec import Rejection
from tests.policies.golden import DEFAULT_RULEBOOK, POLICIES, SAMPLES, golden_paths, replay, sample_names, score_sample_names

PACK_FILES = sorted(POLICIES.glob("*.yaml"))
PACKS = {path.stem: load_policy(path) for path in PACK_FILES}
RULEBOOKS = Rulebooks(PACKS.values(), DEFAULT_RULEBOOK)
SCENARIOS = [(stem, scenario) for stem, policy in PACKS.items() for scenario in policy.scenarios]


def _slug(text: str) -> str:
    return "_".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


@pytest.mark.parametrize("path", PACK_FILES, ids=[p.stem for p in PACK_FILES])
def test_every_shipped_pack_validates_cites_its_sources_and_proves_its_rules(path: Path):
    """What the provenance says is checked in test_provenance.py."""
    policy = load_policy(path)
    assert policy.provenance, "a pack says where its numbers come from"
    assert policy.scenarios, "a pack proves its rules with scenarios"


def test_each_rulebook_and_role_is_shipped_once():
    keys = [policy.key for policy in PACKS.values()]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(("stem", "scenario"), SCENARIOS, ids=[f"{stem}::{_slug(s.name)}" for stem, s in SCENARIOS])
def test_scenario(stem: str, scenario):
    result = run_scenario(PACKS[stem], scenario, RULEBOOKS)
    assert result.passed, f"{scenario.rule}\n" + "\n".join(result.diff)


def _fired_rules(policy: Policy) -> set[str]:
    return {c.rule or "" for scenario in policy.scenarios for c in scenario.expect_commands}


@pytest.mark.parametrize("stem", sorted(PACKS))
def test_every_node_escalation_and_clear_out_is_proved_by_a_scenario(stem: str):
    policy = PACKS[stem]
    fired = _fired_rules(policy)
    wanted = {f"node:{node.at}" for node in policy.nodes} | {f"escalation:{e.name}" for e in policy.escalation if e.penalties}
    if policy.clear_out:
        wanted.add("clear_out")
    if policy.leniency and policy.leniency.replace_with == "warn":
        wanted.add("leniency:warn")
    assert wanted <= fired, f"no scenario shows {sorted(wanted - fired)}"


def _outcomes(policy: Policy, scenario) -> list:
    """Each scenario event's outcome, with the scenario's policy as the default rulebook (as run_scenario does)."""
    rulebooks = Rulebooks([*[p for p in PACKS.values() if p.key != policy.key], policy], policy.key)
    replayer = Replayer(rulebooks)
    return [replayer.feed(event).outcome for event in scenario_events(scenario, "outcome")]


REFUSED = [(stem, s) for stem, s in SCENARIOS if "refused" in s.name]


@pytest.mark.parametrize(("stem", "scenario"), REFUSED, ids=[f"{stem}::{_slug(s.name)}" for stem, s in REFUSED])
def test_late_appeal_is_rejected_with_a_reason(stem: str, scenario):
    outcome = _outcomes(PACKS[stem], scenario)[-1]
    assert (outcome.status, outcome.reason) == ("rejected", "appeal_window_closed")


def test_duplicate_delivery_is_reported_as_duplicate():
    policy = PACKS["douyin-creator-2022"]
    scenario = next(s for s in policy.scenarios if "duplicated" in s.name)
    assert [o.status for o in _outcomes(policy, scenario)] == ["folded", "duplicate"]


@pytest.mark.parametrize("name", [n for n in sample_names() if n != "bad-input"])
def test_sample_has_no_rejections(name: str):
    replayer = Replayer(RULEBOOKS)
    for number, event in read_events(str(SAMPLES / f"{name}.jsonl")):
        assert not isinstance(event, Rejection), f"line {number}: {event}"
        outcome = replayer.feed(event).outcome
        assert outcome.status != "rejected", f"line {number}: {outcome.reason}"


def test_bad_input_refuses_one_line_per_reason():
    replayer = Replayer(RULEBOOKS)
    reasons = []
    for _, event in read_events(str(SAMPLES / "bad-input.jsonl")):
        if isinstance(event, Rejection):
            reasons.append(event.reason)
            continue
        outcome = replayer.feed(event).outcome
        reasons.append(outcome.reason if outcome.status != "folded" else "folded")
    assert reasons == [
        "folded", "malformed_json", "naive_timestamp", "unknown_type", "unknown_field", "unknown_violation_code",
        "severity_not_in_catalogue", "appeal_window_closed", "duplicate_event_id", "folded", "too_late",
    ]


@pytest.mark.parametrize("name", sample_names())
def test_sample_replays_to_its_golden_files(name: str, tmp_path: Path):
    commands_path, state_path = golden_paths(name)
    state = tmp_path / "state.jsonl"
    commands = replay(name, state)
    hint = "if the change is intended: python -m tests.policies.regenerate, then review git diff tests/golden"
    assert commands == commands_path.read_bytes(), hint
    assert state.read_bytes() == state_path.read_bytes(), hint


@pytest.mark.parametrize("name", score_sample_names())
def test_score_sample_replays_to_its_golden_files(name: str, tmp_path: Path):
    commands_path, state_path = golden_paths(name, "scores")
    state = tmp_path / "scores.jsonl"
    commands = replay(name, state, "scores")
    hint = "if the change is intended: python -m tests.policies.regenerate, then review git diff tests/golden"
    assert commands and commands == commands_path.read_bytes(), hint
    assert state.read_bytes() == state_path.read_bytes(), hint


def test_an_unknown_key_in_a_scenario_expectation_is_an_error():
    """A misspelt expectation (effective_untill) used to pass silently, comparing nothing."""
    import pydantic

    policy = PACKS["douyin-creator-2022"].model_dump(mode="json")
    scenario = policy["scenarios"][0]
    scenario["expect_commands"][0]["effective_untill"] = "2024-03-08T02:00:00Z"
    with pytest.raises(pydantic.ValidationError, match="effective_untill"):
        Policy.model_validate(policy)
