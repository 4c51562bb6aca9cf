"""Deciding whether one input message enters the journal: size, signature, schema, source. Pure.

Checks run cheapest-and-safest first: an oversized or unauthenticated message is
refused before its JSON is parsed.
"""

import base64
import hashlib
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


DEAD_LETTER_VALUE_BYTES = 4096
"""A dead letter carries at most this much of the refused value, with its size and digest: the original stays on
its input topic (named by topic, partition and offset), and a dead letter must always fit in a produce request,
whatever arrived (a value near the broker's limit, escaped or base64-encoded, would not)."""
DEAD_LETTER_PART_BYTES = 1024
"""The same for the key and each header value."""


def dead_letter(
    rejection: Rejection, *, topic: str, partition: int | None, offset: int | None, key: bytes | None, value: bytes | None, headers: Any
) -> bytes:
    """The dead-letter record: reason, detail, where it came from, and the original message (its head, if large)."""
    record: dict[str, Any] = {
        "reason": rejection.reason,
        "detail": rejection.detail,
        "source_topic": topic,
        "partition": partition,
        "offset": offset,
        "key": _text_or_base64(key, DEAD_LETTER_PART_BYTES),
        "headers": {name: _text_or_base64(data, DEAD_LETTER_PART_BYTES) for name, data in header_map(headers).items()},
    }
    record.update(_value_fields(value))
    return encode(record)


def _value_fields(value: bytes | None) -> dict[str, Any]:
    if value is None:
        return {"value": None}
    head = value[:DEAD_LETTER_VALUE_BYTES]
    text = _utf8(head)
    fields: dict[str, Any] = {"value": text} if text is not None else {"value_base64": base64.b64encode(head).decode("ascii")}
    fields.update(value_bytes=len(value), value_sha256=hashlib.sha256(value).hexdigest(), value_truncated=len(value) > len(head))
    return fields


def _utf8(data: bytes) -> str | None:
    """The text, or None if it is not UTF-8. A character cut at the end (by truncation) is dropped."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":
            return data[:error.start].decode("utf-8")
        return None


def _text_or_base64(data: bytes | None, limit: int) -> str | dict[str, Any] | None:
    if data is None:
        return None
    if len(data) > limit:
        return {"base64": base64.b64encode(data[:limit]).decode("ascii"), "bytes": len(data), "truncated": True}
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}
