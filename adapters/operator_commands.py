"""Send an operator's command through its grant's workflow (GrantsClient), with the checks the workflow
cannot make itself. Used by the CLI and the HTTP API alike.

- `expected_version` is checked by the workflow's validator (StaleVersion, 409 / exit 4); a vooraanmelding
  starts a grant, so for it only 0 makes sense, and anything else is refused here before a workflow starts.
- A grant whose workflow has finished (determined, withdrawn, lapsed) or never ran (written by `sto demo`)
  is explained from the event store: the domain's own refusal, or `workflow.missing`.
- An engine that does not answer in time is reported as unavailable; the command may still be applied, so
  the caller retries with the same command id (that appends nothing twice).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import os
from typing import Any

from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from adapters.business_clock import BusinessClock
from adapters.grants_client import GrantsClient
from adapters.logging import get_logger
from adapters.temporal import TemporalSettings, connect
from adapters.transitions import BY_COMMAND_TYPE, allowed_transitions
from domain import commands as c
from domain.decide import Context, decide
from domain.errors import DomainError, GrantNotFound, StaleVersion, TransitionRefused
from domain.service import CommandResult, GrantService

log = get_logger(__name__)

ENGINE = "STO engine: every transition goes through the grant's workflow"
ACTOR_SETTING = "STO_ACTOR"


def default_actor_name() -> str:
    """Who is at the keyboard: STO_ACTOR, else the OS user."""
    name = os.environ.get(ACTOR_SETTING, "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except OSError:  # no user name in the environment nor in the password database
        return "operator"


class EngineUnavailable(DomainError):
    """Temporal did not answer (not running, unreachable, or too slow)."""

    code = "engine_unavailable"

    def __init__(self, message: str, hint: str):
        super().__init__(message, hint=hint)


class CommandSender:
    def __init__(self, grants: GrantsClient, service: GrantService, *, timeout_seconds: float = 30.0):
        self.grants = grants
        self.service = service
        self.timeout_seconds = timeout_seconds

    async def send(self, command: c.Command) -> CommandResult:
        """Run the command in its grant's workflow; raises the domain's errors or EngineUnavailable."""
        command = await self._checked_version(command)
        try:
            return await asyncio.wait_for(self.grants.transition(command), self.timeout_seconds)
        except GrantNotFound:
            raise await asyncio.to_thread(self._without_workflow, command) from None
        except (asyncio.TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise EngineUnavailable(
                f"the grant workflow of {command.region_code} did not answer within {self.timeout_seconds:g} s",
                f"check that a worker runs (`sto worker`); then send the same command again with command id "
                f"{command.command_id}: it is applied at most once",
            ) from None
        except RPCError as error:
            if error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
                raise EngineUnavailable(f"Temporal is unavailable: {error.message}", "start it with `sto serve`, then retry") from None
            raise EngineUnavailable(
                f"the grant workflow of {command.region_code} cannot take commands now: {error.message}",
                f"see the worker's log (`sto worker`); then send the same command again with command id {command.command_id}",
            ) from None

    async def _checked_version(self, command: c.Command) -> c.Command:
        if not isinstance(command, c.SubmitVooraanmelding) or command.expected_version is None:
            return command
        if command.expected_version != 0:
            raise StaleVersion(command.region_code, command.expected_version, 0)
        return command.model_copy(update={"expected_version": None})

    def _without_workflow(self, command: c.Command) -> DomainError:
        """Why a grant has no workflow to talk to: it does not exist, it ended, or it was written without one."""
        try:
            state = self.service.state(command.region_code)
        except GrantNotFound as error:
            return error
        if state.status.is_terminal:  # its workflow finished with it: the domain says why nothing follows
            moment = command.effective_at or max(dt.datetime.now(dt.timezone.utc), state.last_effective_at)
            try:
                decide(state, command, Context(self.service.regulation(), moment))
            except TransitionRefused as refusal:
                return refusal
        log.warning("grant without workflow", region=command.region_code, status=state.status.value)
        return TransitionRefused(
            "workflow.missing",
            f"the grant of {command.region_code} ({state.status.value}) has no running workflow to send {command.name} to",
            ENGINE,
            hint="grants written without the engine (`sto demo`) cannot take transitions; start grants with "
            "`sto grant pre-register` while `sto serve` or `sto worker` runs",
            status=state.status.value,
        )


async def open_sender(
    settings: TemporalSettings, service: GrantService, clock: BusinessClock, *, timeout_seconds: float = 30.0
) -> CommandSender:
    """Connect to Temporal; new grants start on `clock`. Raises EngineUnavailable when Temporal cannot be reached."""
    try:
        client = await connect(settings)
    except RuntimeError as error:
        raise EngineUnavailable(
            f"cannot reach Temporal at {settings.address}: {error}",
            "start it with `sto serve`, or point STO_TEMPORAL_ADDRESS at a running server",
        ) from None
    grants = GrantsClient(client, task_queue=settings.task_queue, clock_offset_seconds=clock.offset_seconds)
    return CommandSender(grants, service, timeout_seconds=timeout_seconds)


def result_view(result: CommandResult) -> dict[str, Any]:
    """What a transition did, and what is possible next (CLI --json and the HTTP API answer the same)."""
    return {
        "region_code": result.region_code,
        "transition": BY_COMMAND_TYPE[result.command_type].name if result.command_type in BY_COMMAND_TYPE else None,
        "command_type": result.command_type,
        "command_id": str(result.command_id),
        "status": result.status.value,
        "version": result.version,
        "events": list(result.events),
        "duplicate": result.duplicate,
        "allowed_transitions": allowed_transitions(result.status),
    }
