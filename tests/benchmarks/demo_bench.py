"""P5: the historic demo (`sto demo --json`), the STO programme 2018-2025 through the real workflows.

Run as its own process, as a user runs it; its `wall_seconds` (the replay's own measure, from opening the
store to the report) is the figure, the process's whole time beside it. No raw baseline: the target is absolute.
"""

from __future__ import annotations

import json
import sys
import time

from adapters import processes
from tests.benchmarks.common import REPO, Figure, scratch_directory

REAL_REGIONS = 87


def p5_demo(regions: int = REAL_REGIONS) -> list[Figure]:
    with scratch_directory() as directory:
        started = time.perf_counter()
        # dies with the benchmark (adapters/processes.py); stop() also ends the time-skipping test server that
        # Temporal's SDK starts in the demo's process group
        demo = processes.spawn(
            [sys.executable, "-m", "adapters.cli.main", "demo", "--json", "--dir", str(directory / "demo"),
             "--regions", str(regions)],
            directory / "demo.log", stdout_path=directory / "demo.json", cwd=REPO,
        )
        try:
            returncode = demo.wait(timeout=1800)
        finally:
            processes.stop(demo)
        process_seconds = time.perf_counter() - started
        stdout = (directory / "demo.json").read_text()
        stderr = processes.log_tail(directory / "demo.log")
    if returncode != 0:
        raise RuntimeError(f"sto demo exited {returncode}: {stderr}")
    summary = json.loads(stdout)
    wall = float(summary["wall_seconds"])
    real = regions == REAL_REGIONS
    return [Figure(
        id="P5", store="temporal",
        what=f"historic demo `sto demo --json` ({regions} regions{'' if real else ', not the real 87'}; "
             f"{summary.get('events', '?')} events): its wall_seconds",
        engine=wall, baseline=None, unit="s", target="< 60 s" if real else "", ok=(wall < 60) if real else None,
        notes=f"whole process {process_seconds:.1f} s",
        samples={"process_seconds": process_seconds, "events": summary.get("events"),
                 "reminders_sent": summary.get("reminders_sent")},
    )]
