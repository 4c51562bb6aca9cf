"""The scheduler's notion of now: the only clock Tally reads. Injectable, so tests can move it."""

import time
from pathlib import Path
from typing import Callable

from schemas.instants import parse_instant

Clock = Callable[[], int]
"""Returns epoch seconds."""


def wall_clock() -> int:
    return int(time.time())


def file_clock(path: str) -> Clock:
    """Now is the RFC 3339 instant written in `path`; before the file exists (or while it is empty) time stands at 0."""
    target = Path(path)

    def now() -> int:
        try:
            text = target.read_text().strip()
        except FileNotFoundError:
            return 0
        return parse_instant(text) if text else 0

    return now
