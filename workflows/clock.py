"""The business clock: workflow time plus an offset fixed when the workflow started.

Business time is when a step takes effect in the grant's life. In production the offset is zero; in
the historic replay it moves 2026 back to 2018. Workflow code takes time only from here.
"""

from __future__ import annotations

import datetime as dt

from temporalio import workflow


class BusinessClock:
    def __init__(self, offset_seconds: float):
        self.offset = dt.timedelta(seconds=offset_seconds)

    def now(self) -> dt.datetime:
        return workflow.now() + self.offset

    def until(self, moment: dt.datetime) -> dt.timedelta:
        """Workflow time to wait until business time `moment` (never negative)."""
        return max(moment - self.now(), dt.timedelta(0))
