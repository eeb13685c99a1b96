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
from temporalio.exceptions import ApplicationError

from adapters.logging import get_logger
from domain.errors import CommandIdReused, ConcurrencyConflict, GrantNotFound, StaleVersion, TransitionRefused
from domain.ports import Notifier
from domain.service import CommandResult, GrantService
from domain.state import GrantState
from workflows.models import ExecuteRequest, PublishRequest, ReminderRequest

log = get_logger(__name__)

REFUSED = "TransitionRefused"
NOT_FOUND = "GrantNotFound"
ID_REUSED = "CommandIdReused"
CONFLICT = "ConcurrencyConflict"
NON_RETRYABLE = [REFUSED, NOT_FOUND, ID_REUSED]


def refusal_error(error: TransitionRefused) -> ApplicationError:
    return ApplicationError(str(error), error.to_dict(), type=REFUSED, non_retryable=True)


class GrantActivities:
    """Activities bound to one grants service and one notifier (one set per worker process)."""

    def __init__(self, service: GrantService, notifier: Notifier):
        self.service = service
        self.notifier = notifier
        # Fault injection for the crash tests: pause after the event is stored and before the activity
        # reports back, so that a worker killed in that window leaves "written but not acknowledged".
        self.pause_after_commit = float(os.environ.get("STO_FAULT_PAUSE_AFTER_COMMIT", "0") or 0)

    @activity.defn(name="execute_command")
    def execute_command(self, request: ExecuteRequest) -> CommandResult:
        command = request.command
        self._heartbeat()
        try:
            result = self.service.execute(command)
        except TransitionRefused as error:
            raise refusal_error(error) from None
        except GrantNotFound as error:
            raise ApplicationError(error.message, error.to_dict(), type=NOT_FOUND, non_retryable=True) from None
        except CommandIdReused as error:
            raise ApplicationError(error.message, error.to_dict(), type=ID_REUSED, non_retryable=True) from None
        except StaleVersion as error:
            # the operator worked on an older version: retrying cannot help, they must look again
            raise ApplicationError(error.message, error.to_dict(), type=CONFLICT, non_retryable=True) from None
        except ConcurrencyConflict as error:
            # retried by Temporal: the next attempt reloads, re-checks and appends at most once
            raise ApplicationError(error.message, error.to_dict(), type=CONFLICT) from None
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
        try:
            return self.service.state(region_code)
        except GrantNotFound:
            return None

    @activity.defn(name="region_codes")
    def region_codes(self) -> list[str]:
        return list(self.service.region_codes())

    @activity.defn(name="publish_amendment")
    def publish_amendment(self, request: PublishRequest) -> bool:
        return self.service.publish_amendment(request.amendment, request.actor, request.reason)

    def all(self) -> list[Any]:
        return [self.execute_command, self.send_reminder, self.load_state, self.region_codes, self.publish_amendment]
