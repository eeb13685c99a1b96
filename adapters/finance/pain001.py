"""A SEPA credit-transfer batch as ISO 20022 pain.001.001.09 (customer credit transfer initiation, 2019).

pain.001.001.09 is the version the EPC's SEPA rulebooks follow since 19 November 2023 (they are "based on the
2019 version of the ISO 20022 standard"); in it the BIC is `<BICFI>`, no longer `<BIC>`.

The batch:
- one group header (message id, creation time, number of transactions, control sum, initiating party = the
  debtor's name);
- one payment block (`PmtInf`) per requested execution date, in date order, with id "<message id>-YYYYMMDD",
  service level SEPA, charges SLEV, the debtor's name, IBAN and BIC (or "NOTPROVIDED": IBAN-only);
- in each block its transactions ordered by end-to-end id: instruction id, end-to-end id, the amount in euro
  with two decimals, the creditor's BIC when known, name and IBAN, one unstructured remittance line.
Names and remittance go out in the SEPA character set (adapters/finance/charset.py). The same header and
instructions give the same bytes, whatever their order: nothing here reads a clock or a random source.

Every batch is checked against the official XSD before it is returned (adapters/finance/xsd.py); an
instruction id or end-to-end id that appears twice is refused, so an instalment is never paid twice by one
batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import groupby

from lxml import etree

from adapters.finance import xsd
from adapters.finance.charset import sepa_text
from adapters.finance.instructions import BatchHeader, PaymentInstruction, batch_order, euro

NS = xsd.namespace(xsd.PAIN_001_001_09)
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'  # double quotes: some bank portals read no other


def write_pain001(header: BatchHeader, instructions: Iterable[PaymentInstruction], *, validate: bool = True) -> bytes:
    """The batch as UTF-8 XML bytes, valid against pain.001.001.09 (checked unless `validate` is False)."""
    ordered = batch_order(instructions)
    root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    initiation = _sub(root, "CstmrCdtTrfInitn")
    group = _sub(initiation, "GrpHdr")
    _sub(group, "MsgId", header.message_id)
    _sub(group, "CreDtTm", header.created_at.isoformat(timespec="seconds"))
    _sub(group, "NbOfTxs", str(len(ordered)))
    _sub(group, "CtrlSum", euro(sum(i.amount_cents for i in ordered)))
    _sub(_sub(group, "InitgPty"), "Nm", sepa_text(header.debtor.name, field="debtor_name"))
    for day, block in groupby(ordered, key=lambda i: i.execution_date):
        _payment_block(initiation, header, day, list(block))
    document = XML_DECLARATION + etree.tostring(root, xml_declaration=False, encoding="UTF-8", pretty_print=True)
    if validate:
        xsd.check(document, xsd.PAIN_001_001_09)
    return document


def _payment_block(parent: etree._Element, header: BatchHeader, day: dt.date, block: list[PaymentInstruction]) -> None:
    info = _sub(parent, "PmtInf")
    _sub(info, "PmtInfId", f"{header.message_id}-{day:%Y%m%d}")
    _sub(info, "PmtMtd", "TRF")
    _sub(info, "NbOfTxs", str(len(block)))
    _sub(info, "CtrlSum", euro(sum(i.amount_cents for i in block)))
    _sub(_sub(_sub(info, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
    _sub(_sub(info, "ReqdExctnDt"), "Dt", day.isoformat())
    _sub(_sub(info, "Dbtr"), "Nm", sepa_text(header.debtor.name, field="debtor_name"))
    _account(info, "DbtrAcct", header.debtor.iban)
    _agent(info, "DbtrAgt", header.debtor.bic)
    _sub(info, "ChrgBr", "SLEV")
    for instruction in block:
        _transaction(info, instruction)


def _transaction(parent: etree._Element, instruction: PaymentInstruction) -> None:
    tx = _sub(parent, "CdtTrfTxInf")
    ids = _sub(tx, "PmtId")
    _sub(ids, "InstrId", instruction.instruction_id)
    _sub(ids, "EndToEndId", instruction.end_to_end_id)
    _sub(_sub(tx, "Amt"), "InstdAmt", euro(instruction.amount_cents), Ccy="EUR")
    if instruction.creditor_bic:
        _agent(tx, "CdtrAgt", instruction.creditor_bic)
    _sub(_sub(tx, "Cdtr"), "Nm", sepa_text(instruction.creditor_name, field="creditor_name"))
    _account(tx, "CdtrAcct", instruction.creditor_iban)
    _sub(_sub(tx, "RmtInf"), "Ustrd", sepa_text(instruction.remittance, field="remittance"))


def _account(parent: etree._Element, tag: str, iban: str) -> None:
    _sub(_sub(_sub(parent, tag), "Id"), "IBAN", iban)


def _agent(parent: etree._Element, tag: str, bic: str | None) -> None:
    institution = _sub(_sub(parent, tag), "FinInstnId")
    if bic:
        _sub(institution, "BICFI", bic)
    else:
        _sub(_sub(institution, "Othr"), "Id", "NOTPROVIDED")


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element

