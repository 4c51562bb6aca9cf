"""Reading policy files (YAML or JSON): the adapter between the disk and `projections.policy`."""

from pathlib import Path
from typing import Iterable

import yaml

import policies
from projections.policy import Policy
from projections.rulebook import Rulebooks
from projections.scores.policy import ScorePolicy

SCORE_POLICIES = policies.DIRECTORY / "scores"
"""Score policies (operator evaluations) live apart from the penalty packs: a directory of their own."""
DEFAULT_SCORE_POLICY = "kuaishou-operator-2023"


def shipped_policies_dir() -> Path:
    """The packs that ship with Tally."""
    return policies.DIRECTORY


def load_policy(path: str | Path) -> Policy:
    """Read and validate one policy file."""
    with open(path, encoding="utf-8") as handle:
        return Policy.model_validate(yaml.safe_load(handle))


def load_any_policy(path: str | Path) -> Policy | ScorePolicy:
    """A penalty pack, or a score policy (`kind: scores`)."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if isinstance(data, dict) and data.get("kind") == "scores":
        return ScorePolicy.model_validate(data)
    return Policy.model_validate(data)


def load_score_policy(path_or_id: str | Path | None = None) -> ScorePolicy:
    """A score policy file, or the id of one shipped in policies/scores (none: Kuaishou's, seed 002)."""
    path = Path(path_or_id or DEFAULT_SCORE_POLICY)
    if not path.suffix and not path.exists():
        path = SCORE_POLICIES / f"{path}.yaml"
    with open(path, encoding="utf-8") as handle:
        return ScorePolicy.model_validate(yaml.safe_load(handle))


def shipped_score_policies() -> list[ScorePolicy]:
    return [load_score_policy(path) for path in sorted(SCORE_POLICIES.glob("*.yaml"))]


def load_rulebooks(directory: str | Path, default: str, extra: Iterable[str | Path] = ()) -> Rulebooks:
    """Every policy of a directory, with `extra` files added or replacing the same rulebook and role."""
    found = {p.key: p for p in map(load_policy, sorted(Path(directory).glob("*.yaml")))}
    for path in extra:
        policy = load_policy(path)
        found[policy.key] = policy
    return Rulebooks(found.values(), default)


def shipped_rulebooks(default: str = "douyin-creator-2022") -> Rulebooks:
    return load_rulebooks(shipped_policies_dir(), default)
