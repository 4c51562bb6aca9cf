"""Output: penalty commands that enforcement services consume.

A command's id is derived from the creator, the event that caused it and the
rule that fired, so a re-run after a crash re-emits the same id and consumers
can dedupe. Lifting a penalty is itself a command that names what it lifts.
"""

from enum import Enum

import msgspec
from pydantic import BaseModel, ConfigDict, Field


class Action(str, Enum):
    """What enforcement must do. Corrective actions first, then penalties."""

    WARN = "warn"
    DELIST_PRODUCT = "delist_product"
    HIDE_VIDEOS = "hide_videos"
    CUT_LIVE_STREAM = "cut_live_stream"
    REMOVE_COMMENT = "remove_comment"
    RESTRICT_MARKETING = "restrict_marketing"
    RESTRICT_LISTINGS = "restrict_listings"
    SUSPEND_PRODUCT_SHARING = "suspend_product_sharing"
    CLOSE_PRODUCT_SHARING = "close_product_sharing"
    SUSPEND_SHOPPING_CART = "suspend_shopping_cart"
    DELIST_ALL_PRODUCTS = "delist_all_products"
    REQUIRE_EXAM = "require_exam"
    FREEZE_DEPOSIT = "freeze_deposit"
    WITHHOLD_COMMISSION = "withhold_commission"
    CHARGE_DAMAGES = "charge_damages"
    MUTE = "mute"
    SUSPEND_ACCOUNT = "suspend_account"
    STRIKE = "strike"
    CLEAR_OUT = "clear_out"
    BAN = "ban"
    LIFT = "lift"


class Reason(BaseModel):
    """Why a command exists: enough for an auditor to reproduce it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_id: str
    policy_version: str
    rule: str
    """The policy rule that fired, e.g. 'node:6', 'violation:fake_goods', 'exam:missed'."""
    score_before: str
    """Score (credit mode) or points (points mode) before the causing event, as a decimal string."""
    score_after: str
    caused_by: list[str]
    """Event ids that caused the command, oldest first."""
    detail: str = ""


class PenaltyCommand(BaseModel):
    """One instruction to enforcement, keyed by creator id on the penalties topic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str = Field(pattern=r"^cmd-[0-9a-f]{24}$")
    creator_id: str
    action: Action
    effective_from: str
    """RFC 3339 UTC; taken from the causing event, never from a clock."""
    effective_until: str | None
    """RFC 3339 UTC, or none for a permanent or open-ended penalty."""
    lifts: str | None = None
    """For action 'lift': the command_id being lifted."""
    reason: Reason


# The same contract as fast typed records: the fold makes these, and `schemas.codec.encode` writes
# them. Fields are in alphabetical order, so their JSON is byte for byte the sorted-key JSON of the
# models above; a test holds the two definitions to each other.


class CommandReason(msgspec.Struct, frozen=True):
    caused_by: list[str]
    detail: str
    policy_id: str
    policy_version: str
    rule: str
    score_after: str
    score_before: str


class Command(msgspec.Struct, frozen=True):
    action: str
    command_id: str
    creator_id: str
    effective_from: str
    effective_until: str | None
    lifts: str | None
    reason: CommandReason

    def as_dict(self) -> dict:
        return msgspec.to_builtins(self)
