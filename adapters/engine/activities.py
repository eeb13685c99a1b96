"""Activities: the only place where the workflows touch the world (the event store, mail, other workflows).

Each runs a domain operation through the grants service. Refusals are non-retryable application
errors that carry the rule and its source; conflicts and outages are retried by Temporal, and the
command id (or reminder key) makes every retry append nothing new.
"""

from __future__ import annotations

import os
import time
from typing import Any


from temporalio import activity

from adapters.logging import get_logger
from adapters.observability.metrics import EXECUTED, outcome_of
from adapters.observability.tracing import tracer
from domain.errors import DomainError, EngineFault, GrantNotFound
from domain.ports import Notifier
from domain.results import CommandResult
from adapters.event_store.service import GrantService
from domain.state import GrantState
from workflows.credentials import CommandCredentials
from workflows.failures import to_failure
from workflows.models import ExecuteRequest, PublishRequest, ReminderRequest, grant_of_address

log = get_logger(__name__)

# Failures that no retry can cure: raised at once as an EngineFault (nothing was written, the grant stays
# usable) instead of being retried for ever. A value the codec cannot encode or the store cannot hold, a
# model that does not validate, a bug in a decision.
NON_TRANSIENT = (TypeError, ValueError, OverflowError, KeyError, AttributeError, AssertionError, RecursionError)


class GrantActivities:
    """Activities bound to one grants service and one notifier (one set per worker process)."""

    def __init__(self, service: GrantService, notifier: Notifier, credentials: CommandCredentials | None = None):
        self.service = service
        self.notifier = notifier
        self.credentials = credentials or CommandCredentials(None)
        # Fault injection for the crash tests: pause after the event is stored and before the activity
        # reports back, so that a worker killed in that window leaves "written but not acknowledged". Only a
        # command this attempt wrote pauses: a duplicate wrote nothing, so the worker that takes over from a
        # killed one answers at once, and a test may pause "until killed".
        self.pause_after_commit = float(os.environ.get("STO_FAULT_PAUSE_AFTER_COMMIT", "0") or 0)
        # Fault injection for the tests of non-transient failures: a command of this type fails as a bug would
        # (a value the codec cannot encode, a decision that crashes), before anything is written.
        self.broken_command_type = os.environ.get("STO_FAULT_BROKEN_COMMAND_TYPE", "").strip() or None

    @activity.defn(name="execute_command")
    def execute_command(self, request: ExecuteRequest) -> CommandResult:
        command = request.command
        self._heartbeat()
        try:
            self.credentials.verify(request)
            if command.name == self.broken_command_type:
                raise TypeError(f"injected fault: {command.name} cannot be executed (STO_FAULT_BROKEN_COMMAND_TYPE)")
            with tracer().start_as_current_span("store.execute", attributes={
                    "sto.command": command.name, "sto.region": command.region_code, "sto.command_id": str(command.command_id)}):
                result = self.service.execute(command, request.fingerprint)
        except DomainError as error:
            EXECUTED.labels(command.name, outcome_of(error)).inc()
            # a race between writers is retried by Temporal (the next attempt reloads, re-checks and appends at
            # most once); every other domain error is final
            raise to_failure(error) from None
        except NON_TRANSIENT as error:
            EXECUTED.labels(command.name, "engine_fault").inc()
            log.error("command failed for good", region=command.region_code, command=command.name,
                      error=f"{type(error).__name__}: {error}", exc_info=True)
            raise to_failure(EngineFault(
                f"the engine could not execute {command.name} for {command.region_code} ({type(error).__name__}: "
                f"{str(error)[:200]}); nothing was written",
                hint="the grant takes other commands as before; correct the values of this command, or report "
                "this with the time and the command id",
            )) from None
        EXECUTED.labels(command.name, outcome_of(None, result.duplicate)).inc()
        if not result.duplicate:
            self._pause()
        log.info(
            "command executed",
            region=result.region_code,
            command=result.command_type,
            version=result.version,
            duplicate=result.duplicate,
            attempt=activity.info().attempt,
        )
        return result

    def _pause(self) -> None:
        end = time.monotonic() + self.pause_after_commit
        while time.monotonic() < end:
            self._heartbeat()
            time.sleep(0.2)

    @staticmethod
    def _heartbeat() -> None:
        if not activity.info().is_local:  # local activities do not heartbeat
            activity.heartbeat()

    @activity.defn(name="send_reminder")
    def send_reminder(self, request: ReminderRequest) -> str:
        notification = request.notification
        reference, new = self.service.deliver_notification(notification, self.notifier)
        log.info("reminder", key=notification.key, to=notification.to, newly_sent=new, attempt=activity.info().attempt)
        return reference

    @activity.defn(name="load_state")
    def load_state(self, region_code: str) -> GrantState | None:
        """The grant of a `grant_address` (workflows/models.py): `REGION` (legacy scheme) or `SCHEME/REGION`."""
        region, scheme = grant_of_address(region_code)
        try:
            return self.service.state(region, scheme=scheme)
        except GrantNotFound:
            return None

    @activity.defn(name="region_codes")
    def region_codes(self) -> list[str]:
        return list(self.service.region_codes())

    @activity.defn(name="publish_amendment")
    def publish_amendment(self, request: PublishRequest) -> bool:
        return self.service.publish_amendment(request.amendment, request.actor, request.reason)

    @activity.defn(name="issue_decision_letters")
    def issue_decision_letters(self, region_code: str) -> GrantState:
        """`REGION` or `SCHEME/REGION`: make, record and mail the letters its besluiten lack (adapters/letters)."""
        from adapters.letters.issue import issue_letters

        region, scheme = grant_of_address(region_code)
        try:
            state = issue_letters(self.service, self.notifier, region, scheme)
        except DomainError as error:
            raise to_failure(error) from None
        except NON_TRANSIENT as error:
            log.error("decision letter failed for good", region=region_code, error=f"{type(error).__name__}: {error}",
                      exc_info=True)
            raise to_failure(EngineFault(
                f"the engine could not make the decision letters of {region_code} ({type(error).__name__}: "
                f"{str(error)[:200]})",
                hint="correct the letter template (domain/regulation/data/letters/) and wake the grant; its other "
                "steps go on as before",
            )) from None
        log.info("decision letters", region=region_code, letters=len(state.letters), attempt=activity.info().attempt)
        return state

    def all(self) -> list[Any]:
        return [self.execute_command, self.send_reminder, self.load_state, self.region_codes, self.publish_amendment,
                self.issue_decision_letters]
