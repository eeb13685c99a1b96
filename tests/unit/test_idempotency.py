"""Retries never duplicate an event; stale writers get a clear conflict and lose nothing."""

import pytest

from domain import commands as c
from domain.errors import CommandIdReused, ConcurrencyConflict, TransitionRefused
from tests.support.scripted import GrantScript, at


def test_repeating_a_command_id_returns_the_first_result_and_appends_nothing(memory_service):
    grant = GrantScript(memory_service)
    grant.pre_register()
    command = grant.command(c.SubmitApplication, at(2019, 3, 15), period=1, documents=grant.documents())
    first = memory_service.execute(command)
    again = memory_service.execute(command)
    assert not first.duplicate and again.duplicate
    assert (again.version, again.status, again.events) == (first.version, first.status, first.events)
    assert len(memory_service.history(grant.code)) == 2


def test_repeating_the_vooraanmelding_command_id_is_idempotent_too(memory_service):
    grant = GrantScript(memory_service)
    fields = grant.region.vooraanmelding_fields()
    command = c.SubmitVooraanmelding(actor=grant.actor, reason="r", effective_at=at(2018, 10, 1), **fields)
    assert not memory_service.execute(command).duplicate
    assert memory_service.execute(command).duplicate
    assert len(memory_service.history(grant.code)) == 1


def test_a_command_id_reused_for_another_command_is_an_error(memory_service):
    grant = GrantScript(memory_service)
    grant.pre_register()
    apply = grant.command(c.SubmitApplication, at(2019, 3, 15), period=1, documents=grant.documents())
    memory_service.execute(apply)
    other = grant.command(c.AcceptApplication, at(2019, 4, 1), command_id=apply.command_id)
    with pytest.raises(CommandIdReused):
        memory_service.execute(other)


def test_a_writer_that_saw_an_older_version_gets_a_conflict_and_writes_nothing(memory_service):
    grant = GrantScript(memory_service)
    grant.pre_register()
    grant.apply()
    stale = grant.command(c.AcceptApplication, at(2019, 4, 1), expected_version=1)
    with pytest.raises(ConcurrencyConflict) as info:
        memory_service.execute(stale)
    assert (info.value.expected_version, info.value.actual_version) == (1, 2)
    assert "reload" in info.value.hint
    assert len(memory_service.history(grant.code)) == 2
    fresh = grant.command(c.AcceptApplication, at(2019, 4, 1), expected_version=2)
    assert memory_service.execute(fresh).version == 3


def test_a_refused_command_is_refused_again_on_retry_and_never_recorded(memory_service):
    grant = GrantScript(memory_service)
    grant.pre_register()
    late = grant.command(c.SubmitApplication, at(2019, 4, 2), period=1, documents=grant.documents())
    for _ in range(2):
        with pytest.raises(TransitionRefused):
            memory_service.execute(late)
    assert len(memory_service.history(grant.code)) == 1
    assert late.command_id.hex not in memory_service.state(grant.code).commands


def test_a_command_id_reused_for_the_same_kind_of_command_with_other_fields_is_refused_and_writes_nothing(memory_service):
    grant = GrantScript(memory_service)
    grant.to_approved()
    rate = grant.command(c.RecordHourlyRateChange, at(2022, 9, 2), rate_cents=6000, motivation="cao")
    memory_service.execute(rate)
    before = len(memory_service.history(grant.code))
    other = grant.command(c.RecordHourlyRateChange, at(2022, 9, 2), rate_cents=6500, motivation="cao",
                          command_id=rate.command_id)
    with pytest.raises(CommandIdReused) as info:
        memory_service.execute(other)
    assert "other fields" in info.value.message and "nothing was written" in info.value.message
    assert len(memory_service.history(grant.code)) == before


def test_a_retry_is_recognised_by_the_fingerprint_of_the_command_as_sent_before_its_time_was_stamped(memory_service):
    from domain.idempotency import fingerprint

    grant = GrantScript(memory_service)
    grant.to_approved()
    sent = grant.command(c.RecordHourlyRateChange, at(2022, 9, 2), rate_cents=6000, motivation="cao")
    sent = sent.model_copy(update={"effective_at": None})
    stamped = sent.model_copy(update={"effective_at": at(2022, 9, 2)})
    first = memory_service.execute(stamped, fingerprint(sent))
    again = memory_service.execute(stamped.model_copy(update={"effective_at": at(2022, 9, 3)}), fingerprint(sent))
    assert not first.duplicate and again.duplicate and again.version == first.version
