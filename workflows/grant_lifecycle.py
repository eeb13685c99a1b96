"""One workflow per region grant, from vooraanmelding to the end of its life.

- Operator transitions arrive as Updates. The validator runs the domain's `decide` on the workflow's
  copy of the state (no I/O): an illegal transition is refused, with rule and source, before anything
  enters history. The handler re-checks under a lock and runs one activity that executes the command
  against the event store; the command id recorded in history makes a retried activity append nothing.
- Timers: for every deadline that applies now, reminders at the configured offsets and the
  consequence when it passes (a domain command with actor "system"). Re-planned after every change,
  every published amendment and every date on which a regulation version takes effect.
- Business time comes from the business clock (workflow time + a fixed offset), never from the
  wall clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import commands as c
    from domain.admission import admit
    from domain.clock import check_not_ahead
    from domain.deadlines import finished
    from domain.errors import DomainError, InvalidInput, error_from_dict
    from domain.idempotency import check_retry, fingerprint
    from domain.installation import FIRST_LETTERS_RELEASE
    from domain.notifications import reminder_message
    from domain.regulation import Amendment, Regulation
    from domain.regulation.schemes import legacy_scheme_id
    from domain.results import CommandResult
    from domain.state import CommandReceipt, GrantState
    from domain.timekeeping import local_date
    from workflows.clock import workflow_clock
    from workflows.failures import to_failure
    from workflows.models import (
        AwaitCommand,
        ExecuteRequest,
        GrantStatusView,
        GrantWorkflowInput,
        GrantWorkflowResult,
        PlannedReminder,
        ReminderRequest,
        TransitionRequest,
        grant_address,
    )
    from workflows.planning import Plan, plan, regulation_for, together
    from workflows.letters import issue_letters
    from workflows.alarm import Alarm, wait_or_time_out
    from workflows.patches import (PATCH_ACT_AGAIN, PATCH_COMBINED_REMINDERS, PATCH_DECISION_LETTERS, PATCH_KEPT_TIMERS,
                                   PATCH_LOCAL_CONSEQUENCE, PATCH_OBJECTION_AFTER_END, PATCH_QUIET_REPLANS, PATCH_RECEIPTS,
                                   PATCH_SCHEME_ATTRIBUTE)
    from workflows.stage_reminders import stage_waiting
    from workflows.retries import COMMAND_RETRY, PATIENT_RETRY, REMINDER_RETRY
    from workflows.search_attributes import NEXT_DEADLINE, REGION, SCHEME, SEARCH_ATTRIBUTES, STATUS  # noqa: F401 - re-exported

@workflow.defn(name="GrantLifecycle")
class GrantWorkflow:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._dirty = False
        self._input: GrantWorkflowInput | None = None
        self._state: GrantState | None = None
        self._regulation: Regulation | None = None
        self._clock = workflow_clock(0)
        self._handled: set[str] = set()
        self._skip_consequences: set[str] = set()
        self._creation_error: dict | None = None
        self._created = False
        self._awaited = False
        self._plan: Plan | None = None
        self._published: tuple[Any, ...] | None = None
        self._letters_failed_at: int | None = None  # the version at which making its letters failed
        self._alarm = Alarm()

    # --- the life ----------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: GrantWorkflowInput) -> GrantWorkflowResult:
        self._input = inp
        self._clock = workflow_clock(inp.clock_offset_seconds)
        self._regulation = regulation_for(inp.scheme, inp.base_without_versions, inp.amendments)
        self._state = inp.state
        self._handled = set(inp.handled_reminders)
        self._created = inp.state is not None
        if inp.state is None and inp.creation is not None:
            await self._create(inp.creation)
            if self._creation_error is not None:
                # let the caller that started us read the refusal before we finish
                await wait_or_time_out(lambda: self._awaited, dt.timedelta(days=1))
        while not self._finished():
            await self._act_on_plan()
            if self._finished():
                break
            if self._history_too_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._continuation())
            current = self._refresh_plan()
            if (current.send or current.passed) and workflow.patched(PATCH_ACT_AGAIN):
                continue  # time moved on while we were acting (a slow activity, a server restart): act again
            self._dirty = False
            timeout = None if current.next_wake is None else self._clock.until(current.next_wake)
            if timeout is not None and timeout <= dt.timedelta(0):
                continue
            if workflow.patched(PATCH_KEPT_TIMERS):
                await self._alarm.wait(self._clock, current.next_wake, lambda: self._dirty)
            else:  # a history recorded before: each wait its own timer, cancelled when woken first
                await wait_or_time_out(lambda: self._dirty, timeout)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._issue_letters()
        return GrantWorkflowResult(
            region_code=inp.region_code,
            status=self._state.status if self._state else None,
            version=self._state.version if self._state else 0,
            reminders_handled=len(self._handled),
            refused=self._creation_error,
        )

    async def _create(self, command: c.SubmitVooraanmelding) -> None:
        assert self._input is not None
        try:
            await self._execute(self._stamped(command), fingerprint(command), self._input.creation_signature,
                                retry=PATIENT_RETRY)
        except ApplicationError as error:
            self._creation_error = error.details[0] if error.details else {"message": str(error)}
        self._created = True

    async def _act_on_plan(self) -> None:
        """Send the reminders that are due and apply the consequences of deadlines that passed."""
        await self._issue_letters()
        current = self._refresh_plan()
        self._handled.update(current.skip)
        assert self._state is not None
        batches = together(current.send) if current.send and workflow.patched(PATCH_COMBINED_REMINDERS) else [
            [reminder] for reminder in current.send
        ]
        for batch in batches:
            notification = reminder_message(
                self._state,
                [r.deadline for r in batch],
                batch[0].offset_days,
                self._input.operator_address if self._input else "",
                local_date(self._clock.now()),
                **stage_waiting(self._state, self._regulation, self._clock.now(), self._input),
            )
            # a normal activity, not a local one: a mail server may be down for hours, and the server's
            # retries with backoff survive that without holding a workflow task open
            await workflow.execute_activity(
                "send_reminder",
                ReminderRequest(notification=notification),
                start_to_close_timeout=dt.timedelta(seconds=60),
                retry_policy=REMINDER_RETRY,
            )
            self._handled.update(r.key for r in batch)
        for deadline in current.passed:
            marker = f"{deadline.key}|{deadline.due.isoformat()}|{self._state.version}"
            if marker in self._skip_consequences:
                continue
            command = c.ApplyDeadlineConsequence(
                command_id=workflow.uuid4(),
                region_code=self._state.region_code,
                scheme=self._scheme(),
                actor=c.SYSTEM_ACTOR,
                reason=f"{deadline.title} passed on {deadline.due.isoformat()} without the required step",
                effective_at=self._clock.now(),
                deadline_key=deadline.key,
            )
            try:
                async with self._lock:
                    await self._execute(command, retry=PATIENT_RETRY, local=workflow.patched(PATCH_LOCAL_CONSEQUENCE))
            except ApplicationError as error:
                # the store's state disagrees with our copy (someone acted outside this workflow):
                # take the store's state and do not insist on this consequence for this version
                self._skip_consequences.add(marker)
                workflow.logger.warning("consequence refused: %s", error)
                await self._reload_state()
            if self._finished():
                return

    async def _issue_letters(self) -> None:
        """Since the patch: every besluit's letter, under the lock; a failure is retried after the next change."""
        state = self._state
        # the first release's moment: the earliest any store can owe from (its own moment is the activity's to read)
        if state is None or not state.besluiten_without_letter(FIRST_LETTERS_RELEASE) \
                or self._letters_failed_at == state.version:
            return
        if not workflow.patched(PATCH_DECISION_LETTERS):
            return
        async with self._lock:
            after = await issue_letters(state.region_code, self._input.scheme if self._input else None)
        if after is not None and self._state is not None and after.version >= self._state.version:
            self._state = after
        if after is None or after.besluiten_without_letter(FIRST_LETTERS_RELEASE):  # not made, or not owed by the store
            self._letters_failed_at = (after or state).version

    def _finished(self) -> bool:
        """Nothing more to do: the grant ended and (since the patch) no objection term of its last besluit runs."""
        if self._state is None:
            return True
        if not self._state.status.is_terminal:
            return False
        assert self._regulation is not None
        if finished(self._state, self._regulation, local_date(self._clock.now())):
            return True
        return not workflow.patched(PATCH_OBJECTION_AFTER_END)

    def _refresh_plan(self) -> Plan:
        assert self._state is not None and self._regulation is not None and self._input is not None
        self._plan = plan(
            self._state,
            self._regulation,
            self._clock.now(),
            self._input.reminder_offsets_days,
            self._handled,
            quiet_replans=workflow.patched(PATCH_QUIET_REPLANS),
        )
        self._upsert_search_attributes()
        return self._plan

    def _history_too_long(self) -> bool:
        info = workflow.info()
        assert self._input is not None
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > self._input.max_history_events

    def _continuation(self) -> GrantWorkflowInput:
        assert self._input is not None
        return self._input.model_copy(
            update={
                "creation": None,
                "state": self._state,
                "handled_reminders": sorted(self._handled),
                "runs": self._input.runs + 1,
            }
        )

    # --- commands ----------------------------------------------------------------------------

    async def _execute(self, command: c.Command, sent_fingerprint: str | None = None, signature: str | None = None,
                       retry: RetryPolicy = COMMAND_RETRY, local: bool = False) -> CommandResult:
        """Run `command` in the store (activity `execute_command`). `local`: as a local activity, in the
        workflow task itself; a worker that dies meanwhile fails that task, and the next worker runs the
        command again with the same command id, which the store answers without a second event."""
        request = ExecuteRequest(command=command, fingerprint=sent_fingerprint, signature=signature)
        try:
            if local:
                result: CommandResult = await workflow.execute_local_activity(
                    "execute_command", request, result_type=CommandResult,
                    start_to_close_timeout=dt.timedelta(seconds=30), retry_policy=retry,
                )
            else:
                result = await workflow.execute_activity(
                    "execute_command", request, result_type=CommandResult,
                    start_to_close_timeout=dt.timedelta(seconds=30),
                    heartbeat_timeout=dt.timedelta(seconds=5),  # a killed worker is noticed within seconds
                    retry_policy=retry,
                )
        except ActivityError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError):
                raise ApplicationError(str(cause.message), *cause.details, type=cause.type, non_retryable=True) from None
            raise
        if result.state is not None:
            self._state = result.state
            self._skip_consequences.clear()
        self._dirty = True
        return result.model_copy(update={"state": None})

    async def _reload_state(self) -> None:
        assert self._input is not None
        state = await workflow.execute_activity(
            "load_state",
            grant_address(self._input.region_code, self._input.scheme),
            result_type=GrantState,
            start_to_close_timeout=dt.timedelta(seconds=30),
        )
        if state is not None:
            self._state = state

    def _stamped(self, command: c.Command) -> c.Command:
        """The command with its business time, and the grant's scheme (so the store needs no look-up)."""
        update: dict[str, Any] = {}
        if command.effective_at is None:
            update["effective_at"] = self._clock.now()
        if command.scheme is None:
            update["scheme"] = self._scheme()
        return command.model_copy(update=update) if update else command

    def _scheme(self) -> str:
        return (self._input.scheme if self._input else None) or legacy_scheme_id()

    def _check(self, command: c.Command, sent_fingerprint: str) -> CommandReceipt | None:
        """Whether the grant takes `command` now; its receipt if it repeats a command already executed.
        Raises the domain's error as the one failure type that crosses Temporal (workflows/failures.py)."""
        assert self._regulation is not None and self._input is not None
        try:
            return admit(self._state, self._input.region_code, command, sent_fingerprint, self._regulation, self._clock.now())
        except DomainError as error:
            raise to_failure(error) from None

    def _answer(self, command: c.Command, receipt: CommandReceipt) -> CommandResult:
        assert self._state is not None
        return CommandResult.from_receipt(self._state, command.command_id, receipt, duplicate=True)

    @workflow.update
    async def transition(self, request: TransitionRequest) -> CommandResult:
        """Run one operator command: refused in the validator when a rule forbids it, else executed once.
        A repeated command (same id, same fields) is answered from its receipt, marked duplicate."""
        sent = fingerprint(request.command)
        command = self._stamped(request.command)
        async with self._lock:
            receipt = self._check(command, sent)  # re-check: another update may have changed the state meanwhile
            if receipt is not None and workflow.patched(PATCH_RECEIPTS):
                return self._answer(command, receipt)
            return await self._execute(command, sent, request.signature)

    @transition.validator
    def _validate_transition(self, request: TransitionRequest) -> None:
        command = self._stamped(request.command)
        assert self._input is not None
        try:  # only here, never in the handler: a validator does not run on replay, so the clock may judge
            check_not_ahead(command, self._clock, dt.timedelta(seconds=self._input.future_margin_seconds))
        except DomainError as error:
            raise to_failure(error) from None
        self._check(command, fingerprint(request.command))

    @workflow.update
    async def await_command(self, request: AwaitCommand) -> CommandResult:
        """Wait until the vooraanmelding that started the workflow has been executed; return its result."""
        await workflow.wait_condition(lambda: self._created)
        self._awaited = True
        if self._creation_error is not None:
            raise to_failure(error_from_dict(self._creation_error))
        assert self._state is not None
        receipt = self._state.commands.get(request.command_id.replace("-", ""))
        if receipt is None:
            raise to_failure(InvalidInput(f"command {request.command_id} is not known to this grant", field="command_id",
                                          hint="the grant was started by another vooraanmelding; look it up with `sto grant show`"))
        if request.fingerprint is not None:  # a sender repeats the vooraanmelding that started this grant
            try:
                check_retry(receipt, c.SubmitVooraanmelding.model_construct(command_id=request.command_id), request.fingerprint)
            except DomainError as error:
                raise to_failure(error) from None
        return CommandResult.from_receipt(self._state, request.command_id, receipt, duplicate=request.fingerprint is not None)

    @workflow.signal
    def amendment_published(self, amendment: Amendment) -> None:
        """A dated amendment was published: re-plan every timer from the regulation as amended."""
        assert self._input is not None
        if any(a.version.id == amendment.version.id for a in self._input.amendments):
            return
        self._input.amendments.append(amendment)
        self._regulation = regulation_for(self._input.scheme, self._input.base_without_versions, self._input.amendments)
        self._dirty = True

    # --- queries -----------------------------------------------------------------------------

    @workflow.query
    def status(self) -> GrantStatusView:
        assert self._input is not None
        current = self._plan
        return GrantStatusView(
            region_code=self._input.region_code,
            status=self._state.status if self._state else None,
            version=self._state.version if self._state else 0,
            business_now=self._clock.now(),
            next_deadlines=current.upcoming if current else [],
            next_reminders=[
                PlannedReminder(deadline_key=r.deadline.key, due=r.deadline.due, offset_days=r.offset_days, at=r.at, key=r.key)
                for r in (current.next_reminders if current else [])
            ],
            reminders_handled=len(self._handled),
            runs=self._input.runs,
            creation_refused=self._creation_error,
        )

    @workflow.query
    def state(self) -> GrantState | None:
        return self._state

    # --- visibility ----------------------------------------------------------------------------

    def _upsert_search_attributes(self) -> None:
        """Region, status and next deadline for the web UI and list queries; only when they change."""
        if self._state is None:
            return
        upcoming = self._plan.upcoming if self._plan else []
        next_due = upcoming[0].due_at.astimezone(dt.timezone.utc) if upcoming else None
        values = (self._state.region_code, self._state.status.value, next_due)
        if values == self._published:
            return
        self._published = values
        updates: list[Any] = [REGION.value_set(values[0]), STATUS.value_set(values[1])]
        updates.append(NEXT_DEADLINE.value_set(next_due) if next_due else NEXT_DEADLINE.value_unset())
        if workflow.patched(PATCH_SCHEME_ATTRIBUTE):
            updates.append(SCHEME.value_set(self._scheme()))
        workflow.upsert_search_attributes(updates)
