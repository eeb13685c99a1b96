"""The dated table of the wettelijke rente for niet-handelstransacties (BW 6:119, rate set under BW 6:120 lid 1).

The rates are data (`domain/regulation/data/finance/statutory_interest.toml`), each with its decree and whether
that decree's text confirmed it; the file's header says what was looked for and what was not found. A rate runs
from its day until the next one's (BW 6:120 lid 1: running interest follows a new rate from the day it is in
force). Read once, at import, like the other data of the regulation.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

RATES_FILE = Path(__file__).parents[1] / "regulation" / "data" / "finance" / "statutory_interest.toml"
LAW = "BW 6:119 lid 1 en 2, 6:120 lid 1 (via Awb 4:98 lid 1)"


@dataclass(frozen=True)
class StatutoryRate:
    effective_from: dt.date
    percent: Decimal
    source: str
    confirmed: bool

    def why(self) -> str:
        unconfirmed = "; unconfirmed: the decree's text was not at hand" if not self.confirmed else ""
        return f"{self.percent} % per jaar vanaf {self.effective_from:%d-%m-%Y} ({self.source}{unconfirmed})"


@dataclass(frozen=True)
class AwbMinimum:
    """Awb 4:98 lid 2: the least interest that is owed, by who owes it."""

    recipient_owes_cents: int
    bestuursorgaan_owes_cents: int
    source: str


@dataclass(frozen=True)
class RateTable:
    rates: tuple[StatutoryRate, ...]  # by effective_from, no two on one day
    checked_through: dt.date
    minimum: AwbMinimum

    def rate_on(self, day: dt.date) -> StatutoryRate:
        at = bisect_right([r.effective_from for r in self.rates], day)
        if at == 0:
            raise ValueError(f"the table of the wettelijke rente begins on {self.rates[0].effective_from}; "
                             f"it has no rate for {day}")
        return self.rates[at - 1]

    def changes_between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """The days after `start` and before `end` on which a new rate comes into force."""
        return [r.effective_from for r in self.rates if start < r.effective_from < end]


def load_rate_table(path: Path = RATES_FILE) -> RateTable:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    rates = tuple(sorted((StatutoryRate(r["from"], Decimal(str(r["percent"])), r["source"], bool(r["confirmed"]))
                          for r in raw["rates"]), key=lambda r: r.effective_from))
    days = [r.effective_from for r in rates]
    if not rates or len(set(days)) != len(days):
        raise ValueError(f"{path}: the rates need at least one entry and at most one per day")
    if any(not isinstance(d, dt.date) or isinstance(d, dt.datetime) for d in days):
        raise ValueError(f"{path}: each rate's `from` is a date (YYYY-MM-DD)")
    minimum = raw["awb_4_98_minimum"]
    return RateTable(rates, raw["checked_through"],
                     AwbMinimum(int(minimum["recipient_owes_cents"]), int(minimum["bestuursorgaan_owes_cents"]),
                                minimum["source"]))


@lru_cache(maxsize=1)
def statutory_rates() -> RateTable:
    """The shipped table."""
    return load_rate_table()


statutory_rates()  # read at import, outside any workflow sandbox (workflow code may not read files)
