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

from adapters.engine.business_clock import BusinessClock, future_margin_from_env
from adapters.engine.key import engine_key
from adapters.engine.grants_client import EngineUnavailable, GrantBusy, GrantsClient, OutcomeUnknown
from adapters.logging import get_logger
from adapters.observability.metrics import command_observed
from adapters.engine.temporal import TemporalSettings, connect
from adapters.operators.transitions import BY_COMMAND_TYPE, allowed_transitions
from domain import commands as c
from domain.clock import FUTURE_MARGIN, check_not_ahead
from domain.decide import Context, decide
from domain.errors import DomainError, GrantNotFound, StaleVersion, TransitionRefused
from domain.regulation.schemes import legacy_scheme_id, scoped
from domain.regulation.schemes import scheme as shipped_scheme
from domain.results import CommandResult
from domain.timekeeping import local_date
from adapters.event_store.service import GrantService
from workflows.credentials import CommandCredentials

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


# Temporal takes at most ten updates in flight per workflow (the server's limit.maxInFlightUpdates) and makes
# the rest wait and retry; so a crowd of operators on one grant queues here, in order, at most this many on
# their way at a time, and whoever waits longer than `queue_seconds` is told "busy, nothing sent".
IN_FLIGHT_PER_GRANT = 8


class CommandSender:
    def __init__(self, grants: GrantsClient, service: GrantService, *, timeout_seconds: float = 30.0,
                 clock: BusinessClock | None = None, queue_seconds: float = 10.0, attempts: int = 2,
                 future_margin: dt.timedelta = FUTURE_MARGIN):
        self.grants = grants
        self.service = service
        self.timeout_seconds = timeout_seconds
        self.clock = clock or BusinessClock()
        self.queue_seconds = queue_seconds
        self.attempts = attempts
        self.future_margin = future_margin
        self._gates: dict[str, asyncio.Semaphore] = {}

    def _gate(self, region: str) -> asyncio.Semaphore:
        gate = self._gates.get(region)
        if gate is None:
            gate = self._gates[region] = asyncio.Semaphore(IN_FLIGHT_PER_GRANT)
        return gate

    async def send(self, command: c.Command) -> CommandResult:
        """Run the command in its grant's workflow; raises the domain's errors, InvalidInput (nothing sent),
        GrantBusy (nothing sent), EngineUnavailable (nothing sent) or OutcomeUnknown (sent, no answer: the
        command was tried `attempts` times with its command id, so it is applied at most once)."""
        with command_observed(command.name) as answered:
            check_not_ahead(command, self.clock, self.future_margin)
            command = await self._checked_version(command)
            command = await asyncio.to_thread(self._with_scheme, command)
            result = await self._send_gated(command)
            answered(result.duplicate)
            return result

    async def _send_gated(self, command: c.Command) -> CommandResult:
        gate = self._gate(command.region_code)
        try:
            await asyncio.wait_for(gate.acquire(), self.queue_seconds)
        except asyncio.TimeoutError:
            raise GrantBusy(
                f"grant {command.region_code} has {IN_FLIGHT_PER_GRANT} commands under way and this one waited "
                f"{self.queue_seconds:g} s; it was not sent",
                "nothing was written; send it again in a moment (the same command id is safe)",
            ) from None
        try:
            for attempt in range(1, self.attempts + 1):
                try:
                    return await self._send_once(command)
                except OutcomeUnknown:
                    if attempt == self.attempts:
                        raise
                    log.warning("command.outcome_unknown", region=command.region_code, command_id=str(command.command_id),
                                attempt=attempt, action="sending again with the same command id")
            raise AssertionError("unreachable")
        finally:
            gate.release()

    async def _send_once(self, command: c.Command) -> CommandResult:
        try:
            return await asyncio.wait_for(self.grants.transition(command), self.timeout_seconds)
        except GrantNotFound:
            raise await asyncio.to_thread(self._without_workflow, command) from None
        except (asyncio.TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise OutcomeUnknown(
                f"the grant workflow of {command.region_code} did not answer within {self.timeout_seconds:g} s: "
                f"the command may still be applied",
                f"send the same command again with command id {command.command_id}: it is applied at most once, and "
                "the answer says `duplicate` if it already was; check that a worker runs (`sto worker`)",
                str(command.command_id),
            ) from None
        except RPCError as error:
            if error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
                raise EngineUnavailable(f"Temporal is unavailable: {error.message}", "start it with `sto serve`, then retry") from None
            if error.status is RPCStatusCode.RESOURCE_EXHAUSTED:
                raise GrantBusy(f"the engine has too many commands for {command.region_code} under way: {error.message}",
                                "nothing was written; send it again in a moment (the same command id is safe)") from None
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

    def _with_scheme(self, command: c.Command) -> c.Command:
        """The command addressed to one grant: the scheme named, else the region's grant (or, for a vooraanmelding,
        the scheme in force on its day). A grant of the legacy scheme is addressed as before there were schemes."""
        if command.scheme is not None:
            return command
        day = local_date(command.effective_at or self.clock.now())
        scheme = self.service.scheme_of(command.region_code, None, day=day,
                                        starting=isinstance(command, c.SubmitVooraanmelding))
        return command if scoped(scheme) is None else command.model_copy(update={"scheme": scheme})

    def _without_workflow(self, command: c.Command) -> DomainError:
        """Why a grant has no workflow to talk to: it does not exist, it ended, or it was written without one."""
        try:
            state = self.service.state(command.region_code, scheme=command.scheme)
        except GrantNotFound as error:
            return error
        if state.status.is_terminal:  # its workflow finished with it: the domain says why nothing follows
            moment = command.effective_at or max(dt.datetime.now(dt.timezone.utc), state.last_effective_at)
            try:
                decide(state, command, Context(self.service.regulation(state.scheme), moment))
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
    settings: TemporalSettings, service: GrantService, clock: BusinessClock, *, timeout_seconds: float = 30.0,
    database_url: str | None = None,
) -> CommandSender:
    """Connect to Temporal; new grants start on `clock`. Raises EngineUnavailable when Temporal cannot be reached."""
    try:
        client = await connect(settings)
    except RuntimeError as error:
        raise EngineUnavailable(
            f"cannot reach Temporal at {settings.address}: {error}",
            "start it with `sto serve`, or point STO_TEMPORAL_ADDRESS at a running server",
        ) from None
    margin = future_margin_from_env()
    grants = GrantsClient(client, task_queue=settings.task_queue, clock_offset_seconds=clock.offset_seconds,
                          credentials=CommandCredentials(engine_key(database_url)), future_margin=margin)
    return CommandSender(grants, service, timeout_seconds=timeout_seconds, clock=clock, future_margin=margin)


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
        "scheme": result.scheme or legacy_scheme_id(),
        "allowed_transitions": allowed_transitions(result.status, shipped_scheme(result.scheme)),
    }
