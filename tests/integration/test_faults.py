"""Faults a six-year process meets, injected for real: dead workers, a dead server, crowds of operators.

- Workers (`sto worker` processes) SIGKILLed between storing a transition's event and acknowledging it,
  twenty times: no event lost, none stored twice, every update answered.
- The dev server SIGKILLed with timers pending and restarted on its file: every timer that came due while it
  was down fires once on its return, the others on schedule.
- Fifty operators sending commands to one grant at once, with the version they saw (expected_version):
  through the service on SQLite and PostgreSQL, and through the workflow's update: one winner per version,
  a clear conflict for everyone else, and exactly the winners' events in the store.

Bad input across the CLI and the API is in tests/e2e/test_faults_bad_input.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from eventsourcing.utils import get_topic

from adapters.engine.grants_client import GrantsClient
from adapters.letters.issue import issue_letters
from adapters.notify.notifiers import FileNotifier
from tests.support.scripted import GrantScript, at
from adapters.event_store.store import open_service
from adapters.engine.temporal import DevServer, TemporalSettings, build_worker, connect, free_port
from domain import commands as c
from domain.errors import ConcurrencyConflict
from domain.outbox import OutboxMessage
from adapters.event_store.service import GrantService
from domain.timekeeping import AMSTERDAM
from tests.integration.test_durability import (SIGNED, Replan, business, offset_for, pending_timers, settle, start_worker_process,
                                               stop, wait_for, with_growing_leads)
from workflows import TASK_QUEUE, grant_workflow_id
from workflows.grant_lifecycle import GrantWorkflow
from workflows.models import GrantWorkflowInput

SMALL = {2020: 100_000_00, 2021: 100_000_00, 2022: 90_000_00, 2023: 90_000_00}
OPERATOR = c.Actor(name="op.jansen", role="operator")


def approved(service: GrantService, index: int) -> str:
    """A grant approved in 2019 with its first progress report in: it takes hourly-rate changes in 2022. Its
    verlening has its letter, as the grant's workflow made it then: a workflow started on it now has no letter
    to make, so the events the tests count are their own."""
    script = GrantScript(service, index=index, per_year=dict(SMALL))
    script.to_approved()
    issue_letters(service, None, script.code, None)
    script.consequence("objection_period:1", at(2019, 8, 2))
    script.progress_report(1, at(2021, 10, 20))
    return script.code


def rate_change(code: str, rate: int, expected_version: int | None = None) -> c.RecordHourlyRateChange:
    return c.RecordHourlyRateChange(region_code=code, actor=OPERATOR, reason=f"cao: tarief {rate}", rate_cents=rate,
                                    motivation="cao-verhoging", expected_version=expected_version)


async def start_grant_workflows(client, service: GrantService, codes: list[str], offset: float, task_queue: str = TASK_QUEUE,
                                **inputs) -> GrantsClient:
    """Workflows for grants already in the store (as continue-as-new starts them), each past its first task."""
    grants = GrantsClient(client, task_queue=task_queue, clock_offset_seconds=offset, credentials=SIGNED)
    for code in codes:
        await client.start_workflow(
            GrantWorkflow.run,
            GrantWorkflowInput(region_code=code, state=service.state(code), clock_offset_seconds=offset, **inputs),
            id=grant_workflow_id(code), task_queue=task_queue,
        )
    for code in codes:
        end = time.monotonic() + 120  # only a hang takes that long
        while True:
            try:
                await grants.status(code)  # answered once the workflow has run its first task
                break
            except Exception:  # noqa: BLE001
                if time.monotonic() > end:
                    raise
                await asyncio.sleep(0.1)
    return grants


def delivered_reminders(service: GrantService) -> list[str]:
    """The key of every reminder the outbox recorded as delivered, once per Delivered event."""
    queued = get_topic(OutboxMessage.Queued)
    delivered = get_topic(OutboxMessage.Delivered)
    keys: dict = {}
    found = []
    for n in service.recorder.select_notifications(1, 1_000_000, topics=[queued, delivered]):
        event = service.mapper.to_domain_event(n)
        if n.topic == queued:
            keys[event.originator_id] = event.notification["key"]
        else:
            found.append(keys[event.originator_id])
    return found


# --- workers killed mid-transition ----------------------------------------------------------------

KILLS, LANES = 20, 2


@pytest.mark.temporal
@pytest.mark.slow
async def test_twenty_workers_killed_between_storing_and_acknowledging_lose_and_duplicate_nothing(dev_server, tmp_path):
    """Two lanes (task queues) of two grants each, ten kills per lane, run side by side: twenty SIGKILLs.

    Every worker waits between storing a transition's event and reporting back until it is killed (the window a
    crash hurts most: written, not acknowledged; STO_FAULT_PAUSE_AFTER_COMMIT pauses only a command the attempt
    wrote). The test kills it in that window, starts the next worker (which finds the command already stored,
    appends nothing and answers at once), and goes on with the next transition. A window of a fixed 1.5 s was
    missed by a test process slower than that to see the events stored."""
    url = f"sqlite:///{tmp_path / 'sto.sqlite'}"
    service = open_service(url)
    client = await connect(TemporalSettings(address=dev_server.address))
    offset = business(at(2022, 9, 1, 10))
    lanes = {f"faults-lane-{n}": [approved(service, 300 + 2 * n), approved(service, 301 + 2 * n)] for n in range(LANES)}
    start = {code: len(service.history(code)) for codes in lanes.values() for code in codes}
    issued: dict[str, list[uuid.UUID]] = {code: [] for code in start}
    killed_in_window: list[int] = []

    async def lane(queue: str, codes: list[str], kills: int) -> None:
        env = {"STO_TASK_QUEUE": queue, "STO_FAULT_PAUSE_AFTER_COMMIT": "600"}  # until killed
        worker = start_worker_process(tmp_path, dev_server.address, url, f"{queue}-0", **env)
        try:
            grants = await start_grant_workflows(client, service, codes, offset, task_queue=queue)
            for round_ in range(kills):
                before = {code: len(service.history(code)) for code in codes}
                commands = {code: rate_change(code, 6000 + round_) for code in codes}
                for code, command in commands.items():
                    issued[code].append(command.command_id)
                updates = [asyncio.create_task(grants.transition(command)) for command in commands.values()]
                await wait_for(lambda: all(len(service.history(code)) == before[code] + 1 for code in codes), 90, 0.05)
                in_window = sum(not u.done() for u in updates)  # stored, and not yet answered
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                killed_in_window.append(in_window)
                worker = start_worker_process(tmp_path, dev_server.address, url, f"{queue}-{round_ + 1}", **env)
                results = await asyncio.wait_for(asyncio.gather(*updates), timeout=120)
                for code, result in zip(commands, results):
                    assert result.version == before[code] + 1 and result.events == ["HourlyRateChanged"]
        finally:
            stop(worker, signal.SIGKILL)

    await asyncio.gather(*(lane(queue, codes, KILLS // LANES) for queue, codes in lanes.items()))
    assert len(killed_in_window) == KILLS
    assert killed_in_window == [2] * KILLS, f"both grants of the lane stored and not yet answered at each kill: {killed_in_window}"
    for code, first in start.items():
        history = service.history(code)
        added = history[first:]
        assert [e.command_id for e in added] == issued[code], "each transition stored once, in order, none lost"
        assert [type(e).__name__ for e in added] == ["HourlyRateChanged"] * (KILLS // LANES)
        assert [e.originator_version for e in history] == list(range(1, len(history) + 1))


# --- the server restarted with timers pending ------------------------------------------------------


@pytest.mark.temporal
@pytest.mark.slow
async def test_every_timer_due_while_the_server_was_down_fires_once_on_its_return_and_later_ones_on_time(tmp_path):
    await with_growing_leads(lambda lead: timers_across_a_restart(tmp_path / f"lead-{lead:g}", lead))


async def timers_across_a_restart(tmp: Path, lead: float) -> None:
    """Seven pre-registered grants, three kinds of pending timer (business clocks set per grant):
    A: the end of application period 1 passes while the server is down -> GrantLapsed after the restart;
    B: the last reminder before that deadline comes due while it is down -> sent after the restart;
    C: the deadline passes after the restart -> on schedule, not at the restart.

    No step waits for a moment on the wall clock except the downtime itself: the deadlines are set from the moment
    the server, client and worker are ready (A's and B's `lead` seconds on, C's `lead` seconds after the planned
    return), the server is killed as soon as every grant has sent its first reminder (its timer set), and what
    fired when is read from the store afterwards. A machine too slow for the lead gets a longer one (Replan)."""
    tmp.mkdir()
    db_file, port = tmp / "temporal.sqlite", free_port()
    service = open_service(f"sqlite:///{tmp / 'sto.sqlite'}")
    scripts = [GrantScript(service, index=400 + i, per_year=dict(SMALL)) for i in range(7)]
    for script in scripts:
        script.pre_register()
    groups = {"A": [s.code for s in scripts[:3]], "B": [s.code for s in scripts[3:5]], "C": [s.code for s in scripts[5:]]}
    due = dt.datetime(2019, 4, 1, 0, 0, tzinfo=AMSTERDAM)  # end of application period 1 (its due_at)
    last_reminder = dt.datetime(2019, 3, 30, 9, 0, tzinfo=AMSTERDAM)  # 1 day before the last day (31 March), 09:00
    outbox = tmp / "outbox"
    server = DevServer(db_file=db_file, port=port, headless=True).start(timeout=120)
    began = time.time()

    def events() -> dict[str, list[int]]:
        return {g: [len(service.history(code)) for code in codes] for g, codes in groups.items()}

    def seen() -> str:  # what a failed wait saw: the grants' events, the reminders, the time, the server's last words
        log = server.log_file.read_text(errors="replace").splitlines()[-15:] if server.log_file.exists() else []
        return (f"{time.time() - began:.1f} s after the first start, events per grant {events()}, "
                f"reminders {sorted(delivered_reminders(service))}, dev server log:\n" + "\n".join(log))

    try:
        client = await connect(TemporalSettings(address=server.address))
        async with build_worker(client, service, FileNotifier(outbox)):
            ready = time.time()
            down_by = ready + lead  # A's deadline and B's last reminder: the server must be down by then
            back_at = down_by + 1  # the server starts again
            c_due = back_at + lead  # C's deadline, after the return
            offsets = {"A": offset_for(due, down_by), "B": offset_for(last_reminder, down_by), "C": offset_for(due, c_due)}
            for group, codes in groups.items():
                await start_grant_workflows(client, service, codes, offsets[group])
            await wait_for(lambda: len(delivered_reminders(service)) == 7, seen=seen)  # one reminder each at start
            # a reminder is in the store before its activity reports back, and the workflow task after it sets the
            # timer: killed before that task completed, the server timed it out 10 s after its return (seen here)
            await settle(client, seen)
            timers = {code: await pending_timers(client, code) for codes in groups.values() for code in codes}
            assert all(n == 1 for n in timers.values()), f"one timer pending per grant: {timers}"
    finally:
        server.stop(kill=True)  # down hard, timers pending
    down_at = time.time()
    if down_at >= down_by or events() != {"A": [1] * 3, "B": [1] * 2, "C": [1] * 2} or len(delivered_reminders(service)) != 7:
        raise Replan(f"the server went down {down_at - down_by:+.1f} s after A's and B's moment; {seen()}")
    await asyncio.sleep(back_at - time.time())  # A's deadline and B's reminder come due while the server is down

    server = DevServer(db_file=db_file, port=port, headless=True).start(timeout=120)
    up_at = time.time()
    try:
        client = await connect(TemporalSettings(address=server.address))
        async with build_worker(client, service, FileNotifier(outbox)):
            await wait_for(lambda: all(len(service.history(code)) == 2 for code in groups["A"])
                           and len(delivered_reminders(service)) == 9, seen=seen)
            await wait_for(lambda: all(len(service.history(code)) == 2 for code in groups["C"]),
                           timeout=c_due - time.time() + 120, seen=seen)
            # nothing in flight any more, and no timer due: whatever was doubled is in the store and the outbox now
            await settle(client, seen)
            # and no workflow task was lost on the way (a worker that kept no grant lost some: 10 s each)
            for code in groups["A"] + groups["C"]:
                history = await client.get_workflow_handle(grant_workflow_id(code)).fetch_history()
                timed_out = [e.event_id for e in history.events if e.HasField("workflow_task_timed_out_event_attributes")]
                assert timed_out == [], f"{code}: workflow tasks timed out at events {timed_out}: " + "; ".join(
                    f"{e.event_id} {e.event_time.ToDatetime():%H:%M:%S.%f} {e.WhichOneof('attributes')}" for e in history.events)
    finally:
        server.stop()

    def fired(code: str, group: str) -> float:  # the wall time of the grant's lapse, from its business time
        lapsed = service.history(code)[-1]
        return (lapsed.effective_at - dt.timedelta(seconds=offsets[group])).timestamp()

    a_fired = [fired(code, "A") for code in groups["A"]]
    if max(a_fired) >= c_due:
        raise Replan(f"the server's return took until C's deadline ({max(a_fired) - c_due:+.1f} s): "
                     "C's firing could not be told from one at the restart")
    assert min(a_fired) >= up_at - 0.5, "A's timers fired on the server's return, not before"  # 0.5: clock rounding
    for code in groups["A"] + groups["C"]:
        assert [type(e).__name__ for e in service.history(code)] == ["VooraanmeldingReceived", "GrantLapsed"]
        assert service.history(code)[-1].effective_at >= due, f"{code} lapsed before its deadline"
    # C's deadline lay ahead when A's timers fired at the return, and C lapsed at its deadline, not then
    assert all(fired(code, "C") >= c_due - 0.5 for code in groups["C"]), [fired(code, "C") - c_due for code in groups["C"]]
    for code in groups["B"]:
        assert [type(e).__name__ for e in service.history(code)] == ["VooraanmeldingReceived"]
    reminders = delivered_reminders(service)
    assert len(reminders) == len(set(reminders)) == 9, "every reminder delivered exactly once"
    for code in groups["B"]:
        assert sorted(k.rsplit("|", 1)[1] for k in reminders if k.startswith(code + "|")) == ["1", "7"]
    assert len(list(outbox.glob("*.eml"))) == 9


# --- fifty operators at once ---------------------------------------------------------------------


OPERATORS = 50


def race(url: str, code: str, version: int, round_: int) -> list[object]:
    """Fifty operators release a command each at once, all saying they saw `version`. On SQLite each has a
    service of its own (as fifty CLI processes would); on PostgreSQL they share five services (connection
    pools), to stay within the shared test server's max_connections."""
    engines = OPERATORS if url.startswith("sqlite") else 5
    services = [open_service(url) for _ in range(engines)]
    barrier = threading.Barrier(OPERATORS)

    def operator(n: int) -> object:
        command = rate_change(code, 7000 + 100 * round_ + n, expected_version=version)
        barrier.wait(timeout=60)
        try:
            return services[n % engines].execute(command)
        except ConcurrencyConflict as conflict:
            return conflict

    try:
        with ThreadPoolExecutor(OPERATORS) as pool:
            return list(pool.map(operator, range(OPERATORS)))
    finally:
        for service in services:
            service.close()


@pytest.mark.slow
def test_fifty_operators_on_one_grant_one_winner_per_version_a_clear_conflict_for_the_rest(store_url):
    service = open_service(store_url)
    code = approved(service, 450)
    winners = []
    for round_ in range(3):
        version = service.state(code).version
        outcomes = race(store_url, code, version, round_)
        won = [o for o in outcomes if not isinstance(o, ConcurrencyConflict)]
        lost = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
        assert len(won) == 1 and len(lost) == OPERATORS - 1
        assert won[0].version == version + 1 and not won[0].duplicate
        for conflict in lost:
            assert conflict.expected_version == version and conflict.actual_version == version + 1
            assert f"version {version}" in conflict.message and conflict.hint
        winners.append(won[0].command_id)
    history = open_service(store_url).history(code)
    assert [e.command_id for e in history[-3:]] == winners, "exactly the winners' events: none lost, none extra"
    assert [e.originator_version for e in history] == list(range(1, len(history) + 1))
    assert service.state(code).hourly_rates[-1].rate_cents == history[-1].rate_cents


@pytest.mark.temporal
@pytest.mark.slow
async def test_operators_racing_through_the_workflow_update_get_one_winner_per_version(dev_server, tmp_path):
    """Through the update path (validator, handler under the workflow's lock, execute_command activity).

    Ten at once, three times: one winner per version, a StaleVersion for each of the nine others. Fifty at
    once: still one winner and nothing lost or doubled; but Temporal admits at most ten updates in flight
    per workflow (the server's limit.maxInFlightUpdates), so on this raw path some of the fifty may be told
    "busy, not applied" (or see the SDK's update timeout) instead of the conflict: a platform limit. The command
    sender that the CLI and the API use queues them instead (tests/integration/test_answers_not_timeouts.py)."""
    from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

    from adapters.engine.grants_client import GrantBusy
    from domain.errors import StaleVersion

    service = open_service(f"sqlite:///{tmp_path / 'sto.sqlite'}")
    code = approved(service, 460)
    client = await connect(TemporalSettings(address=dev_server.address))
    async with build_worker(client, service, FileNotifier(tmp_path / "outbox")):
        grants = await start_grant_workflows(client, service, [code], business(at(2022, 9, 1, 10)))
        winners = []
        for round_, operators in enumerate((10, 10, 10, OPERATORS)):
            version = service.state(code).version
            commands = [rate_change(code, 8000 + 100 * round_ + n, expected_version=version) for n in range(operators)]
            outcomes = await asyncio.gather(*(grants.transition(cmd) for cmd in commands), return_exceptions=True)
            won = [o for o in outcomes if not isinstance(o, BaseException)]
            stale = [o for o in outcomes if isinstance(o, StaleVersion)]
            timed_out = [o for o in outcomes if isinstance(o, (WorkflowUpdateRPCTimeoutOrCancelledError, GrantBusy))]
            assert len(won) == 1 and won[0].version == version + 1, outcomes
            assert all(o.expected_version == version and o.actual_version == version + 1 for o in stale)
            if operators <= 10:
                assert len(stale) == operators - 1, outcomes
            else:
                assert len(stale) + len(timed_out) == operators - 1, [o for o in outcomes if o not in won + stale + timed_out]
            winners.append(won[0].command_id)
        # an update the client gave up on must not land later: once nothing is in flight on the grant, none can
        await settle(client, lambda: [e.command_id for e in service.history(code)[-5:]])
        history = service.history(code)
        assert [e.command_id for e in history[-4:]] == winners, "exactly one event per round: the winner's"
        assert len(history) == version + 1
