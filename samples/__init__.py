"""Sample event files, one per pack, that ship with Tally for demos and tests."""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
