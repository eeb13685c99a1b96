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
