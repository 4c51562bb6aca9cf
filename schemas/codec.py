"""Bytes in, validated events out; or a rejection with a machine-readable reason.

Two paths:
- `decode_untrusted`: anything a publisher sent. Size-bounded, parsed,
  upcast, validated by the pydantic models; never raises.
- `decode_trusted`: the journal, written only by Tally's intake after the
  untrusted path accepted it. A plain orjson parse, because replaying a
  million events through pydantic again would buy nothing.
"""

from dataclasses import dataclass
from typing import Any

import msgspec
import orjson
from pydantic import ValidationError

from schemas.events import CURRENT_SCHEMA_VERSION, EVENT_MODELS
from schemas.upcast import upcast

MAX_MESSAGE_BYTES = 16 * 1024


@dataclass(frozen=True)
class Rejection:
    """Why an input was refused. `reason` is stable and machine-readable."""

    reason: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "detail": self.detail}


def decode_untrusted(data: bytes | str) -> dict[str, Any] | Rejection:
    """Validate one published message into the canonical event dict."""
    if len(data) > MAX_MESSAGE_BYTES:
        return Rejection("oversized", f"{len(data)} bytes, limit {MAX_MESSAGE_BYTES}")
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        return Rejection("malformed_json", str(error))
    return validate(raw)


def validate(raw: Any) -> dict[str, Any] | Rejection:
    """Validate an already-parsed object."""
    if not isinstance(raw, dict):
        return Rejection("not_an_object", f"expected a JSON object, got {type(raw).__name__}")
    raw = upcast(raw, CURRENT_SCHEMA_VERSION)
    version = raw.get("schema_version", CURRENT_SCHEMA_VERSION)
    if version != CURRENT_SCHEMA_VERSION:
        return Rejection("unsupported_schema_version", f"schema_version {version!r}")
    model = EVENT_MODELS.get(raw.get("type"))  # type: ignore[arg-type]
    if model is None:
        return Rejection("unknown_type", f"type {raw.get('type')!r}")
    try:
        event = model.model_validate(raw)
    except ValidationError as error:
        return _rejection_from(error)
    return event.model_dump(mode="json")


def _rejection_from(error: ValidationError) -> Rejection:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "event"
    message = first["msg"]
    if field == "occurred_at" and "offset" in message:
        return Rejection("naive_timestamp", f"occurred_at: {message}")
    if first["type"] == "missing":
        return Rejection("missing_field", field)
    if first["type"] == "extra_forbidden":
        return Rejection("unknown_field", field)
    return Rejection("invalid_field", f"{field}: {message}")


def decode_trusted(data: bytes | str) -> dict[str, Any]:
    """Parse a journal record; the intake already validated it. Only its shape is checked (a ValueError,
    as for bad JSON): a file passed as trusted that is not a journal gets a rejection, not a traceback."""
    event = orjson.loads(data)
    if type(event) is not dict:
        raise ValueError(f"expected a JSON object, got {type(event).__name__}")
    return event


def read_trusted(data: bytes | str) -> dict[str, Any] | Rejection:
    """A journal line or record as the replay tools take it: the event, or a rejection where it is not
    one (the line is reported and counted; the read goes on)."""
    try:
        return decode_trusted(data)
    except ValueError as error:
        return Rejection("malformed_json", str(error))


_STRUCT_JSON = msgspec.json.Encoder()


def encode(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, so equal values give equal bytes. Commands (typed records
    with fields in sorted order) are written directly."""
    if isinstance(obj, msgspec.Struct):
        return _STRUCT_JSON.encode(obj)
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
