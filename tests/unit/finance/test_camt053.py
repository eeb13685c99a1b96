"""Bank statements (camt.053.001.02 and .001.08), written here with lxml and valid against the official XSDs,
are read back into entries and returned payments; a statement the engine cannot trust is refused as bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from adapters.finance.camt053 import Direction, read_camt053
from domain.errors import InvalidInput
from tests.unit.finance.batches import assert_valid
from tests.unit.finance.camt_statements import V02, V08, Entry, Tx, statement

BOOKED = dt.date(2026, 12, 4)
VALUED = dt.date(2026, 12, 4)
REGION = ("Stichting Techniek Regio Delft", "NL20INGB0001234567")
DUS_I = ("DUS-I, Ministerie van OCW", "NL91ABNA0417164300")


def repayment() -> Entry:
    """A region pays back a claim, quoting the claim number as structured creditor reference."""
    return Entry("12500.00", "CRDT", BOOKED, VALUED, bank_reference="BANKREF-0001", txs=[Tx(
        end_to_end_id="REGIO-DELFT-0042", debtor=REGION, creditor=DUS_I,
        ustrd=["Terugbetaling vordering VRD-2026-0007", "subsidienummer STO20-0042"],
        creditor_reference="RF18VRD20260007")])


def our_payment() -> Entry:
    return Entry("125000.00", "DBIT", BOOKED, dt.date(2026, 12, 3), bank_reference="BANKREF-0002",
                 code=("PMNT", "ICDT", "ESCT"), txs=[Tx(
                     end_to_end_id="E2E-STO-R0001-2025-1", debtor=DUS_I, creditor=REGION,
                     ustrd=["Voorschot STO 2025-2028 termijn 1"])])


def returned_payment() -> Entry:
    """Our transfer came back: the account was closed (AC04); the original end-to-end id is reported."""
    return Entry("3000.00", "CRDT", BOOKED, VALUED, bank_reference="BANKREF-0003", code=("PMNT", "ICDT", "RRTN"),
                 txs=[Tx(end_to_end_id="E2E-STO-R0002-2025-1", debtor=DUS_I,
                         creditor=("Stichting Oud Account", "NL02ABNA0123456789"), return_reason="AC04")])


def batch_entry() -> Entry:
    """One booking for two incoming transfers, each with its own amount."""
    return Entry("150.01", "CRDT", BOOKED, VALUED, bank_reference="BANKREF-0004", txs=[
        Tx(amount="150.00", end_to_end_id="NOTPROVIDED", bank_reference="TX-1", debtor=REGION, ustrd=["rente"]),
        Tx(amount="0.01", end_to_end_id="REGIO-X-1", bank_reference="TX-2", debtor=("Piet", "NL91ABNA0417164300")),
    ])


@pytest.fixture(params=[V02, V08])
def version(request) -> str:
    return request.param


def read(version: str, entries: list[Entry], **kwargs) -> list:
    document = statement(version, entries, **kwargs)
    assert_valid(document, version)
    statements = read_camt053(document)
    assert len(statements) == 1
    assert statements[0].version == version
    return list(statements[0].entries)


def test_a_statement_names_its_account_and_ids(version):
    document = statement(version, [repayment()])
    assert_valid(document, version)
    [read_back] = read_camt053(document)
    assert (read_back.message_id, read_back.statement_id, read_back.account_iban) == (
        "MSG-2026-12-07-1", "STMT-2026-12-07", "NL91ABNA0417164300")


def test_a_repayment_is_read_with_its_references_counterparty_and_dates(version):
    [entry] = read(version, [repayment()])
    assert entry.booking_date == BOOKED and entry.value_date == VALUED
    assert entry.amount_cents == 12500_00
    assert entry.direction is Direction.CREDIT
    assert entry.status == "BOOK"
    assert entry.end_to_end_id == "REGIO-DELFT-0042"
    assert entry.remittance == "Terugbetaling vordering VRD-2026-0007 subsidienummer STO20-0042"
    assert entry.creditor_reference == "RF18VRD20260007"
    assert (entry.counterparty_name, entry.counterparty_iban) == REGION
    assert entry.bank_reference == "BANKREF-0001"
    assert not entry.returned and entry.return_reason is None


def test_our_outgoing_payment_is_a_debit_whose_counterparty_is_the_creditor(version):
    [entry] = read(version, [our_payment()])
    assert entry.direction is Direction.DEBIT
    assert entry.amount_cents == 125000_00
    assert entry.value_date == dt.date(2026, 12, 3)
    assert entry.end_to_end_id == "E2E-STO-R0001-2025-1"
    assert (entry.counterparty_name, entry.counterparty_iban) == REGION


def test_a_returned_payment_gives_its_original_end_to_end_id_and_reason(version):
    document = statement(version, [repayment(), returned_payment()])
    assert_valid(document, version)
    [read_back] = read_camt053(document)
    [returned] = read_back.returned_payments
    assert returned.original_end_to_end_id == "E2E-STO-R0002-2025-1"
    assert returned.reason_code == "AC04"
    assert returned.amount_cents == 3000_00
    assert returned.booking_date == BOOKED
    assert returned.bank_reference == "BANKREF-0003"
    entry = read_back.entries[1]
    assert entry.returned and entry.counterparty_name == "Stichting Oud Account"


def test_a_return_known_only_by_its_bank_transaction_code_is_a_returned_payment(version):
    entry = returned_payment()
    entry.txs[0].return_reason = None
    [read_back] = read(version, [entry])
    assert read_back.returned and read_back.return_reason is None


def test_a_batch_entry_gives_one_entry_per_transaction_with_its_own_amount(version):
    first, second = read(version, [batch_entry()])
    assert (first.amount_cents, second.amount_cents) == (15000, 1)
    assert first.end_to_end_id is None  # the payer gave none: NOTPROVIDED
    assert second.end_to_end_id == "REGIO-X-1"
    assert (first.bank_reference, second.bank_reference) == ("TX-1", "TX-2")
    assert second.counterparty_name == "Piet"


def test_an_entry_without_details_is_read_from_the_entry_alone(version):
    [entry] = read(version, [Entry("42.00", "DBIT", BOOKED, VALUED, bank_reference="FEE-1",
                                   code=("ACMT", "MDOP", "CHRG"))])
    assert entry.amount_cents == 4200 and entry.bank_reference == "FEE-1"
    assert entry.end_to_end_id is None and entry.counterparty_name is None


def test_an_entry_in_another_currency_is_refused(version):
    with pytest.raises(InvalidInput, match="Awb 4:89") as refused:
        read(version, [Entry("10.00", "CRDT", BOOKED, VALUED, currency="USD")])
    assert refused.value.field == "statement"


def test_a_statement_of_another_version_is_refused_by_name():
    document = statement(V02, [repayment()]).replace(b"camt.053.001.02", b"camt.053.001.04")
    with pytest.raises(InvalidInput, match="camt.053.001.04") as refused:
        read_camt053(document)
    assert "camt.053.001.02 or camt.053.001.08" in refused.value.hint


def test_a_statement_that_breaks_its_schema_is_refused(version):
    root = etree.fromstring(statement(version, [repayment()]))
    for element in root.iter("{*}CdtDbtInd"):
        element.text = "PLUS"
    with pytest.raises(InvalidInput, match=f"does not conform to the {version} schema"):
        read_camt053(etree.tostring(root))


def test_a_cut_off_statement_is_refused():
    with pytest.raises(InvalidInput, match="not well-formed"):
        read_camt053(statement(V08, [repayment()])[:-40])


def test_a_statement_cannot_make_the_engine_read_a_file(tmp_path, version):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    document = statement(version, [repayment()]).decode()
    document = document.replace("?>", f'?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM "file://{secret}">]>', 1)
    document = document.replace("Stichting Techniek Regio Delft", "&x;", 1)
    [read_back] = read_camt053(document.encode(), validate=False)  # the entity is left unresolved
    assert "TOP-SECRET" not in repr(read_back)
    assert read_back.entries[0].counterparty_name is None
    with pytest.raises(InvalidInput, match="does not conform"):  # and with the schema check, refused
        read_camt053(document.encode())
