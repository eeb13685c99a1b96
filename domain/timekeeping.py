"""Dutch legal time: deadlines are end of day, Europe/Amsterdam.

`AMSTERDAM` is a module-level constant on purpose: Temporal's workflow sandbox cannot build a
ZoneInfo itself, but can use one built at import time of a passed-through module.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc


def end_of_day(day: date) -> datetime:
    """The instant a deadline on `day` passes: midnight at the start of the next day, Amsterdam time."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=AMSTERDAM)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM)


def local_date(moment: datetime) -> date:
    """The calendar date in Amsterdam of an aware instant."""
    if moment.tzinfo is None:
        raise ValueError("business times must be timezone-aware")
    return moment.astimezone(AMSTERDAM).date()


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business times must be timezone-aware")
    return moment.astimezone(UTC)
