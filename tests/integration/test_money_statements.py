"""A bank statement written in the test (camt.053.001.08, valid per its XSD) reconciles the batch the payment run
handed over, through the operator's function (adapters/finance/statements.py): the transfer booked is paid, the one
the bank returned is returned, an entry of nobody is listed for an operator; read twice, nothing new; a statement of
another account is refused before anything is recorded. And the handover itself, without Temporal: a batch created
but not handed over is handed over by the next run, a file in place or already taken is never written twice, a file
in the way is reported, and the debtor's settings are asked for only when a batch waits."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from adapters.engine.payment_activities import PaymentActivities
from adapters.event_store import money
from adapters.event_store.store import open_service
from adapters.finance import handover, xsd
from adapters.finance.statements import reconcile_statement
from domain.errors import InvalidInput
from domain.timekeeping import AMSTERDAM
from tests.integration.money_support import (DEBTOR, DEBTOR_ENV, approved_with_account, end_to_end_ids_in_files,
                                             release)
from tests.support.scripted import at
from tests.unit.finance.camt_statements import V08, Entry, Tx, statement
from workflows.payments import PaymentRunRequest

PAY_DAY = dt.date(2020, 1, 15)


@pytest.fixture
def paid_out(sqlite_url, tmp_path):
    """Two grants' first instalments in batch 1, handed over."""
    service = open_service(sqlite_url)
    codes = [approved_with_account(service, index).code for index in (1, 2)]
    for code in codes:
        release(service, code, 1)
    run = PaymentActivities(service, tmp_path / "finance", DEBTOR)
    outcome = run.run(PaymentRunRequest(day=PAY_DAY, business_time=at(2020, 1, 15, 7)))
    assert outcome.batch == 1 and len(outcome.handed_over) == 2
    return service, run, codes


def run_on(run: PaymentActivities, day: dt.date):
    return run.run(PaymentRunRequest(day=day, business_time=dt.datetime(day.year, day.month, day.day, 7, tzinfo=AMSTERDAM)))


def test_a_statement_reconciles_the_batch_through_the_operators_function_and_a_second_reading_adds_nothing(
    paid_out, tmp_path
):
    service, _, codes = paid_out
    (batch,) = money.batches(service)
    first, second = sorted(batch.instructions, key=lambda i: i["grant_code"])
    euros = lambda item: f"{item['amount_cents'] / 100:.2f}"  # noqa: E731
    document = statement(V08, [
        Entry(amount=euros(first), direction="DBIT", booked=PAY_DAY, valued=PAY_DAY, bank_reference="B-1",
              code=("PMNT", "ICDT", "ESCT"), txs=[Tx(end_to_end_id=first["end_to_end_id"], bank_reference="B-1")]),
        Entry(amount=euros(second), direction="CRDT", booked=dt.date(2020, 1, 17), valued=dt.date(2020, 1, 17),
              bank_reference="B-2", code=("PMNT", "ICDT", "RRTN"),
              txs=[Tx(end_to_end_id=second["end_to_end_id"], bank_reference="B-2", return_reason="AC04")]),
        Entry(amount="12.34", direction="DBIT", booked=PAY_DAY, valued=PAY_DAY, bank_reference="B-3",
              code=("PMNT", "ICDT", "ESCT"), txs=[Tx(end_to_end_id="NOT-OURS-1", bank_reference="B-3")]),
    ], account=DEBTOR.iban)
    xsd.check(document, xsd.CAMT_053_001_08)
    path = tmp_path / "camt053-2020-01-17.xml"
    path.write_bytes(document)
    summary = reconcile_statement(service, path, at(2020, 1, 17, 9), account=DEBTOR.iban)
    assert summary.paid == [first["end_to_end_id"]] and summary.returned == [second["end_to_end_id"]]
    assert len(summary.unmatched) == 1 and "NOT-OURS-1" in summary.unmatched[0]
    assert summary.lines()[0].startswith(f"{path}: 1 statement(s), 3 transaction(s)")
    ledgers = {code: money.ledger_of(service, service.state(code).grant_id) for code in codes}
    assert {code: ledger.instalments[1].status for code, ledger in ledgers.items()} == {
        first["grant_code"]: "paid", second["grant_code"]: "returned"}
    again = reconcile_statement(service, path, at(2020, 1, 18, 9), account=DEBTOR.iban)
    assert again.recorded == 0 and "nothing new" in " ".join(again.lines())


def test_a_statement_of_another_account_is_refused_before_anything_is_recorded(paid_out, monkeypatch):
    service, _, _ = paid_out
    monkeypatch.setenv("STO_FINANCE_DEBTOR_IBAN", DEBTOR.iban)  # the paying account, as the settings name it
    (batch,) = money.batches(service)
    item = batch.instructions[0]
    document = statement(V08, [Entry(amount=f"{item['amount_cents'] / 100:.2f}", direction="DBIT", booked=PAY_DAY,
                                     valued=PAY_DAY, bank_reference="B-1", code=("PMNT", "ICDT", "ESCT"),
                                     txs=[Tx(end_to_end_id=item["end_to_end_id"])])], account="NL91ABNA0417164300")
    with pytest.raises(InvalidInput, match="not of the paying account"):
        reconcile_statement(service, document, at(2020, 1, 17, 9))
    ledger = money.ledger_of(service, service.state(item["grant_code"]).grant_id)
    assert ledger.instalments[1].status == "instructed"


class Died(Exception):
    """The process dies here (the files are in place, not recorded)."""


def die(where: str) -> None:
    raise Died(where)


def test_a_batch_made_but_not_handed_over_goes_out_on_the_next_run_and_no_file_is_written_twice(sqlite_url, tmp_path, monkeypatch):
    service = open_service(sqlite_url)
    code = approved_with_account(service, 1).code
    release(service, code, 1)
    release(service, code, 2)
    money.run_payments(service, PAY_DAY, at(2020, 1, 15, 7))  # a run that died before its handover
    outbox = tmp_path / "finance"
    for name in DEBTOR_ENV:
        monkeypatch.delenv(name, raising=False)
    run = PaymentActivities(service, outbox)  # the paying account from the settings: not set yet
    with pytest.raises(InvalidInput, match="STO_FINANCE_DEBTOR_NAME"):
        run_on(run, dt.date(2020, 1, 16))  # the activity makes this a retry (FinanceSettings) until a worker has it
    assert not outbox.exists() or not list(outbox.glob("sto-batch-*"))
    for name, value in DEBTOR_ENV.items():
        monkeypatch.setenv(name, value)
    thursday = run_on(run, dt.date(2020, 1, 16))
    assert thursday.batch is None and [(f.batch, f.written) for f in thursday.handed_over] == [(1, True), (1, True)]
    assert run_on(run, dt.date(2020, 1, 17)).handed_over == []  # recorded: passed over
    # batch 2: the process dies with its files in place, before recording them, and the finance system takes the
    # pain.001 file meanwhile; the next run records both files and writes neither again
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / handover.filename(1, handover.PAIN)).write_bytes((outbox / handover.filename(1, handover.PAIN)).read_bytes())
    (outbox / handover.filename(1, handover.PAIN)).unlink()
    batch = money.run_payments(service, dt.date(2020, 7, 15), at(2020, 7, 15, 7)).batch
    assert batch is not None and batch.number == 2
    with pytest.raises(Died):
        handover.hand_over(service, outbox, DEBTOR, pause=die)
    pain, csv_file = outbox / handover.filename(2, handover.PAIN), outbox / handover.filename(2, handover.CSV)
    assert pain.exists() and csv_file.exists() and [b.number for b in handover.pending(service)] == [2]
    first_bytes = pain.read_bytes()
    pain.rename(taken / pain.name)
    again = run_on(run, dt.date(2020, 7, 16))
    assert sorted((f.format, f.written) for f in again.handed_over) == [(handover.CSV, False), (handover.PAIN, False)]
    assert not pain.exists() and (taken / pain.name).read_bytes() == first_bytes  # taken once, not delivered again
    (recorded,) = [b for b in money.batches(service) if b.number == 2]
    assert recorded.files[handover.PAIN]["sha256"] == handover.sha256(first_bytes)
    in_pain, in_csv = end_to_end_ids_in_files(outbox, taken)
    assert set(in_pain.values()) == {1} and in_pain == in_csv and len(in_pain) == 2


def test_a_different_file_in_the_way_is_reported_and_not_overwritten(paid_out, tmp_path):
    service, run, codes = paid_out
    release(service, codes[0], 2, when=at(2020, 2, 3))
    in_the_way = tmp_path / "finance" / handover.filename(2, handover.PAIN)
    in_the_way.write_bytes(b"someone else's file")
    july = run_on(run, dt.date(2020, 7, 15))
    assert july.batch == 2 and july.handed_over == [] and "other content" in july.problems[0]
    assert in_the_way.read_bytes() == b"someone else's file"
    os.remove(in_the_way)
    assert [f.filename for f in run_on(run, dt.date(2020, 7, 16)).handed_over] == [
        handover.filename(2, handover.PAIN), handover.filename(2, handover.CSV)]
