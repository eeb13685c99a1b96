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
