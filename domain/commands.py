"""Commands: what operators (and the engine itself) ask a grant to do. Imperative names.

Every command carries a command id (retries with the same id append nothing), the actor and role,
the reason, optionally the business time it takes effect and the version the sender last saw.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal, Union
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from domain.models import (
    ApplicationDocuments,
    CriterionAdvice,
    ExtensionPlan,
    Partner,
    Penvoerder,
    PositiveCents,
    YearAmount,
)
from domain.values import (
    Brin6,
    NonBlank,
    ObjectionOutcome,
    RegionCode,
    RegionKind,
    Role,
)


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: NonBlank
    role: Role


SYSTEM_ACTOR = Actor(name="sto-engine", role=Role.SYSTEM)


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    command_id: UUID = Field(default_factory=uuid4)
    region_code: RegionCode
    actor: Actor
    reason: NonBlank
    effective_at: AwareDatetime | None = None  # business time; default: the business clock's now
    expected_version: Annotated[int, Field(ge=0)] | None = None  # optimistic concurrency, like If-Match

    allowed_roles: ClassVar[frozenset[Role]] = frozenset({Role.OPERATOR})

    @property
    def name(self) -> str:
        return type(self).__name__


class SubmitVooraanmelding(Command):
    """Register the region's intention to apply (vooraanmelding met intentieverklaring)."""

    type: Literal["SubmitVooraanmelding"] = "SubmitVooraanmelding"
    region_name: NonBlank
    kind: RegionKind
    penvoerder: Penvoerder
    vmbo_schools: list[Brin6]
    mbo_institutions: list[NonBlank]
    partners: list[Partner]


class SubmitApplication(Command):
    """Record the region's application (aanvraag) in application period 1, 2 or 3."""

    type: Literal["SubmitApplication"] = "SubmitApplication"
    period: Literal[1, 2, 3]
    documents: ApplicationDocuments


class RequestRepair(Command):
    """Ask the region to complete its application (herstel verzuim, Awb 4:5)."""

    type: Literal["RequestRepair"] = "RequestRepair"
    missing: Annotated[list[NonBlank], Field(min_length=1)]
    repair_days: Annotated[int, Field(ge=1, le=90)] | None = None


class SubmitRepair(Command):
    """Record the documents that complete the application."""

    type: Literal["SubmitRepair"] = "SubmitRepair"
    documents: ApplicationDocuments | None = None  # a replacement of the whole application, if sent


class AcceptApplication(Command):
    """Declare the application complete and send it to the beoordelingscommissie."""

    type: Literal["AcceptApplication"] = "AcceptApplication"


class RecordAdvice(Command):
    """Record the advice of the beoordelingscommissie, per criterion."""

    type: Literal["RecordAdvice"] = "RecordAdvice"
    positive: bool
    criteria: Annotated[list[CriterionAdvice], Field(min_length=1)]
    ranking_score: Annotated[int, Field(ge=0, le=100)] | None = None


class ApproveGrant(Command):
    """Grant the subsidy (verlening) with an amount per year."""

    type: Literal["ApproveGrant"] = "ApproveGrant"
    granted_per_year: Annotated[list[YearAmount], Field(min_length=1)]
    sent_on: dt.date | None = None

    @field_validator("granted_per_year")
    @classmethod
    def _years_unique(cls, amounts: list[YearAmount]) -> list[YearAmount]:
        years = [a.year for a in amounts]
        if len(set(years)) != len(years):
            raise ValueError("each year may appear once")
        return amounts


class RejectApplication(Command):
    """Reject the application (afwijzing), with reasons."""

    type: Literal["RejectApplication"] = "RejectApplication"
    reasons: Annotated[list[NonBlank], Field(min_length=1)]
    sent_on: dt.date | None = None


class FileObjection(Command):
    """Record an objection (bezwaar) against the last decision (Awb 6:4, within 6 weeks: Awb 6:7)."""

    type: Literal["FileObjection"] = "FileObjection"
    grounds: NonBlank


class DecideObjection(Command):
    """Decide on the objection: upheld (gegrond) or dismissed (ongegrond)."""

    type: Literal["DecideObjection"] = "DecideObjection"
    outcome: ObjectionOutcome
    granted_per_year: list[YearAmount] = Field(default_factory=list)


class SubmitProgressReport(Command):
    """Record progress report (voortgangsrapportage) 1 or 2; number 2 may carry the 2024 plan."""

    type: Literal["SubmitProgressReport"] = "SubmitProgressReport"
    number: Literal[1, 2]
    summary: NonBlank
    spent_cents: Annotated[int, Field(ge=0)]
    cofinancing_realised_cents: Annotated[int, Field(ge=0)]
    extension_plan: ExtensionPlan | None = None


class SubmitExtensionPlan(Command):
    """Record the plan and budget for the 2024 extension year."""

    type: Literal["SubmitExtensionPlan"] = "SubmitExtensionPlan"
    plan: ExtensionPlan


class GrantExtension(Command):
    """Grant the 2024 extension (at most a quarter of the 2020–2023 total)."""

    type: Literal["GrantExtension"] = "GrantExtension"
    amount_cents: PositiveCents


class RecordHourlyRateChange(Command):
    """Record that the region uses another hourly rate; the granted subsidy never changes for it."""

    type: Literal["RecordHourlyRateChange"] = "RecordHourlyRateChange"
    rate_cents: PositiveCents
    motivation: str | None = None


class SubmitFinalReport(Command):
    """Record the final report (eindverslag): realised costs and co-financing."""

    type: Literal["SubmitFinalReport"] = "SubmitFinalReport"
    summary: NonBlank
    realised_per_year: Annotated[list[YearAmount], Field(min_length=1)]
    cofinancing_realised_cents: Annotated[int, Field(ge=0)]


class DetermineGrant(Command):
    """Determine the subsidy (vaststelling) from the final report and the co-financing threshold in force."""

    type: Literal["DetermineGrant"] = "DetermineGrant"


class WithdrawGrant(Command):
    """Withdraw the grant or application (intrekking), at the region's request or by DUS-I."""

    type: Literal["WithdrawGrant"] = "WithdrawGrant"


class ApplyDeadlineConsequence(Command):
    """The engine reports that a deadline passed; the grant applies what the rules say follows."""

    type: Literal["ApplyDeadlineConsequence"] = "ApplyDeadlineConsequence"
    deadline_key: NonBlank
    allowed_roles: ClassVar[frozenset[Role]] = frozenset({Role.SYSTEM, Role.OPERATOR})


AnyCommand = Annotated[
    Union[
        SubmitVooraanmelding,
        SubmitApplication,
        RequestRepair,
        SubmitRepair,
        AcceptApplication,
        RecordAdvice,
        ApproveGrant,
        RejectApplication,
        FileObjection,
        DecideObjection,
        SubmitProgressReport,
        SubmitExtensionPlan,
        GrantExtension,
        RecordHourlyRateChange,
        SubmitFinalReport,
        DetermineGrant,
        WithdrawGrant,
        ApplyDeadlineConsequence,
    ],
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[Any] | None = None  # built on first use: pydantic's schema building is slow at import
COMMAND_TYPES: dict[str, type[Command]] = {
    cls.model_fields["type"].default: cls for cls in Command.__subclasses__()
}


def parse_command(data: dict[str, Any] | str | bytes) -> Command:
    """A command from JSON or a dict with a `type` field; raises pydantic.ValidationError."""
    global _ADAPTER
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(AnyCommand)
    if isinstance(data, (str, bytes)):
        return _ADAPTER.validate_json(data)
    return _ADAPTER.validate_python(data)
