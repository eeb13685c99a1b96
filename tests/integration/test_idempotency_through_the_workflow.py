"""Idempotency as payment APIs have it, through the grant's workflow (real time-skipping server, real store).

The same command id with the same command answers the first result marked `duplicate`; the same id with
another command, or other fields, is refused (`command_id_reused`) and writes nothing.
"""

from __future__ import annotations

import pytest

from tests.support.scripted import GrantScript
from domain import commands as c
from domain.errors import CommandIdReused
from tests.integration.workflow_steps import at, command, vooraanmelding

pytestmark = pytest.mark.temporal


async def _applied(engine, index: int) -> GrantScript:
    script = GrantScript(engine.service, index=index)
    await engine.client.pre_register(vooraanmelding(script))
    await engine.advance_to(at(2019, 3, 20))
    await engine.client.transition(command(script, c.SubmitApplication, period=1, documents=script.documents()))
    return script


async def test_the_same_command_sent_twice_through_the_workflow_is_applied_once_and_answered_as_duplicate(engine):
    script = await _applied(engine, 31)
    accept = command(script, c.AcceptApplication)
    first = await engine.client.transition(accept)
    again = await engine.client.transition(accept)
    assert not first.duplicate and again.duplicate
    assert (again.version, again.status, again.events) == (first.version, first.status, first.events)
    assert [type(e).__name__ for e in engine.service.history(script.code)].count("ApplicationAccepted") == 1


async def test_a_command_id_reused_for_another_command_is_refused_by_the_workflow_and_writes_nothing(engine):
    script = await _applied(engine, 32)
    accept = command(script, c.AcceptApplication)
    await engine.client.transition(accept)
    before = len(engine.service.history(script.code))
    withdraw = command(script, c.WithdrawGrant, command_id=accept.command_id)
    with pytest.raises(CommandIdReused) as info:
        await engine.client.transition(withdraw)
    assert info.value.code == "command_id_reused" and "AcceptApplication" in info.value.message
    assert len(engine.service.history(script.code)) == before


async def test_a_command_id_reused_with_other_fields_is_refused_by_the_workflow(engine):
    script = await _applied(engine, 33)
    repair = command(script, c.RequestRepair, missing=["begroting"], repair_days=14)
    await engine.client.transition(repair)
    changed = repair.model_copy(update={"missing": ["regiovisie"]})
    with pytest.raises(CommandIdReused):
        await engine.client.transition(changed)
    assert engine.service.state(script.code).repair.missing == ["begroting"]


async def test_a_repeated_vooraanmelding_is_answered_as_duplicate_and_another_one_is_refused(engine):
    from domain.errors import TransitionRefused

    script = GrantScript(engine.service, index=34)
    first_command = vooraanmelding(script)
    first = await engine.client.pre_register(first_command)
    again = await engine.client.pre_register(first_command)
    assert not first.duplicate and again.duplicate and again.version == first.version == 1
    with pytest.raises(TransitionRefused) as info:
        await engine.client.pre_register(vooraanmelding(script))  # a new command id: a second grant
    assert info.value.rule == "lifecycle.one_grant_per_region"
    assert len(engine.service.history(script.code)) == 1
