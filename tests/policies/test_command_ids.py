"""A command id names exactly one command (issue 7): in every golden replay and in a synthetic year.

Enforcement dedupes by id; two different commands under one id would drop the second. A lift names a
command that was sent, and no command is lifted twice."""

import sys
from pathlib import Path

import orjson
import pytest

from schemas.codec import encode
from service.policies import shipped_rulebooks
from service.replay import Replayer
from tests.policies.golden import GOLDEN, sample_names

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from synthetic_journal import journal  # noqa: E402


def assert_ids_name_one_command(commands: list[dict]) -> None:
    by_id: dict[str, bytes] = {}
    for command in commands:
        first = by_id.setdefault(command["command_id"], encode(command))
        assert first == encode(command), f"two different commands share {command['command_id']}"
    lifted = [c["lifts"] for c in commands if c["action"] == "lift"]
    assert len(lifted) == len(set(lifted)), "a command lifted twice"
    assert set(lifted) <= set(by_id), "a lift of a command never sent"


@pytest.mark.parametrize("name", sample_names())
def test_golden_replays_give_every_command_an_id_of_its_own(name):
    lines = (GOLDEN / f"{name}.commands.jsonl").read_bytes().splitlines()
    assert_ids_name_one_command([orjson.loads(line) for line in lines])


def test_a_synthetic_year_gives_every_command_an_id_of_its_own():
    """200 creators, ~4,000 events: late reports, appeals (half overturned), exams, duplicates, deadlines."""
    commands = [c.as_dict() for c in Replayer(shipped_rulebooks()).run(journal(200, 20, seed=11))]
    assert len(commands) > 5000
    assert_ids_name_one_command(commands)


def test_the_check_would_notice_a_shared_id():
    command = {"command_id": "cmd-1", "action": "warn", "lifts": None, "effective_from": "2024-01-01T00:00:00Z"}
    with pytest.raises(AssertionError):
        assert_ids_name_one_command([command, {**command, "effective_from": "2024-01-02T00:00:00Z"}])


@pytest.mark.parametrize("name", sample_names())
def test_every_golden_command_validates_against_the_published_command_schema(name):
    """The fold types its commands (msgspec); the contract other teams code against is the pydantic model
    and its JSON Schema. Every command a sample replays to must be valid under it."""
    from schemas.commands import PenaltyCommand

    for line in (GOLDEN / f"{name}.commands.jsonl").read_bytes().splitlines():
        PenaltyCommand.model_validate_json(line)
