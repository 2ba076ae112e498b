"""What ``src/quire`` imports is installed by ``make run`` (the package's own dependencies, no extras).

A module imported at run time that only the test extra provides passes every test and breaks `make run`
on a fresh machine (webhook delivery imported httpx, a test dependency, for a while)."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

SRC = Path(__file__).resolve().parents[2] / "src" / "quire"


def _runtime_distributions() -> set[str]:
    """Names of the distributions ``pip install quire`` brings, following requirements down (no extras of
    quire; the extras its dependencies ask for, like uvicorn[standard], are followed)."""
    seen: set[str] = set()
    todo = [(Requirement(r), ()) for r in requires("quire") or []]
    todo = [(req, ()) for req, _ in todo if not req.marker or req.marker.evaluate({"extra": ""})]
    while todo:
        req, _ = todo.pop()
        name = req.name.lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            deps = requires(req.name) or []
        except Exception:  # not installed here (a platform-only dependency)
            continue
        for dep in map(Requirement, deps):
            extras = req.extras or {""}
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in extras):
                todo.append((dep, ()))
    return seen


def _imported_top_levels() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(SRC.parent)))
    return found


def test_every_module_src_imports_comes_with_the_runtime_dependencies() -> None:
    runtime = _runtime_distributions()
    providers = packages_distributions()
    missing = {}
    for module, where in _imported_top_levels().items():
        if module == "quire" or module in sys.stdlib_module_names:
            continue
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists & runtime:
            missing[module] = (where, sorted(dists))
    assert not missing, f"imported by src/ but not a runtime dependency of quire: {missing}"
