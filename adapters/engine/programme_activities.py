"""Activities of the programme operations: they read the store and talk to grant workflows."""

from __future__ import annotations



from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.errors import GrantNotFound
from domain.money import extension_cap_cents
from domain.notifications import period_notice
from domain.ports import Notifier
from domain.regulation import Amendment
from domain.results import CommandResult
from adapters.event_store.service import GrantService
from domain.values import GrantStatus
from workflows import grant_workflow_id
from workflows.credentials import CommandCredentials
from workflows.models import (
    ExtensionCandidate,
    OpenPeriodInput,
    PeriodNotice,
    SendTransition,
    TransitionOutcome,
    TransitionRequest,
)


class ProgrammeActivities:
    def __init__(self, service: GrantService, notifier: Notifier, client: Client,
                 credentials: CommandCredentials | None = None):
        self.service = service
        self.notifier = notifier
        self.client = client
        self.credentials = credentials or CommandCredentials(None)

    @activity.defn(name="extension_candidates")
    def extension_candidates(self) -> list[ExtensionCandidate]:
        regulation = self.service.regulation()
        scheme = regulation.data.scheme_id  # the programme's operations are those of the service's own scheme
        found = []
        for region in self.service.region_codes(scheme):
            state = self.service.state(region, scheme=scheme)
            plan = state.extension.plan
            if state.status is not GrantStatus.APPROVED or plan is None or state.extension.granted_cents is not None:
                continue
            assert state.extension.plan_submitted_on is not None
            cap = extension_cap_cents(state.granted_cents, regulation, state.extension.plan_submitted_on)
            found.append(ExtensionCandidate(region_code=region, requested_cents=plan.requested_cents, cap_cents=cap))
        return found

    @activity.defn(name="send_transition")
    async def send_transition(self, request: SendTransition) -> TransitionOutcome:
        command = request.command
        handle = self.client.get_workflow_handle(grant_workflow_id(command.region_code, command.scheme))
        try:
            result = await handle.execute_update(
                "transition", TransitionRequest(command=command, signature=self.credentials.sign(command)),
                id=str(command.command_id), result_type=CommandResult
            )
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                details = cause.details[0] if cause.details else {"message": cause.message}
                return TransitionOutcome(region_code=command.region_code, refused=details)
            raise
        return TransitionOutcome(region_code=command.region_code, result=result)

    @activity.defn(name="send_period_notice")
    def send_period_notice(self, notice: PeriodNotice) -> bool:
        regulation = self.service.regulation()
        try:
            state = self.service.state(notice.region_code, scheme=regulation.data.scheme_id)
        except GrantNotFound:
            return False
        window = regulation.term(regulation.data.application_round(notice.period).window, notice.today)
        self.service.deliver_notification(period_notice(state, window, notice.period, notice.today), self.notifier)
        return True

    @activity.defn(name="regions_that_applied")
    def regions_that_applied(self, inp: OpenPeriodInput) -> list[str]:
        applied = []
        for region in inp.region_codes:
            try:
                state = self.service.state(region, scheme=self.service.regulation().data.scheme_id)
            except GrantNotFound:
                continue
            if any(a.period == inp.period for a in state.applications):
                applied.append(region)
        return applied

    @activity.defn(name="published_amendments")
    def published_amendments(self) -> list[Amendment]:
        """The amendments published in the store: a programme workflow applies them on the shipped regulation."""
        return self.service.published_amendments()

    def all(self) -> list:
        return [self.extension_candidates, self.send_transition, self.send_period_notice, self.regions_that_applied,
                self.published_amendments]


