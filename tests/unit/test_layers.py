"""The floor plan holds: which part may import which, and no circles.

- `domain/` is pure: it imports nothing of `workflows/`, `projections/` or `adapters/`, and nothing that does
  I/O (no eventsourcing application or persistence, no database driver, no Temporal, no HTTP).
- `workflows/` imports `domain/` only (no adapters, no projections): activities, which do the I/O, live in
  `adapters/engine/`.
- `projections/` imports `domain/` only.
- `adapters/` may import everything; nothing imports `adapters/` except `adapters/` and the tests.
- Inside `adapters/`, the event store is the lowest part: it imports no other adapter. The audit chain stands on
  it (it reads the seal the store's recorders write, adapters/event_store/sealing.py) and imports no adapter
  but the store.
- No module imports itself back through others (no cycle), in any part.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PARTS = ("domain", "workflows", "projections", "adapters")
MAY_IMPORT = {
    "domain": {"domain"},
    "workflows": {"domain", "workflows"},
    "projections": {"domain", "projections"},
    "adapters": {"domain", "workflows", "projections", "adapters"},
}
# adapters that stand low inside adapters/: the other adapters they may import (domain/ and workflows/ as above)
LOW_ADAPTERS = {
    "adapters.event_store": {"adapters.event_store"},
    "adapters.audit": {"adapters.audit", "adapters.event_store"},
}
DOING_IO = ("eventsourcing.application", "eventsourcing.persistence", "eventsourcing.sqlite", "eventsourcing.postgres",
            "sqlite3", "psycopg", "temporalio", "fastapi", "httpx", "smtplib", "socket", "subprocess", "uvicorn")


def modules() -> dict[str, Path]:
    found = {}
    for part in PARTS:
        for path in (ROOT / part).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


MODULES = modules()


@pytest.mark.parametrize("part", PARTS)
def test_each_part_imports_only_what_its_layer_may(part):
    wrong = []
    for name, path in MODULES.items():
        if not name.startswith(part + ".") and name != part:
            continue
        for imported in imports(path):
            top = imported.split(".")[0]
            if top in PARTS and top not in MAY_IMPORT[part]:
                wrong.append(f"{name} imports {imported}")
    assert not wrong, "\n".join(sorted(wrong))


@pytest.mark.parametrize("part", sorted(LOW_ADAPTERS))
def test_a_low_adapter_imports_no_adapter_above_it(part):
    wrong = []
    for name, path in MODULES.items():
        if not name.startswith(part + ".") and name != part:
            continue
        for imported in imports(path):
            if imported.startswith("adapters.") and not imported.startswith(tuple(p + "." for p in LOW_ADAPTERS[part])) \
                    and imported not in LOW_ADAPTERS[part]:
                wrong.append(f"{name} imports {imported}")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_domain_does_no_io():
    wrong = [f"{name} imports {imported}" for name, path in MODULES.items() if name.startswith("domain")
             for imported in imports(path) if imported.startswith(DOING_IO)]
    assert not wrong, "\n".join(sorted(wrong))


def test_no_module_imports_itself_back_through_others():
    graph = {name: {m for m in (imp if imp in MODULES else imp.rsplit(".", 1)[0] for imp in imports(path)) if m in MODULES and m != name}
             for name, path in MODULES.items()}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]) if nxt in trail else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    # a package's __init__ that re-exports its own modules is not a circle of design
    real = [c for c in cycles if not all(part.startswith(c.split(" -> ")[0].rsplit(".", 1)[0]) for part in c.split(" -> "))]
    assert not real, "\n".join(real)


def test_no_module_outside_the_tests_is_over_400_lines():
    long = [f"{name}: {len(path.read_text().splitlines())} lines" for name, path in MODULES.items()
            if len(path.read_text().splitlines()) > 400]
    assert not long, "\n".join(long)
