"""No import circles in ``src/quire``: every module's imports, read with ``ast`` (also those inside
functions and ``TYPE_CHECKING`` blocks), form a graph with no strongly connected component of more
than one module; and the render layer (``quire.documents``) imports no other part of Quire.

An import names one module: ``import a.b`` and ``from a.b import c`` point at ``a.b.c`` when that is a
module, else at ``a.b``. The parent packages Python runs on the way are not counted: a package's
``__init__`` that re-exports its own submodules is not a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "quire"
ROOT = Path(__file__).resolve().parents[2] / "src" / PACKAGE


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The modules of the package that ``name`` (at ``path``) imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import quire.x.y` with y a name: the nearest module
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imported(name, path, known)) for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def one_cycle(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest path from the component's first module back to itself, for the failure message."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    for node in queue:
        for child in sorted(edges[node] & members):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return component


def test_the_graph_reads_the_imports() -> None:
    edges = graph()
    assert "quire.app" in edges and "quire.documents.pool" in edges
    assert "quire.documents.typst_render" in edges["quire.documents.pool"]  # imported inside functions


def test_the_circle_finder_finds_circles() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert circles(edges) == [["a", "b", "c"]]
    assert one_cycle(["a", "b", "c"], edges) == ["a", "b", "c", "a"]


def test_the_render_layer_knows_no_domain() -> None:
    """``quire.documents`` renders a neutral model: it imports nothing of Quire outside itself."""
    edges = graph()
    reaching_up = {
        f"{name} -> {target}"
        for name, targets in edges.items() if name.startswith("quire.documents")
        for target in targets if not target.startswith("quire.documents")
    }
    assert not reaching_up, sorted(reaching_up)


def test_no_import_circles() -> None:
    edges = graph()
    found = [" -> ".join(one_cycle(component, edges)) + f"  (component: {', '.join(component)})" for component in circles(edges)]
    assert not found, "import circles in src/quire:\n" + "\n".join(found)


def test_the_document_core_knows_no_kind() -> None:
    """``quire.billing_documents`` is what invoices and credit notes share: it imports neither kind (the
    kinds import it), so a kind's rule cannot leak into the other through the core."""
    edges = graph()
    kinds = ("quire.invoices", "quire.creditnotes")
    reaching_up = {
        f"{name} -> {target}"
        for name, targets in edges.items() if name.startswith("quire.billing_documents")
        for target in targets if target.startswith(kinds)
    }
    assert not reaching_up, sorted(reaching_up)
