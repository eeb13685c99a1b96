"""Amendments re-plan running grants; programme operations run as workflows."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from adapters.engine.temporal import workflow_runner
from adapters.replay.runner import take_round_drafts
from tests.support.scripted import PER_YEAR, GrantScript
from adapters.replay.synthetic import extension_plan
from domain import commands as c
from domain.regulation import default_regulation
from domain.timekeeping import AMSTERDAM
from domain.values import GrantStatus, Role
from tests.integration.conftest import start_engine
from tests.integration.workflow_steps import approve_in_period_1, at, command, reminded, report, vooraanmelding
from workflows import TASK_QUEUE
from workflows.models import ExtensionRoundInput, ExtensionRoundResult, OpenPeriodInput, OpenPeriodResult, PublishRequest
from workflows.programme import ExtensionRoundWorkflow, OpenApplicationPeriodWorkflow, PublishAmendmentWorkflow

pytestmark = pytest.mark.temporal
LETTER = "brief-2022-07-07"


# a subfolder: the grant workflow's replay test reads every history directly in histories/ as a GrantWorkflow's
ROUND_BEFORE_STAGES = Path(__file__).parent.parent / "fixtures" / "histories" / "programme" / "extension_round_before_stages.json"


def round_replayer() -> Replayer:
    return Replayer(workflows=[ExtensionRoundWorkflow], workflow_runner=workflow_runner(),
                    data_converter=pydantic_data_converter)


async def extension_round(engine, workflow_id: str) -> ExtensionRoundResult:
    """The 2024 round as op.jansen (a beoordelaar) runs it: it drafts each extension; synthetic staff pass the further
    stages as the drafts come in (as the demo's replay does); the round sees them taken the next day and reports."""
    handle = await engine.env.client.start_workflow(
        ExtensionRoundWorkflow.run,
        ExtensionRoundInput(actor_name="op.jansen", clock_offset_seconds=engine.offset.total_seconds()),
        id=workflow_id, task_queue=TASK_QUEUE,
    )
    await take_round_drafts(handle, engine.client.transition, engine.service.regulation(),
                            drafter=c.Actor(name="op.jansen", role=Role.OPERATOR), when=await engine.business_now())
    return await handle.result()


async def test_publishing_the_move_of_progress_report_2_replans_running_grants_only(ts_env, smtp, sqlite_url):
    engine, worker = await start_engine(
        ts_env, sqlite_url, smtp.port, dt.datetime(2018, 10, 1, 9, tzinfo=AMSTERDAM), base_without_versions=(LETTER,)
    )
    async with worker:
        waiting, reported = GrantScript(engine.service, index=21), GrantScript(engine.service, index=22)
        await approve_in_period_1(engine, waiting, reported)
        await engine.advance_to(at(2021, 10, 1))
        await engine.client.transition(report(waiting, 1))
        await engine.client.transition(report(reported, 1))
        await engine.advance_to(at(2023, 5, 1))
        await engine.client.transition(report(reported, 2))  # in before the amendment
        before = len(engine.service.history(reported.code))
        view = await engine.client.status(waiting.code)
        assert {d.key: d.due for d in view.next_deadlines}["progress_report_2"] == dt.date(2023, 7, 1)

        await engine.advance_to(at(2023, 6, 1))
        amendment = default_regulation().amendment_of(LETTER)
        told = await ts_env.client.execute_workflow(
            PublishAmendmentWorkflow.run,
            PublishRequest(amendment=amendment, actor="op.jansen", reason="brief van 7 juli 2022"),
            id="publish-" + LETTER,
            task_queue=TASK_QUEUE,
        )
        assert set(told) == {waiting.code, reported.code}
        view = await engine.client.status(waiting.code)
        assert {d.key: d.due for d in view.next_deadlines}["progress_report_2"] == dt.date(2023, 10, 1)

        await engine.advance_to(at(2023, 7, 5))  # the old date passes: nothing happens
        assert "DeadlineMissed" not in [type(e).__name__ for e in engine.service.history(waiting.code)]
        await engine.advance_to(at(2023, 10, 3))  # the new date passes: the consequence follows it
        missed = [e for e in engine.service.history(waiting.code) if type(e).__name__ == "DeadlineMissed"]
        assert [(e.deadline_key, e.due) for e in missed] == [("progress_report_2", dt.date(2023, 10, 1))]
        covered = reminded(smtp.mailbox.keys())
        report_2 = sorted((due, offset) for region, key, due, offset in covered if region == waiting.code and key == "progress_report_2")
        assert report_2 == sorted(("2023-10-01", o) for o in ("1", "14", "28", "7"))
        later = engine.service.history(reported.code)[before:]  # report 2 already in: the move touches nothing
        assert [(type(e).__name__, e.deadline_key) for e in later] == [("ExtensionForfeited", "extension_plan_2024")]
        assert not any(region == reported.code and key == "progress_report_2" for region, key, _, _ in covered)


async def test_the_2024_extension_round_grants_within_the_cap_for_every_approved_grant_with_a_plan(engine):
    quarter = sum(PER_YEAR.values()) // 4
    first, second, without_plan = (GrantScript(engine.service, index=i) for i in (31, 32, 33))
    await approve_in_period_1(engine, first, second, without_plan)
    await engine.advance_to(at(2021, 10, 1))
    for s in (first, second, without_plan):
        await engine.client.transition(report(s, 1))
    await engine.advance_to(at(2023, 9, 1))
    await engine.client.transition(report(first, 2, extension_plan=extension_plan(first.region, quarter)))
    await engine.client.transition(report(second, 2, extension_plan=extension_plan(second.region, quarter // 2)))
    await engine.client.transition(report(without_plan, 2))
    await engine.advance_to(at(2023, 10, 15))
    result = await extension_round(engine, "extension-round-2024")
    assert result.granted == {first.code: quarter, second.code: quarter // 2} and result.refused == {}
    assert result.scale == "1.000000" and result.budget_cents == 100_000_000_00
    assert engine.service.state(first.code).extension.granted_cents == quarter
    assert engine.service.state(without_plan.code).extension.forfeited
    assert engine.service.pool_totals("extension:2024") == {2024: quarter + quarter // 2}
    granted = [e for e in engine.service.history(first.code) if type(e).__name__ == "ExtensionGranted"][0]
    assert granted.legal_basis.startswith("Wijzigingsregeling")
    # the round drafted it (its actor, a beoordelaar), interne controle passed it, a coordinator signed it
    besluit = next(b for b in engine.service.state(first.code).besluiten if b.kind == "extension")
    assert [(s.person, s.outcome) for s in besluit.stages][0] == ("op.jansen", "drafted")
    assert granted.actor == besluit.taken_by == besluit.signature["signer"] != "op.jansen"
    history = await engine.env.client.get_workflow_handle("extension-round-2024").fetch_history()
    await round_replayer().replay_workflow(history)  # raises on non-determinism


async def test_a_round_recorded_before_the_stages_still_replays():
    """The round of before (it sent each GrantExtension, which took effect at once) replays on today's code: its
    drafting and waiting sit behind workflow.patched (PATCH_ROUND_DRAFTS). Recorded by the code of 526141f."""
    history = WorkflowHistory.from_json("extension-round-2024", ROUND_BEFORE_STAGES.read_text())
    result = await round_replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def test_the_extension_round_waits_for_the_stages_and_reports_what_was_not_taken(engine):
    """Drafted extensions nobody takes through their stages are not granted: after its wait (eight weeks, looked at
    daily) the round reports them, and the besluit still waits in its stage (`sto work` shows it)."""
    quarter = sum(PER_YEAR.values()) // 4
    grant = GrantScript(engine.service, index=34)
    await approve_in_period_1(engine, grant)
    await engine.advance_to(at(2021, 10, 1))
    await engine.client.transition(report(grant, 1))
    await engine.advance_to(at(2023, 9, 1))
    await engine.client.transition(report(grant, 2, extension_plan=extension_plan(grant.region, quarter)))
    await engine.advance_to(at(2023, 10, 15))
    result: ExtensionRoundResult = await engine.env.client.execute_workflow(
        ExtensionRoundWorkflow.run,
        ExtensionRoundInput(actor_name="op.jansen", clock_offset_seconds=engine.offset.total_seconds()),
        id="extension-round-2024-untaken", task_queue=TASK_QUEUE,
    )
    assert result.granted == {} and result.granted_cents == 0
    assert list(result.refused) == [grant.code] and "still in its stages" in result.refused[grant.code]
    state = engine.service.state(grant.code)
    assert state.extension.granted_cents is None and state.case is not None and state.case.besluit_kind == "extension"


async def test_opening_period_1_notifies_the_regions_and_reports_who_applied(engine, smtp):
    applies, silent = GrantScript(engine.service, index=41), GrantScript(engine.service, index=42)
    for s in (applies, silent):
        await engine.client.pre_register(vooraanmelding(s))
    handle = await engine.env.client.start_workflow(
        OpenApplicationPeriodWorkflow.run,
        OpenPeriodInput(period=1, region_codes=[applies.code, silent.code], clock_offset_seconds=engine.offset.total_seconds()),
        id="open-period-1",
        task_queue=TASK_QUEUE,
    )
    await engine.advance_to(at(2019, 3, 10))
    await engine.client.transition(command(applies, c.SubmitApplication, period=1, documents=applies.documents()))
    result: OpenPeriodResult = await handle.result()
    assert result.notified == [applies.code, silent.code]
    assert (result.applied, result.not_applied) == ([applies.code], [silent.code])
    notices = [m for m in smtp.mailbox.messages if "open:application_period_1" in m["X-STO-Reminder-Key"]]
    assert len(notices) == 2 and "Aanvraagtijdvak 1 staat open" in notices[0].get_payload()
    await engine.advance_to(at(2019, 4, 1, 9))  # the grant's own timer at the same instant applies the lapse
    assert engine.service.state(silent.code).status is GrantStatus.LAPSED


async def test_an_operator_publishes_an_amendment_from_the_command_line(smtp, sqlite_url, tmp_path):
    import json
    import os
    import subprocess
    import sys

    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment

    from adapters.engine.temporal import ensure_search_attributes, free_port, test_server_binary

    port = free_port()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_binary(), data_converter=pydantic_data_converter, port=port
    )
    try:
        await ensure_search_attributes(env.client, "default")
        engine, worker = await start_engine(
            env, sqlite_url, smtp.port, dt.datetime(2018, 10, 1, 9, tzinfo=AMSTERDAM), base_without_versions=(LETTER,)
        )
        async with worker:
            grant = GrantScript(engine.service, index=91)
            await approve_in_period_1(engine, grant)
            await engine.advance_to(at(2021, 10, 1))
            await engine.client.transition(report(grant, 1))
            await engine.advance_to(at(2022, 8, 1))  # after the letter's date: published now, in force at once
            amendment = tmp_path / "amendment.json"
            amendment.write_text(default_regulation().amendment_of(LETTER).model_dump_json())
            done = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "adapters.cli.main", "programme", "publish-amendment", str(amendment),
                 "--reason", "brief van 7 juli 2022", "--actor", "op.jansen", "--json"],
                env={**os.environ, "STO_TEMPORAL_ADDRESS": f"127.0.0.1:{port}"},
                capture_output=True, text=True, timeout=120,
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["result"]["regions_told"] == [grant.code]
            await engine.settled()  # the grant's workflow has handled the signal (it is in its history) in its next task
            view = await engine.client.status(grant.code)
            assert {d.key: d.due for d in view.next_deadlines}["progress_report_2"] == dt.date(2023, 10, 1)
            assert engine.service.regulation().has_term("structural_phase", dt.date(2024, 1, 1))
    finally:
        await env.shutdown()


async def test_the_extension_round_applies_an_amendment_published_before_it_runs(engine):
    """A programme workflow reads the regulation as published in the store, not only as shipped: a (fictional)
    amendment that lowers the 2024 budget below what the plans ask makes the round grant pro rata."""
    from domain.regulation import Amendment, LegalSource, RegulationVersion
    from domain.regulation.model import ParameterValue, VersionKind

    quarter = sum(PER_YEAR.values()) // 4
    first, second = (GrantScript(engine.service, index=i) for i in (35, 36))
    await approve_in_period_1(engine, first, second)
    await engine.advance_to(at(2021, 10, 1))
    for s in (first, second):
        await engine.client.transition(report(s, 1))
    await engine.advance_to(at(2023, 9, 1))
    for s in (first, second):
        await engine.client.transition(report(s, 2, extension_plan=extension_plan(s.region, quarter)))
    source = LegalSource(instrument="Wijzigingsregeling (fictief, test)", date=dt.date(2023, 9, 15))
    version = RegulationVersion(id="test-budget-2024", kind=VersionKind("wijzigingsregeling"), title="lager budget 2024",
                                signed=dt.date(2023, 9, 15), effective=dt.date(2023, 9, 15), source=source,
                                summary="the 2024 budget becomes one quarter of one grant")
    budget = quarter  # two plans of a quarter each: half of what they ask
    engine.service.publish_amendment(
        Amendment(version=version, parameters={"extension_budget_cents": ParameterValue(
            version=version.id, value=budget, source=source)}),
        actor="op.jansen", reason="budget 2024 verlaagd (test)",
    )
    await engine.advance_to(at(2023, 10, 15))
    result = await extension_round(engine, "extension-round-2024-amended")
    assert result.budget_cents == budget and result.scale == "0.500000"
    assert result.granted == {first.code: quarter // 2, second.code: quarter // 2}
