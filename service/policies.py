"""Reading policy files (YAML or JSON): the adapter between the disk and `projections.policy`."""

from pathlib import Path
from typing import Iterable

import yaml

import policies
from projections.policy import Policy
from projections.rulebook import Rulebooks


def shipped_policies_dir() -> Path:
    """The packs that ship with Tally."""
    return policies.DIRECTORY


def load_policy(path: str | Path) -> Policy:
    """Read and validate one policy file."""
    with open(path, encoding="utf-8") as handle:
        return Policy.model_validate(yaml.safe_load(handle))


def load_rulebooks(directory: str | Path, default: str, extra: Iterable[str | Path] = ()) -> Rulebooks:
    """Every policy of a directory, with `extra` files added or replacing the same rulebook and role."""
    found = {p.key: p for p in map(load_policy, sorted(Path(directory).glob("*.yaml")))}
    for path in extra:
        policy = load_policy(path)
        found[policy.key] = policy
    return Rulebooks(found.values(), default)


def shipped_rulebooks(default: str = "douyin-creator-2022") -> Rulebooks:
    return load_rulebooks(shipped_policies_dir(), default)
