"""The client side of the grant workflows: start a grant, send it operator commands, ask its status.

Used by the CLI, the HTTP API and the historic replay. Workflow errors come back as the domain's own
errors (TransitionRefused with rule and source, GrantNotFound, ConcurrencyConflict).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any, Sequence

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain import commands as c
from domain.clock import FUTURE_MARGIN
from domain.errors import DomainError, GrantNotFound, InvalidInput, TransitionRefused
from domain.idempotency import fingerprint
from domain.regulation import Amendment
from domain.regulation.schemes import legacy_scheme_id, scoped
from domain.results import CommandResult
from domain.state import GrantState
from workflows import TASK_QUEUE, grant_workflow_id
from workflows.credentials import CommandCredentials
from workflows.failures import domain_error
from workflows.grant_lifecycle import REGION, SCHEME, STATUS, GrantWorkflow
from workflows.models import (
    DEFAULT_REMINDER_OFFSETS,
    AwaitCommand,
    GrantStatusView,
    GrantWorkflowInput,
    TransitionRequest,
)


class EngineUnavailable(DomainError):
    """Temporal could not be reached: the command was not sent."""

    code = "engine_unavailable"

    def __init__(self, message: str, hint: str):
        super().__init__(message, hint=hint)


class OutcomeUnknown(DomainError):
    """The command was sent but no answer came in time: it may yet be applied, or not."""

    code = "outcome_unknown"

    def __init__(self, message: str, hint: str, command_id: str = ""):
        super().__init__(message, hint=hint)
        self.command_id = command_id

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "command_id": self.command_id}


class GrantBusy(DomainError):
    """Too many commands for this grant are under way: this one was not sent."""

    code = "grant_busy"

    def __init__(self, message: str, hint: str):
        super().__init__(message, hint=hint)


class GrantAlreadyStarted(TransitionRefused):
    """The region already has a running grant workflow."""


def role_addresses_from_env() -> dict[str, str]:
    """STO_ROLE_ADDRESSES="interne_controle=ic@dus-i.example,coordinator=coordinatie@dus-i.example": the mailbox of
    each role that takes a stage; a role not named gets the operator address."""
    pairs = (item.split("=", 1) for item in os.environ.get("STO_ROLE_ADDRESSES", "").split(",") if "=" in item)
    return {role.strip(): address.strip() for role, address in pairs if role.strip() and address.strip()}


class GrantsClient:
    def __init__(
        self,
        client: Client,
        *,
        task_queue: str = TASK_QUEUE,
        clock_offset_seconds: float = 0.0,
        base_without_versions: Sequence[str] = (),
        amendments: Sequence[Amendment] = (),
        reminder_offsets_days: Sequence[int] = DEFAULT_REMINDER_OFFSETS,
        operator_address: str = "dus-i@sto.example",
        role_addresses: dict[str, str] | None = None,
        max_history_events: int = 2_000,
        credentials: CommandCredentials | None = None,
        future_margin: dt.timedelta = FUTURE_MARGIN,
    ):
        self.client = client
        self.task_queue = task_queue
        self.clock_offset_seconds = clock_offset_seconds
        self.base_without_versions = list(base_without_versions)
        self.amendments = list(amendments)
        self.reminder_offsets_days = list(reminder_offsets_days)
        self.operator_address = operator_address
        # where DUS-I's reminders go while a besluit waits in a stage (STO_ROLE_ADDRESSES: role=address,...)
        self.role_addresses = dict(role_addresses) if role_addresses is not None else role_addresses_from_env()
        self.max_history_events = max_history_events
        self.credentials = credentials or CommandCredentials(None)
        self.future_margin = future_margin

    def handle(self, region_code: str, scheme: str | None = None) -> WorkflowHandle:
        return self.client.get_workflow_handle_for(GrantWorkflow.run, grant_workflow_id(region_code, scheme))

    async def start_grant(self, command: c.SubmitVooraanmelding) -> WorkflowHandle:
        """Start the region's workflow with its vooraanmelding (returns at once)."""
        region = command.region_code
        try:
            return await self.client.start_workflow(
                GrantWorkflow.run,
                GrantWorkflowInput(
                    region_code=region,
                    scheme=scoped(command.scheme),
                    creation=command,
                    clock_offset_seconds=self.clock_offset_seconds,
                    base_without_versions=self.base_without_versions,
                    amendments=self.amendments,
                    reminder_offsets_days=self.reminder_offsets_days,
                    operator_address=self.operator_address,
                    role_addresses=self.role_addresses,
                    max_history_events=self.max_history_events,
                    creation_signature=self.credentials.sign(command),
                    future_margin_seconds=self.future_margin.total_seconds(),
                ),
                id=grant_workflow_id(region, command.scheme),
                task_queue=self.task_queue,
                # a region whose vooraanmelding was refused may try again; the store refuses a second grant
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(REGION, region), SearchAttributePair(STATUS, "starting"),
                     SearchAttributePair(SCHEME, command.scheme or legacy_scheme_id())]
                ),
            )
        except Exception as error:
            already = isinstance(error, RPCError) and error.status is RPCStatusCode.ALREADY_EXISTS
            if already or type(error).__name__ == "WorkflowAlreadyStartedError":
                raise GrantAlreadyStarted(
                    "lifecycle.one_grant_per_region",
                    f"region {region} already has a grant workflow",
                    "Algemene wet bestuursrecht art. 4:1 (one application per applicant and scheme); the scheme's vooraanmelding",
                    hint=f"look it up with `sto grant show {region}`",
                ) from None
            raise

    async def pre_register(self, command: c.SubmitVooraanmelding) -> CommandResult:
        """Start the grant and wait for its vooraanmelding to be recorded (or refused). Sent again with the same
        command id, it answers the first result as a duplicate (another command id: refused, one grant a region)."""
        try:
            handle = await self.start_grant(command)
            retry = None
        except GrantAlreadyStarted as started:
            handle, retry = self.handle(command.region_code, command.scheme), started
        request = AwaitCommand(command_id=str(command.command_id), fingerprint=fingerprint(command) if retry else None)
        try:
            return await self._update(handle, command.region_code, GrantWorkflow.await_command, request)
        except InvalidInput:
            if retry is not None:  # the running grant was started by another vooraanmelding
                raise retry from None
            raise

    async def transition(self, command: c.Command) -> CommandResult:
        """Send one operator command through the grant's workflow update. Idempotent on the command id: the
        grant answers a repeated command from its receipt (`duplicate`), and refuses the id for another command.
        Each send is its own update (Temporal would answer a repeated update id with the first result, unmarked)."""
        if isinstance(command, c.SubmitVooraanmelding):
            return await self.pre_register(command)
        handle = self.handle(command.region_code, command.scheme)
        request = TransitionRequest(command=command, signature=self.credentials.sign(command))
        return await self._update(handle, command.region_code, GrantWorkflow.transition, request)

    async def _update(self, handle: WorkflowHandle, region: str, update, arg) -> CommandResult:
        try:
            return await handle.execute_update(update, arg, id=str(uuid.uuid4()))
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            while isinstance(cause, ActivityError) and cause.cause is not None:
                cause = cause.cause
            if isinstance(cause, ApplicationError):
                raise domain_error(cause) from None
            raise
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise GrantNotFound(region) from None
            if error.status is RPCStatusCode.RESOURCE_EXHAUSTED or "update was aborted" in error.message:
                # the server takes ten updates in flight per workflow, and aborts those not yet accepted when a
                # workflow task fails: neither was applied
                raise GrantBusy(f"the engine has too many commands for {region} under way: {error.message}; it was not applied",
                                "nothing was written; send it again in a moment (the same command id is safe)") from None
            raise

    async def status(self, region_code: str, scheme: str | None = None) -> GrantStatusView:
        try:
            return await self.handle(region_code, scheme).query(GrantWorkflow.status)
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise GrantNotFound(region_code) from None
            raise

    async def state(self, region_code: str, scheme: str | None = None) -> GrantState | None:
        try:
            return await self.handle(region_code, scheme).query(GrantWorkflow.state)
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise GrantNotFound(region_code) from None
            raise
