"""The advance schedule (bevoorschotting) as the scheme's data declares it, and the schedule a verlening sets.

Aanwijzingen voor subsidieverstrekking, aanwijzing 18: a subsidy determined after the activities is advanced
100 % (18 b); the advance is decided together with the verlening (18 c), "in termijnen waarvan de hoogte en de
tijdstippen in de subsidieregeling of verleningsbeschikking worden bepaald" (18 d); Awb 4:53: payment in parts
only as a rule or the verlening sets them. The STO rhythm was not found in the sources: the shipped data marks it
`confirmed = false`. The verlening records the schedule it set (AdvancesScheduled), so a later change of the data
never alters a besluit already taken.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal

from pydantic import Field, model_validator

from domain.regulation.source import LegalSource, _Frozen


class AdvancePart(_Frozen):
    """One part of a funded year's amount, due on a day of that year."""

    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=28)
    share: Decimal = Field(gt=0, le=1)


class AdvanceRule(_Frozen):
    """The scheme's default rhythm: each funded year's amount in parts; a part due before the verlening is
    paid within `first_within_days` of it."""

    parts: list[AdvancePart] = Field(min_length=1)
    first_within_days: int = Field(ge=0, le=60)
    source: LegalSource

    @model_validator(mode="after")
    def _whole(self) -> "AdvanceRule":
        if sum(p.share for p in self.parts) != Decimal(1):
            raise ValueError("the parts of a year's amount add up to 1 (a subsidy determined after the activities is "
                             "advanced 100 %: Aanwijzingen voor subsidieverstrekking, aanwijzing 18 b)")
        return self


class Instalment(_Frozen):
    number: int
    year: int
    due: dt.date
    amount_cents: int


def schedule(per_year: dict[int, int], decided_on: dt.date, rule: AdvanceRule, first_number: int = 1) -> list[Instalment]:
    """The instalments of `per_year` (a funded year -> cents): each year's parts, floored to the cent, the last part
    taking what rounding left; numbered in order of their due day from `first_number`."""
    found: list[tuple[dt.date, int, int]] = []
    soonest = decided_on + dt.timedelta(days=rule.first_within_days)
    for year, amount in sorted(per_year.items()):
        left = amount
        for index, part in enumerate(rule.parts):
            cents = left if index == len(rule.parts) - 1 else int((Decimal(amount) * part.share).to_integral_value(rounding=ROUND_FLOOR))
            left -= cents
            due = max(dt.date(year, part.month, part.day), soonest)
            if cents > 0:
                found.append((due, year, cents))
    found.sort()
    return [Instalment(number=first_number + i, year=year, due=due, amount_cents=cents)
            for i, (due, year, cents) in enumerate(found)]
