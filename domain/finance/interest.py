"""Statutory interest on a money debt in default: Awb 4:98 with BW 6:119 lid 1 and 2 and 6:120 lid 1.

- Awb 4:97: the debtor is in default when it has not paid within the term; Awb 4:98 lid 1: the default brings
  the wettelijke rente "overeenkomstig de artikelen 119, eerste en tweede lid, en 120, eerste lid, van Boek 6".
- BW 6:119 lid 1: interest over the time in default. We count every day from `in_default_from` (the first day
  in default, the day after the term's last day) up to, not including, `paid_on` (Awb 4:89 lid 3: paid on the
  day the creditor's account is credited). Day count: actual days / 365, also in a leap year.
- BW 6:119 lid 2: "Telkens na afloop van een jaar wordt het bedrag waarover de wettelijke rente wordt berekend,
  vermeerderd met de over dat jaar verschuldigde rente": the year runs from the start of the default (a year
  from 29 February ends on 28 February); at each anniversary the year's interest, rounded to the cent, is
  added to the base. Within a year the interest is simple.
- BW 6:120 lid 1: a new rate applies to running interest from the day it comes into force, so a period is cut
  at every rate change (the dated table: domain/finance/statutory_rates.py).
- Rounding: half up to the cent, at each anniversary and once at the end.
- Awb 4:98 lid 2: interest under EUR 20 (EUR 10 when the bestuursorgaan owes it) is not due; a separate
  function, `interest_due_after_awb_4_98_minimum`, because the law applies it "bij enige of laatste betaling",
  to the amount owed at a payment, not to each period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum

from domain.errors import InvalidInput
from domain.finance.statutory_rates import LAW, RateTable, StatutoryRate, statutory_rates

DAYS_IN_YEAR = Decimal(365)


class Debtor(Enum):
    """Who owes the money, for the minimum of Awb 4:98 lid 2."""

    RECIPIENT = "recipient"  # the subsidy's recipient (a citizen, a school board, a region's penvoerder)
    BESTUURSORGAAN = "bestuursorgaan"  # the authority (DUS-I for the minister), e.g. on a late payment


@dataclass(frozen=True)
class InterestPeriod:
    """Days at one rate on one base: from `start` up to, not including, `end`."""

    start: dt.date
    end: dt.date
    base_cents: int
    rate: StatutoryRate
    interest: Decimal  # exact, in cents; rounded only when added to the base or at the end

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class StatutoryInterest:
    principal_cents: int
    in_default_from: dt.date
    paid_on: dt.date
    interest_cents: int
    periods: tuple[InterestPeriod, ...]
    unconfirmed: tuple[str, ...]  # why the amount rests on rates no decree's text confirmed; empty when none
    law: str = LAW

    @property
    def confirmed(self) -> bool:
        return not self.unconfirmed


def statutory_interest(principal_cents: int, in_default_from: dt.date, paid_on: dt.date,
                       table: RateTable | None = None) -> StatutoryInterest:
    """The wettelijke rente on `principal_cents` for the days in default, compounded yearly (module docstring)."""
    table = table or statutory_rates()
    if isinstance(principal_cents, bool) or not isinstance(principal_cents, int) or principal_cents < 0:
        raise InvalidInput(f"principal_cents {principal_cents!r} is not a whole number of cents of 0 or more",
                           field="principal_cents", hint="give the sum in default in euro cents")
    if paid_on < in_default_from:
        raise InvalidInput(f"paid_on {paid_on} lies before the default began ({in_default_from})", field="paid_on",
                           hint="a payment before the default bears no interest: give the first day in default")
    anniversaries = _anniversaries(in_default_from, paid_on)
    cuts = sorted({in_default_from, paid_on, *anniversaries, *table.changes_between(in_default_from, paid_on)})
    base, year, periods, added = principal_cents, Decimal(0), [], 0
    for start, end in zip(cuts, cuts[1:]):
        if start in anniversaries:
            gained = _cents(year)
            base, added, year = base + gained, added + gained, Decimal(0)
        rate = table.rate_on(start)
        interest = Decimal(base) * rate.percent / 100 * (end - start).days / DAYS_IN_YEAR
        periods.append(InterestPeriod(start, end, base, rate, interest))
        year += interest
    return StatutoryInterest(principal_cents, in_default_from, paid_on, added + _cents(year), tuple(periods),
                             _unconfirmed(periods, table, paid_on))


def interest_due_after_awb_4_98_minimum(interest_cents: int, debtor: Debtor, table: RateTable | None = None) -> int:
    """Awb 4:98 lid 2: "Wettelijke rente is niet verschuldigd indien het bedrag ervan bij enige of laatste betaling
    minder bedraagt dan € 20, dan wel, indien het bestuursorgaan de schuldenaar is, € 10." The interest owed at a
    payment: all of it, or nothing when it is under the minimum (EUR 20.00 itself is owed)."""
    minimum = (table or statutory_rates()).minimum
    least = minimum.bestuursorgaan_owes_cents if debtor is Debtor.BESTUURSORGAAN else minimum.recipient_owes_cents
    return 0 if interest_cents < least else interest_cents


def _anniversaries(start: dt.date, end: dt.date) -> set[dt.date]:
    """The days after `start` and before `end` on which a year of default has passed (BW 6:119 lid 2)."""
    found, years = set(), 1
    while (day := _years_after(start, years)) < end:
        found.add(day)
        years += 1
    return found


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the year ended with 28 February, the next begins on 1 March
        return dt.date(day.year + years, 3, 1)


def _cents(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _unconfirmed(periods: list[InterestPeriod], table: RateTable, paid_on: dt.date) -> tuple[str, ...]:
    why = [p.rate.why() for p in {p.rate: p for p in periods}.values() if not p.rate.confirmed]
    last_day = paid_on - dt.timedelta(days=1)
    if periods and last_day > table.checked_through:
        why.append(f"the rates were looked for through {table.checked_through:%d-%m-%Y}; the rate of "
                   f"{periods[-1].rate.effective_from:%d-%m-%Y} is carried on to {last_day:%d-%m-%Y}")
    return tuple(why)
