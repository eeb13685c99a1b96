"""A payment batch is ISO 20022 pain.001.001.09, valid against the official XSD (checked here with xmlschema
directly), deterministic for the same input, and within the EPC's SEPA rules; a broken document is rejected."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random

import pytest
from lxml import etree

from adapters.finance import xsd
from adapters.finance.instructions import MAX_AMOUNT_CENTS, BatchHeader, DebtorAccount, PaymentInstruction
from adapters.finance.pain001 import NS, write_pain001
from domain.errors import InvalidInput
from tests.unit.finance.batches import DEBTOR, HEADER, PAY_DAY, assert_valid, instruction, official_schema

PAIN = xsd.PAIN_001_001_09
N = {"p": NS}


def batch(*instructions: PaymentInstruction, header: BatchHeader = HEADER) -> etree._Element:
    document = write_pain001(header, instructions, validate=False)
    assert_valid(document, PAIN)
    return etree.fromstring(document)


def texts(root: etree._Element, path: str) -> list[str]:
    return [e.text for e in root.iterfind(path, N)]


def test_a_batch_of_one_instruction_is_valid_and_carries_every_field():
    root = batch(instruction(1, bic="INGBNL2A"))
    assert texts(root, ".//p:GrpHdr/p:MsgId") == ["STO-20261207-0001"]
    assert texts(root, ".//p:GrpHdr/p:CreDtTm") == ["2026-12-07T09:30:00+01:00"]
    assert texts(root, ".//p:GrpHdr/p:NbOfTxs") == ["1"]
    assert texts(root, ".//p:GrpHdr/p:CtrlSum") == ["125000.00"]
    assert texts(root, ".//p:PmtInf/p:PmtInfId") == ["STO-20261207-0001-20261210"]
    assert texts(root, ".//p:PmtInf/p:ReqdExctnDt/p:Dt") == ["2026-12-10"]
    assert texts(root, ".//p:PmtTpInf/p:SvcLvl/p:Cd") == ["SEPA"]
    assert texts(root, ".//p:DbtrAcct/p:Id/p:IBAN") == ["NL91ABNA0417164300"]
    assert texts(root, ".//p:DbtrAgt/p:FinInstnId/p:BICFI") == ["ABNANL2A"]
    assert texts(root, ".//p:ChrgBr") == ["SLEV"]
    assert texts(root, ".//p:PmtId/p:InstrId") == ["STO-R0001-2025-1"]
    assert texts(root, ".//p:PmtId/p:EndToEndId") == ["E2E-STO-R0001-2025-1"]
    assert texts(root, ".//p:InstdAmt") == ["125000.00"]
    assert [e.get("Ccy") for e in root.iterfind(".//p:InstdAmt", N)] == ["EUR"]
    assert texts(root, ".//p:CdtrAgt/p:FinInstnId/p:BICFI") == ["INGBNL2A"]
    assert texts(root, ".//p:Cdtr/p:Nm") == ["Stichting Sterk Techniekonderwijs Regio Delft"]
    assert texts(root, ".//p:CdtrAcct/p:Id/p:IBAN") == ["NL20INGB0001234567"]
    assert texts(root, ".//p:RmtInf/p:Ustrd") == ["Voorschot STO 2025-2028 termijn 1, subsidienummer STO25-0001"]


def test_many_instructions_over_three_days_make_one_block_per_day_with_its_counts_and_sums():
    days = [PAY_DAY, PAY_DAY + dt.timedelta(days=1), PAY_DAY + dt.timedelta(days=7)]
    many = [instruction(n, cents=1000 + n, day=days[n % 3]) for n in range(1, 301)]
    root = batch(*many)
    assert texts(root, ".//p:GrpHdr/p:NbOfTxs") == ["300"]
    total = sum(1000 + n for n in range(1, 301))
    assert texts(root, ".//p:GrpHdr/p:CtrlSum") == [f"{total // 100}.{total % 100:02d}"]
    assert texts(root, ".//p:PmtInf/p:ReqdExctnDt/p:Dt") == [d.isoformat() for d in days]
    for block, day in zip(root.iterfind(".//p:PmtInf", N), days):
        ours = [1000 + n for n in range(1, 301) if days[n % 3] == day]
        assert block.findtext("p:NbOfTxs", namespaces=N) == str(len(ours))
        assert block.findtext("p:CtrlSum", namespaces=N) == f"{sum(ours) // 100}.{sum(ours) % 100:02d}"


@pytest.mark.parametrize("cents, written", [(1, "0.01"), (999_999_999, "9999999.99"), (MAX_AMOUNT_CENTS, "999999999.99")])
def test_amounts_from_one_cent_to_the_sepa_maximum_are_written_with_two_decimals(cents, written):
    root = batch(instruction(cents=cents))
    assert texts(root, ".//p:InstdAmt") == [written]


@pytest.mark.parametrize("cents", [0, -1, MAX_AMOUNT_CENTS + 1, 12.5, True])
def test_an_amount_outside_the_sepa_range_or_not_in_whole_cents_is_refused(cents):
    with pytest.raises(InvalidInput, match="AT-04") as refused:
        instruction(cents=cents)
    assert refused.value.field == "amount_cents"


def test_names_of_seventy_characters_and_remittance_of_140_are_valid_one_more_is_refused():
    name, remittance = "N" * 70, "R" * 140
    root = batch(instruction(name=name, remittance=remittance))
    assert texts(root, ".//p:Cdtr/p:Nm") == [name]
    assert texts(root, ".//p:RmtInf/p:Ustrd") == [remittance]
    with pytest.raises(InvalidInput, match="at most 70") as refused:
        instruction(name="N" * 71)
    assert refused.value.field == "creditor_name"
    with pytest.raises(InvalidInput, match="at most 140"):
        instruction(remittance="R" * 141)


def test_diacritics_are_transliterated_to_the_sepa_latin_set():
    root = batch(instruction(name="Zoë Çelik-Ørsted & Søn, Groß-Köln ‘t Hoën"))
    assert texts(root, ".//p:Cdtr/p:Nm") == ["Zoe Celik-Orsted + Son, Gross-Koln 't Hoen"]


def test_a_character_without_latin_spelling_is_refused_not_dropped():
    with pytest.raises(InvalidInput, match="no spelling in the SEPA character set") as refused:
        instruction(remittance="Voorschot € 1000")
    assert refused.value.field == "remittance"


def test_a_transliteration_that_grows_past_the_limit_is_refused():
    with pytest.raises(InvalidInput, match="71 characters"):
        instruction(name="ß" + "N" * 69)


@pytest.mark.parametrize("bad", ["E2E 1", "/E2E-1", "E2E-1/", "E2E//1", "E2E-é", "E" * 36, ""])
def test_an_end_to_end_id_outside_the_epc_rules_for_identifiers_is_refused(bad):
    with pytest.raises(InvalidInput) as refused:
        dataclasses.replace(instruction(), end_to_end_id=bad)
    assert refused.value.field == "end_to_end_id"


def test_an_end_to_end_id_of_35_characters_is_valid():
    root = batch(dataclasses.replace(instruction(), end_to_end_id="E" * 35))
    assert texts(root, ".//p:EndToEndId") == ["E" * 35]


def test_a_message_id_of_26_characters_gives_a_payment_block_id_of_35():
    header = dataclasses.replace(HEADER, message_id="M" * 26)
    root = batch(instruction(), header=header)
    assert texts(root, ".//p:PmtInfId") == ["M" * 26 + "-20261210"]
    with pytest.raises(InvalidInput, match="at most 26"):
        dataclasses.replace(HEADER, message_id="M" * 27)


def test_a_creation_time_without_its_offset_is_refused():
    with pytest.raises(InvalidInput, match="UTC offset") as refused:
        dataclasses.replace(HEADER, created_at=dt.datetime(2026, 12, 7, 9, 30))
    assert refused.value.field == "created_at"


def test_a_debtor_without_bic_is_written_as_iban_only():
    header = dataclasses.replace(HEADER, debtor=DebtorAccount("DUS-I", "NL91ABNA0417164300"))
    root = batch(instruction(), header=header)
    assert texts(root, ".//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id") == ["NOTPROVIDED"]
    assert texts(root, ".//p:CdtrAgt") == []


def test_the_same_instructions_give_the_same_bytes_in_any_order():
    many = [instruction(n, cents=n * 101, day=PAY_DAY + dt.timedelta(days=n % 2)) for n in range(1, 51)]
    first = write_pain001(HEADER, many)
    shuffled = many[:]
    random.Random(7).shuffle(shuffled)
    assert write_pain001(HEADER, shuffled) == first
    assert write_pain001(HEADER, many) == first
    assert first.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Document')


def test_an_instalment_is_never_twice_in_one_batch():
    with pytest.raises(InvalidInput, match="appears twice") as refused:
        write_pain001(HEADER, [instruction(1), instruction(1)])
    assert refused.value.field == "instruction_id"
    twin = dataclasses.replace(instruction(2), end_to_end_id=instruction(1).end_to_end_id)
    with pytest.raises(InvalidInput, match="appears twice"):
        write_pain001(HEADER, [instruction(1), twin])


def test_an_empty_batch_is_refused():
    with pytest.raises(InvalidInput, match="at least one instruction"):
        write_pain001(HEADER, [])


def test_the_writer_checks_its_batch_against_the_xsd_by_default():
    document = write_pain001(HEADER, [instruction()])
    assert xsd.problems(document, PAIN) == []


@pytest.mark.parametrize("break_it, fault", [
    (lambda root: root.find(".//p:EndToEndId", N).getparent().remove(root.find(".//p:EndToEndId", N)), "EndToEndId"),
    (lambda root: setattr(root.find(".//p:InstdAmt", N), "text", "12.345678"), "InstdAmt"),
    (lambda root: setattr(root.find(".//p:CdtrAcct/p:Id/p:IBAN", N), "text", "nl20 ingb"), "IBAN"),
    (lambda root: setattr(root.find(".//p:ChrgBr", N), "text", "OURS"), "ChrgBr"),
])
def test_a_deliberately_broken_document_is_rejected_by_the_validator(break_it, fault):
    root = etree.fromstring(write_pain001(HEADER, [instruction()]))
    break_it(root)
    broken = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert list(official_errors(broken)), "the official schema accepted a broken batch"
    with pytest.raises(xsd.SchemaViolation) as rejected:
        xsd.check(broken, PAIN)
    assert any(fault in problem for problem in rejected.value.problems)


def official_errors(document: bytes):
    return official_schema(PAIN).iter_errors(io.BytesIO(document))


def test_a_debtor_account_is_checked_like_a_creditor_account():
    with pytest.raises(InvalidInput) as refused:
        DebtorAccount("DUS-I", "NL91ABNA0417164301")
    assert refused.value.field == "debtor_iban"
    assert DEBTOR.iban == "NL91ABNA0417164300"
