"""Rewrite tests/golden/ from samples/: `python -m tests.policies.regenerate` (then review `git diff tests/golden`)."""

from tests.policies.golden import GOLDEN, golden_paths, replay, sample_names, score_sample_names


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in sample_names():
        commands_path, state_path = golden_paths(name)
        commands_path.write_bytes(replay(name, state_path))
        print(f"{name}: {commands_path.name}, {state_path.name}")
    for name in score_sample_names():
        commands_path, state_path = golden_paths(name, "scores")
        commands_path.write_bytes(replay(name, state_path, "scores"))
        print(f"{name}: {commands_path.name}, {state_path.name}")


if __name__ == "__main__":
    main()
