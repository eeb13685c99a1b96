"""A third scheme without code: one grant through the fictional scheme, end to end, through the real workflow.

The scheme is a test file (tests/fixtures/schemes/fictional-2027.toml, id fictief-2027-2029), named by
STO_SCHEMES_PATH for this test only. Real time-skipping Temporal server, real worker and GrantWorkflow, real
SQLite event store, real SMTP server on loopback; business time starts on 15 June 2026.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from decimal import Decimal

import pytest

from temporalio.service import RPCError, RPCStatusCode

from adapters.replay.synthetic import application_documents, extension_plan
from domain import commands as c
from domain.errors import TransitionRefused
from domain.timekeeping import AMSTERDAM
from domain.values import GrantStatus, RegionKind
from tests.integration.conftest import start_engine
from tests.integration.workflow_steps import advice, at, command, decide, reminded, take
from tests.support.fictional_scheme import FICTIONAL, INSTRUMENT, fictional_scheme_loaded
from tests.support.scripted import GrantScript, years
from workflows.grant_lifecycle import SCHEME

pytestmark = pytest.mark.temporal

REQUESTED = {2027: 450_000_00, 2028: 400_000_00, 2029: 300_000_00}  # EUR 1.15 million: under the EUR 1.2 million maximum
GRANTED = {2027: 400_000_00, 2028: 400_000_00, 2029: 300_000_00}  # the pilot's ceiling for 2027 is EUR 400,000


@pytest.fixture
def fictional(monkeypatch):
    yield from fictional_scheme_loaded(monkeypatch)


@pytest.fixture
async def engine(fictional, ts_env, smtp, sqlite_url):
    """The engine, with the fictional scheme on its path, from 15 June 2026, 09:00 in Amsterdam."""
    eng, worker = await start_engine(ts_env, sqlite_url, smtp.port, dt.datetime(2026, 6, 15, 9, tzinfo=AMSTERDAM))
    async with worker:
        yield eng


def scheme_command(script: GrantScript, cls: type[c.Command], **fields) -> c.Command:
    return command(script, cls, scheme=FICTIONAL, **fields)


def documents(script: GrantScript, per_year: dict[int, int] = REQUESTED, share: str = "0.16", addendum: str | None = None):
    """An application's documents with `share` of the request pledged as co-financing."""
    return application_documents(script.region, per_year, cofinancing_share=Decimal(share), addendum=addendum)


async def refused(send, cmd: c.Command) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as refusal:
        await send(cmd)
    assert refusal.value.source and refusal.value.hint, "a refusal names its source and what to do next"
    return refusal.value


async def test_a_grant_lives_through_the_fictional_scheme_from_vooraanmelding_to_the_end_of_its_objection_term(engine, smtp):
    script = GrantScript(engine.service, index=1, kind=RegionKind.TECHNIEKREGIO, per_year=dict(REQUESTED))
    send = engine.client.transition
    fields = script.region.vooraanmelding_fields()
    created = await engine.client.pre_register(
        c.SubmitVooraanmelding(actor=script.actor, reason="vooraanmelding proeftuin", scheme=FICTIONAL, **fields)
    )
    assert created.status is GrantStatus.PRE_REGISTERED
    handle = engine.client.handle(script.code, FICTIONAL)
    assert handle.id == f"grant-{FICTIONAL}-{script.code}"
    assert (await engine.client.state(script.code, FICTIONAL)).scheme == FICTIONAL
    described = await handle.describe()
    assert described.typed_search_attributes.get(SCHEME) == FICTIONAL

    # --- application: round 1 only; not above the maximum, the co-financing of 15 % pledged ---------------
    await engine.advance_to(at(2026, 9, 20))  # round 1 runs 1 September – 15 October 2026
    not_yet = await refused(send, scheme_command(script, c.SubmitApplication, period=2, documents=documents(script, addendum="addendum")))
    assert not_yet.rule == "application.period_eligibility"  # round 2 is for regions rejected in round 1
    no_round = await refused(send, scheme_command(script, c.SubmitApplication, period=3, documents=documents(script)))
    assert no_round.rule == "application.period_in_scheme" and FICTIONAL in no_round.message
    too_much = await refused(send, scheme_command(
        script, c.SubmitApplication, period=1, documents=documents(script, {2027: 500_000_00, 2028: 450_000_00, 2029: 300_000_00})))
    assert too_much.rule == "money.regional_maximum" and "1.200.000,00" in too_much.message
    assert INSTRUMENT in too_much.source
    too_little = await refused(send, scheme_command(script, c.SubmitApplication, period=1, documents=documents(script, share="0.12")))
    assert too_little.rule == "money.cofinancing_threshold" and "15%" in too_little.message
    assert len(engine.service.history(script.code, scheme=FICTIONAL)) == 1, "a refused step writes nothing"

    applied = await send(scheme_command(script, c.SubmitApplication, period=1, documents=documents(script)))
    assert applied.status is GrantStatus.APPLICATION_SUBMITTED
    await send(scheme_command(script, c.AcceptApplication))
    await engine.advance_to(at(2026, 11, 20))
    await send(advice(script).model_copy(update={"scheme": FICTIONAL}))

    # --- the verlening: within the pilot's ceiling per year ----------------------------------------------
    # through the engine's own procedure (the scheme declares none): drafted by a beoordelaar, signed by another
    # person under a mandate; a draft above the ceiling is refused at once (nothing written, nobody's time spent on a
    # besluit that cannot be signed); the ceiling is claimed when the besluit takes effect, at its signature
    await engine.advance_to(at(2026, 12, 1))
    written = len(engine.service.history(script.code, scheme=FICTIONAL))
    over_ceiling = scheme_command(script, c.ApproveGrant, granted_per_year=years(REQUESTED))
    over = await refused(lambda cmd: take(engine, cmd), over_ceiling)
    assert over.rule == "budget.ceiling" and INSTRUMENT in over.source
    state = engine.service.state(script.code, scheme=FICTIONAL)
    assert state.status is GrantStatus.ADVISED and state.besluiten == [] and not state.granted_per_year
    assert state.case is None and len(engine.service.history(script.code, scheme=FICTIONAL)) == written
    approved = await decide(engine, scheme_command(script, c.ApproveGrant, granted_per_year=years(GRANTED)))
    assert approved.status is GrantStatus.APPROVED
    (verlening,) = engine.service.state(script.code, scheme=FICTIONAL).besluiten
    assert [(s.stage, s.outcome, s.round) for s in verlening.stages] == [
        ("beoordeling", "drafted", 1), ("ondertekening", "signed", 1)]
    assert engine.service.pool_totals(f"{FICTIONAL}/ceiling:techniekregio") == GRANTED

    # --- the detailed plan for 2027 is missed: the workflow's timer applies the consequence ----------------
    await engine.advance_to(at(2027, 5, 5))
    state = engine.service.state(script.code, scheme=FICTIONAL)
    assert state.status is GrantStatus.APPROVED and "uitgewerkt_plan_2027" in state.missed_deadlines
    missed = engine.service.history(script.code, scheme=FICTIONAL)[-1]
    assert type(missed).__name__ == "DeadlineMissed" and missed.deadline_key == "uitgewerkt_plan_2027"
    assert missed.role == "system" and missed.effective_on == dt.date(2027, 5, 4) and INSTRUMENT in missed.legal_basis
    late = await send(scheme_command(script, c.SubmitDetailedPlan, plan_key="2027",
                                     plan=extension_plan(script.region, 350_000_00, year=2027)))
    assert late.status is GrantStatus.APPROVED
    assert engine.service.state(script.code, scheme=FICTIONAL).detailed_plans["2027"].late is True

    # --- progress report 1 (the only one the scheme asks for) ---------------------------------------------
    await engine.advance_to(at(2028, 3, 15))
    second = await refused(send, scheme_command(script, c.SubmitProgressReport, number=2, summary="voortgang", spent_cents=1, cofinancing_realised_cents=0))
    assert second.rule == "report.number"
    await send(scheme_command(script, c.SubmitProgressReport, number=1, summary="op koers", spent_cents=500_000_00,
                              cofinancing_realised_cents=50_000_00))

    # --- the spending period ends, the final report, the vaststelling with the scheme's 15 % ---------------
    await engine.advance_to(at(2030, 1, 10))
    assert "einde_subsidieperiode" in engine.service.state(script.code, scheme=FICTIONAL).consequences_applied
    total = sum(GRANTED.values())
    cofinancing = total * 10 // 100  # 10 % realised: under the threshold of 15 %
    reported = await send(scheme_command(script, c.SubmitFinalReport, summary="afgerond", realised_per_year=years(GRANTED),
                                         cofinancing_realised_cents=cofinancing))
    assert reported.status is GrantStatus.FINAL_REPORT_SUBMITTED
    await engine.advance_to(at(2030, 1, 15))
    determined = await decide(engine, scheme_command(script, c.DetermineGrant))
    assert determined.status is GrantStatus.DETERMINED
    outcome = engine.service.state(script.code, scheme=FICTIONAL).determination
    assert Decimal(outcome.threshold) == Decimal("0.15")
    assert outcome.cofinancing_required_cents == 165_000_00
    assert outcome.determined_cents == 73_333_333 == int(Decimal(cofinancing) / Decimal("0.15"))  # EUR 733.333,33
    assert outcome.reclaim_cents == total - 73_333_333

    # --- the vaststelling's objection term (six weeks from 16 January 2030) passes: the workflow ends ------
    await engine.advance_to(at(2030, 3, 15))
    result = await handle.result()
    assert result.status is GrantStatus.DETERMINED

    history = engine.service.history(script.code, scheme=FICTIONAL)
    assert [type(e).__name__ for e in history] == [
        "VooraanmeldingReceived", "ApplicationSubmitted", "ApplicationAccepted", "AdviceRecorded",
        "BesluitDrafted", "BesluitSigned", "GrantApproved",  # the draft above the ceiling was refused: nothing written
        "DecisionBecameFinal", "DeadlineMissed", "DetailedPlanSubmitted", "ProgressReportSubmitted",
        "SpendingPeriodEnded", "FinalReportSubmitted", "BesluitDrafted", "BesluitSigned", "GrantDetermined",
        "DecisionBecameFinal",
    ]
    assert history[0].scheme == FICTIONAL
    assert {e.originator_id for e in history} == {engine.service.state(script.code, scheme=FICTIONAL).grant_id}
    assert INSTRUMENT in history[1].legal_basis  # the application window's source is the fictional regeling
    assert history[-1].effective_on == dt.date(2030, 2, 27)  # 42 days from the day after 15 January 2030, then the day after
    assert [e.deadline_key for e in history if type(e).__name__ == "DecisionBecameFinal"] == ["objection_period:1", "objection_period:2"]
    assert list(engine.service.grant_keys()) == [(FICTIONAL, script.code)]

    # --- reminders: the scheme's own terms, to the region (and DUS-I's decision term to DUS-I) -------------
    keys = smtp.mailbox.keys()
    assert len(keys) == len(set(keys)), "every reminder is sent once"
    sent = {(deadline, due, offset) for _, deadline, due, offset in reminded(keys)}
    assert ("aanvraagtijdvak_1", "2026-10-15", "28") in sent
    assert ("besluit_tijdvak_1", "2026-12-15", "28") in sent
    assert {("uitgewerkt_plan_2027", "2027-05-03", str(o)) for o in (28, 14, 7, 1)} <= sent
    assert ("voortgangsverslag_1", "2028-04-03", "28") in sent
    assert not any(d == "voortgangsverslag_1" and o in ("14", "7", "1") for d, _, o in sent), "no reminder after the report"
    assert ("einde_subsidieperiode", "2029-12-31", "28") in sent
    assert not any(d == "final_report" for d, _, _ in sent), "the final report came before its reminders"
    assert not any(d.startswith("objection") for d, _, _ in sent)
    plan_mail = next(m for m in smtp.mailbox.messages if (m["X-STO-Reminder-Key"] or "").endswith("|uitgewerkt_plan_2027|2027-05-03|1"))
    body = plan_mail.get_payload(decode=True).decode()
    assert "Uitgewerkt plan en begroting 2027" in body and INSTRUMENT in body
    assert plan_mail["To"] == script.region.penvoerder.email


async def failed_workflow_tasks(handle) -> list[str]:
    """What each failed workflow task of the workflow said (none while it does not exist yet)."""
    try:
        history = await handle.fetch_history()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return []
        raise
    return [e.workflow_task_failed_event_attributes.failure.message for e in history.events
            if e.HasField("workflow_task_failed_event_attributes")]


async def test_a_worker_runs_a_scheme_that_was_added_by_reloading_the_registry(monkeypatch, ts_env, smtp, sqlite_url):
    from domain.regulation.schemes import SCHEMES_PATH, reload_schemes
    from tests.support.fictional_scheme import FICTIONAL_FILE, read_schemes_again

    monkeypatch.setenv(SCHEMES_PATH, str(FICTIONAL_FILE))
    reload_schemes()  # what `sto schemes check` and a test do; nothing read yet
    try:
        eng, worker = await start_engine(ts_env, sqlite_url, smtp.port, dt.datetime(2026, 6, 15, 9, tzinfo=AMSTERDAM))
        async with worker:
            script = GrantScript(eng.service, index=2)
            first = c.SubmitVooraanmelding(actor=script.actor, reason="vooraanmelding proeftuin", scheme=FICTIONAL,
                                           **script.region.vooraanmelding_fields())
            sending = asyncio.create_task(eng.client.pre_register(first))
            # a worker that does not know the scheme fails the grant's workflow task again and again, and the
            # command waits for ever: the test watches for such a failure instead of giving the answer 5 s
            handle, deadline = eng.client.handle(script.code, FICTIONAL), time.monotonic() + 180
            while not sending.done():
                failed = await failed_workflow_tasks(handle)
                if failed or time.monotonic() > deadline:
                    sending.cancel()
                assert not failed, f"the worker could not run the reloaded scheme's grant: {failed}"
                assert time.monotonic() <= deadline, "no answer to the vooraanmelding within 180 s, and no failure"
                await asyncio.wait({sending}, timeout=0.1)
            created = sending.result()
            assert created.status is GrantStatus.PRE_REGISTERED
    finally:
        monkeypatch.undo()
        read_schemes_again()
