"""A grant lives for six years: continue-as-new keeps its history short, and replay guards determinism.

The replay tests run the SDK's Replayer over histories recorded from earlier versions of the workflow
code (tests/fixtures/histories) and over fresh ones: a change that is not behind `workflow.patched`
makes them fail. Record new fixtures with `STO_RECORD_HISTORIES=1 pytest -k longevity`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.support.scripted import PER_YEAR, GrantScript
from adapters.replay.synthetic import extension_plan
from adapters.engine.temporal import workflow_runner
from domain import commands as c
from domain.values import GrantStatus
from tests.integration.conftest import start_engine
from tests.integration.workflow_steps import approve_in_period_1, at, command, decide, report
from workflows.grant_lifecycle import GrantWorkflow

pytestmark = pytest.mark.temporal
FIXTURES = Path(__file__).parent.parent / "fixtures" / "histories"


def replayer() -> Replayer:
    return Replayer(workflows=[GrantWorkflow], workflow_runner=workflow_runner(), data_converter=pydantic_data_converter)


async def test_a_long_grant_continues_as_new_keeping_its_state_and_sent_reminders(ts_env, smtp, sqlite_url):
    import datetime as dt

    from domain.timekeeping import AMSTERDAM

    engine, worker = await start_engine(
        ts_env, sqlite_url, smtp.port, dt.datetime(2018, 10, 1, 9, tzinfo=AMSTERDAM), max_history_events=60
    )
    async with worker:
        script = GrantScript(engine.service, index=61)
        await approve_in_period_1(engine, script)
        await engine.advance_to(at(2021, 10, 20))
        await engine.client.transition(report(script, 1))
        quarter = sum(PER_YEAR.values()) // 4
        await engine.advance_to(at(2023, 9, 20))
        await engine.client.transition(report(script, 2, extension_plan=extension_plan(script.region, quarter)))
        await engine.advance_to(at(2023, 11, 1))
        await decide(engine, command(script, c.GrantExtension, amount_cents=quarter))  # through its stages
        assert engine.service.state(script.code).extension.granted_cents == quarter
        await engine.advance_to(at(2025, 1, 10))
        view = await engine.client.status(script.code)
        assert view.runs >= 2, "the history passed 60 events, so the workflow continued as new"
        assert view.status is GrantStatus.APPROVED and view.version == engine.service.state(script.code).version
        keys = smtp.mailbox.keys()
        assert len(keys) == len(set(keys)), "no reminder sent again after continue-as-new"
        handle = engine.client.handle(script.code)
        latest = await handle.fetch_history()
        started = latest.events[0].workflow_execution_started_event_attributes
        first = ts_env.client.get_workflow_handle(handle.id, run_id=started.first_execution_run_id)
        histories = [await first.fetch_history(), latest]
        assert histories[0].events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        for history in histories:
            await replayer().replay_workflow(history)  # raises on non-determinism
        if os.environ.get("STO_RECORD_HISTORIES"):
            for n, history in enumerate(histories, 1):
                (FIXTURES / f"grant_lifecycle_run{n}.json").write_text(history.to_json())


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")) or ["<none>"])
async def test_histories_recorded_by_earlier_workflow_code_still_replay(name):
    path = FIXTURES / name
    assert path.exists(), "record fixtures with STO_RECORD_HISTORIES=1"
    history = WorkflowHistory.from_json("grant-recorded", path.read_text())
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{name}: {result.replay_failure}"
