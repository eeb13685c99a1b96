"""The client side of the grant workflows: start a grant, send it operator commands, ask its status.

Used by the CLI, the HTTP API and the historic replay. Workflow errors come back as the domain's own
errors (TransitionRefused with rule and source, GrantNotFound, ConcurrencyConflict).
"""

from __future__ import annotations

from typing import Sequence

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain import commands as c
from domain.errors import GrantNotFound, StaleVersion, TransitionRefused
from domain.regulation import Amendment
from domain.service import CommandResult
from domain.state import GrantState
from workflows import TASK_QUEUE, grant_workflow_id
from workflows.grant_lifecycle import REGION, STATUS, GrantWorkflow
from workflows.models import (
    DEFAULT_REMINDER_OFFSETS,
    AwaitCommand,
    GrantStatusView,
    GrantWorkflowInput,
    TransitionRequest,
)


def _domain_error(error: ApplicationError, region_code: str) -> Exception:
    details = error.details[0] if error.details else {}
    if error.type == "TransitionRefused" and isinstance(details, dict) and "rule" in details:
        return TransitionRefused.from_dict(details)
    if error.type == "GrantNotFound":
        return GrantNotFound(region_code)
    if error.type == "ConcurrencyConflict":
        return StaleVersion(region_code, details.get("expected_version"), details.get("actual_version"))
    if error.type == "NotReady":
        return GrantNotFound(region_code)
    return TransitionRefused("workflow." + (error.type or "error"), error.message, "STO engine", hint="see the message")


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
        max_history_events: int = 2_000,
    ):
        self.client = client
        self.task_queue = task_queue
        self.clock_offset_seconds = clock_offset_seconds
        self.base_without_versions = list(base_without_versions)
        self.amendments = list(amendments)
        self.reminder_offsets_days = list(reminder_offsets_days)
        self.operator_address = operator_address
        self.max_history_events = max_history_events

    def handle(self, region_code: str) -> WorkflowHandle:
        return self.client.get_workflow_handle_for(GrantWorkflow.run, grant_workflow_id(region_code))

    async def start_grant(self, command: c.SubmitVooraanmelding) -> WorkflowHandle:
        """Start the region's workflow with its vooraanmelding (returns at once)."""
        region = command.region_code
        try:
            return await self.client.start_workflow(
                GrantWorkflow.run,
                GrantWorkflowInput(
                    region_code=region,
                    creation=command,
                    clock_offset_seconds=self.clock_offset_seconds,
                    base_without_versions=self.base_without_versions,
                    amendments=self.amendments,
                    reminder_offsets_days=self.reminder_offsets_days,
                    operator_address=self.operator_address,
                    max_history_events=self.max_history_events,
                ),
                id=grant_workflow_id(region),
                task_queue=self.task_queue,
                # a region whose vooraanmelding was refused may try again; the store refuses a second grant
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(REGION, region), SearchAttributePair(STATUS, "starting")]
                ),
            )
        except Exception as error:
            already = isinstance(error, RPCError) and error.status is RPCStatusCode.ALREADY_EXISTS
            if already or type(error).__name__ == "WorkflowAlreadyStartedError":
                raise TransitionRefused(
                    "lifecycle.one_grant_per_region",
                    f"region {region} already has a grant workflow",
                    "Subsidieregeling sterk techniekonderwijs 2020–2023 (2018-09-12) vooraanmelding",
                    hint=f"look it up with `sto grant show {region}`",
                ) from None
            raise

    async def pre_register(self, command: c.SubmitVooraanmelding) -> CommandResult:
        """Start the grant and wait for its vooraanmelding to be recorded (or refused)."""
        handle = await self.start_grant(command)
        return await self._update(handle, command.region_code, GrantWorkflow.await_command, AwaitCommand(command_id=str(command.command_id)))

    async def transition(self, command: c.Command) -> CommandResult:
        """Send one operator command through the grant's workflow update (idempotent on the command id)."""
        if isinstance(command, c.SubmitVooraanmelding):
            return await self.pre_register(command)
        handle = self.handle(command.region_code)
        return await self._update(
            handle, command.region_code, GrantWorkflow.transition, TransitionRequest(command=command), update_id=str(command.command_id)
        )

    async def _update(self, handle: WorkflowHandle, region: str, update, arg, update_id: str | None = None) -> CommandResult:
        try:
            return await handle.execute_update(update, arg, id=update_id)
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError):
                raise _domain_error(cause, region) from None
            raise
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise GrantNotFound(region) from None
            raise

    async def status(self, region_code: str) -> GrantStatusView:
        try:
            return await self.handle(region_code).query(GrantWorkflow.status)
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise GrantNotFound(region_code) from None
            raise

    async def state(self, region_code: str) -> GrantState | None:
        try:
            return await self.handle(region_code).query(GrantWorkflow.state)
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise GrantNotFound(region_code) from None
            raise
