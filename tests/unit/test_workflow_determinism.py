"""Workflow code reads no wall clock, no randomness and no files: checked in the source, for every module of workflows/.

Temporal's sandbox catches such a call only in the modules it imports afresh for each workflow, and only on the paths
a test takes; the worker passes workflows/ through (adapters/engine/temporal.py `workflow_runner`: a fresh copy of the
grant workflow's module per cached grant cost about 50 KiB and its compilation), and `sto demo` runs without the
sandbox. So the rule is held here, in the source, for every module of workflows/: time from the business clock
(workflows/clock.py, the one place that reads `workflow.now`), ids from `workflow.uuid4()`, no I/O.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
WORKFLOW_MODULES = sorted((ROOT / "workflows").rglob("*.py"))
FORBIDDEN_MODULES = {"time", "random", "secrets", "uuid", "os", "threading", "socket", "subprocess", "sqlite3",
                     "requests", "httpx", "smtplib", "pathlib", "io", "shutil", "tempfile", "concurrent"}
WALL_CLOCK = {"now", "today", "utcnow", "utcfromtimestamp", "fromtimestamp"}
BUILTINS_DOING_IO = {"open", "input", "print", "breakpoint"}
CLOCK_MODULE = ROOT / "workflows" / "clock.py"


def findings(text: str, name: str, *, clock_module: bool = False) -> list[str]:
    tree = ast.parse(text, name)
    found = []
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where} imports {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{where} imports from {node.module}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in BUILTINS_DOING_IO:
                found.append(f"{where} calls {func.id}()")
            # dt.datetime.now(), date.today(), clock.now() is the business clock's: a receiver named after a clock
            if isinstance(func, ast.Attribute) and func.attr in WALL_CLOCK:
                receiver = ast.unparse(func.value)
                if not receiver.split(".")[-1].lstrip("_").endswith("clock"):
                    found.append(f"{where} calls {receiver}.{func.attr}()")
        elif isinstance(node, ast.Attribute) and node.attr == "now" and ast.unparse(node.value) == "workflow" \
                and not clock_module:
            found.append(f"{where} reads workflow.now (take the business clock, workflows/clock.py)")
    return found


@pytest.mark.parametrize("path", WORKFLOW_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflow_code_reads_no_wall_clock_no_randomness_and_no_files(path):
    assert not findings(path.read_text(), str(path.relative_to(ROOT)), clock_module=path == CLOCK_MODULE)


def test_the_check_finds_what_it_should():
    text = ("import time\nimport datetime as dt\nfrom uuid import uuid4\nfrom temporalio import workflow\n"
            "a = dt.datetime.now()\nb = dt.date.today()\nc = workflow.now()\nd = open('x')\ne = self._clock.now()\n"
            "f = clock.now()\n")
    found = findings(text, "probe.py")
    # time, uuid, now(), today(), workflow.now, open(); not the business clock's now()
    assert [f.split(" ", 1)[1] for f in found if not f.startswith("probe.py:7")] == [
        "imports time", "imports from uuid", "calls dt.datetime.now()", "calls dt.date.today()", "calls open()"]
    assert any("workflow.now" in f for f in found if f.startswith("probe.py:7"))
