"""Temporal drives every grant: updates, deadline timers, reminders and consequences, in virtual time.

Real time-skipping test server, real SQLite event store, real SMTP server (aiosmtpd) on loopback.
Business time starts on 1 October 2018 through the business clock's offset.
"""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError

from tests.support.scripted import PER_YEAR, GrantScript, years
from adapters.replay.synthetic import extension_plan
from domain import commands as c
from domain.errors import TransitionRefused
from domain.timekeeping import AMSTERDAM
from domain.values import GrantStatus
from tests.integration.workflow_steps import advice, at, command, decide, reminded, vooraanmelding
from workflows.grant_lifecycle import GrantWorkflow

pytestmark = pytest.mark.temporal


def events(engine, script) -> list[str]:
    return [type(e).__name__ for e in engine.service.history(script.code)]


async def test_one_grant_from_vooraanmelding_to_vaststelling_with_every_deadline_reminder_and_consequence(engine, smtp):
    script = GrantScript(engine.service, index=1)
    send = engine.client.transition
    created = await engine.client.pre_register(vooraanmelding(script))
    assert created.status is GrantStatus.PRE_REGISTERED

    await engine.advance_to(at(2019, 3, 20))  # reminders 28 and 14 days before 31 March (both sent on their day)
    await send(command(script, c.SubmitApplication, period=1, documents=script.documents()))
    await engine.advance_to(at(2019, 4, 1))
    await send(command(script, c.RequestRepair, missing=["begroting 2023"], repair_days=14))
    await engine.advance_to(at(2019, 4, 6))
    await send(command(script, c.SubmitRepair))  # 5 days suspended (Awb 4:15)
    await send(command(script, c.AcceptApplication))
    await engine.advance_to(at(2019, 6, 10))
    await send(advice(script))
    await engine.advance_to(at(2019, 6, 20))
    approved = await decide(engine, command(script, c.ApproveGrant, granted_per_year=years(PER_YEAR)))
    assert approved.status is GrantStatus.APPROVED

    await engine.advance_to(at(2021, 10, 25))  # objection period passed; reminders for report 1
    await send(command(script, c.SubmitProgressReport, number=1, summary="op koers", spent_cents=90_000_000, cofinancing_realised_cents=9_000_000))
    await engine.advance_to(at(2023, 9, 15))
    quarter = sum(PER_YEAR.values()) // 4
    await send(command(
        script, c.SubmitProgressReport, number=2, summary="op koers", spent_cents=300_000_000,
        cofinancing_realised_cents=30_000_000, extension_plan=extension_plan(script.region, quarter),
    ))
    await engine.advance_to(at(2023, 11, 1))
    await decide(engine, command(script, c.GrantExtension, amount_cents=quarter))

    await engine.advance_to(at(2025, 1, 15))  # spending end and final-report deadline pass: consequences
    state = engine.service.state(script.code)
    assert "final_report" in state.missed_deadlines
    total = sum(PER_YEAR.values()) + quarter
    await send(command(
        script, c.SubmitFinalReport, summary="afgerond", realised_per_year=years({**PER_YEAR, 2024: quarter}),
        cofinancing_realised_cents=total * 8 // 100,
    ))
    determined = await decide(engine, command(script, c.DetermineGrant))
    assert determined.status is GrantStatus.DETERMINED
    # the vaststelling is a besluit: the workflow watches its objection term (six weeks from the day after it
    # was sent, Awb 6:7/6:8), then the decision is final and the grant's life is over
    await engine.advance_to(at(2025, 3, 1))
    result = await engine.client.handle(script.code).result()
    assert result.status is GrantStatus.DETERMINED
    # an update that wakes the workflow before its timer keeps the timer (workflows/alarm.py); one no longer needed
    # is cancelled only while it is due more than a day ahead: never one that may have fired meanwhile, which the
    # time-skipping server refuses and strands the workflow on (sdk-java#3088)
    events_ = (await engine.client.handle(script.code).fetch_history()).events
    started = {e.event_id: e for e in events_ if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED}
    cancelled = [e for e in events_ if e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED]
    for e in cancelled:
        timer = started[e.timer_canceled_event_attributes.started_event_id]
        due = timer.event_time.ToDatetime() + timer.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        assert due - e.event_time.ToDatetime() > dt.timedelta(days=1), (timer, e)
    fired = [e for e in events_ if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED]
    assert len(fired) > 10 and len(cancelled) < len(fired), (len(fired), len(cancelled))

    stages = ["BesluitDrafted", "StagePassed", "BesluitSigned"]  # each besluit: drafted, interne controle, signed
    assert events(engine, script) == [
        "VooraanmeldingReceived", "ApplicationSubmitted", "RepairRequested", "RepairSubmitted", "ApplicationAccepted",
        "AdviceRecorded", *stages, "GrantApproved", "AdvancesScheduled", "DecisionLetterIssued", "DecisionBecameFinal",
        "ProgressReportSubmitted", "ProgressReportSubmitted", "ExtensionPlanSubmitted", *stages, "ExtensionGranted",
        "AdvancesScheduled", "DecisionLetterIssued", "DecisionBecameFinal", "DeadlineMissed", "SpendingPeriodEnded",
        "FinalReportSubmitted", *stages, "GrantDetermined", "DecisionLetterIssued", "DecisionBecameFinal",
    ]
    taken = engine.service.state(script.code).besluiten
    assert [b.kind for b in taken] == ["approval", "extension", "determination"]
    assert all(b.signature and [s.outcome for s in b.stages] == ["drafted", "passed", "signed"] for b in taken)
    assert all(len({s.person for s in b.stages}) == 3 for b in taken)  # three people, one stage each
    # every besluit's letter went to the penvoerder once, with its PDF (verlening, verlenging 2024, vaststelling)
    letters = smtp.mailbox.letters()
    assert [m["X-STO-Letter-Key"].rsplit("|", 1)[1] for m in letters] == ["letter:1", "letter:2", "letter:3"]
    assert all(m["To"] == state.penvoerder.email for m in letters)
    pdfs = [part for m in letters for part in m.iter_attachments()]
    assert [p.get_content_type() for p in pdfs] == ["application/pdf"] * 3
    assert [p.get_filename() for p in pdfs] == [r.filename for r in engine.service.state(script.code).letters]
    history = engine.service.history(script.code)
    final = next(e for e in history if type(e).__name__ == "DecisionBecameFinal")
    assert final.actor == "sto-engine" and final.role == "system" and final.effective_on == dt.date(2019, 8, 2)
    assert final.legal_basis.startswith("Algemene wet bestuursrecht")
    repaired = next(e for e in history if type(e).__name__ == "RepairSubmitted")
    assert repaired.suspended_days == 5

    keys = smtp.mailbox.keys()
    assert len(keys) == len(set(keys)), "every reminder is sent once"
    covered = reminded(keys)
    sent = {(key, due, offset) for _, key, due, offset in covered}
    assert len(covered) == len(sent), "every (deadline, offset) is in one message"
    assert {("application_period_1", "2019-03-31", "28"), ("application_period_1", "2019-03-31", "14")} <= sent
    assert ("progress_report_1", "2021-11-01", "28") in sent  # moved from 1 October by the letter of 20 May 2021
    assert not any(k[0] == "progress_report_1" and k[1] == "2021-10-01" for k in sent)
    assert {("final_report", "2024-12-31", str(o)) for o in (28, 14, 7, 1)} <= sent
    assert ("decision_period_1", "2019-07-05", "28") in sent  # 30 June + 5 suspended days, to DUS-I
    last = next(m for m in smtp.mailbox.messages if (m["X-STO-Reminder-Key"] or "").endswith("|2024-12-31|1"))
    body = last.get_payload(decode=True).decode()
    assert "final_report" in last["X-STO-Reminder-Key"] and "spending_end" in last["X-STO-Reminder-Key"]  # one date, one mail
    assert "Morgen, op dinsdag 31 december 2024" in body and body.count("Wettelijke grondslag") == 2 and "eindverslag" in body


async def test_a_rejected_grant_goes_through_period_2_and_period_3(engine, smtp):
    script = GrantScript(engine.service, index=2)
    send = engine.client.transition
    await engine.client.pre_register(vooraanmelding(script))
    await engine.advance_to(at(2019, 3, 15))
    await send(command(script, c.SubmitApplication, period=1, documents=script.documents()))
    await send(command(script, c.AcceptApplication))
    await engine.advance_to(at(2019, 6, 10))
    await send(advice(script, positive=False))
    await decide(engine, command(script, c.RejectApplication, reasons=["regiovisie onvoldoende"]))
    await engine.advance_to(at(2019, 9, 20))
    await send(command(script, c.SubmitApplication, period=2, documents=script.documents("addendum: verbeterd")))
    await send(command(script, c.AcceptApplication))
    await engine.advance_to(at(2019, 11, 20))
    await send(advice(script, positive=False))
    await decide(engine, command(script, c.RejectApplication, reasons=["nog onvoldoende"]))
    with pytest.raises(TransitionRefused) as refused:  # period 3 does not exist before 10 March 2020
        await send(command(script, c.SubmitApplication, period=3, documents=script.documents("addendum: opnieuw")))
    assert refused.value.rule == "application.period_3_exists"
    await engine.advance_to(at(2020, 5, 20))  # the amendment took effect; reminders for 31 May went out
    assert any("application_period_3|2020-05-31" in k for k in smtp.mailbox.keys())
    await send(command(script, c.SubmitApplication, period=3, documents=script.documents("addendum: opnieuw")))
    await send(command(script, c.AcceptApplication))
    await engine.advance_to(at(2020, 8, 20))
    await send(advice(script))
    result = await decide(engine, command(script, c.ApproveGrant, granted_per_year=years(PER_YEAR)))
    assert result.status is GrantStatus.APPROVED
    decisions = engine.service.state(script.code).decisions
    assert [(d.kind.value, d.period) for d in decisions] == [("rejection", 1), ("rejection", 2), ("approval", 3)]


async def test_a_region_that_does_not_apply_lapses_when_period_1_ends(engine, smtp):
    script = GrantScript(engine.service, index=3)
    await engine.client.pre_register(vooraanmelding(script))
    await engine.advance_to(at(2019, 4, 2))
    result = await engine.client.handle(script.code).result()
    assert result.status is GrantStatus.LAPSED
    lapsed = engine.service.history(script.code)[-1]
    assert type(lapsed).__name__ == "GrantLapsed" and lapsed.effective_on == dt.date(2019, 4, 1)
    assert sorted(k.split("|")[3] for k in smtp.mailbox.keys()) == ["1", "14", "28", "7"]


async def test_a_refused_update_is_rejected_by_the_validator_and_leaves_no_trace_in_history(engine):
    script = GrantScript(engine.service, index=4)
    await engine.client.pre_register(vooraanmelding(script))
    handle = engine.client.handle(script.code)
    before = len((await handle.fetch_history()).events)
    with pytest.raises(TransitionRefused) as refused:
        await engine.client.transition(command(script, c.AcceptApplication))
    assert refused.value.rule == "lifecycle.transition" and "Subsidieregeling" in refused.value.source
    added = [EventType.Name(e.event_type) for e in (await handle.fetch_history()).events[before:]]
    # the test server records an empty workflow task for the rejected update; no update, no activity
    assert not [e for e in added if "UPDATE" in e or "ACTIVITY" in e or "SIGNAL" in e], added
    assert len(engine.service.history(script.code)) == 1


async def test_a_command_id_sent_twice_runs_once(engine):
    script = GrantScript(engine.service, index=5)
    await engine.client.pre_register(vooraanmelding(script))
    await engine.advance_to(at(2019, 3, 15))
    apply = command(script, c.SubmitApplication, period=1, documents=script.documents())
    first = await engine.client.transition(apply)
    again = await engine.client.transition(apply)
    assert (first.version, first.status) == (again.version, again.status)
    assert events(engine, script) == ["VooraanmeldingReceived", "ApplicationSubmitted"]


async def test_a_second_vooraanmelding_for_a_region_is_refused(engine):
    script = GrantScript(engine.service, index=6)
    await engine.client.pre_register(vooraanmelding(script))
    with pytest.raises(TransitionRefused) as refused:
        await engine.client.pre_register(vooraanmelding(script))
    assert refused.value.rule == "lifecycle.one_grant_per_region"


async def test_queries_give_status_and_next_deadlines_in_business_time(engine):
    script = GrantScript(engine.service, index=7)
    await engine.client.pre_register(vooraanmelding(script))
    view = await engine.client.status(script.code)
    assert view.status is GrantStatus.PRE_REGISTERED
    assert view.business_now.date() == dt.date(2018, 10, 1)
    assert [d.key for d in view.next_deadlines] == ["application_period_1"]
    assert [(r.offset_days, r.at.astimezone(AMSTERDAM).date()) for r in view.next_reminders] == [(28, dt.date(2019, 3, 3))]
    described = await engine.client.handle(script.code).describe()
    assert described.typed_search_attributes is not None


async def test_an_update_for_an_unknown_region_says_so(engine):
    from domain.errors import GrantNotFound

    script = GrantScript(engine.service, index=8)
    with pytest.raises(GrantNotFound):
        await engine.client.transition(command(script, c.AcceptApplication))


async def test_the_update_validator_sees_the_workflow_state_not_the_store(engine):
    """An update refused by the validator never reaches the activity: no UpdateFailed error from a worker."""
    script = GrantScript(engine.service, index=9)
    await engine.client.pre_register(vooraanmelding(script))
    handle = engine.client.handle(script.code)
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(GrantWorkflow.transition, {"command": command(script, c.DetermineGrant).model_dump(mode="json")})


async def test_an_operator_who_saw_an_older_version_gets_a_conflict_from_the_validator(engine):
    from domain.errors import ConcurrencyConflict

    script = GrantScript(engine.service, index=10)
    await engine.client.pre_register(vooraanmelding(script))
    await engine.advance_to(at(2019, 3, 15))
    await engine.client.transition(command(script, c.SubmitApplication, period=1, documents=script.documents(), expected_version=1))
    with pytest.raises(ConcurrencyConflict) as conflict:
        await engine.client.transition(command(script, c.AcceptApplication, expected_version=1))
    assert (conflict.value.expected_version, conflict.value.actual_version) == (1, 2)
    assert len(engine.service.history(script.code)) == 2


async def test_a_region_whose_vooraanmelding_was_refused_may_try_again(engine):
    script = GrantScript(engine.service, index=11)
    late = vooraanmelding(script).model_copy(update={"effective_at": at(2018, 11, 2)})
    with pytest.raises(TransitionRefused) as refused:
        await engine.client.pre_register(late)
    assert refused.value.rule == "vooraanmelding.deadline"
    await engine.client.handle(script.code).result()  # the refused run has ended
    created = await engine.client.pre_register(vooraanmelding(script))
    assert created.status is GrantStatus.PRE_REGISTERED and created.version == 1
