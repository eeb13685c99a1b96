"""The replay's march through virtual time: bounded steps, each call with its own deadline, and a broken or
timed-out call followed by waiting for the server's own clock, never by a second unlock of the same step.

The stand-in here plays the time-skipping server at the edge (third-party: the SDK's TestService) as the Java
server behaves: an unlock-with-sleep lowers a lock count and schedules its own lock at the end of the sleep, which
happens whether or not the caller is still waiting; an unlock at count zero is refused. The real server is driven
the same way in tests/integration/test_virtual_time.py.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from temporalio.service import RPCError, RPCStatusCode

from adapters.replay.virtual_time import ReplayStalled, VirtualClock

START = dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc)


class Reply:
    def __init__(self, when: dt.datetime):
        self.time = self
        self._when = when

    def ToDatetime(self) -> dt.datetime:  # noqa: N802 (the protobuf's name)
        return self._when.replace(tzinfo=None)


class SkippingServer:
    """A clock with a lock count that runs on with real time and skips only while unlocked.
    `breaks`: what each unlock call ends with, in turn (None: it answers)."""

    def __init__(self, *breaks: RPCStatusCode | None, arrives: bool = True, moves: bool = True):
        self.started = time.monotonic()
        self.skipped = dt.timedelta(0)
        self.locks = 1
        self.breaks = list(breaks)
        self.arrives = arrives  # whether a broken call reached the server
        self.moves = moves  # whether the server gets on with a sleep at all
        self.sleeps: list[dt.timedelta] = []
        self.deadlines: list[dt.timedelta | None] = []
        self.pending: list[dt.datetime] = []  # ends of sleeps the server is working towards

    @property
    def now(self) -> dt.datetime:
        return START + self.skipped + dt.timedelta(seconds=time.monotonic() - self.started)

    async def get_current_time(self, _req, *, timeout=None) -> Reply:
        if self.moves and self.pending:  # the server reaches the end of what it was given, then locks again
            end = self.pending.pop(0)
            self.skipped += max(dt.timedelta(0), end - self.now)
            self.locks += 1
        return Reply(self.now)

    async def unlock_time_skipping_with_sleep(self, req, *, timeout=None) -> None:
        delta = req.duration.ToTimedelta()
        self.sleeps.append(delta)
        self.deadlines.append(timeout)
        status = self.breaks.pop(0) if self.breaks else None
        if status is None or self.arrives:
            if self.locks == 0:
                raise RPCError("Unbalanced lock and unlock calls", RPCStatusCode.FAILED_PRECONDITION, b"")
            self.locks -= 1
            if status is None:
                self.skipped += delta
                self.locks += 1
                return
            self.pending.append(self.now + delta)
        raise RPCError("Timeout expired" if status is RPCStatusCode.CANCELLED else "h2 protocol error", status, b"")


def near(moment: dt.datetime, target: dt.datetime) -> bool:
    """On or just after `target`: the clock runs on with real time."""
    return target <= moment < target + dt.timedelta(seconds=5)


def clock(server: SkippingServer, **settings) -> VirtualClock:
    return VirtualClock(server, poll_interval=0.001, **settings)  # type: ignore[arg-type]


async def test_a_long_way_is_walked_in_steps_of_at_most_a_week_each_with_its_own_deadline():
    server = SkippingServer()
    seen: list[dt.datetime] = []
    await clock(server).advance_to(START + dt.timedelta(days=16), on_step=seen.append)
    assert near(server.now, START + dt.timedelta(days=16))
    assert len(server.sleeps) == 3 and all(s <= dt.timedelta(days=7) for s in server.sleeps)
    assert all(d is not None and d <= dt.timedelta(minutes=5) for d in server.deadlines)
    assert [near(at, START + dt.timedelta(days=d)) for at, d in zip(seen, (7, 14, 16))] == [True] * 3
    assert server.locks == 1


@pytest.mark.parametrize("status", [RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED,
                                    RPCStatusCode.INTERNAL, RPCStatusCode.UNAVAILABLE])
async def test_a_step_whose_call_ran_out_or_broke_is_waited_for_and_never_unlocked_twice(status):
    server = SkippingServer(status)
    vc = clock(server)
    await vc.advance_to(START + dt.timedelta(days=3))
    assert near(server.now, START + dt.timedelta(days=3))
    assert len(server.sleeps) == 1  # the server finished the step it had been given
    assert server.locks == 1  # balanced: the next step can unlock again
    assert len(vc.interruptions) == 1 and status.name in vc.interruptions[0]


async def test_a_step_whose_call_never_arrived_is_asked_for_again_once_the_clock_stood_still():
    server = SkippingServer(RPCStatusCode.UNAVAILABLE, arrives=False)
    await clock(server, resend_after=0.05).advance_to(START + dt.timedelta(days=2))
    assert near(server.now, START + dt.timedelta(days=2))
    assert len(server.sleeps) == 2
    assert server.locks == 1


async def test_a_clock_that_never_moves_again_ends_the_run_saying_what_it_saw():
    server = SkippingServer(RPCStatusCode.CANCELLED, moves=False)
    with pytest.raises(ReplayStalled) as raised:
        await clock(server, resend_after=10.0, stall_limit=0.1).advance_to(START + dt.timedelta(days=5))
    assert "2019-01-01" in raised.value.message and "CANCELLED" in raised.value.message
    assert "sto audit verify" in raised.value.hint


async def test_a_refused_sleep_ends_the_run_with_the_servers_error():
    server = SkippingServer(RPCStatusCode.INVALID_ARGUMENT)
    with pytest.raises(RPCError) as raised:
        await clock(server).advance_to(START + dt.timedelta(days=1))
    assert raised.value.status is RPCStatusCode.INVALID_ARGUMENT
    assert len(server.sleeps) == 1


async def test_a_moment_already_passed_needs_no_sleep():
    server = SkippingServer()
    assert near(await clock(server).advance_to(START - dt.timedelta(hours=1)), START)
    assert server.sleeps == []

