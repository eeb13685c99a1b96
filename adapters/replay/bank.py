"""The replay's bank: the day's statement of DUS-I's paying account as a bank writes it, ISO 20022 camt.053.001.02.

The demo reads it through the real path (adapters/finance/statements.reconcile_statement: checked against the
official XSD, matched on end-to-end id and vorderingsnummer). Three kinds of line, as a Dutch bank reports them:

- our transfer booked (a debit, PMNT/ICDT/ESCT) with its end-to-end id;
- our transfer come back (a credit with return information, reason code AC04: account closed; PMNT/ICDT/RRTN), with
  the end-to-end id of the original;
- a repayment by a region (a credit, PMNT/RCDT/ESCT) quoting the vorderingsnummer and the subsidienummer, as the
  claim's letter asks, and the vorderingsnummer as the structured creditor reference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree

from domain.timekeeping import AMSTERDAM

VERSION = "camt.053.001.02"
NS = f"urn:iso:std:iso:20022:tech:xsd:{VERSION}"
DUSI_IBAN = "NL51RABO0532013000"  # the demo's paying account of DUS-I (a valid IBAN, not a real one)
DUSI_NAME = "DUS-I Ministerie van OCW"


@dataclass(frozen=True)
class Line:
    kind: str  # "debit" (our transfer booked), "returned" (it came back), "repayment" (a region paid a claim)
    amount_cents: int
    reference: str  # the end-to-end id (debit, returned) or the vorderingsnummer (repayment)
    party: str  # the region's penvoerder
    party_iban: str
    remittance: str = ""
    return_reason: str = "AC04"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def statement(day: dt.date, lines: list[Line], *, account: str = DUSI_IBAN) -> bytes:
    """The statement of `day` (one per day: its id is the day), every line booked that day."""
    created = dt.datetime(day.year, day.month, day.day, 18, tzinfo=AMSTERDAM).isoformat()
    root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    report = _sub(root, "BkToCstmrStmt")
    header = _sub(report, "GrpHdr")
    _sub(header, "MsgId", f"DEMO-{day.isoformat()}")
    _sub(header, "CreDtTm", created)
    stmt = _sub(report, "Stmt")
    _sub(stmt, "Id", f"STMT-{day.isoformat()}")
    _sub(stmt, "CreDtTm", created)
    _sub(_sub(_sub(stmt, "Acct"), "Id"), "IBAN", account)
    balance = _sub(stmt, "Bal")  # the schema wants a balance; the demo's is not kept
    _sub(_sub(_sub(balance, "Tp"), "CdOrPrtry"), "Cd", "CLBD")
    _sub(balance, "Amt", "0.00", Ccy="EUR")
    _sub(balance, "CdtDbtInd", "CRDT")
    _sub(_sub(balance, "Dt"), "Dt", day.isoformat())
    for n, line in enumerate(lines, start=1):
        _entry(stmt, day, line, f"BANK-{day.strftime('%Y%m%d')}-{n:04d}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _entry(stmt: etree._Element, day: dt.date, line: Line, bank_reference: str) -> None:
    debit = line.kind == "debit"
    code = {"debit": ("PMNT", "ICDT", "ESCT"), "returned": ("PMNT", "ICDT", "RRTN"), "repayment": ("PMNT", "RCDT", "ESCT")}[line.kind]
    entry = _sub(stmt, "Ntry")
    _sub(entry, "Amt", _amount(line.amount_cents), Ccy="EUR")
    _sub(entry, "CdtDbtInd", "DBIT" if debit else "CRDT")
    _sub(entry, "Sts", "BOOK")
    _sub(_sub(entry, "BookgDt"), "Dt", day.isoformat())
    _sub(_sub(entry, "ValDt"), "Dt", day.isoformat())
    _sub(entry, "AcctSvcrRef", bank_reference)
    _code(entry, code)
    tx = _sub(_sub(entry, "NtryDtls"), "TxDtls")
    refs = _sub(tx, "Refs")
    _sub(refs, "AcctSvcrRef", bank_reference)
    _sub(refs, "EndToEndId", "NOTPROVIDED" if line.kind == "repayment" else line.reference)
    _sub(_sub(_sub(tx, "AmtDtls"), "TxAmt"), "Amt", _amount(line.amount_cents), Ccy="EUR")
    _code(tx, code)
    parties = _sub(tx, "RltdPties")
    role = "Dbtr" if line.kind == "repayment" else "Cdtr"  # the region: who paid us, or whom we paid
    _sub(_sub(parties, role), "Nm", line.party[:70])
    _sub(_sub(_sub(parties, f"{role}Acct"), "Id"), "IBAN", line.party_iban)
    if line.remittance or line.kind == "repayment":
        remittance = _sub(tx, "RmtInf")
        if line.remittance:
            _sub(remittance, "Ustrd", line.remittance[:140])
        if line.kind == "repayment":
            reference = _sub(_sub(remittance, "Strd"), "CdtrRefInf")
            _sub(_sub(_sub(reference, "Tp"), "CdOrPrtry"), "Cd", "SCOR")
            _sub(reference, "Ref", line.reference)
    if line.kind == "returned":
        _sub(_sub(_sub(tx, "RtrInf"), "Rsn"), "Cd", line.return_reason)


def _code(parent: etree._Element, code: tuple[str, str, str]) -> None:
    domain = _sub(_sub(parent, "BkTxCd"), "Domn")
    _sub(domain, "Cd", code[0])
    family = _sub(domain, "Fmly")
    _sub(family, "Cd", code[1])
    _sub(family, "SubFmlyCd", code[2])
