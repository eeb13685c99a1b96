"""One failure codec: each kind of failure crosses a real workflow as one typed failure and comes back as the
same domain error, with the exit code and HTTP status of the one table (adapters/operators/error_table.py).
Time-skipping test server, real SQLite store."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.api.enums.v1 import RetryState
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from adapters.engine.grants_client import GrantsClient
from adapters.engine.temporal import build_worker
from adapters.notify.notifiers import FileNotifier
from adapters.operators.error_table import meaning
from domain import commands as c
from domain.errors import CommandIdReused, DomainError, EngineFault, GrantNotFound, InvalidInput, StaleVersion, TransitionRefused
from domain.timekeeping import AMSTERDAM
from tests.integration.conftest import start_engine
from tests.integration.workflow_steps import at, command, vooraanmelding
from tests.support.scripted import GrantScript
from workflows.credentials import CommandCredentials, Unauthenticated
from workflows.failures import domain_error
from workflows.grant_lifecycle import GrantWorkflow
from workflows.models import TransitionRequest

pytestmark = pytest.mark.temporal

EXPECTED = {  # code: (exit code, HTTP status)
    "transition_refused": (3, 409),
    "stale_version": (4, 409),
    "command_id_reused": (4, 409),
    "grant_not_found": (5, 404),
    "invalid_input": (2, 400),
    "unauthenticated": (6, 503),
}


async def test_each_kind_of_failure_comes_back_through_the_workflow_as_itself_with_its_exit_code_and_status(engine, ts_env, tmp_path):
    script = GrantScript(engine.service, index=51)
    await engine.client.pre_register(vooraanmelding(script))
    await engine.advance_to(at(2019, 3, 20))
    applied = command(script, c.SubmitApplication, period=1, documents=script.documents())
    await engine.client.transition(applied)
    seen: dict[str, DomainError] = {}

    async def failure(cls: type[DomainError], send) -> None:
        with pytest.raises(cls) as caught:
            await send
        seen[caught.value.code] = caught.value

    await failure(TransitionRefused, engine.client.transition(command(script, c.DetermineGrant)))
    await failure(StaleVersion, engine.client.transition(command(script, c.AcceptApplication, expected_version=1)))
    await failure(CommandIdReused, engine.client.transition(command(script, c.WithdrawGrant, command_id=applied.command_id)))
    await failure(GrantNotFound, engine.client.transition(command(GrantScript(engine.service, index=52), c.AcceptApplication)))
    other = GrantScript(engine.service, index=53)
    wrong = command(other, c.AcceptApplication)  # addressed to the workflow of another grant
    with pytest.raises(WorkflowUpdateFailedError) as raw:  # straight to the workflow of another grant
        await engine.client.handle(script.code).execute_update(GrantWorkflow.transition, TransitionRequest(command=wrong))
    decoded = domain_error(raw.value.cause)  # the codec the client uses
    assert isinstance(decoded, InvalidInput) and raw.value.cause.type == "invalid_input"
    seen[decoded.code] = decoded
    keyed = GrantsClient(engine.env.client, clock_offset_seconds=engine.offset.total_seconds(),
                         credentials=CommandCredentials(b"another key"))
    # a worker that holds a key refuses a command signed with another (the frontend is no open door)
    async with build_worker(ts_env.client, engine.service, FileNotifier(tmp_path / "outbox"), task_queue="keyed",
                            credentials=CommandCredentials(b"the engine's key")):
        keyed.task_queue = "keyed"
        await failure(Unauthenticated, keyed.pre_register(vooraanmelding(GrantScript(engine.service, index=54))))
    assert set(seen) == set(EXPECTED)
    for code, error in seen.items():
        assert (meaning(code).exit_code, meaning(code).http_status) == EXPECTED[code], code
        assert error.message and error.hint, code
    assert seen["transition_refused"].rule and seen["transition_refused"].source


async def command_attempts(handle: WorkflowHandle) -> list[tuple[int, int]]:
    """(the attempt it ended on, its retry state) of each failed `execute_command` activity in the workflow's history."""
    history = await handle.fetch_history()
    scheduled = {e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events
                 if e.HasField("activity_task_scheduled_event_attributes")}
    started = {e.event_id: e.activity_task_started_event_attributes.attempt for e in history.events
               if e.HasField("activity_task_started_event_attributes")}
    return [(started[e.activity_task_failed_event_attributes.started_event_id], e.activity_task_failed_event_attributes.retry_state)
            for e in history.events if e.HasField("activity_task_failed_event_attributes")
            and scheduled[e.activity_task_failed_event_attributes.scheduled_event_id] == "execute_command"]


async def test_a_command_the_engine_cannot_execute_fails_at_once_and_the_grant_takes_the_next(ts_env, smtp, sqlite_url, monkeypatch):
    """A non-transient failure in the activity (here injected: STO_FAULT_BROKEN_COMMAND_TYPE) ends the update
    with an engine fault at once instead of retrying for ever; nothing is written; the grant stays usable."""
    monkeypatch.setenv("STO_FAULT_BROKEN_COMMAND_TYPE", "RequestRepair")
    engine, worker = await start_engine(ts_env, sqlite_url, smtp.port, dt.datetime(2019, 3, 1, 9, tzinfo=AMSTERDAM))
    async with worker:
        script = GrantScript(engine.service, index=55)
        await engine.client.pre_register(vooraanmelding(script).model_copy(update={"effective_at": at(2018, 10, 20)}))
        await engine.client.transition(command(script, c.SubmitApplication, period=1, documents=script.documents()))
        before = len(engine.service.history(script.code))
        with pytest.raises(EngineFault) as fault:
            await engine.client.transition(command(script, c.RequestRepair, missing=["begroting"]))
        attempts = await command_attempts(engine.client.handle(script.code))
        assert attempts[-1] == (1, RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE), (
            f"no retries for a failure no retry can cure: (attempt, retry state) of each execute_command: {attempts}")
        assert "nothing was written" in fault.value.message and fault.value.hint
        assert (meaning("engine_fault").exit_code, meaning("engine_fault").http_status) == (1, 500)
        assert len(engine.service.history(script.code)) == before
        accepted = await engine.client.transition(command(script, c.AcceptApplication))
        assert accepted.version == before + 1
