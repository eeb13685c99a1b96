"""No instalment is ever in two batches, nor its file delivered twice, when workers are killed during the payment run
(issue 24): the real dev server, `sto worker` processes SIGKILLed in the two windows a crash hurts most.

1. Worker A stores the day's batch (payment book, batch and ledgers in one transaction) and is killed before it
   writes a file (STO_FAULT_PAUSE_BEFORE_HANDOVER holds it there).
2. Worker B takes the run over when A's heartbeat stops: its run finds nothing left to batch, writes the batch's
   files, and is killed before it records them (STO_FAULT_PAUSE_BEFORE_RECORD); the finance system takes the pain.001
   file from the outbox meanwhile.
3. Worker C takes over: it records both files and writes neither again (the pain.001 was delivered and taken; the
   CSV is in place with the same bytes).
Each end-to-end id is in exactly one batch, one pain.001 file and one CSV file; the store records each file once,
with the sha256 of the bytes the finance system got."""

from __future__ import annotations

import datetime as dt
import signal

import pytest

from adapters.engine.payment_activities import start_payment_run
from adapters.engine.temporal import TemporalSettings, connect
from adapters.event_store import money
from adapters.event_store.store import open_service
from adapters.finance import handover
from domain.timekeeping import AMSTERDAM
from tests.integration.money_support import (DEBTOR_ENV, approved_with_account, end_to_end_ids_in_batches,
                                             end_to_end_ids_in_files, release)
from tests.integration.test_durability import business, start_worker_process, stop, wait_for
from workflows.payments import PAYMENT_RUN_WORKFLOW_ID, PaymentRunOutcome, PaymentRunWorkflow

pytestmark = [pytest.mark.temporal, pytest.mark.slow]
GRANTS = 4


async def test_no_instalment_is_in_two_batches_nor_a_file_delivered_twice_when_workers_are_killed_mid_run(dev_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'sto.sqlite'}"
    service = open_service(url)
    codes = [approved_with_account(service, index).code for index in range(1, GRANTS + 1)]
    for code in codes:
        release(service, code, 1)  # due Wednesday 15 January 2020
    outbox, taken = tmp_path / "finance-outbox", tmp_path / "taken-by-the-finance-system"
    taken.mkdir()
    env = {"STO_FINANCE_OUTBOX": str(outbox), **DEBTOR_ENV}
    pain, fdc = outbox / handover.filename(1, handover.PAIN), outbox / handover.filename(1, handover.CSV)
    batches = lambda: list(money.batches(service))  # noqa: E731
    seen = lambda: f"batches {[(b.number, sorted(b.files)) for b in batches()]}, outbox {sorted(p.name for p in outbox.glob('*'))}"  # noqa: E731
    client = await connect(TemporalSettings(address=dev_server.address))
    a = start_worker_process(tmp_path, dev_server.address, url, "pay-a", STO_FAULT_PAUSE_BEFORE_HANDOVER="600", **env)
    workers = [a]
    try:
        # business time: Wednesday 15 January 2020, just after the run's 07:00; the workflow runs the day at once
        await start_payment_run(client, clock_offset_seconds=business(dt.datetime(2020, 1, 15, 7, 0, 5, tzinfo=AMSTERDAM)))
        await wait_for(lambda: len(batches()) == 1, seen=seen)
        stop(a, signal.SIGKILL)  # the batch is stored, no file written
        assert not pain.exists() and not fdc.exists() and set(batches()[0].files) == set()

        b = start_worker_process(tmp_path, dev_server.address, url, "pay-b", STO_FAULT_PAUSE_BEFORE_RECORD="600", **env)
        workers.append(b)
        await wait_for(lambda: pain.exists() and fdc.exists(), seen=seen)  # after A's heartbeat timed out
        stop(b, signal.SIGKILL)  # the files are in place, not recorded
        assert len(batches()) == 1 and set(batches()[0].files) == set()
        delivered = pain.read_bytes()
        pain.rename(taken / pain.name)  # the finance system takes the pain.001 file

        c = start_worker_process(tmp_path, dev_server.address, url, "pay-c", **env)
        workers.append(c)
        await wait_for(lambda: set(batches()[0].files) == {handover.PAIN, handover.CSV}, seen=seen)
        outcome = await client.get_workflow_handle(PAYMENT_RUN_WORKFLOW_ID).query(
            PaymentRunWorkflow.last_run, result_type=PaymentRunOutcome)
    finally:
        for worker in workers:
            stop(worker, signal.SIGKILL)
    assert outcome.day == dt.date(2020, 1, 15) and outcome.batch is None  # C's attempt: A had made the batch
    assert sorted((f.format, f.written) for f in outcome.handed_over) == [(handover.CSV, False), (handover.PAIN, False)]
    assert not pain.exists(), "the pain.001 file taken by the finance system was delivered a second time"
    (batch,) = batches()
    assert batch.files[handover.PAIN]["sha256"] == handover.sha256(delivered)
    assert batch.files[handover.CSV]["sha256"] == handover.sha256(fdc.read_bytes())
    e2e = end_to_end_ids_in_batches(service)
    assert len(e2e) == GRANTS and set(e2e.values()) == {1}
    in_pain, in_csv = end_to_end_ids_in_files(outbox, taken)
    assert in_pain == e2e and in_csv == e2e  # each instalment in one batch, one pain.001 and one CSV file
    recorded = [n for n in service.recorder.select_notifications(1, 100_000) if n.topic.endswith("PaymentBatch.HandedOver")]
    assert len(recorded) == 2  # each file recorded once
    for code in codes:
        line = money.ledger_of(service, service.state(code).grant_id).instalments[1]
        assert (line.status, line.batch) == ("instructed", 1)
