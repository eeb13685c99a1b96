"""The business clock of a process that talks to the workflows: real time, or real time moved to an epoch.

Real "now" lies after every STO deadline, so a demo or a rehearsal needs the grant's life to start in the
past. `STO_BUSINESS_EPOCH` (an ISO datetime with offset, e.g. `2018-10-15T10:00:00+02:00`) is the business
time at which this process starts; from there business time runs on with the wall clock. Grants started by
this process get the matching clock offset (the workflow keeps it for its whole life), and reads default to
this process's business day. Unset: business time is real time.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from domain.timekeeping import AMSTERDAM, UTC, local_date

BUSINESS_EPOCH_SETTING = "STO_BUSINESS_EPOCH"


def parse_business_time(text: str, what: str = "a business time") -> dt.datetime:
    """An aware datetime from ISO text; without a UTC offset it is Amsterdam time, a date alone is 09:00 that day."""
    text = text.strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not an ISO date or datetime; use e.g. 2019-03-15T10:00:00+01:00") from None
    if len(text) == 10:  # a date alone
        moment = moment.replace(hour=9)
    return moment if moment.tzinfo else moment.replace(tzinfo=AMSTERDAM)


@dataclass(frozen=True)
class BusinessClock:
    """Business time = wall-clock time + a fixed offset (zero without an epoch)."""

    offset_seconds: float = 0.0

    @classmethod
    def starting_at(cls, epoch: dt.datetime | None, now: dt.datetime | None = None) -> "BusinessClock":
        if epoch is None:
            return cls()
        return cls((epoch - (now or dt.datetime.now(UTC))).total_seconds())

    @classmethod
    def from_env(cls, epoch: str | None = None) -> "BusinessClock":
        """From the given text, else from STO_BUSINESS_EPOCH; raises ValueError when it is not understood."""
        text = epoch if epoch is not None else os.environ.get(BUSINESS_EPOCH_SETTING)
        return cls.starting_at(parse_business_time(text, BUSINESS_EPOCH_SETTING) if text and text.strip() else None)

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC) + dt.timedelta(seconds=self.offset_seconds)

    def today(self) -> dt.date:
        return local_date(self.now())
