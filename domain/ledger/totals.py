"""The figures of a ledger, as of any day: what was committed, scheduled, handed to the finance system, paid,
cancelled; what was claimed back, received, set off, and is still outstanding. The same figures per scheme and
budget year are sums of these."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from domain.ledger.aggregate import Ledger
from domain.timekeeping import local_date


@dataclass(frozen=True)
class Totals:
    committed_cents: int = 0
    scheduled_cents: int = 0  # instalments to pay, not cancelled (their amount after any set-off)
    instructed_cents: int = 0  # handed to the finance system, not yet confirmed paid
    paid_cents: int = 0  # confirmed by the bank statement
    set_off_in_cents: int = 0  # instalments paid by setting off another grant's claim
    cancelled_cents: int = 0
    claimed_cents: int = 0  # claims (vorderingen) established
    interest_cents: int = 0
    received_cents: int = 0  # repayments on claims
    claims_set_off_cents: int = 0  # claims settled by set-off against another grant
    outstanding_cents: int = 0  # claims: still to receive (lapsed ones excluded)
    lapsed_cents: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(**{k: v + getattr(other, k) for k, v in asdict(self).items()})


def totals(ledger: Ledger) -> Totals:
    lines = list(ledger.instalments.values())
    claims = list(ledger.claims.values())

    def of(*statuses: str) -> int:
        return sum(i.amount_cents for i in lines if i.status in statuses)

    return Totals(
        committed_cents=sum(ledger.committed.values()),
        scheduled_cents=sum(i.amount_cents for i in lines if i.status != "cancelled"),
        instructed_cents=of("instructed"),
        paid_cents=of("paid"),
        set_off_in_cents=sum(i.set_off_cents for i in lines),
        cancelled_cents=of("cancelled"),
        claimed_cents=sum(c.amount_cents for c in claims),
        interest_cents=sum(c.interest_cents for c in claims),
        received_cents=sum(c.received_cents for c in claims),
        claims_set_off_cents=sum(c.set_off_cents for c in claims),
        outstanding_cents=sum(c.outstanding_cents for c in claims),
        lapsed_cents=sum(max(0, c.amount_cents + c.interest_cents - c.received_cents - c.set_off_cents) for c in claims if c.lapsed),
    )


def as_of(events: Iterable[Any], day: dt.date) -> Ledger | None:
    """The ledger as it stood at the end of `day` (business time): its events that took effect by then, replayed.
    None when it did not exist yet."""
    ledger: Ledger | None = None
    for event in events:
        if local_date(event.effective_at) > day:
            continue  # taken effect later (a ledger's events run forward in business time; a grant's besluit may be
            # dated before the last payment run, so this passes over rather than stops)
        ledger = event.mutate(ledger) if ledger is not None or isinstance(event, Ledger.Opened) else None
    return ledger


@dataclass(frozen=True)
class YearFigures:
    """One budget year of one scheme: committed (verplichtingen), and the advances scheduled, handed over, paid."""

    committed_cents: int = 0
    scheduled_cents: int = 0
    instructed_cents: int = 0
    paid_cents: int = 0

    def __add__(self, other: "YearFigures") -> "YearFigures":
        return YearFigures(**{k: v + getattr(other, k) for k, v in asdict(self).items()})


def by_year(ledger: Ledger) -> dict[int, YearFigures]:
    years: dict[int, YearFigures] = {}
    for year, cents in ledger.committed.items():
        years[year] = years.get(year, YearFigures()) + YearFigures(committed_cents=cents)
    for line in ledger.instalments.values():
        if line.status == "cancelled":
            continue
        part = YearFigures(scheduled_cents=line.amount_cents,
                           instructed_cents=line.amount_cents if line.status == "instructed" else 0,
                           paid_cents=line.amount_cents if line.status == "paid" else 0)
        years[line.year] = years.get(line.year, YearFigures()) + part
    return years


def unsettled_advances(ledger: Ledger, day: dt.date, older_than_days: int = 365) -> int:
    """Advances paid (or handed over) more than a year before `day` on a grant not yet settled: the classic finding
    of an auditor of subsidies (Algemene Rekenkamer, Subsidiebeheer 1995: the age of advances)."""
    if ledger.settlement is not None:
        return 0
    return sum(i.amount_cents for i in ledger.instalments.values()
               if i.status in ("paid", "instructed") and (day - i.due).days > older_than_days)


@dataclass(frozen=True)
class ClaimAge:
    number: str
    grant_code: str
    outstanding_cents: int
    term_ends: dt.date
    days_past_term: int
    in_default: bool
    dwangbevel_due: bool


def open_claims(ledger: Ledger, day: dt.date) -> list[ClaimAge]:
    return [ClaimAge(c.number, ledger.grant_code, c.outstanding_cents, c.term_ends, max(0, (day - c.term_ends).days),
                     c.in_default_since is not None, c.dwangbevel_due_on is not None)
            for c in ledger.claims.values() if c.outstanding_cents > 0]
