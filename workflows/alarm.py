"""The grant workflow's wake-up timer, kept until it rings instead of cancelled when something else woke it first.

Waiting with `workflow.wait_condition(..., timeout=...)` starts a timer for every wait and cancels it whenever an
update or a signal ends the wait first: two history events per operator command (TimerCanceled, TimerStarted),
and a CancelTimer command that can meet the same timer firing while the workflow task is with a slow worker. The
real server takes that cancel (it drops the buffered TimerFired), but Temporal's time-skipping test server, on
which `sto demo` and the tests replay years, refuses the task's completion ("invalid history builder state for
action") and never times the task out nor sends it again: the workflow is stranded and whoever waits on it waits
for ever (temporalio/sdk-java#2606, #3088; seen in our demo replay whenever both cores were busy).

So a timer is started once per wake-up moment and kept. A wait that ends early keeps it for the next wait on
the same moment (the usual case: most commands do not move the next deadline: two history events fewer per
command). A timer whose moment is no longer the next wake is cancelled only while that moment is more than
`FAR` ahead, where it cannot fire during the task that cancels it (between skips the test server's clock runs at
real pace, and it does not skip while a workflow task is out); one due sooner is left to ring into a workflow
task that finds nothing to do. Leaving them all to ring cost the demo about 8 % (109 -> 118 s): a command that
settles a deadline weeks ahead moved the next wake every time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.clock import BusinessClock

FAR = dt.timedelta(days=1)  # an unneeded timer due later than this is cancelled; one due sooner rings


class Alarm:
    """Timers by the moment they ring (business time); those that rang are forgotten at the next wait."""

    def __init__(self) -> None:
        self._timers: dict[dt.datetime, asyncio.Task[None]] = {}

    async def wait(self, clock: BusinessClock, moment: dt.datetime | None, woken: Callable[[], bool]) -> None:
        """Until `woken()` holds or business time reaches `moment` (None: no timer, only `woken`)."""
        now = clock.now()
        for at, timer in list(self._timers.items()):
            if timer.done():
                del self._timers[at]
            elif at != moment and at - now > FAR:
                timer.cancel()  # far ahead: it cannot have fired while this task ran
                del self._timers[at]
        timer = None
        if moment is not None:
            timer = self._timers.get(moment)
            if timer is None:
                timer = asyncio.create_task(
                    workflow.sleep(clock.until(moment), summary=f"until {moment.isoformat()}"))
                self._timers[moment] = timer
        await workflow.wait_condition(lambda: woken() or (timer is not None and timer.done()))


async def wait_or_time_out(woken: Callable[[], bool], timeout: dt.timedelta | None) -> None:
    """A wait with a timer of its own, cancelled when woken first: the grant's waits in histories recorded before
    PATCH_KEPT_TIMERS, and the short wait after a refused creation (the workflow ends right after it)."""
    try:
        await workflow.wait_condition(woken, timeout=timeout)
    except asyncio.TimeoutError:
        pass
