"""The daily payment run as a Temporal workflow, on the time-skipping server (issue 24): instalments released by two
people go out in one batch on their due day, handed to the finance system as a pain.001.001.09 file valid per the
official XSD and the centre's CSV, each recorded with its sha256, exactly once; a claim goes into default and gets
its aanmaning on the working day after its term, and a dwangbevel falls due after the aanmaning's term, all by the
workflow's timers; the workflow continues as new and its history replays."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from adapters.engine.payment_activities import start_payment_run
from adapters.engine.temporal import build_worker, workflow_runner
from adapters.event_store import money
from adapters.event_store.store import open_service
from adapters.finance import handover, xsd
from adapters.notify.notifiers import FileNotifier
from domain.timekeeping import AMSTERDAM
from tests.integration.money_support import (DEBTOR, advance_to, approved_with_account,
                                             end_to_end_ids_in_batches, end_to_end_ids_in_files, paid_out_and_determined,
                                             release, settled)
from workflows.payments import PAYMENT_RUN_WORKFLOW_ID, PaymentRunOutcome, PaymentRunWorkflow

pytestmark = [pytest.mark.temporal, pytest.mark.slow]


def moment(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


async def last_run(env) -> PaymentRunOutcome | None:
    return await env.client.get_workflow_handle(PAYMENT_RUN_WORKFLOW_ID).query(
        PaymentRunWorkflow.last_run, result_type=PaymentRunOutcome)


async def test_instalments_released_by_two_people_go_out_in_one_batch_on_their_due_day_exactly_once(
    ts_env, sqlite_url, tmp_path
):
    service = open_service(sqlite_url)
    grants = [approved_with_account(service, index) for index in (1, 2, 3)]
    release(service, grants[0].code, 1)
    release(service, grants[1].code, 1)
    release(service, grants[2].code, 1, by=("fi.de-boer",))  # one release: it waits for the second person
    outbox = tmp_path / "finance-outbox"
    worker = build_worker(ts_env.client, service, FileNotifier(tmp_path / "outbox"), finance_outbox=outbox, debtor=DEBTOR)
    start = moment(2020, 1, 13, 9)  # Monday; the first instalments fall due on Wednesday 15 January
    offset = start - await ts_env.get_current_time()
    async with worker:
        first = await start_payment_run(ts_env.client, clock_offset_seconds=offset.total_seconds(), runs_per_history=3)
        again = await start_payment_run(ts_env.client, clock_offset_seconds=offset.total_seconds())
        assert again.result_run_id == first.result_run_id  # one payment run per installation, however often started
        await settled(ts_env)
        monday = await last_run(ts_env)
        assert monday is not None and monday.day == dt.date(2020, 1, 13) and monday.batch is None  # today's run at once
        await advance_to(ts_env, offset, moment(2020, 1, 15, 6, 59))
        assert (await last_run(ts_env)).day == dt.date(2020, 1, 14) and not list(money.batches(service))
        assert not outbox.exists() or not any(outbox.iterdir())
        await advance_to(ts_env, offset, moment(2020, 1, 15, 7, 30))
        wednesday = await last_run(ts_env)
        assert wednesday.day == dt.date(2020, 1, 15) and wednesday.batch == 1 and wednesday.instructions == 2
        assert [f.filename for f in wednesday.handed_over] == ["sto-batch-000001.pain001.xml", "sto-batch-000001.fdc.csv"]
        (batch,) = money.batches(service)
        assert batch.execution_date == dt.date(2020, 1, 15)
        # the business time of the timer (and of the workflow task that ran it), not of the machine
        assert dt.timedelta(0) <= batch.effective_at - moment(2020, 1, 15, 7) < dt.timedelta(seconds=5)
        assert sorted(i["grant_code"] for i in batch.instructions) == [grants[0].code, grants[1].code]
        pain = (outbox / "sto-batch-000001.pain001.xml").read_bytes()
        xsd.check(pain, xsd.PAIN_001_001_09)  # valid per the official schema
        assert batch.files[xsd.PAIN_001_001_09]["sha256"] == handover.sha256(pain)
        assert batch.files["fdc-csv"]["sha256"] == handover.sha256((outbox / "sto-batch-000001.fdc.csv").read_bytes())
        await advance_to(ts_env, offset, moment(2020, 1, 16, 12))  # Thursday: nothing new, nothing written again
        thursday = await last_run(ts_env)
        assert thursday.day == dt.date(2020, 1, 16) and thursday.batch is None and thursday.handed_over == []
        handle = ts_env.client.get_workflow_handle(PAYMENT_RUN_WORKFLOW_ID)
        assert (await handle.describe()).run_id != first.result_run_id, "no continue-as-new after runs_per_history runs"
        assert await handle.query(PaymentRunWorkflow.runs_made) == 4
        history = await ts_env.client.get_workflow_handle(PAYMENT_RUN_WORKFLOW_ID, run_id=first.result_run_id).fetch_history()
    e2e = end_to_end_ids_in_batches(service)
    assert set(e2e.values()) == {1} and len(e2e) == 2
    in_pain, in_csv = end_to_end_ids_in_files(outbox)
    assert in_pain == e2e and in_csv == e2e  # each instalment in exactly one batch and one file of each kind
    statuses = {g.code: money.ledger_of(service, service.state(g.code).grant_id).instalments[1].status for g in grants}
    assert statuses == {grants[0].code: "instructed", grants[1].code: "instructed", grants[2].code: "scheduled"}
    replayer = Replayer(workflows=[PaymentRunWorkflow], data_converter=pydantic_data_converter, workflow_runner=workflow_runner())
    await replayer.replay_workflow(history)  # deterministic: its first run replays in the sandbox


async def test_a_claim_goes_into_default_gets_its_aanmaning_and_a_dwangbevel_falls_due_on_their_days_by_the_timers(
    ts_env, sqlite_url, tmp_path
):
    service = open_service(sqlite_url)
    grant = paid_out_and_determined(service)  # claim term ends Monday 14 April 2025 (Awb 4:87, six weeks)
    ledger = lambda: money.ledger_of(service, service.state(grant.code).grant_id)  # noqa: E731
    (claim,) = ledger().claims.values()
    assert claim.term_ends == dt.date(2025, 4, 14)
    outbox = tmp_path / "finance-outbox"
    worker = build_worker(ts_env.client, service, FileNotifier(tmp_path / "outbox"), finance_outbox=outbox, debtor=DEBTOR)
    start = moment(2025, 4, 11, 9)  # Friday
    offset = start - await ts_env.get_current_time()
    async with worker:
        await start_payment_run(ts_env.client, clock_offset_seconds=offset.total_seconds(), runs_per_history=4)
        await settled(ts_env)
        friday = await last_run(ts_env)
        # the eight batches the runs before the workflow made were never handed over: its first run does it
        assert sorted({f.batch for f in friday.handed_over}) == list(range(1, 9)) and friday.claims == []
        # the reminder three days before the term ends, and the mail of the weekend that follows, on Friday
        assert [key.split("|")[3:] for key in friday.mails] == [["reminder", "2025-04-14", "3"]]
        assert friday.mailed_through == dt.date(2025, 4, 13)
        await advance_to(ts_env, offset, moment(2025, 4, 14, 23, 59))  # the last day of the term: nothing yet
        assert (await last_run(ts_env)).day == dt.date(2025, 4, 14) and ledger().claims[claim.number].in_default_since is None
        await advance_to(ts_env, offset, moment(2025, 4, 15, 8))
        tuesday = await last_run(ts_env)
        assert tuesday.claims == [f"{claim.number}: ClaimInDefault", f"{claim.number}: AanmaningSent"]
        assert [key.split("|")[3:] for key in tuesday.mails] == [["aanmaning", "2025-04-29", "0"]]  # in writing, 4:112
        mails = sorted((tmp_path / "outbox").glob("*.eml"))
        assert len(mails) == 2 and "Aanmaning" in "".join(m.read_text() for m in mails)
        line = ledger().claims[claim.number]
        assert line.in_default_since == dt.date(2025, 4, 15)  # Awb 4:97: the day after the term
        assert line.aanmaning_sent_on == dt.date(2025, 4, 15) and line.aanmaning_term_ends == dt.date(2025, 4, 29)  # 4:112
        await advance_to(ts_env, offset, moment(2025, 4, 29, 23, 59))  # the aanmaning's last day: no dwangbevel yet
        assert ledger().claims[claim.number].dwangbevel_due_on is None
        await advance_to(ts_env, offset, moment(2025, 4, 30, 8))
        assert (await last_run(ts_env)).claims == [f"{claim.number}: DwangbevelDue"]
        assert ledger().claims[claim.number].dwangbevel_due_on == dt.date(2025, 4, 30)  # Awb 4:117
    steps = [(e.effective_at.astimezone(AMSTERDAM).date(), type(e).__name__) for e in service.events.get(ledger().id)
             if type(e).__name__ in ("ClaimInDefault", "AanmaningSent", "DwangbevelDue")]
    assert steps == [(dt.date(2025, 4, 15), "ClaimInDefault"), (dt.date(2025, 4, 15), "AanmaningSent"),
                     (dt.date(2025, 4, 30), "DwangbevelDue")]  # once each, at the business time of the day's run
