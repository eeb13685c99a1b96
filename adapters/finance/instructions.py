"""What goes to the finance system: payment instructions and the header of the batch that carries them.

Each value is checked when it is made, so a batch that is written never fails on one instruction halfway:
- identifiers (instruction id, end-to-end id, message id): the EPC's rules for SEPA identifiers, at most 35
  characters (adapters/finance/charset.py); the message id at most 26, because each payment block's id is the
  message id plus "-YYYYMMDD" (its execution date) and must stay within 35;
- amounts: integer euro cents, 1 cent to EUR 999,999,999.99 (EPC SCT rulebook, AT-04: "the amount of the
  credit transfer in euro", at most 999999999.99);
- names: at most 70 characters once in the SEPA character set (EPC implementation guidelines: "Name is
  limited to 70 characters in length"); remittance information: one unstructured line of at most 140
  (the guidelines allow one occurrence of Ustrd);
- IBANs (format and check digits, no elfproef) and BICs: adapters/finance/iban.py;
- the creation time carries its UTC offset: it is passed in, never read from a clock here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from adapters.finance.charset import check_identifier, sepa_text
from adapters.finance.iban import check_bic, check_iban
from domain.errors import InvalidInput

MAX_AMOUNT_CENTS = 99_999_999_999  # EUR 999,999,999.99
MAX_NAME = 70
MAX_REMITTANCE = 140
MAX_MESSAGE_ID = 26
AMOUNT_RULE = "EPC SEPA Credit Transfer rulebook, AT-04: from EUR 0.01 to EUR 999,999,999.99"


@dataclass(frozen=True)
class PaymentInstruction:
    """One credit transfer: our stable reference, the end-to-end id that comes back on the bank statement,
    the amount in cents, the creditor, the remittance text and the day it is to be executed."""

    instruction_id: str
    end_to_end_id: str
    amount_cents: int
    creditor_name: str
    creditor_iban: str
    remittance: str
    execution_date: dt.date
    creditor_bic: str | None = None

    def __post_init__(self) -> None:
        check_identifier(self.instruction_id, field="instruction_id")
        check_identifier(self.end_to_end_id, field="end_to_end_id")
        _check_amount(self.amount_cents)
        _check_text(self.creditor_name, field="creditor_name", max_length=MAX_NAME)
        _check_text(self.remittance, field="remittance", max_length=MAX_REMITTANCE)
        if not isinstance(self.execution_date, dt.date) or isinstance(self.execution_date, dt.datetime):
            raise InvalidInput(f"execution_date {self.execution_date!r} is not a date", field="execution_date",
                               hint="give the day the bank is to execute the transfer (YYYY-MM-DD)")
        object.__setattr__(self, "creditor_iban", check_iban(self.creditor_iban, field="creditor_iban"))
        if self.creditor_bic is not None:
            object.__setattr__(self, "creditor_bic", check_bic(self.creditor_bic, field="creditor_bic"))


@dataclass(frozen=True)
class DebtorAccount:
    """The paying account: DUS-I's (or the ministry's) name, IBAN and, when the bank asks for it, BIC."""

    name: str
    iban: str
    bic: str | None = None

    def __post_init__(self) -> None:
        _check_text(self.name, field="debtor_name", max_length=MAX_NAME)
        object.__setattr__(self, "iban", check_iban(self.iban, field="debtor_iban"))
        if self.bic is not None:
            object.__setattr__(self, "bic", check_bic(self.bic, field="debtor_bic"))


@dataclass(frozen=True)
class BatchHeader:
    """The batch as a whole: its message id (unique per batch sent), when it was made, and who pays."""

    message_id: str
    created_at: dt.datetime
    debtor: DebtorAccount

    def __post_init__(self) -> None:
        check_identifier(self.message_id, field="message_id", max_length=MAX_MESSAGE_ID)
        if not isinstance(self.created_at, dt.datetime) or self.created_at.utcoffset() is None:
            raise InvalidInput(f"created_at {self.created_at!r} has no UTC offset", field="created_at",
                               hint="pass the business clock's time with its offset (e.g. 2026-12-07T09:00:00+01:00)")


def euro(cents: int) -> str:
    """1234 -> "12.34": an amount as the files write it (euro, two decimals, a dot, no thousands separator)."""
    return f"{cents // 100}.{cents % 100:02d}"


def batch_order(instructions: Iterable[PaymentInstruction]) -> list[PaymentInstruction]:
    """The instructions in the order every file of one batch lists them (execution date, end-to-end id), so the
    same instructions give the same file whatever order they came in. Refused: an empty batch, and an
    instruction id or end-to-end id that appears twice (an instalment is paid once)."""
    ordered = sorted(instructions, key=lambda i: (i.execution_date, i.end_to_end_id, i.instruction_id))
    if not ordered:
        raise InvalidInput("a payment batch needs at least one instruction", field="instructions",
                           hint="write no batch when nothing is due")
    for field in ("instruction_id", "end_to_end_id"):
        seen: set[str] = set()
        for instruction in ordered:
            value = getattr(instruction, field)
            if value in seen:
                raise InvalidInput(f"{field} {value!r} appears twice in one batch; each instalment is paid once",
                                   field=field, hint="leave the second instruction out of the batch")
            seen.add(value)
    return ordered


def _check_amount(cents: int) -> None:
    if isinstance(cents, bool) or not isinstance(cents, int) or not 1 <= cents <= MAX_AMOUNT_CENTS:
        raise InvalidInput(f"amount_cents {cents!r} is not a whole number of cents from 1 to {MAX_AMOUNT_CENTS} "
                           f"({AMOUNT_RULE})", field="amount_cents",
                           hint="give the amount in euro cents as a whole number (EUR 12.34 is 1234)")


def _check_text(value: str, *, field: str, max_length: int) -> None:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} is not text", field=field, hint="give it as text")
    text = sepa_text(value, field=field)
    if not text:
        raise InvalidInput(f"{field} is empty", field=field, hint="fill it in")
    if len(text) > max_length:
        raise InvalidInput(
            f"{field} is {len(text)} characters long in the SEPA character set; at most {max_length} are allowed "
            "(EPC SEPA Credit Transfer Implementation Guidelines)",
            field=field,
            hint=f"shorten it to {max_length} characters (an accent-free spelling counts: ß is ss)",
        )
