"""Dependencies point inward only (STYLE.md): no package imports one further out, so no cycles."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each package and the packages it must not import: everything further out.
OUTER = {
    "schemas": {"projections", "service", "render", "streams", "cli", "bench"},
    "projections": {"service", "render", "streams", "cli", "bench"},
    "service": {"render", "streams", "cli", "bench"},
    "render": {"streams", "cli", "bench"},
    "streams": {"cli", "bench"},
}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(OUTER))
def test_a_package_imports_nothing_further_out(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        wrong = imported(path) & OUTER[package]
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"
