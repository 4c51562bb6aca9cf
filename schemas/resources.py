"""Output of the score projection: resource commands, on their own topic, keyed by operator id.

When one of an operator's scores changes band, each resource the band decides (a traffic tier, subsidy
eligibility, entry to activities) is granted or withheld. The command carries the band, the score and the
metrics behind it, so traffic and subsidy services act on it and auditors can ask why. Its id is derived
from the operator, the causing event, the score, the resource and the band: a re-run gives the same id.
"""

from typing import Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field


class ResourceReason(BaseModel):
    """Why a resource command exists."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_id: str
    policy_version: str
    rule: str
    """'band:<score>:<band>', e.g. 'band:store_experience:good'."""
    score_before: str | None
    """The score before the causing event, as a decimal string; none while the operator was unrated."""
    score_after: str | None
    """The score after it; none when no report is left in the score's window (unrated)."""
    metrics: dict[str, str]
    """The window's mean of each input metric behind the score, as decimal strings."""
    caused_by: list[str]
    detail: str = ""


class ResourceCommandModel(BaseModel):
    """One instruction to the traffic, subsidy and activity services."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str = Field(pattern=r"^res-[0-9a-f]{24}$")
    creator_id: str
    """The operator."""
    action: Literal["grant", "withhold"]
    resource: str
    """What is granted or withheld, as the score policy names it (traffic_boost, subsidy, activity_entry...)."""
    score: str
    """Which score decided it: store_experience, product or promoter_reputation (as the policy names them)."""
    band: str
    """The band the operator is now in for that score ('unrated' when no report is left in its window)."""
    effective_from: str
    """RFC 3339 UTC; the causing event's place in time, never a clock."""
    reason: ResourceReason


# The fast typed records the fold makes; fields sorted, so their JSON is the sorted-key JSON of the models above.


class ResourceCommandReason(msgspec.Struct, frozen=True):
    caused_by: list[str]
    detail: str
    metrics: dict[str, str]
    policy_id: str
    policy_version: str
    rule: str
    score_after: str | None
    score_before: str | None


class ResourceCommand(msgspec.Struct, frozen=True):
    action: str
    band: str
    command_id: str
    creator_id: str
    effective_from: str
    reason: ResourceCommandReason
    resource: str
    score: str

    def as_dict(self) -> dict:
        return msgspec.to_builtins(self)
