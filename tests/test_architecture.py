"""The shape of the house: apps depend one way, no module imports itself round a circle, tasks stay apart.

Built on grimp (the import graph import-linter uses; ``make lint`` also runs
the import-linter contracts in ``pyproject.toml``). Imports under
``if TYPE_CHECKING:`` are left out: they never run. Function-local imports
count: a circle hidden inside a function is still a circle.
"""

from __future__ import annotations

import grimp
import pytest

APPS = ("apm", "projects", "reports", "teams")
#: Upper apps may import lower ones, never the reverse (DESIGN.md, "Layout").
LAYERS = ("reports", "projects", "teams", "apm")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*APPS, exclude_type_checking_imports=True, cache_dir=None)


def _app(module: str) -> str:
    return module.split(".", 1)[0]


def test_it_lets_apps_depend_one_way_only(graph):
    wrong = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            low, high = LAYERS.index(_app(module)), LAYERS.index(_app(imported))
            if high < low:
                wrong.append(f"{module} imports {imported}")
    assert wrong == [], "reports -> projects -> teams -> apm:\n" + "\n".join(wrong)


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module (each one a circle of imports)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
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

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_it_has_no_import_circles(graph):
    # A package's __init__ that imports its own modules is not a circle a reader walks: leave
    # package -> child edges out of the picture.
    circles = [
        component
        for component in strongly_connected(graph)
        if not all(
            any(other.startswith(m + ".") or m.startswith(other + ".") for other in component) for m in component
        )
    ]
    assert circles == [], "import circles:\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_it_finds_a_circle_when_there_is_one():
    """The finder is not blind."""
    graph = grimp.ImportGraph()
    for name in ("a", "b", "c"):
        graph.add_module(name)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    assert strongly_connected(graph) == [["a", "b", "c"]]
