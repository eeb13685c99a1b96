"""Incoming bank statements, ISO 20022 camt.053 (bank-to-customer statement), read into entries.

Versions read: camt.053.001.02 (2009; what most banks still send) and camt.053.001.08 (2019), each checked
against its official XSD first (adapters/finance/xsd.py); another version is refused by name. The XML is read
by the hardened parser (no entities, no network).

One entry per transaction: a booked entry (`Ntry`) that carries several transactions (`NtryDtls/TxDtls`, a
batch) gives one entry each, with the transaction's own amount; an entry without details gives one. For each:
booking and value date, amount in cents, credit (money in) or debit (money out), the end-to-end id, the
remittance information (unstructured lines joined by a space, and the structured creditor reference
`Strd/CdtrRefInf/Ref`, where a payer quotes our claim number), the counterparty's name and IBAN, and the bank's
reference (`AcctSvcrRef`, the transaction's or else the entry's).

The counterparty is the other side of the money: the debtor of a credit, the creditor of a debit. A **returned
payment** is an entry the statement marks as such: return information (`RtrInf`, with its reason code, e.g.
AC04 account closed) or the bank transaction code PMNT/ICDT/RRTN (issued credit transfer, reversal due to a
return). Its end-to-end id is that of our original transfer (the return, pacs.004, carries the original
end-to-end id; the bank reports it as the entry's `EndToEndId`), and its counterparty is the original creditor.

Amounts are euro only (Awb 4:89 lid 1: a money debt to or from a bestuursorgaan is paid in euro): an entry in
another currency is refused. A statement that breaks these rules is refused with InvalidInput, as bad input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum

from lxml import etree

from adapters.finance import xsd
from domain.errors import InvalidInput

VERSIONS = {xsd.namespace(name): name for name in (xsd.CAMT_053_001_02, xsd.CAMT_053_001_08)}
RETURN_CODE = ("PMNT", "ICDT", "RRTN")
FIELD = "statement"


class Direction(Enum):
    CREDIT = "CRDT"  # money in
    DEBIT = "DBIT"  # money out


@dataclass(frozen=True)
class StatementEntry:
    booking_date: dt.date | None
    value_date: dt.date | None
    amount_cents: int
    direction: Direction
    status: str  # BOOK (booked), PDNG (pending) or INFO
    end_to_end_id: str | None
    remittance: str | None
    creditor_reference: str | None
    counterparty_name: str | None
    counterparty_iban: str | None
    bank_reference: str | None
    reversal: bool = False
    returned: bool = False
    return_reason: str | None = None


@dataclass(frozen=True)
class ReturnedPayment:
    """One of our transfers that came back: the original end-to-end id, why (ISO return reason code), how much."""

    original_end_to_end_id: str | None
    reason_code: str | None
    amount_cents: int
    booking_date: dt.date | None
    bank_reference: str | None


@dataclass(frozen=True)
class Statement:
    version: str
    message_id: str
    statement_id: str
    account_iban: str | None
    entries: tuple[StatementEntry, ...]

    @property
    def returned_payments(self) -> tuple[ReturnedPayment, ...]:
        return tuple(ReturnedPayment(e.end_to_end_id, e.return_reason, e.amount_cents, e.booking_date,
                                     e.bank_reference) for e in self.entries if e.returned)


def read_camt053(document: bytes, *, validate: bool = True) -> tuple[Statement, ...]:
    """Every statement (`Stmt`) in the document, its entries in the order the bank listed them."""
    try:
        root = xsd.parse(document)
    except etree.XMLSyntaxError as error:
        raise InvalidInput(f"the statement is not well-formed XML ({error})", field=FIELD,
                           hint="ask the bank for the file again; it was cut off or changed") from None
    version = VERSIONS.get(etree.QName(root).namespace or "")
    if version is None:
        raise InvalidInput(f"the statement's namespace {etree.QName(root).namespace!r} is none the engine reads",
                           field=FIELD, hint="ask the bank for camt.053.001.02 or camt.053.001.08")
    if validate:
        try:
            xsd.check(root, version)
        except xsd.SchemaViolation as error:
            raise InvalidInput(f"the statement does not conform to the {version} schema: "
                               + "; ".join(error.problems[:3]), field=FIELD,
                               hint="ask the bank for a statement that its own schema accepts") from None
    reader = _Reader(etree.QName(root).namespace)
    message_id = reader.text(root, "BkToCstmrStmt/GrpHdr/MsgId") or ""
    return tuple(Statement(version, message_id, reader.text(stmt, "Id") or "",
                           reader.text(stmt, "Acct/Id/IBAN"), tuple(reader.entries(stmt)))
                 for stmt in reader.all(root, "BkToCstmrStmt/Stmt"))


class _Reader:
    """Paths of both versions in one namespace; where .02 and .08 differ, both are tried."""

    def __init__(self, namespace: str):
        self.ns = {"c": namespace}

    def all(self, node: etree._Element, path: str) -> list[etree._Element]:
        return node.findall(self._path(path), self.ns)

    def one(self, node: etree._Element, *paths: str) -> etree._Element | None:
        for path in paths:
            found = node.find(self._path(path), self.ns)
            if found is not None:
                return found
        return None

    def text(self, node: etree._Element, *paths: str) -> str | None:
        found = self.one(node, *paths)
        return found.text.strip() if found is not None and found.text and found.text.strip() else None

    def entries(self, stmt: etree._Element):
        for entry in self.all(stmt, "Ntry"):
            details = self.all(entry, "NtryDtls/TxDtls")
            if len(details) > 1 and any(self.one(tx, "Amt", "AmtDtls/TxAmt/Amt") is None for tx in details):
                raise InvalidInput(f"entry {self.text(entry, 'AcctSvcrRef') or '(no reference)'} holds "
                                   f"{len(details)} transactions without their own amounts", field=FIELD,
                                   hint="ask the bank for statements with transaction details per payment")
            for tx in details or [None]:
                yield self.entry(entry, tx)

    def entry(self, entry: etree._Element, tx: etree._Element | None) -> StatementEntry:
        scope = tx if tx is not None else entry
        amount = self.one(tx, "Amt", "AmtDtls/TxAmt/Amt") if tx is not None else None
        if amount is None:
            amount = self.one(entry, "Amt")
        indicator = self.text(entry, "CdtDbtInd")
        if indicator not in ("CRDT", "DBIT"):
            raise InvalidInput(f"an entry's credit/debit indicator is {indicator!r}, not CRDT or DBIT", field=FIELD,
                               hint="ask the bank for the file again")
        direction = Direction(indicator)
        codes = tuple(self.text(scope, f"BkTxCd/Domn/{p}") or self.text(entry, f"BkTxCd/Domn/{p}")
                      for p in ("Cd", "Fmly/Cd", "Fmly/SubFmlyCd"))
        returned = self.one(scope, "RtrInf") is not None or codes == RETURN_CODE
        ustrd = [u.text.strip() for u in self.all(scope, "RmtInf/Ustrd") if u.text and u.text.strip()]
        side = "Cdtr" if returned or direction is Direction.DEBIT else "Dbtr"
        other = "Dbtr" if side == "Cdtr" else "Cdtr"
        return StatementEntry(
            booking_date=_date(self.text(entry, "BookgDt/Dt", "BookgDt/DtTm")),
            value_date=_date(self.text(entry, "ValDt/Dt", "ValDt/DtTm")),
            amount_cents=_cents(amount),
            direction=direction,
            status=self.text(entry, "Sts/Cd", "Sts") or "",
            end_to_end_id=_present(self.text(scope, "Refs/EndToEndId")),
            remittance=" ".join(ustrd) or None,
            creditor_reference=self.text(scope, "RmtInf/Strd/CdtrRefInf/Ref"),
            counterparty_name=self.text(scope, *(f"RltdPties/{p}/Pty/Nm" for p in (side, other)),
                                        *(f"RltdPties/{p}/Nm" for p in (side, other))),
            counterparty_iban=self.text(scope, f"RltdPties/{side}Acct/Id/IBAN", f"RltdPties/{other}Acct/Id/IBAN"),
            bank_reference=self.text(scope, "Refs/AcctSvcrRef") or self.text(entry, "AcctSvcrRef"),
            reversal=(self.text(entry, "RvslInd") or "false") in ("true", "1"),
            returned=returned,
            return_reason=self.text(scope, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry") if returned else None,
        )

    @staticmethod
    def _path(path: str) -> str:
        return "/".join(f"c:{step}" for step in path.split("/"))


def _present(end_to_end_id: str | None) -> str | None:
    """"NOTPROVIDED" is what a payer's bank writes when the payer gave no end-to-end id."""
    return None if end_to_end_id in (None, "NOTPROVIDED") else end_to_end_id


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def _cents(amount: etree._Element | None) -> int:
    currency = amount.get("Ccy") if amount is not None else None
    if currency != "EUR":
        raise InvalidInput(f"an entry is in {currency!r}, not in euro (Awb 4:89 lid 1: a money debt is paid in euro)",
                           field=FIELD, hint="book it by hand; the engine reconciles euro payments only")
    try:
        cents = Decimal(amount.text.strip()) * 100
    except (InvalidOperation, AttributeError):
        raise InvalidInput(f"an entry's amount {amount.text!r} is not a number", field=FIELD,
                           hint="ask the bank for the file again") from None
    if cents != cents.to_integral_value():
        raise InvalidInput(f"an entry's amount {amount.text} has more than two decimals", field=FIELD,
                           hint="ask the bank for the file again")
    return int(cents)
