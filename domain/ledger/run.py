"""The payment run: every released instalment that is due goes to the finance system in exactly one batch.

The payment book (one aggregate for the installation) queues an instalment when its second release is recorded, in
the same transaction; a run takes what is due from the queue, makes one PaymentBatch of it and marks each instalment
instructed on its ledger, all in one transaction: two runs at once conflict on the book and the second finds nothing
left, and a run that dies leaves either all of it or none. Events stored under `domain.ledger.run:<Class>.<Event>`:
never move this module.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from eventsourcing.domain import Aggregate

from domain.ledger.aggregate import Ledger

BOOK_ID = uuid.UUID("5c2e8a41-9d3b-4f6e-a7c1-3b8d2e6f9a14")
BATCH_NAMESPACE = uuid.UUID("e4a9c2d7-1b6f-4e3a-8c5d-9f2b7a1e6c38")


def batch_id(number: int) -> uuid.UUID:
    return uuid.uuid5(BATCH_NAMESPACE, str(number))


class PaymentBook(Aggregate):
    """The queue of released instalments and the count of batches."""

    class Opened(Aggregate.Created):
        pass

    class Queued(Aggregate.Event):
        ledger: uuid.UUID
        grant_code: str
        number: int
        due: dt.date

        def apply(self, book: "PaymentBook") -> None:
            book.queue[f"{self.ledger}:{self.number}"] = {"ledger": self.ledger, "grant_code": self.grant_code,
                                                          "number": self.number, "due": self.due}

    class Dropped(Aggregate.Event):
        """Queued instalments that will not be paid (cancelled since, or returned)."""

        keys: list[str]
        why: str

        def apply(self, book: "PaymentBook") -> None:
            for key in self.keys:
                book.queue.pop(key, None)

    class ClaimOpened(Aggregate.Event):
        """A claim (vordering) the daily run watches, by its number (the key a repayment is matched on)."""

        number: str
        ledger: uuid.UUID

        def apply(self, book: "PaymentBook") -> None:
            book.claims[self.number] = self.ledger

    class BatchCreated(Aggregate.Event):
        batch: int
        keys: list[str]

        def apply(self, book: "PaymentBook") -> None:
            book.batches = self.batch
            for key in self.keys:
                book.queue.pop(key, None)

    def __init__(self) -> None:
        self.queue: dict[str, dict[str, Any]] = {}
        self.batches = 0
        self.claims: dict[str, uuid.UUID] = {}

    @classmethod
    def open(cls) -> "PaymentBook":
        return cls._create(cls.Opened, id=BOOK_ID)

    def due(self, day: dt.date) -> list[dict[str, Any]]:
        return sorted((q for q in self.queue.values() if q["due"] <= day), key=lambda q: (q["due"], q["grant_code"], q["number"]))


class PaymentBatch(Aggregate):
    """One batch of payment instructions as handed to the finance system; what the files are made from, ever."""

    class Created(Aggregate.Created):
        number: int
        execution_date: dt.date
        instructions: list[dict[str, Any]]
        created_by: str
        effective_at: dt.datetime

    class HandedOver(Aggregate.Event):
        """The batch's file was written for the finance system (every export of bank data is logged)."""

        format: str
        filename: str
        sha256: str

        def apply(self, batch: "PaymentBatch") -> None:
            batch.files[self.format] = {"filename": self.filename, "sha256": self.sha256}

    def __init__(self, number: int, execution_date: dt.date, instructions: list[dict[str, Any]], created_by: str,
                 effective_at: dt.datetime):
        self.number = number
        self.execution_date = execution_date
        self.instructions = instructions
        self.created_by = created_by
        self.effective_at = effective_at
        self.files: dict[str, dict[str, str]] = {}

    @classmethod
    def create(cls, number: int, execution_date: dt.date, instructions: list[dict[str, Any]], created_by: str,
               effective_at: dt.datetime) -> "PaymentBatch":
        return cls._create(cls.Created, id=batch_id(number), number=number, execution_date=execution_date,
                           instructions=instructions, created_by=created_by, effective_at=effective_at)

    @property
    def total_cents(self) -> int:
        return sum(int(i["amount_cents"]) for i in self.instructions)


@dataclass(frozen=True)
class Skipped:
    grant_code: str
    number: int
    why: str


def payable(ledger: Ledger, number: int, day: dt.date) -> str | None:
    """None when the queued instalment is paid in a run on `day`; else why it waits (or is dropped)."""
    line = ledger.instalments.get(number)
    if line is None or line.status != "released":
        return f"dropped: {line.status if line else 'unknown'}"
    if ledger.suspended_on(day):
        return f"waits: payments suspended since {ledger.suspension['notice_on'].isoformat()} (Awb 4:56)"
    account = ledger.account
    if account is None or account.get("confirmed_by") is None:
        return "waits: no confirmed account to pay on"
    return None


def instruction(ledger: Ledger, number: int) -> dict[str, Any]:
    line = ledger.instalments[number]
    assert ledger.account is not None
    what = "nabetaling" if line.final else f"voorschot termijn {line.number}"
    return {
        "grant_code": ledger.grant_code, "scheme": ledger.scheme, "ledger": str(ledger.id), "number": line.number,
        "instruction_id": line.end_to_end_id, "end_to_end_id": line.end_to_end_id, "amount_cents": line.amount_cents,
        "creditor_name": ledger.account["holder"], "creditor_iban": ledger.account["iban"],
        "remittance": f"Subsidie {ledger.scheme or 'sto'} {ledger.grant_code} {what}"[:140],
    }
