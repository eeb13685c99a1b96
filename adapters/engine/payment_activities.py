"""The activity of the daily payment run (workflows/payments.py) and how the run is started.

`payment_run` makes the day's payment run and the day's steps of every open claim (adapters/event_store/money.py),
hands every batch that lacks its files to the finance system (adapters/finance/handover.py), and sends the region's
mail about its claims (reminders, the aanmaning) for the days the workflow names. Each part is idempotent: a retry
(the worker killed halfway) makes no second batch, no second aanmaning, no second file, no second mail. The
activity beats its heart from a thread of its own while the store works, so a killed worker is noticed within the
workflow's heartbeat timeout and a long run is not.

Failures: a finance setting missing or wrong (STO_FINANCE_DEBTOR_*) is retried patiently by the workflow, so the
batch goes out the moment a worker with the setting takes the run; a batch whose files cannot be made is reported in
the outcome (`problems`) every run, the others go on; a bug fails the run for good, which the workflow logs, and the
next working day runs again.

Fault injection for the crash tests (as STO_FAULT_PAUSE_AFTER_COMMIT in activities.py): STO_FAULT_PAUSE_BEFORE_HANDOVER
pauses (seconds) after the run stored a new batch and before any file is written; STO_FAULT_PAUSE_BEFORE_RECORD after
the files are in place and before they are recorded.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from adapters.event_store import money
from adapters.event_store.service import GrantService
from adapters.finance.handover import hand_over, outbox_from_env
from adapters.finance.instructions import DebtorAccount
from adapters.logging import get_logger
from domain.errors import DomainError, InvalidInput
from domain.ports import Notifier
from workflows import TASK_QUEUE
from workflows.failures import to_failure
from workflows.payments import (PAYMENT_RUN_ACTIVITY, PAYMENT_RUN_WORKFLOW_ID, HandedOverFile, PaymentRunInput,
                                PaymentRunOutcome, PaymentRunRequest, PaymentRunWorkflow)

log = get_logger(__name__)
NON_TRANSIENT = (TypeError, ValueError, KeyError, AttributeError, AssertionError)
BEAT_SECONDS = 1.0
MAX_LISTED = 100  # instalments that wait, listed in the outcome
MAIL_DAYS_BACK = 31  # claim mail of days longer ago than this is not sent late


class PaymentActivities:
    """The payment run's activity, bound to one store, one finance outbox and (optionally) one paying account."""

    def __init__(self, service: GrantService, outbox: Path | None = None, debtor: DebtorAccount | None = None,
                 notifier: Notifier | None = None):
        self.service = service
        self.notifier = notifier  # None: no claim mail (the benchmark)
        self.outbox = outbox or outbox_from_env()
        self.debtor = debtor  # None: read from STO_FINANCE_DEBTOR_* when a batch is handed over
        self.pause_before_handover = float(os.environ.get("STO_FAULT_PAUSE_BEFORE_HANDOVER", "0") or 0)
        self.pause_before_record = float(os.environ.get("STO_FAULT_PAUSE_BEFORE_RECORD", "0") or 0)
        self.handed_over_through = 0  # batches up to this one are handed over: not read again by this process

    @activity.defn(name=PAYMENT_RUN_ACTIVITY)
    def payment_run(self, request: PaymentRunRequest) -> PaymentRunOutcome:
        with _heartbeats():
            try:
                return self.run(request)
            except InvalidInput as error:  # a finance setting: retried until a worker has it
                log.error("payment run: batches wait for the finance settings", day=request.day.isoformat(),
                          error=str(error), hint=error.hint)
                raise ApplicationError(f"{error} ({error.hint})", type="FinanceSettings") from None
            except DomainError as error:  # a race between runs is retried; any other is final
                log.error("payment run failed", day=request.day.isoformat(), error=f"{type(error).__name__}: {error}")
                raise to_failure(error) from None
            except NON_TRANSIENT as error:
                log.error("payment run failed for good", day=request.day.isoformat(),
                          error=f"{type(error).__name__}: {error}", exc_info=True)
                raise ApplicationError(f"{type(error).__name__}: {str(error)[:300]}", type=type(error).__name__,
                                       non_retryable=True) from None

    def run(self, request: PaymentRunRequest) -> PaymentRunOutcome:
        """The day's run, outside Temporal (the benchmark and the tests call it directly too)."""
        day, moment = request.day, request.business_time
        made = money.run_payments(self.service, day, moment)
        skipped = [f"{s.grant_code} termijn {s.number}: {s.why}" for s in made.skipped]
        if len(skipped) > MAX_LISTED:  # the outcome is kept in the workflow's history: bounded
            skipped = skipped[:MAX_LISTED] + [f"... and {len(skipped) - MAX_LISTED} more (see the worker's log)"]
            log.info("payment run: instalments that wait", day=day.isoformat(),
                     waiting=[f"{s.grant_code}:{s.number}: {s.why}" for s in made.skipped])
        outcome = PaymentRunOutcome(day=day, skipped=skipped)
        if made.batch is not None:
            outcome.batch, outcome.instructions = made.batch.number, len(made.batch.instructions)
            outcome.total_cents = made.batch.total_cents
            log.info("payment batch made", day=day.isoformat(), batch=made.batch.number, instructions=outcome.instructions,
                     total_cents=outcome.total_cents, skipped=len(made.skipped))
            self._pause(self.pause_before_handover)
        handover = hand_over(self.service, self.outbox, self.debtor, after=self.handed_over_through,
                             pause=lambda where: self._pause(self.pause_before_record))
        self.handed_over_through = max(self.handed_over_through, handover.through)
        outcome.handed_over = [HandedOverFile(batch=d.batch, format=d.format, filename=d.filename, sha256=d.sha256,
                                              written=d.written) for d in handover.delivered]
        outcome.problems = handover.problems
        # the claims after the money: a fault in a claim's step holds no batch up
        outcome.claims = [f"{number}: {event}" for number, event in money.run_claims(self.service, day, moment)]
        self._mail(request, outcome)  # after the money: a mail server that is down holds nothing up
        log.info("payment run", day=day.isoformat(), batch=outcome.batch, claims=len(outcome.claims),
                 files=[f.filename for f in outcome.handed_over], problems=len(outcome.problems))
        return outcome

    def _mail(self, request: PaymentRunRequest, outcome: PaymentRunOutcome) -> None:
        """The claim mail of each day from `mail_from` to `mail_through`, once each (the outbox's key); up to the first
        day whose mail could not be sent, which the next run tries again."""
        if self.notifier is None:
            return
        last = request.mail_through or request.day
        day = max(request.mail_from or request.day, last - dt.timedelta(days=MAIL_DAYS_BACK))
        while day <= last:
            for notification in money.claim_mail(self.service, day):
                try:
                    reference, new = self.service.deliver_notification(notification, self.notifier)
                except Exception as error:  # noqa: BLE001 - the notifier's failure; the outbox recorded it
                    log.error("claim mail not sent", key=notification.key, error=f"{type(error).__name__}: {error}")
                    outcome.problems.append(f"claim mail {notification.key} not sent ({type(error).__name__}: {error}); "
                                            "the next run tries again")
                    return
                if new:
                    outcome.mails.append(notification.key)
                    log.info("claim mail", key=notification.key, to=notification.to, reference=reference)
            outcome.mailed_through = day
            day += dt.timedelta(days=1)

    @staticmethod
    def _pause(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.2)

    def all(self) -> list:
        return [self.payment_run]


@contextmanager
def _heartbeats() -> Iterator[None]:
    """Heartbeats from a thread of its own (with the activity's context) until the block ends."""
    if not activity.in_activity() or activity.info().is_local:
        yield
        return
    done = threading.Event()
    context = contextvars.copy_context()

    def beat() -> None:
        while not done.wait(BEAT_SECONDS):
            try:
                activity.heartbeat()
            except Exception:  # noqa: BLE001 - the worker is shutting down: the attempt's own end says so
                return

    thread = threading.Thread(target=context.run, args=(beat,), name="payment-run-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)


async def start_payment_run(client: Client, *, task_queue: str = TASK_QUEUE, clock_offset_seconds: float = 0.0,
                            runs_per_history: int = 60) -> WorkflowHandle:
    """Start the daily payment run (one per namespace; if it runs already, that one is returned)."""
    try:
        return await client.start_workflow(
            PaymentRunWorkflow.run,
            PaymentRunInput(clock_offset_seconds=clock_offset_seconds, runs_per_history=runs_per_history),
            id=PAYMENT_RUN_WORKFLOW_ID, task_queue=task_queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowAlreadyStartedError as error:  # a server without USE_EXISTING (the time-skipping test server)
        return client.get_workflow_handle(PAYMENT_RUN_WORKFLOW_ID, run_id=error.run_id)
