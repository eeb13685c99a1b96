"""Commands: what operators (and the engine itself) ask a grant to do. Imperative names.

Every command carries a command id (retries with the same id append nothing), the actor and role,
the reason, optionally the business time it takes effect and the version the sender last saw.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal, Union
from uuid import UUID, uuid4

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from domain.models import (
    ApplicationDocuments,
    Cents,
    CriterionAdvice,
    ExtensionPlan,
    Partner,
    Penvoerder,
    MANY,
    YEARS_MAX,
    PositiveCents,
    YearAmount,
)
from domain.regulation.schemes import scheme_ids
from domain.values import (
    NOT_TRUE_OR_FALSE,
    Brin6,
    LongText,
    MeldingKind,
    Name,
    NonBlank,
    ObjectionOutcome,
    RegionCode,
    RegionKind,
    Role,
    WholeNumber,
)


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: Name
    role: Role


SYSTEM_ACTOR = Actor(name="sto-engine", role=Role.SYSTEM)

# The widest business times any command may carry (a sanity bound, not a rule of a scheme).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)


def _plausible_day(day: dt.date | None) -> dt.date | None:
    if day is not None and not EARLIEST.date() <= day < LATEST.date():
        raise ValueError(f"a date between {EARLIEST.year} and {LATEST.year - 1}; this is {day.isoformat()}")
    return day


PlausibleDate = Annotated[dt.date, AfterValidator(_plausible_day)]


def _known_scheme(scheme_id: str | None) -> str | None:
    if scheme_id is not None and scheme_id not in scheme_ids():
        raise ValueError(f"no scheme {scheme_id!r}; the engine knows {', '.join(scheme_ids())} (`sto schemes`)")
    return scheme_id


SchemeId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$"), AfterValidator(_known_scheme)]


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    command_id: UUID = Field(default_factory=uuid4)
    region_code: RegionCode
    # the scheme (regeling) of the grant; None: the region's grant, or for a vooraanmelding the scheme in
    # force on the business day (resolved by the service before anything is decided)
    scheme: SchemeId | None = None
    actor: Actor
    reason: NonBlank
    effective_at: AwareDatetime | None = None  # business time; default: the business clock's now
    expected_version: Annotated[WholeNumber, Field(ge=0, le=2**31)] | None = None  # optimistic concurrency, like If-Match

    allowed_roles: ClassVar[frozenset[Role]] = frozenset({Role.OPERATOR})

    @field_validator("effective_at")
    @classmethod
    def _plausible_moment(cls, moment: dt.datetime | None) -> dt.datetime | None:
        # a coarse bound every store and clock can hold; how far ahead of the business clock a command may
        # be dated is checked by its sender and the grant's workflow, which know the clock
        if moment is not None and not EARLIEST <= moment < LATEST:
            raise ValueError(f"a business time between {EARLIEST.year} and {LATEST.year - 1}; this is {moment.isoformat()}")
        return moment

    @property
    def name(self) -> str:
        return type(self).__name__


class SubmitVooraanmelding(Command):
    """Register the region's intention to apply (vooraanmelding met intentieverklaring)."""

    type: Literal["SubmitVooraanmelding"] = "SubmitVooraanmelding"
    region_name: Name
    kind: RegionKind
    penvoerder: Penvoerder
    vmbo_schools: Annotated[list[Brin6], Field(max_length=MANY)]
    mbo_institutions: Annotated[list[Name], Field(max_length=MANY)]
    partners: Annotated[list[Partner], Field(max_length=MANY)]


class SubmitApplication(Command):
    """Record the region's application (aanvraag) in application period 1, 2 or 3."""

    type: Literal["SubmitApplication"] = "SubmitApplication"
    period: Annotated[Literal[1, 2, 3], NOT_TRUE_OR_FALSE]
    documents: ApplicationDocuments


class RequestRepair(Command):
    """Ask the region to complete its application (herstel verzuim, Awb 4:5)."""

    type: Literal["RequestRepair"] = "RequestRepair"
    missing: Annotated[list[NonBlank], Field(min_length=1, max_length=MANY)]
    repair_days: Annotated[WholeNumber, Field(ge=1, le=90)] | None = None


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
    criteria: Annotated[list[CriterionAdvice], Field(min_length=1, max_length=MANY)]
    ranking_score: Annotated[WholeNumber, Field(ge=0, le=100)] | None = None


class ApproveGrant(Command):
    """Grant the subsidy (verlening) with an amount per year."""

    type: Literal["ApproveGrant"] = "ApproveGrant"
    granted_per_year: Annotated[list[YearAmount], Field(min_length=1, max_length=YEARS_MAX)]
    sent_on: PlausibleDate | None = None

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
    reasons: Annotated[list[NonBlank], Field(min_length=1, max_length=MANY)]
    sent_on: PlausibleDate | None = None


class FileObjection(Command):
    """Record an objection (bezwaar) against the last decision (Awb 6:4, within 6 weeks: Awb 6:7)."""

    type: Literal["FileObjection"] = "FileObjection"
    grounds: NonBlank


class DecideObjection(Command):
    """Decide on the objection: upheld (gegrond) or dismissed (ongegrond)."""

    type: Literal["DecideObjection"] = "DecideObjection"
    outcome: ObjectionOutcome
    granted_per_year: Annotated[list[YearAmount], Field(max_length=YEARS_MAX)] = Field(default_factory=list)
    # an upheld objection against the extension or the vaststelling: the amount of the besluit that takes the
    # contested one's place (Awb 7:11 lid 2): the extension granted, or the subsidy determined
    revised_amount_cents: PositiveCents | None = None


class SubmitProgressReport(Command):
    """Record progress report (voortgangsrapportage) 1 or 2; number 2 may carry the 2024 plan."""

    type: Literal["SubmitProgressReport"] = "SubmitProgressReport"
    number: Annotated[Literal[1, 2], NOT_TRUE_OR_FALSE]
    summary: LongText
    spent_cents: Cents
    cofinancing_realised_cents: Cents
    extension_plan: ExtensionPlan | None = None


class SubmitExtensionPlan(Command):
    """Record the plan and budget for the 2024 extension year."""

    type: Literal["SubmitExtensionPlan"] = "SubmitExtensionPlan"
    plan: ExtensionPlan


class SubmitDetailedPlan(Command):
    """Record a detailed activity plan and budget (uitgewerkt plan) for some years of a granted period."""

    type: Literal["SubmitDetailedPlan"] = "SubmitDetailedPlan"
    plan_key: Name  # which of the scheme's detailed plans (e.g. "2025-2026"; `sto schemes show` lists them)
    plan: ExtensionPlan
    allowed_roles: ClassVar[frozenset[Role]] = frozenset({Role.OPERATOR, Role.REGION})


class GrantExtension(Command):
    """Grant the 2024 extension (at most a quarter of the 2020–2023 total)."""

    type: Literal["GrantExtension"] = "GrantExtension"
    amount_cents: PositiveCents
    sent_on: PlausibleDate | None = None  # the day the decision is sent (default: the day it is taken)


class RecordHourlyRateChange(Command):
    """Record that the region uses another hourly rate; the granted subsidy never changes for it."""

    type: Literal["RecordHourlyRateChange"] = "RecordHourlyRateChange"
    rate_cents: PositiveCents
    motivation: NonBlank | None = None


class SubmitFinalReport(Command):
    """Record the final report (eindverslag): realised costs and co-financing."""

    type: Literal["SubmitFinalReport"] = "SubmitFinalReport"
    summary: LongText
    realised_per_year: Annotated[list[YearAmount], Field(min_length=1, max_length=YEARS_MAX)]
    cofinancing_realised_cents: Cents


class DetermineGrant(Command):
    """Determine the subsidy (vaststelling) from the final report and the co-financing threshold in force."""

    type: Literal["DetermineGrant"] = "DetermineGrant"
    sent_on: PlausibleDate | None = None  # the day the decision is sent (default: the day it is taken)


class WithdrawGrant(Command):
    """Withdraw the grant or application (intrekking), at the region's request or by DUS-I."""

    type: Literal["WithdrawGrant"] = "WithdrawGrant"
    sent_on: PlausibleDate | None = None  # the day the decision is sent (default: the day it is taken)


class RecordMelding(Command):
    """Record the region's melding (meldingsplicht): activities that will not take place on time, fully or at all."""

    type: Literal["RecordMelding"] = "RecordMelding"
    kind: MeldingKind
    activities: LongText
    allowed_roles: ClassVar[frozenset[Role]] = frozenset({Role.OPERATOR, Role.REGION})


class LowerGrant(Command):
    """Lower the verlening before the vaststelling (Awb 4:48 lid 1), e.g. on the region's melding: the new amount per
    year; the advances still to be paid follow."""

    type: Literal["LowerGrant"] = "LowerGrant"
    granted_per_year: Annotated[list[YearAmount], Field(min_length=1, max_length=YEARS_MAX)]
    sent_on: PlausibleDate | None = None


class ApplyDeadlineConsequence(Command):
    """The engine reports that a deadline passed; the grant applies what the rules say follows."""

    type: Literal["ApplyDeadlineConsequence"] = "ApplyDeadlineConsequence"
    deadline_key: Name
    allowed_roles: ClassVar[frozenset[Role]] = frozenset({Role.SYSTEM, Role.OPERATOR})


class IssueDecisionLetter(Command):
    """The engine records the decision letter (beschikking) it made for a besluit: one per besluit, ever.
    Its command id is derived from the grant and the besluit's number (domain/letters.py), so a retry is the
    same command and appends nothing."""

    type: Literal["IssueDecisionLetter"] = "IssueDecisionLetter"
    besluit: Annotated[WholeNumber, Field(ge=1, le=10_000)]
    template: Name
    template_version: Annotated[WholeNumber, Field(ge=1, le=10_000)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[WholeNumber, Field(ge=1, le=50_000_000)]
    filename: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,200}$")]
    objection_deadline: PlausibleDate | None = None
    sent_to: Annotated[str, Field(max_length=254)]
    allowed_roles: ClassVar[frozenset[Role]] = frozenset({Role.SYSTEM})


StageId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
PersonName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9.\-]{1,60}$")]
Answer = Union[Annotated[bool, Field(strict=True)], Annotated[str, Field(min_length=1, max_length=2000)]]
Answers = Annotated[dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,60}$")], Answer], Field(max_length=50)]


class PassStage(Command):
    """Pass the stage the grant's besluit waits in, with the answers of its checklist. Passing the signing stage
    takes the besluit, under the signer's mandate (domain/authority)."""

    type: Literal["PassStage"] = "PassStage"
    stage: StageId  # the stage being passed: it must be the one the besluit waits in
    answers: Answers = Field(default_factory=dict)


class SendBackStage(Command):
    """Send the besluit back from the stage it waits in to its first stage (the draft), with the reason."""

    type: Literal["SendBackStage"] = "SendBackStage"
    stage: StageId
    answers: Answers = Field(default_factory=dict)


class ClaimCase(Command):
    """Take the grant's open work (the stage its besluit waits in, or the draft of a besluit due) as your own."""

    type: Literal["ClaimCase"] = "ClaimCase"


class ReleaseCase(Command):
    """Give up a claim on the grant's open work (a coordinator may release anyone's)."""

    type: Literal["ReleaseCase"] = "ReleaseCase"


class AssignCase(Command):
    """A coordinator gives the grant's open work to a person who may take it."""

    type: Literal["AssignCase"] = "AssignCase"
    to: PersonName


CASE_COMMANDS: tuple[type[Command], ...] = (PassStage, SendBackStage, ClaimCase, ReleaseCase, AssignCase)


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
        SubmitDetailedPlan,
        GrantExtension,
        RecordHourlyRateChange,
        SubmitFinalReport,
        DetermineGrant,
        WithdrawGrant,
        RecordMelding,
        LowerGrant,
        ApplyDeadlineConsequence,
        IssueDecisionLetter,
        PassStage,
        SendBackStage,
        ClaimCase,
        ReleaseCase,
        AssignCase,
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
