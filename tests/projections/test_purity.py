"""The domain core is pure: no framework, no clock, no randomness, no files, no YAML, no way back up.

`projections/` holds policy, rulebook, state, rules and the fold (STYLE.md). Reading files is an
adapter's job (`service.policies`), presentation is `render/`, and dependencies point inward only.
"""

import ast
from pathlib import Path

import projections

FORBIDDEN_MODULES = {
    # frameworks and the outer layers
    "faust", "mode", "aiokafka", "kafka", "streams", "cli", "service", "render", "bench", "tests",
    # the clock, randomness, the network, concurrency
    "random", "secrets", "time", "socket", "asyncio", "threading", "multiprocessing", "uuid",
    # files and their formats
    "os", "pathlib", "io", "shutil", "tempfile", "glob", "gzip", "yaml", "json", "csv", "pickle",
}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "time", "time_ns", "monotonic", "urandom", "uuid1", "uuid4"}
FORBIDDEN_NAMES = {"open", "input", "print", "exec", "eval", "__import__"}


def _modules() -> list[Path]:
    return sorted(Path(projections.__file__).parent.rglob("*.py"))


def _trees():
    for path in _modules():
        yield path, ast.parse(path.read_text())


def test_projections_import_no_framework_clock_randomness_or_files():
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name} imports {name}"


def test_projections_call_no_clock():
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls .{node.func.attr}()"


def test_projections_open_no_files_and_print_nothing():
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
                raise AssertionError(f"{path.name}:{node.lineno} uses {node.id}")


def test_the_purity_check_would_notice():
    """The checks above must be able to fail."""
    bad = ast.parse("import yaml\nfrom streams.app import build_app\nwith open('x') as f: pass\nimport time\ntime.time()")
    imported = {alias.name for node in ast.walk(bad) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(bad) if isinstance(node, ast.ImportFrom)}
    assert {name.split(".")[0] for name in imported} <= FORBIDDEN_MODULES
    assert any(isinstance(n, ast.Name) and n.id in FORBIDDEN_NAMES for n in ast.walk(bad))
    assert any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in FORBIDDEN_CALLS for n in ast.walk(bad))
