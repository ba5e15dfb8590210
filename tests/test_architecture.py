"""The import graph keeps the layout honest (docs/ARCHITECTURE.md, "Import rules").

Every import that can run counts: module level and inside functions. Only imports under
`if TYPE_CHECKING:` are left out, since they never run. An edge goes to the module an
import names: `from a.b import c` is an edge to `a.b.c` when that is a module, else to `a.b`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("server", "kiosk", "shopfloor_logging", "shopfloor_trust", "shopfloor_voice")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue  # Alembic scripts run under Alembic, not as part of the import graph
            files[module_name(path)] = path
    return files


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, skipping the bodies of `if TYPE_CHECKING:` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports_of(child)
            continue
        yield from _imports_of(node)


def _imports_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node)


def _resolve_relative(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> dict[str, set[str]]:
    files = source_files()
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                module = (_resolve_relative(node, name, path.name == "__init__.py")
                          if node.level else node.module or "")
                for alias in node.names:
                    sub = f"{module}.{alias.name}"
                    targets.append(sub if sub in files else module)
            graph[name].update(t for t in targets if t in files and t != name)
    return graph


GRAPH = import_graph()


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
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


def test_the_graph_is_read() -> None:
    # A reader that silently found nothing would pass every rule below.
    assert "server.services.events.ingest" in GRAPH
    assert "server.models" in GRAPH["server.services.events.ingest"]
    assert "kiosk.store" in GRAPH["kiosk.app"] or any(
        "kiosk.store" in GRAPH[m] for m in GRAPH if m.startswith("kiosk."))


def test_there_is_no_import_circle() -> None:
    found = circles(GRAPH)
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


FORBIDDEN = [
    # (importer package, forbidden targets, why)
    ("server.scoring", ["server"], "the scoring engine is pure: records in, cards out"),
    ("server.services", ["server.api", "server.admin", "server.wall", "server.cli",
                         "server.serving", "server.demo"],
     "services serve every layer and know none of them"),
    ("server.models", ["server.services", "server.api", "server.admin", "server.wall",
                       "server.cli", "server.serving", "server.scoring", "server.demo",
                       "server.web"],
     "models import nothing above them"),
    ("kiosk", ["server"], "the kiosk talks to the server over HTTP only"),
    ("kiosk.hardware", ["kiosk.scenes", "kiosk.ui"], "adapters post events; scenes draw"),
    ("shopfloor_voice", ["server", "kiosk"],
     "the voice pack format is shared and knows neither side"),
]


@pytest.mark.parametrize(("importer", "targets", "why"), FORBIDDEN,
                         ids=[rule[0] for rule in FORBIDDEN])
def test_forbidden_directions(importer: str, targets: list[str], why: str) -> None:
    wrong = []
    for module, imported in GRAPH.items():
        if not _within(module, importer):
            continue
        for target in imported:
            if _within(target, importer):
                continue
            if any(_within(target, t) for t in targets):
                wrong.append(f"{module} -> {target}")
    assert not wrong, f"{why}:\n" + "\n".join(sorted(wrong))


def test_services_never_import_the_app_factory() -> None:
    wrong = [module for module, imported in GRAPH.items()
             if _within(module, "server.services") and "server" in imported]
    assert not wrong, "services import server/__init__.py (the app factory): " + ", ".join(wrong)


def test_type_checking_imports_are_left_out() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\n"
                     "else:\n    import b\ndef f():\n    import c\n")
    names = [alias.name for node in _imports(tree) if isinstance(node, ast.Import)
             for alias in node.names]
    assert names == ["b", "c"]


def _subclasses(root: type) -> Iterator[type]:
    for sub in root.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_the_service_error_tree_is_drawn_whole() -> None:
    import importlib
    import pkgutil

    import server.services as services

    for info in pkgutil.walk_packages(services.__path__, "server.services."):
        importlib.import_module(info.name)
    drawn = services.__doc__ or ""
    missing = [cls.__name__ for cls in _subclasses(services.ServiceError)
               if cls.__module__.startswith("server.services") and cls.__name__ not in drawn]
    assert not missing, "not drawn in server/services/__init__.py: " + ", ".join(missing)
