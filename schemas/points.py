"""Exact points: hundredths of a point as ints inside, decimal strings outside.

Rulebooks deduct 0.5 points; binary floats cannot hold that exactly across
sums, so neither state nor wire ever carries a float.
"""

from decimal import Decimal, InvalidOperation

SCALE = 100


def to_hundredths(value: str | int | Decimal) -> int:
    """'0.5' -> 50. Rejects floats and anything finer than a hundredth."""
    if isinstance(value, float):
        raise TypeError("points must be given as strings or integers, not floats")
    try:
        exact = Decimal(str(value)) * SCALE
    except InvalidOperation as error:
        raise ValueError(f"not a number: {value!r}") from error
    if exact != exact.to_integral_value():
        raise ValueError(f"points finer than 0.01: {value!r}")
    return int(exact)


_FORMATTED: dict[int, str] = {}


def format_points(hundredths: int) -> str:
    """50 -> '0.5', 1000 -> '10', -250 -> '-2.5'. Memoised: scores repeat across millions of commands."""
    text = _FORMATTED.get(hundredths)
    if text is None:
        text = _format(hundredths)
        if len(_FORMATTED) < 100_000:  # points are small numbers: this bound is never reached in practice
            _FORMATTED[hundredths] = text
    return text


def _format(hundredths: int) -> str:
    sign = "-" if hundredths < 0 else ""
    whole, frac = divmod(abs(hundredths), SCALE)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:02d}".rstrip("0")
