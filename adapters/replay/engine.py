"""Assemble the replay: a fresh SQLite store, the time-skipping server, a worker, the script, the summary."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from adapters import processes
from adapters.engine.grants_client import GrantsClient
from adapters.notify.notifiers import FileNotifier
from adapters.replay.report import write_report
from adapters.replay.runner import ReplayRunner
from adapters.replay.scenario import REAL, build_programme
from adapters.replay.summary import ReplaySummary, summarise
from adapters.engine.key import engine_key
from adapters.event_store.store import open_service
from adapters.engine.temporal import build_worker, ensure_search_attributes, free_port, install_runtime, test_server_binary
from workflows.credentials import CommandCredentials


def _worker_process(port: int, url: str, outbox: Path, directory: Path, n: int, sandboxed: bool) -> subprocess.Popen:
    """Another worker process on the same task queue: Python runs one core per process, the machine has more.
    It dies with this process (adapters/processes.py); its output goes to worker-N.log in the demo directory."""
    env = {
        **os.environ,
        "STO_TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "STO_DATABASE_URL": url,
        "STO_NOTIFIER_URL": f"file://{outbox.resolve()}",
    }
    return processes.spawn(
        [sys.executable, "-m", "adapters.cli.main", "worker", "--identity", f"replay-worker-{n + 2}",
         "--sandbox" if sandboxed else "--no-sandbox"],
        directory / f"worker-{n + 2}.log", env=env,
    )


@dataclass
class ReplayOutcome:
    summary: ReplaySummary
    report: Path
    database_url: str
    outbox: Path


async def replay(
    directory: Path,
    *,
    regions: int = REAL["regions"],
    seed: int = 2018,
    extra_workers: int = 1,
    sandboxed: bool = False,
    on_start: Callable[[dt.datetime, dt.datetime], None] = lambda start, end: None,
    on_progress: Callable[[dt.datetime], None] = lambda moment: None,
) -> ReplayOutcome:
    started = time.perf_counter()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    url = f"sqlite:///{directory / 'sto.sqlite'}"
    service = open_service(url)
    outbox = directory / "outbox"
    programme = build_programme(service.regulation(), regions=regions, seed=seed)
    on_start(programme.start, programme.end)
    port = free_port()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_binary(), data_converter=pydantic_data_converter, port=port,
        runtime=install_runtime(),
    )
    helpers: list[subprocess.Popen] = []
    try:
        await ensure_search_attributes(env.client, "default")
        helpers = [_worker_process(port, url, outbox, directory, n, sandboxed) for n in range(extra_workers)]
        credentials = CommandCredentials(engine_key(url))  # the helper workers hold the key beside the store
        worker = build_worker(env.client, service, FileNotifier(outbox), activity_threads=4, sandboxed=sandboxed,
                              credentials=credentials)
        async with worker:
            offset = programme.start - await env.get_current_time()
            client = GrantsClient(env.client, clock_offset_seconds=offset.total_seconds(), credentials=credentials)
            runner = ReplayRunner(env, client, service, programme, offset, on_progress=on_progress)
            await runner.run()
    finally:
        processes.stop_all(helpers, signal.SIGTERM, timeout=20)
        await env.shutdown()
    summary = summarise(service, real_counts=regions == REAL["regions"] and seed == 2018)
    summary.wall_seconds = time.perf_counter() - started
    report = write_report(directory / "report.html", summary, service.regulation())
    return ReplayOutcome(summary=summary, report=report, database_url=url, outbox=outbox)
