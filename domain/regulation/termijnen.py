"""Algemene termijnenwet (Atw): when a term that ends on a weekend or public holiday moves.

Atw art. 1: a term set by law that ends on a Saturday, Sunday or public holiday runs on to the next
day that is none of these. Art. 3 lid 1 and 2 list the holidays; their dates per year come from the
`holidays` package (categories public + optional, so Bevrijdingsdag counts every year as art. 3 says),
never from a hand-written list of dates. Art. 3 lid 3: the days the Crown equated with holidays, per year
by decree, are dated data in `data/atw.toml`; for a year without a known decree the explanation says so.
Whether the law applies is a property of each term's value (`RollForward`), recorded with its reason:
there is no silent global default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import tomllib
from pathlib import Path

import holidays

from domain.regulation.model import RollForward

EQUATED_DAYS_FILE = Path(__file__).parent / "data" / "atw.toml"

# Atw art. 3 lid 1 by name; the dates come from the holidays package. Eerste paas- and
# pinksterdag are Sundays anyway but are named so that an explanation can say which day it was.
ATW_HOLIDAYS = frozenset(
    {
        "Nieuwjaarsdag",
        "Goede vrijdag",
        "Eerste paasdag",
        "Tweede paasdag",
        "Koningsdag",
        "Bevrijdingsdag",
        "Hemelvaartsdag",
        "Eerste pinksterdag",
        "Tweede pinksterdag",
        "Eerste kerstdag",
        "Tweede kerstdag",
    }
)
ATW_SOURCE = "Algemene termijnenwet art. 1 en 3"


@dataclass(frozen=True)
class EquatedDay:
    """A day equated with a public holiday under Atw art. 3 lid 3."""

    day: date
    name: str
    decree: str  # the decree's title
    short: str  # the decree as an explanation names it
    citation: str
    confirmed: bool

    def why(self) -> str:
        unconfirmed = "; unconfirmed: the decree's text was not at hand" if not self.confirmed else ""
        return f"{self.name}, gelijkgesteld met een feestdag bij {self.short} (Atw art. 3 lid 3{unconfirmed})"


def _load_equated(path: Path = EQUATED_DAYS_FILE) -> tuple[dict[date, EquatedDay], frozenset[int]]:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    decrees = {d["id"]: d for d in raw.get("decrees", [])}
    days: dict[date, EquatedDay] = {}
    for entry in raw.get("days", []):
        decree = decrees[entry["decree"]]
        if entry["date"].year not in decree["years"]:
            raise ValueError(f"{path}: {entry['date']} lies outside the years of decree {entry['decree']}")
        days[entry["date"]] = EquatedDay(
            entry["date"], entry["name"], decree["title"], decree["short"], decree["citation"],
            bool(entry.get("confirmed", decree.get("confirmed", True))),
        )
    years = frozenset(year for d in decrees.values() for year in d["years"])
    return days, years


# Read at import, outside any workflow sandbox (workflow code may not read files).
EQUATED_DAYS, EQUATED_YEARS_KNOWN = _load_equated()


def equated_days_known(year: int) -> bool:
    """Whether the engine knows the decree(s) of Atw art. 3 lid 3 for `year`."""
    return year in EQUATED_YEARS_KNOWN


def unknown_equated_years(first: date, last: date) -> list[int]:
    return [year for year in range(first.year, last.year + 1) if not equated_days_known(year)]
_WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> dict[date, str]:
    if year in _PRECOMPUTED:
        return _PRECOMPUTED[year]
    calendar = holidays.country_holidays("NL", years=year, categories=("public", "optional"), language="nl")
    return {day: name for day, name in calendar.items() if name in ATW_HOLIDAYS}


# Computed at import, outside any Temporal workflow sandbox: the holidays package reads translation
# files, which workflow code may not do. The programme runs 2018–2025; the margin is generous.
_PRECOMPUTED: dict[int, dict[date, str]] = {}
_PRECOMPUTED.update({year: _holidays_of(year) for year in range(2016, 2041)})


def weekday_nl(day: date) -> str:
    return _WEEKDAYS_NL[day.weekday()]


def atw_non_working(day: date) -> str | None:
    """Why `day` does not count as the end of a term under the Atw, or None if it does."""
    holiday = _holidays_of(day.year).get(day)
    if holiday:
        return f"{holiday}, {weekday_nl(day)}"
    if day.weekday() >= 5:
        return weekday_nl(day)
    equated = EQUATED_DAYS.get(day)
    if equated is not None:
        return f"{equated.why()}, {weekday_nl(day)}"
    return None


def next_atw_day(day: date) -> tuple[date, list[tuple[date, str]]]:
    """The first day from `day` on that ends a term under the Atw, and the days skipped."""
    skipped: list[tuple[date, str]] = []
    while (why := atw_non_working(day)) is not None:
        skipped.append((day, why))
        day += timedelta(days=1)
    return day, skipped


@dataclass(frozen=True)
class RollForwardResult:
    """The outcome of applying (or not applying) the Atw to one term end."""

    original: date
    result: date
    rule: RollForward
    reason: str
    original_day: str  # e.g. "zondag" or "Tweede pinksterdag (maandag)"
    skipped: list[tuple[date, str]] = field(default_factory=list)
    atw_alternative: date | None = None  # where the Atw would have moved it, if it was not applied

    @property
    def moved(self) -> bool:
        return self.result != self.original

    @property
    def warnings(self) -> list[str]:
        """What the engine cannot know about this term end (a year without a known decree of Atw art. 3 lid 3)."""
        if self.rule is not RollForward.ATW:
            return []
        return [
            f"no decree of Atw art. 3 lid 3 known for {year}: days the Crown equated with holidays in {year} are "
            "not in the engine's data (domain/regulation/data/atw.toml), so none is counted; check the Staatscourant"
            for year in unknown_equated_years(self.original, self.result)
        ]

    def explain(self) -> str:
        text = f"{self.original.isoformat()} ({self.original_day})"
        if self.rule is RollForward.ATW:
            warning = "".join(f" Warning: {w}." for w in self.warnings)
            if self.moved:
                days = ", ".join(f"{d.isoformat()} {why}" for d, why in self.skipped)
                return f"{text}: {ATW_SOURCE} applies ({self.reason}) and moves it to {self.result.isoformat()} (skipped: {days}).{warning}"
            return f"{text}: {ATW_SOURCE} applies ({self.reason}); a working day, so it stays.{warning}"
        if self.atw_alternative is not None:
            return (
                f"{text}: does not move, {self.reason} "
                f"(had the Atw applied, it would have run to {self.atw_alternative.isoformat()})."
            )
        return f"{text}: does not move, {self.reason}."


def resolve_roll_forward(day: date, rule: RollForward, reason: str) -> RollForwardResult:
    why = atw_non_working(day)
    original_day = why or weekday_nl(day)
    moved, skipped = next_atw_day(day)
    if rule is RollForward.ATW:
        return RollForwardResult(day, moved, rule, reason, original_day, skipped)
    return RollForwardResult(
        day, day, rule, reason, original_day, [], atw_alternative=moved if moved != day else None
    )
