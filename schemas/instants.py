"""Instants on the wire: RFC 3339 with an explicit offset in, UTC 'Z' out.

Inside Tally an instant is an int of seconds since the Unix epoch: exact,
cheap to compare, and identical on every machine.
"""

from datetime import datetime, timezone

DAY = 86_400

_MIDNIGHTS: dict[str, int] = {}
"""'YYYY-MM-DD' + offset -> the instant that local day starts: a journal has few distinct days."""


def parse_instant_strict(text: str) -> int:
    """RFC 3339 text to epoch seconds; a naive timestamp is an error. The validation path."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("timestamp has no UTC offset")
    return int(moment.timestamp())


def parse_instant(text: str) -> int:
    """As `parse_instant_strict`, with a fast path for the common 'YYYY-MM-DDTHH:MM:SS' + 'Z' or '+HH:MM'
    shapes (a replay parses one per event)."""
    if (len(text) == 20 or len(text) == 25) and text[10] == "T" and text[13] == ":" and text[16] == ":":
        key = text[:10] + text[19:]
        midnight = _MIDNIGHTS.get(key)
        if midnight is None:
            midnight = _MIDNIGHTS[key] = parse_instant_strict(text[:10] + "T00:00:00" + text[19:])
        hours, minutes, seconds = text[11:13], text[14:16], text[17:19]
        if hours.isdigit() and minutes.isdigit() and seconds.isdigit() and hours < "24" and minutes < "60" and seconds < "60":
            return midnight + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return parse_instant_strict(text)


_DAYS: dict[int, str] = {}


def format_instant(seconds: int) -> str:
    """Epoch seconds to the canonical wire form, e.g. 2024-03-01T10:00:00Z. Every command carries one or
    two: the day is looked up, the time of day computed."""
    day, rest = divmod(seconds, DAY)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = datetime.fromtimestamp(day * DAY, timezone.utc).strftime("%Y-%m-%dT")
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{date}{hours:02d}:{minutes:02d}:{secs:02d}Z"
