"""The replay's clock on the real time-skipping server: a step whose call runs out of time before the server is
done still ends where it was asked to (give or take the real time it took), once, and the next step moves on as usual.

Each virtual day a workflow wakes and runs an activity that takes real time; while it runs the server cannot skip,
so a call with a deadline shorter than that work runs out (as the replay's 16-day sleep once did on a busy machine,
against the SDK's default deadline of 30 s).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from temporalio import activity, workflow
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.engine import temporal as engine_temporal
from adapters.replay.virtual_time import VirtualClock

pytestmark = [pytest.mark.temporal]
WORK_SECONDS = 0.4  # real time each wake-up's activity takes
# the server's clock runs on with real time while it does not skip: a step ends that much after its moment at most
CREEP = dt.timedelta(seconds=60)


@activity.defn
async def work(day: int) -> int:
    await asyncio.sleep(WORK_SECONDS)
    return day


@workflow.defn(sandboxed=False)
class Daily:
    def __init__(self) -> None:
        self.done: list[int] = []

    @workflow.run
    async def run(self, days: int) -> list[int]:
        for day in range(1, days + 1):
            await workflow.sleep(dt.timedelta(days=1))
            self.done.append(await workflow.execute_activity(work, day, start_to_close_timeout=dt.timedelta(minutes=5)))
        return self.done

    @workflow.query
    def days_done(self) -> list[int]:
        return self.done


@pytest.fixture
async def env():
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=engine_temporal.test_server_binary(), data_converter=pydantic_data_converter)
    yield environment
    await environment.shutdown()


async def test_a_step_that_outlasts_its_call_ends_exactly_where_asked_and_the_next_step_goes_on(env):
    queue = f"virtual-time-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[Daily], activities=[work]):
        handle = await env.client.start_workflow(Daily.run, 30, id=f"daily-{uuid.uuid4()}", task_queue=queue)
        clock = VirtualClock(env.client.test_service, step=dt.timedelta(days=3),
                             call_timeout=dt.timedelta(seconds=WORK_SECONDS / 2), poll_interval=0.05)
        start = await clock.now()

        target = start + dt.timedelta(days=6, hours=12)
        reached = await clock.advance_to(target)

        assert target <= reached < target + CREEP, reached - target
        assert clock.interruptions, "each step holds more work than its call's deadline: a call must have run out"
        assert all("CANCELLED" in i or "DEADLINE_EXCEEDED" in i for i in clock.interruptions), clock.interruptions
        assert await _days_done(handle, 6) == list(range(1, 7))  # each wake-up once: no step was taken twice

        # the server's lock count is balanced: a step with a deadline to spare answers as usual, and stops there
        clock.call_timeout = dt.timedelta(seconds=120)
        before = len(clock.interruptions)
        target = start + dt.timedelta(days=8, hours=12)
        reached = await clock.advance_to(target)
        assert target <= reached < target + CREEP and len(clock.interruptions) == before
        assert await _days_done(handle, 8) == list(range(1, 9))
        assert await clock.now() < reached + CREEP  # between steps the clock only runs on with real time
        await handle.terminate()


async def _days_done(handle, count: int, limit: float = 120.0) -> list[int]:
    """The days the workflow has finished, once it has finished `count` (the last activity may still be running
    when the clock reaches its day); a hang fails with what was seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        done = await handle.query(Daily.days_done)
        if len(done) >= count or loop.time() > deadline:
            return done
        await asyncio.sleep(0.05)
