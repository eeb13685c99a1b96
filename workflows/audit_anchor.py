"""Anchoring the audit chain's head every business day: a small deterministic workflow.

It sleeps with a timer until the next midnight of the business clock (Europe/Amsterdam; business time from the
domain's clock on workflow time, `workflows.clock.workflow_clock`), then runs the activity `anchor_audit_head`
(adapters/audit/anchor.py: it chains what was stored, publishes the head to the anchors file and mails it to the
auditors: all the I/O is there). After `runs_per_history` anchors it continues as new, so its history stays short
however many years it runs. Anchoring is idempotent (an unchanged head is published and mailed once), so a retried
activity or a replayed workflow publishes nothing twice.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.timekeeping import end_of_day, local_date
    from workflows.clock import workflow_clock

ANCHOR_WORKFLOW_ID = "sto-audit-anchor"
ANCHOR_ACTIVITY = "anchor_audit_head"


class DailyAnchorInput(BaseModel):
    clock_offset_seconds: float = 0.0  # business time = workflow time + this (fixed at start, kept across runs)
    runs_per_history: int = Field(default=30, ge=1)  # anchors before the workflow continues as new
    runs_before: int = 0  # anchors made by earlier runs of this workflow (carried over by continue-as-new)


class AnchorRequest(BaseModel):
    business_time: dt.datetime  # when, in business time, the head is anchored


class AnchorOutcome(BaseModel):
    anchored: bool  # False: the store holds no record yet (or keeps no chain)
    seq: int | None = None
    notification_id: int | None = None
    hash: str | None = None
    file: str | None = None
    written: bool = False  # a new line in the anchors file (False: this head was published before)
    mailed: bool = False  # the mail to the auditors was sent now (False: sent before, or nothing to send)
    mail_reference: str | None = None
    message: str = ""


def next_midnight(now: dt.datetime) -> dt.datetime:
    """The next midnight (Europe/Amsterdam) after the business time `now`: the end of its business day."""
    return end_of_day(local_date(now))


@workflow.defn(name="AuditAnchorDaily")
class AuditAnchorWorkflow:
    def __init__(self) -> None:
        self._last: AnchorOutcome | None = None
        self._before = 0
        self._runs = 0

    @workflow.run
    async def run(self, inp: DailyAnchorInput) -> None:
        clock = workflow_clock(inp.clock_offset_seconds)
        self._before = inp.runs_before
        for _ in range(inp.runs_per_history):
            await workflow.sleep(clock.until(next_midnight(clock.now())), summary="until the next business midnight")
            self._last = await workflow.execute_activity(
                ANCHOR_ACTIVITY,
                AnchorRequest(business_time=clock.now()),
                result_type=AnchorOutcome,
                start_to_close_timeout=dt.timedelta(minutes=15),  # a long catch-up of the chain on a large store
                retry_policy=RetryPolicy(maximum_interval=dt.timedelta(minutes=5)),
            )
            self._runs += 1
        workflow.continue_as_new(inp.model_copy(update={"runs_before": inp.runs_before + self._runs}))

    @workflow.query
    def last_anchor(self) -> AnchorOutcome | None:
        """What this run anchored last (None before its first midnight)."""
        return self._last

    @workflow.query
    def anchors_made(self) -> int:
        """Anchors made by this workflow, over all its runs."""
        return self._before + self._runs
