"""The daily payment run: one long-running workflow per installation (`sto-payment-run`) says *when* the money moves.

Every working day (Monday to Friday, not a public holiday or a day equated with one under the Algemene termijnenwet:
the Dutch calendar the engine already keeps, `domain/regulation/termijnen.py`) at 07:00 in Amsterdam, business time
(the domain's clock on workflow time plus the offset fixed at start, `workflows.clock.workflow_clock`, never
`workflow.now()` itself), it runs the activity `payment_run` for that day (adapters/engine/payment_activities.py; all
the I/O is there):

1. the payment run of the day (`adapters.event_store.money.run_payments`): every released, due, payable instalment
   in one new PaymentBatch, each exactly once (the payment book, the batch and the ledgers in one transaction);
2. every batch not yet handed over goes to the finance system as files (adapters/finance/handover.py: pain.001 and
   the FDC CSV, written atomically, each recorded as `PaymentBatch.HandedOver` with its sha256);
3. what the day brings for every open claim (`run_claims`: default, aanmaning, dwangbevel due, lapse);
4. the region's mail about its claims (`claim_mail`: the reminders before the term of Awb 4:87 ends, the aanmaning
   in writing), once each, for every day up to the day before the next run: a reminder that falls on a weekend or
   holiday goes out on the working day before it, never after. A mail that could not be sent (the mail server down)
   is tried again by the next run, from the first day not sent (`mailed_through`); it never holds the money up.

Each step is idempotent, so a retried activity (a worker killed halfway) makes no second batch, records no second
aanmaning and writes no file twice. A run that comes late (the server or every worker was down) runs for the day it
wakes on if that is a working day, else it waits for the next one: a run never makes a batch for a day that has passed
(a batch whose handover waited, for a missing finance setting, keeps its day), and what fell due meanwhile is in it (`run_payments` takes everything due up to its day). A day
passed by in that way loses nothing: a claim's default dates from its term (Awb 4:97), whatever the day it is noted.

After `runs_per_history` runs it continues as new (with the last day it ran for), so its history stays short however
many years it runs. A run whose activity fails for good (a fault no retry cures) is logged and shown by the query
`last_run`; the next working day runs again. Changes to this code that alter its commands go behind
`workflow.patched` (workflows/patches.py), as for the grant's workflow.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.regulation.termijnen import atw_non_working
    from domain.timekeeping import AMSTERDAM, local_date
    from workflows.clock import workflow_clock

PAYMENT_RUN_WORKFLOW_ID = "sto-payment-run"
PAYMENT_RUN_ACTIVITY = "payment_run"
RUN_AT = dt.time(7, 0)  # Amsterdam: before the bank's cut-off, after the night's releases
HEARTBEAT = dt.timedelta(seconds=10)  # a killed worker's run is taken over within seconds (the activity beats each 1 s)
# A store briefly unreachable, a finance setting missing: retried patiently, the same day; a fault no retry can cure
# is raised non-retryable by the activity, and the workflow goes on with the next working day.
RUN_RETRY = RetryPolicy(initial_interval=dt.timedelta(seconds=5), backoff_coefficient=2.0,
                        maximum_interval=dt.timedelta(minutes=10))


class PaymentRunInput(BaseModel):
    clock_offset_seconds: float = 0.0  # business time = workflow time + this (fixed at start, kept across runs)
    runs_per_history: int = Field(default=60, ge=1)  # runs before the workflow continues as new
    runs_before: int = 0  # runs made by earlier runs of this workflow (carried over by continue-as-new)
    done_through: dt.date | None = None  # the last day a run was made for (carried over by continue-as-new)
    run_at_hour: int = Field(default=RUN_AT.hour, ge=0, le=23)
    run_at_minute: int = Field(default=RUN_AT.minute, ge=0, le=59)
    mailed_through: dt.date | None = None  # the last day whose claim mail went out (carried over by continue-as-new)
    last: "PaymentRunOutcome | None" = None  # the last run's outcome (carried over by continue-as-new, for the query)


class PaymentRunRequest(BaseModel):
    day: dt.date  # the business day of the run: the due date it pays up to and the requested execution date
    business_time: dt.datetime  # when, in business time, the run is made (recorded on its events)
    mail_from: dt.date | None = None  # the claim mail of these days is sent (None: `day` only)
    mail_through: dt.date | None = None


class HandedOverFile(BaseModel):
    batch: int
    format: str
    filename: str
    sha256: str
    written: bool  # False: found in the outbox (or taken by the finance system) from an attempt that died


class PaymentRunOutcome(BaseModel):
    day: dt.date
    batch: int | None = None  # the batch this run made (None: nothing was due and payable)
    instructions: int = 0
    total_cents: int = 0
    skipped: list[str] = Field(default_factory=list)  # instalments that wait, and why (no account, Awb 4:56)
    claims: list[str] = Field(default_factory=list)  # "<claim number>: <event>" recorded on this day
    handed_over: list[HandedOverFile] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)  # batches that could not be handed over, mail not sent
    mails: list[str] = Field(default_factory=list)  # keys of the claim mails sent by this run
    mailed_through: dt.date | None = None  # the last day whose claim mail all went out
    failed: str | None = None  # the run failed for good (set by the workflow): see the worker's log


PaymentRunInput.model_rebuild()


def next_run(now: dt.datetime, done_through: dt.date | None, run_at: dt.time = RUN_AT) -> tuple[dt.date, dt.datetime]:
    """The next run: the first working day from the business day of `now` (after `done_through`), at `run_at` in
    Amsterdam. Its moment may lie before `now`: a run of today not yet made is made at once."""
    day = local_date(now)
    if done_through is not None and day <= done_through:
        day = done_through + dt.timedelta(days=1)
    while atw_non_working(day):
        day += dt.timedelta(days=1)
    return day, dt.datetime.combine(day, run_at, tzinfo=AMSTERDAM)


def next_working_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while atw_non_working(day):
        day += dt.timedelta(days=1)
    return day


@workflow.defn(name="PaymentRun")
class PaymentRunWorkflow:
    def __init__(self) -> None:
        self._last: PaymentRunOutcome | None = None
        self._before = 0
        self._runs = 0
        self._done_through: dt.date | None = None
        self._mailed_through: dt.date | None = None

    @workflow.run
    async def run(self, inp: PaymentRunInput) -> None:
        clock = workflow_clock(inp.clock_offset_seconds)
        run_at = dt.time(inp.run_at_hour, inp.run_at_minute)
        self._before, self._done_through, self._last = inp.runs_before, inp.done_through, inp.last
        self._mailed_through = inp.mailed_through
        while self._runs < inp.runs_per_history:
            day, moment = next_run(clock.now(), self._done_through, run_at)
            if clock.now() < moment:
                await workflow.sleep(clock.until(moment), summary=f"until the payment run of {day.isoformat()}")
                continue  # look again: a timer that fired late may find another day
            request = PaymentRunRequest(
                day=day, business_time=clock.now(), mail_through=next_working_day(day) - dt.timedelta(days=1),
                mail_from=self._mailed_through + dt.timedelta(days=1) if self._mailed_through else day)
            try:
                self._last = await workflow.execute_activity(
                    PAYMENT_RUN_ACTIVITY, request, result_type=PaymentRunOutcome,
                    start_to_close_timeout=dt.timedelta(hours=1),  # 10,000 instalments take seconds; a large store more
                    heartbeat_timeout=HEARTBEAT, retry_policy=RUN_RETRY,
                )
            except ActivityError as error:
                cause = error.cause or error
                workflow.logger.error("payment run of %s failed for good: %s", day.isoformat(), cause)
                self._last = PaymentRunOutcome(day=day, failed=str(cause)[:500])
            if self._last.mailed_through is not None:
                self._mailed_through = max(self._mailed_through or self._last.mailed_through, self._last.mailed_through)
            self._done_through = day
            self._runs += 1
        workflow.continue_as_new(inp.model_copy(update={"runs_before": inp.runs_before + self._runs,
                                                        "done_through": self._done_through, "last": self._last,
                                                        "mailed_through": self._mailed_through}))

    @workflow.query
    def last_run(self) -> PaymentRunOutcome | None:
        """What the last run of this workflow did (None before its first)."""
        return self._last

    @workflow.query
    def runs_made(self) -> int:
        """Runs made by this workflow, over all its runs."""
        return self._before + self._runs

    @workflow.query
    def done_through(self) -> dt.date | None:
        """The last business day a run was made for."""
        return self._done_through
