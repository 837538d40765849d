"""The map of docs/architecture.md, held: no import cycle between the project's modules (imports
inside functions counted), the apps import downwards only, and no module outgrows a room."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "stations", "petitions", "evaluations", "grievances", "integrations")
# Which apps each may import (docs/architecture.md, "Which way the imports go").
MAY_IMPORT = {
    "config": {"config"},
    "stations": {"config", "stations"},
    "petitions": {"config", "stations", "petitions"},
    "evaluations": {"config", "stations", "petitions", "evaluations"},
    "grievances": {"config", "stations", "petitions", "grievances", "integrations"},
    "integrations": {"config", "stations", "petitions", "integrations"},
}
# The entry points stand above every app: the root URLconf and the processes' start.
ENTRY_POINTS = {"config.urls", "config.wsgi", "config.asgi", "config.celery"}
LONGEST = 700


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules this one imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            # `from a import b` imports a.b when b is a module, else a.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _is_package_of(outer: str, inner: str) -> bool:
    return inner.startswith(outer + ".")


def test_no_import_cycle_between_project_modules():
    graph = _graph()
    # A package's __init__ re-exporting its own modules is not a cycle with them.
    edges = {name: {t for t in targets if not _is_package_of(name, t)} for name, targets in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target] if target in trail else [node, target])
            elif state.get(target) is None:
                visit(target, [*trail, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(" → ".join(cycle) for cycle in cycles)


def test_the_apps_import_downwards_only():
    wrong = sorted(
        f"{name} → {target}"
        for name, targets in _graph().items()
        if name not in ENTRY_POINTS
        for target in targets
        if target.split(".")[0] not in MAY_IMPORT[name.split(".")[0]]
    )
    assert not wrong, wrong


def _room(name: str) -> str:
    """The kind of room a module is: `models`, `selectors`, `services`, … (a package's modules
    are of its kind: petitions.services.escalation is a service)."""
    kinds = ("models", "selectors", "services", "tasks", "views", "api")
    return next((part for part in reversed(name.split(".")) if part in kinds), "")


def test_reads_do_not_import_writes():
    """Models import no selectors or services, selectors no services: nothing imports back up."""
    above = {
        "models": {"selectors", "services", "tasks", "views", "api"},
        "selectors": {"services", "tasks", "views", "api"},
    }
    wrong = sorted(
        f"{name} → {target}"
        for name, targets in _graph().items()
        for target in targets
        if _room(target) in above.get(_room(name), set())
    )
    assert not wrong, wrong


def test_no_module_is_longer_than_a_room():
    long = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > LONGEST}
    assert not long, long
