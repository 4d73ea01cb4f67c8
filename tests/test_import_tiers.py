"""The package's import graph keeps the tier table of the architecture: a module imports only
modules of its own tier or lower, and no two modules import each other, directly or around a
cycle. Every import counts, at the top of a module or inside a function (a late import hides a
dependency from the reader, not from the graph).

The tiers (``docs/architecture.rst`` explains them)::

    0  channels (the package root), channels.exceptions, channels.types, channels.closecodes,
       channels.concurrency, channels.log_context, channels.metrics
    1  channels.layers.*             (never Django)
    2  channels.interface.*          (never Django)
    3  channels.asgi, channels.channel, channels.message, channels.signals, channels.pending,
       channels.early_consumers (the checks of @Channel.consumer)
       (message and pending import signals: one tier, no cycle)
    4  everything else: routing, handler, sessions, auth, generic, security, binding, delay,
       offload, the composition root (channels.composition), checks, apps, ...
    5  channels.worker, channels.dispatch, channels.worker_meter, channels.worker_intake (the
       reaction policy, channels.reactions, is tier 4: the session decorators ask it whether
       a message will run again)
    6  channels.management.*, channels.delay.management.*, channels.test.*, channels.testing.*
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "channels"

#: Module-name prefixes and their tiers; the longest matching prefix wins.
TIERS: dict[str, int] = {
    "channels": 4,
    "channels.__init__": 0,
    "channels.exceptions": 0,
    "channels.types": 0,
    "channels.closecodes": 0,
    "channels.concurrency": 0,
    "channels.log_context": 0,
    "channels.metrics": 0,
    "channels.layers": 1,
    "channels.interface": 2,
    "channels.asgi": 3,
    "channels.channel": 3,
    "channels.message": 3,
    "channels.signals": 3,
    "channels.pending": 3,
    "channels.early_consumers": 3,
    "channels.worker": 5,
    "channels.dispatch": 5,
    "channels.worker_meter": 5,
    "channels.worker_intake": 5,
    "channels.management": 6,
    "channels.delay.management": 6,
    "channels.test": 6,
    "channels.testing": 6,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def tier_of(module: str) -> int:
    key = "channels.__init__" if module == "channels" else module
    best = max(
        (prefix for prefix in TIERS if key == prefix or key.startswith(prefix + ".")),
        key=len,
    )
    return TIERS[best]


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``module`` imports anywhere in its file."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from . import x`` names a submodule when one exists, else the package's attribute.
            names = [
                f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            # Resolve to the longest known module ("channels.layers.redis.Foo" → the module).
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def test_no_module_imports_a_higher_tier() -> None:
    upward = sorted(
        f"{source} (tier {tier_of(source)}) imports {target} (tier {tier_of(target)})"
        for source, targets in import_graph().items()
        for target in targets
        if tier_of(target) > tier_of(source)
    )
    assert upward == []


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively; components of more than one module are cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
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
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
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
                    components.append(sorted(component))
    return components


def test_the_import_graph_has_no_cycle() -> None:
    assert strongly_connected(import_graph()) == []


@pytest.mark.parametrize(
    "graph, cycles",
    [
        ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], cycles: list[list[str]]) -> None:
    assert strongly_connected(graph) == cycles


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    # The package root loads Channel and Group lazily; everything else is a real import.
    assert "channels.layers.base" in graph["channels.layers.inmemory"]
    assert all(
        tier_of(name) == 1 for name in graph["channels.layers.inmemory"] if name != "channels"
    )
