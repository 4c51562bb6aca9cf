"""The rulebook packs that ship with Tally: one YAML file per rulebook version and role.

A package only so that the files install with Tally; there is no code here.
"""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
