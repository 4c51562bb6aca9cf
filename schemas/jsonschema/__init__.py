"""Generated JSON Schema files (committed); `tally schema export` rewrites them, a test checks they are current."""

from pathlib import Path
from typing import Any

from schemas.commands import PenaltyCommand
from schemas.events import EVENT_MODELS
from schemas.resources import ResourceCommandModel

DIRECTORY = Path(__file__).resolve().parent


def generate() -> dict[str, dict[str, Any]]:
    schemas = {name: model.model_json_schema() for name, model in EVENT_MODELS.items()}
    schemas["penalty_command"] = PenaltyCommand.model_json_schema()
    schemas["resource_command"] = ResourceCommandModel.model_json_schema()
    return schemas
