"""The P4 baseline: a workflow whose update runs one no-op activity and replies, nothing else.

Same shape as the grant workflow's operator transition (an update whose handler awaits one normal,
synchronous activity run in a thread pool), without the domain: no validator, no store, no state.
"""

from __future__ import annotations

import datetime as dt

from temporalio import activity, workflow

BARE_TASK_QUEUE = "bench-bare"


@activity.defn(name="bench_noop")
def noop(n: int) -> int:
    return n


@workflow.defn(name="BenchBareUpdate")
class BareWorkflow:
    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._done)

    @workflow.update
    async def touch(self, n: int) -> int:
        return await workflow.execute_activity(noop, n, start_to_close_timeout=dt.timedelta(seconds=30))

    @workflow.signal
    def finish(self) -> None:
        self._done = True


# --- P6b: the baseline of the burst ------------------------------------------------------------------------
#
# A bare workflow that waits for an instant with one timer, then runs one local activity that inserts one row
# into SQLite (WAL, synchronous=FULL, one transaction: the shape of a grant's deadline consequence, a local
# activity that appends to the store) and ends. Run by tests/benchmarks/bare_worker.py, a worker process
# tuned as `sto worker` is (WorkerTuning, the same cache size, the sandbox).

BURST_TASK_QUEUE = "bench-bare-burst"


@activity.defn(name="bench_insert_row")
def insert_row(workflow_id: str) -> int:
    from tests.benchmarks.bare_worker import insert

    return insert(workflow_id)


@workflow.defn(name="BenchBareDeadline")
class BareDeadlineWorkflow:
    @workflow.run
    async def run(self, instant_epoch: float) -> int:
        wait = instant_epoch - workflow.now().timestamp()
        if wait > 0:
            await workflow.sleep(wait)
        return await workflow.execute_local_activity(
            insert_row, workflow.info().workflow_id, start_to_close_timeout=dt.timedelta(seconds=60))
