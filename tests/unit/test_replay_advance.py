"""The replay's march through virtual time survives a broken sleep call, and only that.

The environment here stands in for the SDK's time-skipping environment (third-party, at the edge): its
clock goes on to the end of a sleep even when the call's connection breaks, as the test server's does.
"""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.service import RPCError, RPCStatusCode

from adapters.replay.runner import SLEEP_ATTEMPTS, ReplayRunner

START = dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc)


class ServerClock:
    def __init__(self, *failures: RPCStatusCode):
        self.now = START
        self.failures = list(failures)
        self.sleeps: list[dt.timedelta] = []

    async def get_current_time(self) -> dt.datetime:
        return self.now

    async def sleep(self, delta: dt.timedelta) -> None:
        self.sleeps.append(delta)
        if self.failures:
            self.now += delta / 2  # the call breaks half way; the server goes on skipping
            status = self.failures.pop(0)
            raise RPCError("h2 protocol error: http2 error", status, b"")
        self.now += delta


def runner(env: ServerClock) -> ReplayRunner:
    return ReplayRunner(env=env, clients={}, service=None, programmes={}, offset=dt.timedelta(0))  # type: ignore[arg-type]


async def test_a_sleep_whose_connection_broke_is_asked_again_for_the_rest_of_the_way():
    env = ServerClock(RPCStatusCode.INTERNAL)
    target = START + dt.timedelta(days=16)
    await runner(env).advance_to(target)
    assert env.now == target
    assert env.sleeps == [dt.timedelta(days=16), dt.timedelta(days=8)]


async def test_a_refused_sleep_is_not_asked_again():
    env = ServerClock(RPCStatusCode.INVALID_ARGUMENT)
    with pytest.raises(RPCError):
        await runner(env).advance_to(START + dt.timedelta(days=1))
    assert len(env.sleeps) == 1


async def test_a_connection_that_keeps_breaking_ends_the_replay_with_the_error():
    env = ServerClock(*[RPCStatusCode.UNAVAILABLE] * SLEEP_ATTEMPTS)
    with pytest.raises(RPCError):
        await runner(env).advance_to(START + dt.timedelta(days=30))
    assert len(env.sleeps) == SLEEP_ATTEMPTS


async def test_a_moment_already_passed_needs_no_sleep():
    env = ServerClock()
    await runner(env).advance_to(START - dt.timedelta(hours=1))
    assert env.sleeps == []
