"""Instants on the wire: RFC 3339 with an explicit offset in, UTC 'Z' out.

Inside Tally an instant is an int of seconds since the Unix epoch: exact,
cheap to compare, and identical on every machine.
"""

from datetime import datetime, timezone
from functools import lru_cache

DAY = 86_400


def parse_instant(text: str) -> int:
    """RFC 3339 text to epoch seconds; a naive timestamp is an error."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("timestamp has no UTC offset")
    return int(moment.timestamp())


@lru_cache(maxsize=65536)  # commands of one event share their instants; formatting dominates otherwise
def format_instant(seconds: int) -> str:
    """Epoch seconds to the canonical wire form, e.g. 2024-03-01T10:00:00Z."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
