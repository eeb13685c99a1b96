"""Bank statements as a bank writes them, made with lxml for the camt.053 tests (camt.053.001.02 and .001.08)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lxml import etree

V02 = "camt.053.001.02"
V08 = "camt.053.001.08"


@dataclass
class Tx:
    """One transaction of an entry, with what a bank fills in when it knows it."""

    amount: str | None = None  # "12.34"; None: the entry's amount only
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    ustrd: list[str] = field(default_factory=list)
    creditor_reference: str | None = None
    debtor: tuple[str, str] | None = None  # (name, IBAN)
    creditor: tuple[str, str] | None = None
    return_reason: str | None = None
    code: tuple[str, str, str] | None = None


@dataclass
class Entry:
    amount: str
    direction: str  # CRDT or DBIT
    booked: dt.date
    valued: dt.date
    bank_reference: str | None = None
    code: tuple[str, str, str] = ("PMNT", "RCDT", "ESCT")
    txs: list[Tx] = field(default_factory=list)
    currency: str = "EUR"
    status: str = "BOOK"


def statement(version: str, entries: list[Entry], *, account: str = "NL91ABNA0417164300",
              statement_id: str = "STMT-2026-12-07", message_id: str = "MSG-2026-12-07-1") -> bytes:
    ns = f"urn:iso:std:iso:20022:tech:xsd:{version}"

    def sub(parent, tag, text=None, **attributes):
        element = etree.SubElement(parent, f"{{{ns}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    report = sub(root, "BkToCstmrStmt")
    header = sub(report, "GrpHdr")
    sub(header, "MsgId", message_id)
    sub(header, "CreDtTm", "2026-12-07T06:00:00+01:00")
    stmt = sub(report, "Stmt")
    sub(stmt, "Id", statement_id)
    sub(stmt, "CreDtTm", "2026-12-07T06:00:00+01:00")
    sub(sub(sub(stmt, "Acct"), "Id"), "IBAN", account)
    balance = sub(stmt, "Bal")
    sub(sub(sub(balance, "Tp"), "CdOrPrtry"), "Cd", "CLBD")
    sub(balance, "Amt", "1000000.00", Ccy="EUR")
    sub(balance, "CdtDbtInd", "CRDT")
    sub(sub(balance, "Dt"), "Dt", "2026-12-07")
    for entry in entries:
        _entry(sub, stmt, entry, version)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _entry(sub, stmt, entry: Entry, version: str) -> None:
    ntry = sub(stmt, "Ntry")
    sub(ntry, "Amt", entry.amount, Ccy=entry.currency)
    sub(ntry, "CdtDbtInd", entry.direction)
    if version == V02:
        sub(ntry, "Sts", entry.status)
    else:
        sub(sub(ntry, "Sts"), "Cd", entry.status)
    sub(sub(ntry, "BookgDt"), "Dt", entry.booked.isoformat())
    sub(sub(ntry, "ValDt"), "Dt", entry.valued.isoformat())
    if entry.bank_reference:
        sub(ntry, "AcctSvcrRef", entry.bank_reference)
    _code(sub, ntry, entry.code)
    if entry.txs:
        details = sub(ntry, "NtryDtls")
        for tx in entry.txs:
            _tx(sub, details, tx, entry.currency, version)


def _code(sub, parent, code: tuple[str, str, str]) -> None:
    domain = sub(sub(parent, "BkTxCd"), "Domn")
    sub(domain, "Cd", code[0])
    family = sub(domain, "Fmly")
    sub(family, "Cd", code[1])
    sub(family, "SubFmlyCd", code[2])


def _tx(sub, details, tx: Tx, currency: str, version: str) -> None:
    el = sub(details, "TxDtls")
    if tx.end_to_end_id or tx.bank_reference:
        refs = sub(el, "Refs")
        if tx.bank_reference:
            sub(refs, "AcctSvcrRef", tx.bank_reference)
        if tx.end_to_end_id:
            sub(refs, "EndToEndId", tx.end_to_end_id)
    if tx.amount and version == V08:
        sub(el, "Amt", tx.amount, Ccy=currency)
    elif tx.amount:
        sub(sub(sub(el, "AmtDtls"), "TxAmt"), "Amt", tx.amount, Ccy=currency)
    if tx.code:
        _code(sub, el, tx.code)
    if tx.debtor or tx.creditor:
        parties = sub(el, "RltdPties")
        for role, party in (("Dbtr", tx.debtor), ("Cdtr", tx.creditor)):
            if party:
                holder = sub(parties, role)
                sub(sub(holder, "Pty") if version == V08 else holder, "Nm", party[0])
                sub(sub(sub(parties, f"{role}Acct"), "Id"), "IBAN", party[1])
    if tx.ustrd or tx.creditor_reference:
        remittance = sub(el, "RmtInf")
        for line in tx.ustrd:
            sub(remittance, "Ustrd", line)
        if tx.creditor_reference:
            reference = sub(sub(remittance, "Strd"), "CdtrRefInf")
            sub(sub(sub(reference, "Tp"), "CdOrPrtry"), "Cd", "SCOR")
            sub(reference, "Ref", tx.creditor_reference)
    if tx.return_reason:
        sub(sub(sub(el, "RtrInf"), "Rsn"), "Cd", tx.return_reason)
