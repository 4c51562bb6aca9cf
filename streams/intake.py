"""Deciding whether one input message enters the journal: size, signature, schema, source. Pure.

Checks run cheapest-and-safest first: an oversized or unauthenticated message is
refused before its JSON is parsed.
"""

import base64
from typing import Any

from schemas.codec import Rejection, decode_untrusted, encode
from streams.settings import Settings
from streams.signing import SIGNATURE_HEADER, SOURCE_HEADER, header_map, verify

REASONS = ("oversized", "unsigned", "unknown_source", "bad_signature", "source_mismatch", "unauthorised_source")
"""Reasons of our own; schema reasons (malformed_json, unknown_type, naive_timestamp...) come from schemas.codec,
rule reasons (unknown_violation_code, too_late...) from the fold."""


def admit(value: bytes | None, headers: Any, settings: Settings) -> dict[str, Any] | Rejection:
    """The canonical event, or why not."""
    value = value or b""
    if len(value) > settings.max_message_bytes:
        return Rejection("oversized", f"{len(value)} bytes, limit {settings.max_message_bytes}")
    found = header_map(headers)
    signer = found.get(SOURCE_HEADER, b"").decode("utf-8", "replace")
    signature = found.get(SIGNATURE_HEADER, b"").decode("ascii", "replace")
    if not signer or not signature:
        return Rejection("unsigned", f"missing header {SOURCE_HEADER if not signer else SIGNATURE_HEADER}")
    key = settings.key_for(signer)
    if key is None:
        return Rejection("unknown_source", f"no key configured for source {signer!r}")
    if not verify(key, value, signature):
        return Rejection("bad_signature", f"signature does not match the value under {signer!r}'s key")
    event = decode_untrusted(value)
    if isinstance(event, Rejection):
        return event
    if event["source"] != signer:
        return Rejection("source_mismatch", f"event source {event['source']!r} signed by {signer!r}")
    if not settings.may_publish(signer, event["type"]):
        return Rejection("unauthorised_source", f"{signer!r} may not publish {event['type']}")
    return event


def dead_letter(
    rejection: Rejection, *, topic: str, partition: int | None, offset: int | None, key: bytes | None, value: bytes | None, headers: Any
) -> bytes:
    """The dead-letter record: reason, detail, where it came from, and the original message intact."""
    record: dict[str, Any] = {
        "reason": rejection.reason,
        "detail": rejection.detail,
        "source_topic": topic,
        "partition": partition,
        "offset": offset,
        "key": _text_or_base64(key),
        "headers": {name: _text_or_base64(data) for name, data in header_map(headers).items()},
    }
    record.update(_value_fields(value))
    return encode(record)


def _value_fields(value: bytes | None) -> dict[str, Any]:
    if value is None:
        return {"value": None}
    try:
        return {"value": value.decode("utf-8")}
    except UnicodeDecodeError:
        return {"value_base64": base64.b64encode(value).decode("ascii")}


def _text_or_base64(data: bytes | None) -> str | dict[str, str] | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}
