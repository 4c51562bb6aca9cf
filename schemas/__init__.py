"""Tally's contract: the events detectors publish and the commands Tally emits.

Everything here is declared with frozen pydantic models; JSON Schema files for
other languages are generated from them (`tally schema export`).
"""

from schemas.commands import Action, PenaltyCommand, Reason
from schemas.events import (
    CURRENT_SCHEMA_VERSION,
    DEADLINE_TYPES,
    EVENT_MODELS,
    INPUT_TYPES,
    Event,
)

__all__ = [
    "Action",
    "CURRENT_SCHEMA_VERSION",
    "DEADLINE_TYPES",
    "EVENT_MODELS",
    "Event",
    "INPUT_TYPES",
    "PenaltyCommand",
    "Reason",
]
