"""What crosses the workflow boundary: inputs, update requests, activity requests, query answers.

Kept in their own module and imported through `imports_passed_through`: pydantic models with dates
defined inside a workflow module fail to decode in Temporal's sandbox.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from domain.commands import AnyCommand, SubmitVooraanmelding
from domain.notifications import Notification
from domain.regulation import Amendment, DeadlineInfo
from domain.regulation.schemes import legacy_scheme_id, scoped
from domain.results import CommandResult
from domain.state import GrantState
from domain.values import GrantStatus

DEFAULT_REMINDER_OFFSETS = (28, 14, 7, 1)


class GrantWorkflowInput(BaseModel):
    """Everything a grant workflow starts (or continues as new) with."""

    region_code: str
    scheme: str | None = None  # the grant's scheme (regeling); None: the legacy scheme (started before schemes)
    creation: SubmitVooraanmelding | None = None  # the vooraanmelding that starts the grant
    clock_offset_seconds: float = 0.0  # business time = workflow time + offset, fixed at start
    base_without_versions: list[str] = Field(default_factory=list)  # the shipped regulation minus these
    amendments: list[Amendment] = Field(default_factory=list)  # published while running
    reminder_offsets_days: list[int] = Field(default_factory=lambda: list(DEFAULT_REMINDER_OFFSETS))
    operator_address: str = "dus-i@sto.example"
    # where DUS-I's reminders go while a besluit waits in a stage: the mailbox of the stage's role (else operator_address)
    role_addresses: dict[str, str] = Field(default_factory=dict)
    state: GrantState | None = None  # carried over continue-as-new
    handled_reminders: list[str] = Field(default_factory=list)
    runs: int = 1
    max_history_events: int = 2_000
    creation_signature: str | None = None  # of the vooraanmelding (workflows/credentials.py)
    future_margin_seconds: float = 86_400.0  # how far ahead of the business clock a command may be dated


class TransitionRequest(BaseModel):
    command: AnyCommand
    signature: str | None = None  # workflows/credentials.py


class ExecuteRequest(BaseModel):
    command: AnyCommand  # with its business time stamped
    fingerprint: str | None = None  # of the command as sent, before the stamp (domain/idempotency.py)
    signature: str | None = None


class ReminderRequest(BaseModel):
    notification: Notification


class PlannedReminder(BaseModel):
    model_config = ConfigDict(frozen=True)

    deadline_key: str
    due: dt.date
    offset_days: int
    at: dt.datetime  # business time
    key: str


class GrantStatusView(BaseModel):
    """What the `status` query answers: state, next deadlines and reminders, in business time."""

    region_code: str
    status: GrantStatus | None
    version: int
    business_now: dt.datetime
    next_deadlines: list[DeadlineInfo]
    next_reminders: list[PlannedReminder]
    reminders_handled: int
    runs: int
    creation_refused: dict | None = None


class GrantWorkflowResult(BaseModel):
    region_code: str
    status: GrantStatus | None
    version: int
    reminders_handled: int
    refused: dict | None = None


class PublishRequest(BaseModel):
    amendment: Amendment
    actor: str
    reason: str


class AwaitCommand(BaseModel):
    command_id: str
    fingerprint: str | None = None  # set when a sender repeats its vooraanmelding: the answer is a duplicate


__all__ = ["CommandResult"]


class ExtensionCandidate(BaseModel):
    region_code: str
    requested_cents: int
    cap_cents: int


class ExtensionRoundInput(BaseModel):
    actor_name: str
    reason: str = "verlenging: plan en begroting akkoord"
    clock_offset_seconds: float = 0.0


class ExtensionRoundResult(BaseModel):
    budget_cents: int
    requested_cents: int
    granted_cents: int
    scale: str  # Decimal as text: 1 when every request fits the budget
    granted: dict[str, int]
    refused: dict[str, str]


class SendTransition(BaseModel):
    command: AnyCommand


class TransitionOutcome(BaseModel):
    region_code: str
    result: CommandResult | None = None
    refused: dict | None = None


class OpenPeriodInput(BaseModel):
    period: int
    region_codes: list[str]
    clock_offset_seconds: float = 0.0
    operator_address: str = "dus-i@sto.example"


class OpenPeriodResult(BaseModel):
    period: int
    notified: list[str]
    applied: list[str]
    not_applied: list[str]


class PeriodNotice(BaseModel):
    region_code: str
    period: int
    today: dt.date


def grant_address(region_code: str, scheme: str | None) -> str:
    """How the grant workflow names its grant to an activity: `REGION` for a grant of the legacy scheme,
    `SCHEME/REGION` for any other."""
    scope = scoped(scheme)
    return region_code if scope is None else f"{scope}/{region_code}"


def grant_of_address(address: str) -> tuple[str, str]:
    """(region, scheme) of a `grant_address`. A bare `REGION` is the legacy scheme's grant, never "the region's
    grant in the scheme in force": for a region with a grant in a later scheme too, that is another grant."""
    scheme, _, region = address.rpartition("/")
    return region, scheme or legacy_scheme_id()
