"""The time-skipping server's clock, moved on in bounded steps that survive a busy machine.

Why steps, and why every call has its own deadline: the Rust client of the SDK gives each call that is not a
long poll a deadline of 30 s unless the caller sets one. `UnlockTimeSkippingWithSleep` answers only when the
server's clock has reached the end of the sleep, and on its way the server fires every timer in between and
waits for the workers to finish what each one starts. One long sleep (the replay once asked for 16 days at a
time) can hold hundreds of workflow tasks; on a machine whose cores are busy with something else that took more
than 30 s of real time, and the call ended with "Timeout expired" (sometimes first an "h2 protocol error" when
the server wrote its late answer into a stream the client had already reset). The server went on all the same:
it unlocks time skipping when the call arrives and locks it again, by a timer of its own, at the end of the
sleep. So the end of the sleep is already decided once the call has arrived.

Here each call covers at most `step` of virtual time (bounded work), carries a deadline well above what that
work takes on a quiet machine, and when it breaks or runs out, the clock asks the server where its time is and
waits for it to reach the end of the step it asked for: it never sends a second unlock for the same step, which
would unbalance the server's lock count and let time run past the step. Only when the server's clock has not
moved at all since the failed call for `resend_after` (so the call most likely never arrived) is the rest of the
step asked for again. A clock that stands still for `stall_limit` ends the run with what it saw.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from google.protobuf import empty_pb2
from google.protobuf.duration_pb2 import Duration
from temporalio.api.testservice.v1 import SleepRequest
from temporalio.service import RPCError, RPCStatusCode, TestService

from adapters.logging import get_logger
from domain.errors import DomainError

log = get_logger(__name__)

# what a call to the test server may end with and still leave its clock sound: the connection broke, or the
# call's own deadline ran out (the Rust client reports that as CANCELLED or DEADLINE_EXCEEDED)
RECOVERABLE = frozenset({RPCStatusCode.INTERNAL, RPCStatusCode.UNAVAILABLE, RPCStatusCode.CANCELLED,
                         RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.UNKNOWN})
SKIPPED = 0.5  # seconds the server's clock must gain on real time to count as having skipped


class ReplayStalled(DomainError):
    """The time-skipping server's clock stopped moving: the replay cannot go on. What was stored is consistent."""

    code = "replay_stalled"


@dataclass
class VirtualClock:
    """Moves the test server's clock to a moment, in steps of at most `step`; see the module's text."""

    test_service: TestService
    step: dt.timedelta = dt.timedelta(days=7)
    call_timeout: dt.timedelta = dt.timedelta(seconds=120)
    poll_interval: float = 0.25  # real seconds between two looks at the server's clock after a failed call
    resend_after: float = 60.0  # real seconds of a clock standing still before the step is asked for again
    stall_limit: float = 600.0  # real seconds of a clock standing still before the run gives up
    interruptions: list[str] = field(default_factory=list)  # what broke on the way, for the run's report

    async def now(self) -> dt.datetime:
        """The server's time; a call that breaks is asked again (a read changes nothing)."""
        started = time.monotonic()
        while True:
            try:
                response = await self.test_service.get_current_time(empty_pb2.Empty(), timeout=self.call_timeout)
                return response.time.ToDatetime().replace(tzinfo=dt.timezone.utc)
            except RPCError as error:
                if error.status not in RECOVERABLE or time.monotonic() - started > self.stall_limit:
                    raise
                await asyncio.sleep(self.poll_interval)

    async def advance_to(self, target: dt.datetime,
                         on_step: Callable[[dt.datetime], None] = lambda _: None) -> dt.datetime:
        """Server time on to `target` (server time, not business time); `on_step` hears the server's time after
        each step. Returns the server's time at the end."""
        now = await self.now()
        while now < target:
            end = min(target, now + self.step)
            await self._sleep(now, end)
            now = await self.now()
            on_step(now)
        return now

    async def _sleep(self, start: dt.datetime, end: dt.datetime) -> None:
        asked = time.monotonic()
        if not await self._unlock(start, end, "sleep_interrupted"):
            await self._wait_for(start, end, asked)

    async def _unlock(self, start: dt.datetime, end: dt.datetime, interrupted: str) -> bool:
        """Ask the server to skip from `start` (its time now) to `end`; whether it answered. A call that broke or ran
        out is noted and False (the server may still be on its way); any other refusal is raised."""
        try:
            await self.test_service.unlock_time_skipping_with_sleep(
                SleepRequest(duration=_duration(end - start)), timeout=self.call_timeout)
            return True
        except RPCError as error:
            if error.status not in RECOVERABLE:
                raise
            self._note(interrupted, start, end, error)
            return False

    async def _wait_for(self, start: dt.datetime, end: dt.datetime, asked: float) -> None:
        """After a failed sleep call (asked at monotonic time `asked`, right after `start` was read): wait until
        the server's clock is past the end of the sleep it took, so that its own lock at that end has been taken.

        The server counts the sleep from its time when the call arrived, and its clock runs on with real time
        while skipping is locked: its end lies at most the call's real time in flight after `end`. The clock has
        skipped (the call arrived) when it gained on real time; one that never did is asked again, once."""
        late = dt.timedelta(seconds=time.monotonic() - asked)
        best, moved_at, resent = 0.0, time.monotonic(), False
        while True:
            now = await self.now()
            if now >= end + late:
                await asyncio.sleep(self.poll_interval)  # the server locks by a timer of its own at that moment
                return
            gain = (now - start).total_seconds() - (time.monotonic() - asked)  # virtual time skipped
            if gain > best + SKIPPED:
                best, moved_at = gain, time.monotonic()
            standing = time.monotonic() - moved_at
            if best == 0.0 and not resent and standing > self.resend_after:
                resent = True
                log.warning("replay.sleep_asked_again", server_time=now.isoformat(), until=end.isoformat(),
                            standing_seconds=round(standing, 1))
                start, asked = now, time.monotonic()
                if await self._unlock(now, end, "sleep_interrupted_again"):
                    return
                late = dt.timedelta(seconds=time.monotonic() - asked)
                moved_at = time.monotonic()
            elif standing > self.stall_limit:
                raise ReplayStalled(
                    f"the time-skipping server's clock has not skipped for {standing:.0f} s at {now.isoformat()} on "
                    f"its way to {end.isoformat()} (interruptions: {len(self.interruptions)}; last: "
                    f"{self.interruptions[-1]})",
                    hint="what was stored so far is consistent (check it with `sto audit verify`); run the replay "
                         "again, with fewer --regions or when the machine is less busy, and report the logs if it "
                         "happens on a quiet machine")
            await asyncio.sleep(self.poll_interval)

    def _note(self, what: str, start: dt.datetime, end: dt.datetime, error: RPCError) -> None:
        self.interruptions.append(f"{error.status.name}: {error.message}")
        log.warning(f"replay.{what}", server_time=start.isoformat(), until=end.isoformat(),
                    status=error.status.name, error=error.message)


def _duration(delta: dt.timedelta) -> Duration:
    duration = Duration()
    duration.FromTimedelta(delta)
    return duration
