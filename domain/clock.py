"""The business clock: business time = a time source + an offset fixed when the clock is made.

Business time is when a step takes effect in a grant's life (what as-of asks about). In production the
offset is zero; a rehearsal or the historic replay moves it back (`STO_BUSINESS_EPOCH`), because real time
lies after every deadline of a closed scheme. The source is the wall clock in a process and the workflow's
own time inside a workflow (deterministic on replay); everything else about the clock is the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from domain.timekeeping import UTC, local_date

TimeSource = Callable[[], dt.datetime]

# How far ahead of the business clock a command may be dated: an operator records today what takes effect
# today, and a letter may carry tomorrow's date; a date further ahead would lock the grant (every later
# command must be dated after it), so it is refused as invalid input.
FUTURE_MARGIN = dt.timedelta(hours=24)


def wall_clock() -> dt.datetime:
    return dt.datetime.now(UTC)


@dataclass(frozen=True)
class BusinessClock:
    offset_seconds: float = 0.0
    source: TimeSource = wall_clock

    @classmethod
    def starting_at(cls, epoch: dt.datetime | None, now: dt.datetime | None = None, source: TimeSource = wall_clock) -> "BusinessClock":
        """A clock that reads `epoch` at `now` (default: the source's now) and runs on from there."""
        if epoch is None:
            return cls(0.0, source)
        return cls((epoch - (now or source())).total_seconds(), source)

    @property
    def offset(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.offset_seconds)

    def now(self) -> dt.datetime:
        return self.source() + self.offset

    def today(self) -> dt.date:
        return local_date(self.now())

    def until(self, moment: dt.datetime) -> dt.timedelta:
        """Source time to wait until business time `moment` (never negative)."""
        return max(moment - self.now(), dt.timedelta(0))

    def too_far_ahead(self, moment: dt.datetime | dt.date, margin: dt.timedelta = FUTURE_MARGIN) -> bool:
        """Whether `moment` (a time, or a day taken at its start) lies more than `margin` after now."""
        if not isinstance(moment, dt.datetime):
            return moment > local_date(self.now() + margin)
        return moment > self.now() + margin



def check_not_ahead(command: Any, clock: BusinessClock, margin: dt.timedelta = FUTURE_MARGIN) -> None:
    """Raise InvalidInput when a command is dated (effective_at, sent_on) further ahead of the business clock
    than `margin`: such a date would lock the grant, since every later command must be dated after it."""
    from domain.errors import InvalidInput

    hint = (f"date it on or before {local_date(clock.now() + margin).isoformat()} (the business day is "
            f"{clock.today().isoformat()}); a command takes effect when it is recorded, not later")
    effective_at = getattr(command, "effective_at", None)
    if effective_at is not None and clock.too_far_ahead(effective_at, margin):
        raise InvalidInput(f"effective_at {effective_at.isoformat()} lies ahead of the business clock", field="effective_at", hint=hint)
    sent_on = getattr(command, "sent_on", None)
    if sent_on is not None and clock.too_far_ahead(sent_on, margin):
        raise InvalidInput(f"sent_on {sent_on.isoformat()} lies ahead of the business clock", field="sent_on", hint=hint)
