"""The domain core imports nothing from Faust or Kafka, reads no clock, draws no random number."""

import ast
from pathlib import Path

import projections

FORBIDDEN_MODULES = {"faust", "mode", "aiokafka", "kafka", "random", "secrets", "time", "streams", "cli", "socket", "asyncio"}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "time", "time_ns", "monotonic", "urandom", "uuid1", "uuid4"}


def _modules():
    return sorted(Path(projections.__file__).parent.glob("*.py"))


def test_projections_import_no_framework_clock_or_randomness():
    for path in _modules():
        tree = ast.parse(path.read_text())
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
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls .{node.func.attr}()"
