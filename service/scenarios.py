"""Policy scenarios: given these events, expect these commands and this score.

Policy authors test rules the way programmers test code; `tally policy test`
runs every scenario in a policy file and shows a diff when one fails.
"""

import difflib
from dataclasses import dataclass
from typing import Any

from projections.policy import ExpectedCommand, Policy, Scenario
from projections.rulebook import Rulebooks
from projections.scores.policy import ExpectedResource, ScorePolicy, ScoreScenario
from projections.standing import view
from schemas.codec import Rejection, validate
from schemas.commands import Command
from schemas.resources import ResourceCommand
from service.projections import scores
from service.replay import Replayer

# Keys of a command a scenario may pin down; `rule` is the reason's rule.
_COMPARABLE = ("action", "rule", "effective_from", "effective_until")


@dataclass(frozen=True)
class ScenarioResult:
    policy: str
    name: str
    rule: str
    diff: list[str]
    commands: list[dict[str, Any]]

    @property
    def passed(self) -> bool:
        return not self.diff


def scenario_events(scenario: Scenario | ScoreScenario, slug: str) -> list[dict[str, Any]]:
    """Complete the short events a scenario lists into valid events."""
    events = []
    for index, partial in enumerate(scenario.events, 1):
        raw = {"event_id": f"{slug}-{index:02d}", "creator_id": scenario.creator_id, "source": "scenario", **partial}
        event = validate(raw)
        if isinstance(event, Rejection):
            raise ValueError(f"scenario {scenario.name!r}, event {index}: {event.reason}: {event.detail}")
        events.append(event)
    return events


def run_scenario(policy: Policy | ScorePolicy, scenario: Scenario | ScoreScenario, others: Rulebooks | None = None) -> ScenarioResult:
    if isinstance(policy, ScorePolicy):
        return run_score_scenario(policy, scenario)  # type: ignore[arg-type]
    policies = [rb.policy for rb in others] if others else []
    rulebooks = Rulebooks([*[p for p in policies if p.key != policy.key], policy], policy.key)
    slug = _slug(scenario.name)
    replayer = Replayer(rulebooks)
    commands = list(replayer.run(scenario_events(scenario, slug)))
    actual = [_project(c, expected) for c, expected in zip(commands, scenario.expect_commands)]
    actual += [_project(c, None) for c in commands[len(scenario.expect_commands):]]
    expected_lines = [_line(e.compared()) for e in scenario.expect_commands]
    actual_lines = [_line(a) for a in actual]
    state = replayer.states.get(scenario.creator_id)
    score = view(state, rulebooks)["score"] if state else None
    expected_lines.append(f"score {scenario.expect_score}")
    actual_lines.append(f"score {score}")
    diff = [] if expected_lines == actual_lines else list(difflib.unified_diff(expected_lines, actual_lines, "expected", "actual", lineterm=""))
    return ScenarioResult(policy.key, scenario.name, scenario.rule, diff, commands)


def _project(command: Command, expected: ExpectedCommand | None) -> dict[str, Any]:
    """The command's values for the keys the expectation pins down (action and rule when there is none)."""
    flat = {**command.as_dict(), "rule": command.reason.rule}
    keys = list(expected.compared()) if expected is not None else ["action", "rule"]
    return {k: flat[k] for k in keys}


def _line(command: dict[str, Any]) -> str:
    return " ".join(f"{k}={command[k]}" for k in _COMPARABLE if k in command)


def run_score_scenario(policy: ScorePolicy, scenario: ScoreScenario) -> ScenarioResult:
    """The same for a score policy: resource commands in order, then each score at the end."""
    replayer = Replayer(scores(policy))
    commands = list(replayer.run(scenario_events(scenario, _slug(scenario.name))))
    expected_lines = [_resource_line(e.compared()) for e in scenario.expect_commands]
    actual_lines = [_resource_line(_resource_project(c, e)) for c, e in zip(commands, scenario.expect_commands)]
    actual_lines += [_resource_line(_resource_project(c, None)) for c in commands[len(scenario.expect_commands):]]
    state = replayer.states.get(scenario.creator_id)
    standing = replayer.projection.view(state)["scores"] if state else {}
    for name, value in scenario.expect_scores.items():
        expected_lines.append(f"score {name} {value}")
        actual_lines.append(f"score {name} {standing.get(name, {}).get('score')}")
    diff = [] if expected_lines == actual_lines else list(difflib.unified_diff(expected_lines, actual_lines, "expected", "actual", lineterm=""))
    return ScenarioResult(policy.id, scenario.name, scenario.rule, diff, commands)


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")[:60]


def _resource_project(command: ResourceCommand, expected: ExpectedResource | None) -> dict[str, Any]:
    flat = command.as_dict()
    keys = list(expected.compared()) if expected is not None else ["action", "score", "resource", "band"]
    return {k: flat[k] for k in keys}


def _resource_line(command: dict[str, Any]) -> str:
    return " ".join(f"{k}={command[k]}" for k in ("action", "score", "resource", "band", "effective_from") if k in command)
