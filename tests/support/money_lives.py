"""Grant lives with money, written by the scripted grant (tests/support/scripted.py): approved (its instalments
scheduled), and paid out then determined lower than what was paid, so that a claim (vordering) follows; with the
region's 2025-2028 grant beside it to set the claim off against."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain import commands as c
from domain.ledger.totals import Totals, by_year, totals
from tests.support.scripted import PER_YEAR, GrantScript, at
from tests.support.scripted_2025 import NEW, PER_YEAR_2025, Script2025

TOTAL = sum(PER_YEAR.values())
NO_AMOUNTS = ("EUR", "€", "cents", "500.000", "500000", "450.000")  # what a calendar or a CloudEvent never holds


def approved(service: Any, index: int) -> GrantScript:
    grant = GrantScript(service, index=index)
    grant.to_approved()
    return grant


def claimed(service: Any, index: int) -> GrantScript:
    """Every advance of 2020-2023 paid (handed to the finance system), then the vaststelling of 3 March 2025 with
    half the co-financing: determined lower than paid, so a claim with its term of Awb 4:87 (14 April 2025)."""
    grant = approved(service, index)
    grant.pay_advances(dt.date(2023, 12, 31))
    grant.progress_report(1, at(2021, 10, 1))
    grant.progress_report(2, at(2023, 9, 1))
    grant.final_report(at(2025, 1, 15), PER_YEAR, cofinancing_cents=TOTAL * 5 // 100)
    grant.send(c.DetermineGrant, at(2025, 3, 3))
    return grant


def with_2025_grant(service: Any, index: int) -> Script2025:
    later = Script2025(service, index=index, per_year=dict(PER_YEAR_2025))
    later.to_approved_2025()
    return later


def sum_of_ledgers(ledgers: list[Any]) -> tuple[dict[str, int], dict[int, dict[str, int]]]:
    """The ledgers' totals added up, and their figures per budget year (domain/ledger/totals.py)."""
    whole = sum((totals(ledger) for ledger in ledgers), Totals()).as_dict()
    years: dict[int, dict[str, int]] = {}
    for ledger in ledgers:
        for year, figures in by_year(ledger).items():
            row = years.setdefault(year, dict.fromkeys(("committed_cents", "scheduled_cents", "instructed_cents", "paid_cents"), 0))
            for key in row:
                row[key] += getattr(figures, key)
    return whole, years


__all__ = ["NEW", "NO_AMOUNTS", "approved", "claimed", "sum_of_ledgers", "with_2025_grant"]
