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
from domain.clock import FUTURE_MARGIN, BusinessClock
from domain.timekeeping import AMSTERDAM

__all__ = ["BUSINESS_EPOCH_SETTING", "BusinessClock", "clock_from_env", "future_margin_from_env", "parse_business_time"]

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


def clock_from_env(epoch: str | None = None) -> BusinessClock:
    """This process's business clock: from the given text, else from STO_BUSINESS_EPOCH, else real time.

    Raises ValueError when the text is not understood."""
    text = epoch if epoch is not None else os.environ.get(BUSINESS_EPOCH_SETTING)
    return BusinessClock.starting_at(parse_business_time(text, BUSINESS_EPOCH_SETTING) if text and text.strip() else None)


FUTURE_MARGIN_SETTING = "STO_FUTURE_MARGIN_DAYS"


def future_margin_from_env() -> dt.timedelta:
    """How far ahead of the business clock a command may be dated (STO_FUTURE_MARGIN_DAYS, default 1 day).

    A rehearsal that dates its steps ahead of its clock on purpose may widen it; a date beyond it is invalid
    input, because it would lock the grant (every later command must be dated after it)."""
    text = os.environ.get(FUTURE_MARGIN_SETTING, "").strip()
    if not text:
        return FUTURE_MARGIN
    try:
        days = float(text)
    except ValueError:
        raise ValueError(f"{FUTURE_MARGIN_SETTING}={text!r} is not a number of days") from None
    if not 0 <= days <= 36_500:
        raise ValueError(f"{FUTURE_MARGIN_SETTING}={text!r}: give 0 to 36500 days")
    return dt.timedelta(days=days)
