"""Proving who published a message: HMAC-SHA256 over the exact value bytes, one key per source.

Headers on every input message:
- `tally-source`: the publishing source's name (also the key's name);
- `tally-signature`: lowercase hex HMAC-SHA256 of the value bytes under that source's key.

Pure and small so detector teams can copy it.
"""

import hashlib
import hmac
from collections.abc import Iterable, Mapping

SOURCE_HEADER = "tally-source"
SIGNATURE_HEADER = "tally-signature"


def sign(key: bytes, value: bytes) -> str:
    return hmac.new(key, value, hashlib.sha256).hexdigest()


def verify(key: bytes, value: bytes, signature: str) -> bool:
    """Constant-time comparison; a malformed signature is simply wrong."""
    return hmac.compare_digest(sign(key, value), signature.strip().lower())


def signed_headers(source: str, key: bytes, value: bytes) -> list[tuple[str, bytes]]:
    """Headers to attach when publishing `value` as `source`."""
    return [(SOURCE_HEADER, source.encode()), (SIGNATURE_HEADER, sign(key, value).encode())]


def header_map(headers: Mapping | Iterable | None) -> dict[str, bytes]:
    """Kafka headers (a list of pairs or a mapping; values bytes or str) as a dict; the last of a repeated name wins."""
    if not headers:
        return {}
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, bytes] = {}
    for name, value in pairs:
        name = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
        out[name] = value.encode() if isinstance(value, str) else bytes(value or b"")
    return out
