"""One grant's money ledger: an aggregate of its own, saved in the same transaction as the grant event or the payment
run that moves it. Its events are stored under `domain.ledger.aggregate:Ledger.<Event>`: never move this module.

Every event carries who, when (business time), why and the legal basis, like the grant's; the store adds when it was
recorded. Amounts are euro cents.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.domain import Aggregate

from domain.timekeeping import local_date

LEDGER_NAMESPACE = uuid.UUID("7d1c2b9e-4f3a-4c6d-8e2b-1a5f9c3d7e60")
FOUR_56_WEEKS = 13  # Awb 4:56: suspended until the decision is made known, at most 13 weeks


def ledger_id(grant_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(LEDGER_NAMESPACE, str(grant_id))


def scheme_tag(scheme: str | None) -> str:
    """A region may hold a grant in two schemes: the scheme's first year tells its references apart."""
    years = re.findall(r"\d{4}", scheme or "")
    return years[0] if years else "2020"  # a grant recorded before schemes is one of STO 2020-2024


def end_to_end_id(grant_code: str, scheme: str | None, number: int) -> str:
    """The instalment's stable reference on every statement: at most 35 characters of the SEPA set."""
    return f"{grant_code}-{scheme_tag(scheme)}-T{number:03d}"[:35]


@dataclass
class InstalmentLine:
    number: int
    year: int
    due: dt.date
    amount_cents: int
    besluit: int
    status: str = "scheduled"  # scheduled, released, instructed, paid, returned, cancelled
    releasers: list[str] = field(default_factory=list)
    batch: int | None = None
    end_to_end_id: str = ""
    paid_on: dt.date | None = None
    final: bool = False  # the final payment after the vaststelling (nabetaling)
    set_off_cents: int = 0  # paid by setting a claim of another grant off against it (Awb 4:57 lid 3)


@dataclass
class ClaimLine:
    """A vordering (Awb title 4.4): its amount, the term of 4:87, and what happened since."""

    number: str
    amount_cents: int
    established_on: dt.date
    term_ends: dt.date
    basis: str
    received_cents: int = 0
    set_off_cents: int = 0
    in_default_since: dt.date | None = None
    aanmaning_sent_on: dt.date | None = None
    aanmaning_term_ends: dt.date | None = None
    interest_cents: int = 0
    dwangbevel_due_on: dt.date | None = None
    lapses_on: dt.date | None = None  # Awb 4:104: five years after the payment term, restarted by an aanmaning
    lapsed: bool = False

    @property
    def outstanding_cents(self) -> int:
        if self.lapsed:
            return 0
        return max(0, self.amount_cents + self.interest_cents - self.received_cents - self.set_off_cents)

    @property
    def principal_outstanding_cents(self) -> int:
        return max(0, self.amount_cents - self.received_cents - self.set_off_cents)


class Ledger(Aggregate):
    """The money of one grant."""

    class Event(Aggregate.Event):
        actor: str
        reason: str
        legal_basis: str
        effective_at: dt.datetime
        command: str | None  # the id and fingerprint of the command that caused it ("<id>:<fingerprint>"); None: the engine's

        @property
        def effective_on(self) -> dt.date:
            return local_date(self.effective_at)

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            aggregate.__dict__["last_effective_at"] = self.effective_at  # a ledger's history runs forward in business time
            if self.command:
                command_id, _, fingerprint = self.command.partition(":")
                aggregate.__dict__.setdefault("commands", {})[command_id] = fingerprint
            return aggregate

    class Opened(Aggregate.Created):
        grant_code: str
        scheme: str | None
        grant_id: uuid.UUID

    class CommitmentRecorded(Event):
        """A verplichting per budget year, made by a besluit that grants money."""

        besluit: int
        per_year: dict[str, int]

        def apply(self, ledger: "Ledger") -> None:
            for year, cents in self.per_year.items():
                ledger.committed[int(year)] = ledger.committed.get(int(year), 0) + int(cents)

    class InstalmentScheduled(Event):
        number: int
        year: int
        due: dt.date
        amount_cents: int
        besluit: int
        final: bool

        def apply(self, ledger: "Ledger") -> None:
            ledger.instalments[self.number] = InstalmentLine(
                number=self.number, year=self.year, due=self.due, amount_cents=self.amount_cents, besluit=self.besluit,
                end_to_end_id=end_to_end_id(ledger.grant_code, ledger.scheme, self.number), final=self.final)

    class InstalmentReleased(Event):
        """One of the two releases an instalment needs (by two different people with a payment volmacht)."""

        number: int
        mandate: str

        def apply(self, ledger: "Ledger") -> None:
            line = ledger.instalments[self.number]
            line.releasers.append(self.actor)
            if len(line.releasers) >= 2:
                line.status = "released"

    class InstalmentInstructed(Event):
        """Handed to the finance system in payment batch `batch`, to be executed on `execution_date`."""

        number: int
        batch: int
        execution_date: dt.date

        def apply(self, ledger: "Ledger") -> None:
            line = ledger.instalments[self.number]
            line.status, line.batch = "instructed", self.batch

    class InstalmentPaid(Event):
        number: int
        booked_on: dt.date
        bank_reference: str

        def apply(self, ledger: "Ledger") -> None:
            line = ledger.instalments[self.number]
            line.status, line.paid_on = "paid", self.booked_on

    class InstalmentReturned(Event):
        """The bank returned or rejected the transfer: it waits to be released again (to a checked account)."""

        number: int
        booked_on: dt.date
        return_reason: str

        def apply(self, ledger: "Ledger") -> None:
            line = ledger.instalments[self.number]
            line.status, line.releasers, line.batch = "returned", [], None

    class InstalmentsCancelled(Event):
        numbers: list[int]

        def apply(self, ledger: "Ledger") -> None:
            for number in self.numbers:
                ledger.instalments[number].status = "cancelled"

    class InstalmentLowered(Event):
        """A lowering of the verlening (Awb 4:48) took this much off an instalment not yet handed over."""

        number: int
        amount_cents: int  # its new amount

        def apply(self, ledger: "Ledger") -> None:
            ledger.instalments[self.number].amount_cents = self.amount_cents

    class PaymentAccountRecorded(Event):
        iban: str
        holder: str

        def apply(self, ledger: "Ledger") -> None:
            ledger.account = {"iban": self.iban, "holder": self.holder, "recorded_by": self.actor, "confirmed_by": None}

    class PaymentAccountConfirmed(Event):
        def apply(self, ledger: "Ledger") -> None:
            assert ledger.account is not None
            ledger.account = {**ledger.account, "confirmed_by": self.actor}

    class PaymentsSuspended(Event):
        """Awb 4:56: from the written notice of a serious suspicion, until the decision or at most 13 weeks."""

        notice_on: dt.date
        ends_at_latest: dt.date

        def apply(self, ledger: "Ledger") -> None:
            ledger.suspension = {"notice_on": self.notice_on, "ends_at_latest": self.ends_at_latest}

    class PaymentsResumed(Event):
        def apply(self, ledger: "Ledger") -> None:
            ledger.suspension = None

    class SettlementDetermined(Event):
        """After the vaststelling: determined less what was paid (Awb 4:95 lid 4) gives a final payment or a claim."""

        besluit: int
        determined_cents: int
        paid_cents: int

        def apply(self, ledger: "Ledger") -> None:
            ledger.settlement = {"besluit": self.besluit, "determined_cents": self.determined_cents,
                                 "paid_cents": self.paid_cents, "on": self.effective_on}

    class ClaimEstablished(Event):
        number: str
        amount_cents: int
        term_ends: dt.date

        def apply(self, ledger: "Ledger") -> None:
            ledger.claims[self.number] = ClaimLine(number=self.number, amount_cents=self.amount_cents,
                                                   established_on=self.effective_on, term_ends=self.term_ends,
                                                   basis=self.legal_basis,
                                                   lapses_on=_years_after(self.term_ends, 5))

    class ClaimInDefault(Event):
        number: str
        since: dt.date

        def apply(self, ledger: "Ledger") -> None:
            ledger.claims[self.number].in_default_since = self.since

    class AanmaningSent(Event):
        number: str
        sent_on: dt.date
        term_ends: dt.date

        def apply(self, ledger: "Ledger") -> None:
            claim = ledger.claims[self.number]
            claim.aanmaning_sent_on, claim.aanmaning_term_ends = self.sent_on, self.term_ends
            claim.lapses_on = _years_after(self.sent_on, 5)  # Awb 4:106, 4:110: a new period starts

    class InterestSet(Event):
        number: str
        interest_cents: int
        until: dt.date

        def apply(self, ledger: "Ledger") -> None:
            ledger.claims[self.number].interest_cents = self.interest_cents

    class DwangbevelDue(Event):
        number: str

        def apply(self, ledger: "Ledger") -> None:
            ledger.claims[self.number].dwangbevel_due_on = self.effective_on

    class ClaimLapsed(Event):
        """Awb 4:104: five years after the payment term (or the last aanmaning) the claim can no longer be collected."""

        number: str

        def apply(self, ledger: "Ledger") -> None:
            ledger.claims[self.number].lapsed = True

    class RepaymentReceived(Event):
        number: str
        amount_cents: int
        booked_on: dt.date
        bank_reference: str

        def apply(self, ledger: "Ledger") -> None:
            ledger.claims[self.number].received_cents += self.amount_cents
            ledger.receipts.append(self.bank_reference)

    class ClaimSetOff(Event):
        """Set off by besluit against another grant's advances (Awb 4:57 lid 3, 4:93)."""

        number: str
        amount_cents: int
        against: str  # the other grant and instalment

        def apply(self, ledger: "Ledger") -> None:
            ledger.claims[self.number].set_off_cents += self.amount_cents

    class InstalmentSetOff(Event):
        """This instalment (partly) paid by setting a claim of another grant off against it."""

        number: int
        amount_cents: int
        claim: str

        def apply(self, ledger: "Ledger") -> None:
            line = ledger.instalments[self.number]
            line.amount_cents -= self.amount_cents
            line.set_off_cents += self.amount_cents
            if line.amount_cents == 0:
                line.status = "paid"

    def __init__(self, grant_code: str, scheme: str | None, grant_id: uuid.UUID):
        self.grant_code = grant_code
        self.scheme = scheme
        self.grant_id = grant_id
        self.committed: dict[int, int] = {}
        self.instalments: dict[int, InstalmentLine] = {}
        self.account: dict[str, Any] | None = None
        self.suspension: dict[str, Any] | None = None
        self.settlement: dict[str, Any] | None = None
        self.claims: dict[str, ClaimLine] = {}
        self.receipts: list[str] = []  # bank references of repayments recorded (a statement read twice adds nothing)

    @classmethod
    def open(cls, grant_id: uuid.UUID, grant_code: str, scheme: str | None, actor: str, reason: str,
             effective_at: dt.datetime, command: str | None = None) -> "Ledger":
        return cls._create(cls.Opened, id=ledger_id(grant_id), grant_code=grant_code, scheme=scheme, grant_id=grant_id,
                           actor=actor, reason=reason, effective_at=effective_at, command=command,
                           legal_basis="Aanwijzingen voor subsidieverstrekking, aanwijzing 18 (de bevoorschotting gaat met de verlening)")

    # --- what the ledger says ------------------------------------------------------------------------------------

    def paid_cents(self) -> int:
        """What left for the region: paid, or instructed and on its way (advances, final payments), and what was paid
        by setting a claim of another grant off against an instalment (Awb 4:57 lid 3: it reached the region too)."""
        return sum(i.amount_cents for i in self.instalments.values() if i.status in ("paid", "instructed")) + \
            sum(i.set_off_cents for i in self.instalments.values())

    def suspended_on(self, day: dt.date) -> bool:
        return self.suspension is not None and day < self.suspension["ends_at_latest"]

    def next_number(self) -> int:
        return max(self.instalments, default=0) + 1


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
