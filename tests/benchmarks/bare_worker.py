"""The worker process of P6b's bare workflows: `python -m tests.benchmarks.bare_worker ADDRESS DB [CACHED]`.

Tuned as `sto worker` is (adapters/engine/temporal.py: WorkerTuning's pollers and sticky timeout, the same
number of cached workflows, the sandbox with its workflow module passed through, eight activity threads), so that the two bursts differ in what the
workflows do, not in how the worker takes tasks. Each local activity inserts one row into the SQLite file DB.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import sqlite3
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_db: sqlite3.Connection | None = None
_lock = threading.Lock()


def open_rows(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE IF NOT EXISTS fired (n INTEGER PRIMARY KEY, workflow_id TEXT NOT NULL, at REAL)")
    return connection


def insert(workflow_id: str) -> int:
    import time

    assert _db is not None
    with _lock:
        _db.execute("BEGIN IMMEDIATE")
        cursor = _db.execute("INSERT INTO fired (workflow_id, at) VALUES (?, ?)", (workflow_id, time.time()))
        _db.execute("COMMIT")
        return int(cursor.lastrowid)


def bare_runner(runner: Any) -> Any:
    """`sto worker`'s sandbox (adapters/engine/temporal.py), which since 2026-12-07 passes the engine's workflow modules
    through instead of importing them afresh for each workflow; the bare workflow's module likewise, so that the
    baseline is not burdened with what the engine no longer pays (70 KiB a workflow here, most of it compiling the
    module again: 22 KiB with it passed through, in a worker holding 500)."""
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    return SandboxedWorkflowRunner(restrictions=runner.restrictions.with_passthrough_modules("tests.benchmarks"))


async def main(address: str, path: str, cached: int) -> None:
    from temporalio.client import Client
    from temporalio.worker import PollerBehaviorAutoscaling, Worker

    from adapters.engine.temporal import WorkerTuning, workflow_runner
    from tests.benchmarks.bare_workflow import BURST_TASK_QUEUE, BareDeadlineWorkflow, insert_row

    import tests.benchmarks.bare_worker as module  # this file runs as __main__: the activity imports it by name

    module._db = open_rows(path)
    tuning = WorkerTuning()
    client = await Client.connect(address)
    worker = Worker(
        client, task_queue=BURST_TASK_QUEUE, workflows=[BareDeadlineWorkflow], activities=[insert_row],
        workflow_runner=bare_runner(workflow_runner()), activity_executor=ThreadPoolExecutor(max_workers=8),
        max_cached_workflows=cached,
        workflow_task_poller_behavior=PollerBehaviorAutoscaling(
            minimum=tuning.min_pollers, initial=tuning.initial_pollers, maximum=tuning.max_pollers),
        activity_task_poller_behavior=PollerBehaviorAutoscaling(
            minimum=1, initial=tuning.initial_pollers, maximum=tuning.max_pollers),
        nonsticky_to_sticky_poll_ratio=tuning.nonsticky_to_sticky_poll_ratio,
        sticky_queue_schedule_to_start_timeout=dt.timedelta(seconds=tuning.sticky_queue_schedule_to_start_seconds),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        print("bare worker running", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 10_000))
