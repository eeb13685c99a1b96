"""The state of one grant: a plain pydantic model.

The aggregate keeps its state in a `GrantState`; events evolve it; the decision functions read it.
Because it is a plain model it also travels to the Temporal workflow (for update validators and
deadline planning) and is what read models and auditors look at.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.models import (
    ApplicationDocuments,
    CriterionAdvice,
    ExtensionPlan,
    Partner,
    Penvoerder,
)
from domain.values import (
    DecisionKind,
    GrantStatus,
    ObjectionOutcome,
    RegionKind,
)


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ApplicationRecord(Record):
    period: int
    submitted_on: dt.date
    documents: ApplicationDocuments
    requested_cents: int
    regional_maximum_cents: int


class RepairRecord(Record):
    requested_on: dt.date
    due: dt.date
    days: int
    missing: list[str]
    completed_on: dt.date | None = None


class AdviceRecord(Record):
    advised_on: dt.date
    positive: bool
    criteria: list[CriterionAdvice]
    ranking_score: int | None = None


class DecisionRecord(Record):
    kind: DecisionKind
    period: int
    decided_on: dt.date
    sent_on: dt.date
    granted_per_year: dict[int, int] = Field(default_factory=dict)
    reasons: list[str] = Field(default_factory=list)
    final: bool = False  # the objection period passed or the objection was decided
    late_days: int = 0  # taken this many days after DUS-I's decision term (Awb 4:13, the scheme's date)


class ObjectionRecord(Record):
    filed_on: dt.date
    grounds: str
    against: DecisionKind
    status_before: GrantStatus
    outcome: ObjectionOutcome | None = None
    decided_on: dt.date | None = None


class ProgressReportRecord(Record):
    number: int
    submitted_on: dt.date
    summary: str
    spent_cents: int
    cofinancing_realised_cents: int
    late: bool


class ExtensionRecord(Record):
    plan: ExtensionPlan | None = None
    plan_submitted_on: dt.date | None = None
    granted_cents: int | None = None
    granted_on: dt.date | None = None
    forfeited: bool = False


class DetailedPlanRecord(Record):
    submitted_on: dt.date
    plan: ExtensionPlan
    years: list[int]
    late: bool


class HourlyRateRecord(Record):
    recorded_on: dt.date
    rate_cents: int
    motivation: str | None = None


class FinalReportRecord(Record):
    submitted_on: dt.date
    summary: str
    realised_per_year: dict[int, int]
    cofinancing_realised_cents: int
    late: bool


class DeterminationRecord(Record):
    determined_on: dt.date
    granted_total_cents: int
    realised_costs_cents: int
    eligible_cents: int
    threshold: str  # Decimal as text, e.g. "0.075"
    threshold_source: str
    cofinancing_required_cents: int
    cofinancing_realised_cents: int
    determined_cents: int
    paid_cents: int
    reclaim_cents: int
    explanation: list[str]


class StageRecord(Record):
    """One stage of a besluit's procedure as it was taken: who, in which role, when, what they answered, why."""

    stage: str
    person: str
    role: str
    taken_on: dt.date
    outcome: str  # drafted | passed | sent_back | signed
    reason: str
    round: int = 1
    answers: dict[str, Any] = Field(default_factory=dict)


class CaseRecord(Record):
    """A besluit on its way through its procedure's stages (domain/regulation/procedures.py): the draft, the
    stages taken, who took which (four eyes), and the next stage. It takes effect when its signing stage passes."""

    procedure: str
    command_type: str
    draft: dict[str, Any]  # the besluit command as drafted, without its envelope (actor, id, time)
    draft_reason: str
    besluit_kind: str
    amount_cents: int
    opened_on: dt.date
    next_stage: int = 1  # index into the procedure's stages
    round: int = 1  # a case sent back starts a new round at its first stage
    takers: dict[str, str] = Field(default_factory=dict)  # person -> the stage they took
    stages: list[StageRecord] = Field(default_factory=list)
    signature: dict[str, Any] | None = None  # domain.authority.register.Signature, once signed


class MeldingRecord(Record):
    """The region's melding: activities that will not take place on time, fully or at all."""

    received_on: dt.date
    kind: str
    activities: str


class InstalmentRecord(Record):
    """One advance instalment a besluit set: paid out by the money ledger (domain/ledger/) once released."""

    number: int
    year: int
    due: dt.date
    amount_cents: int
    besluit: int  # the besluit that set it (its number)


class ClaimRecord(Record):
    """Who holds the grant's open work (a stage of its case, or the draft of a besluit due)."""

    person: str
    procedure: str
    stage: str
    since: dt.date
    assigned_by: str | None = None


class BesluitRecord(Record):
    """A besluit (Awb 1:3) as it was recorded, numbered from 1 in the order of the grant's life: what its
    decision letter (beschikking) says. Kept beside `decisions` (which the deadlines read) because a
    beslissing op bezwaar is a besluit too, and it changes no decision when it declares the objection
    unfounded."""

    number: int
    kind: str  # a DecisionKind value, or "objection_decision" (beslissing op bezwaar)
    event: str  # the event that recorded it
    version: int  # the grant's version that event has
    period: int
    decided_on: dt.date
    sent_on: dt.date
    granted_per_year: dict[int, int] = Field(default_factory=dict)
    reasons: list[str] = Field(default_factory=list)
    outcome: str | None = None  # of a beslissing op bezwaar
    against: str | None = None  # the kind of besluit the objection was against
    rule: str = ""
    legal_basis: str = ""
    # when its event was stored (recording time, not business time); None when it was read from a snapshot taken
    # before this field existed
    recorded_at: dt.datetime | None = None
    # since 2026-12 (who may decide): who took it, the signature of the mandate it was signed under (empty: taken
    # before mandates were recorded, or by the engine itself), and the stages of its procedure
    taken_by: str | None = None
    signature: dict[str, Any] | None = None
    stages: list[StageRecord] = Field(default_factory=list)


# Fields a snapshot cannot be brought up to date in, because their values come from the events before it: the
# besluiten are numbered from the grant's first one, and the numbers name the letters (command id, outbox key). A
# snapshot written before such a field existed is passed over, and the grant replayed from its first event, until
# it is snapshotted anew at its next interval.
REPLAYED_NOT_UPCAST = frozenset({"besluiten"})


def snapshot_is_complete(state: "GrantState") -> bool:
    """Whether a grant's state read from a snapshot holds every field of REPLAYED_NOT_UPCAST as it was written
    (a field missing from the stored snapshot is not in `model_fields_set`: validation filled in its default)."""
    return REPLAYED_NOT_UPCAST <= state.model_fields_set


class LetterRecord(Record):
    """The decision letter of one besluit: a PDF kept content-addressed by its sha256."""

    besluit: int
    kind: str
    template: str
    template_version: int
    sha256: str
    size: int
    filename: str
    issued_on: dt.date
    objection_deadline: dt.date | None = None
    sent_to: str


class CommandReceipt(Record):
    """What a command did, so that repeating its id returns the first result."""

    type: str
    version: int
    status: GrantStatus
    events: list[str]
    fingerprint: str | None = None  # of the command (domain/idempotency.py); None for events of before 2026-12


class GrantState(Record):
    grant_id: UUID
    scheme: str | None = None  # the scheme (regeling) the grant belongs to; None: recorded before schemes (legacy)
    region_code: str
    region_name: str
    kind: RegionKind
    penvoerder: Penvoerder
    vmbo_schools: list[str]
    mbo_institutions: list[str]
    partners: list[Partner]
    status: GrantStatus
    version: int = 0
    pre_registered_on: dt.date
    last_effective_at: dt.datetime
    applications: list[ApplicationRecord] = Field(default_factory=list)
    repair: RepairRecord | None = None
    suspended_days: int = 0  # Awb 4:15, for the application under decision
    advice: AdviceRecord | None = None
    decisions: list[DecisionRecord] = Field(default_factory=list)
    objection: ObjectionRecord | None = None
    progress_reports: list[ProgressReportRecord] = Field(default_factory=list)
    extension: ExtensionRecord = Field(default_factory=ExtensionRecord)
    detailed_plans: dict[str, DetailedPlanRecord] = Field(default_factory=dict)  # by the scheme's plan key
    hourly_rates: list[HourlyRateRecord] = Field(default_factory=list)
    final_report: FinalReportRecord | None = None
    determination: DeterminationRecord | None = None
    consequences_applied: list[str] = Field(default_factory=list)  # deadline keys handled
    missed_deadlines: list[str] = Field(default_factory=list)  # deadline keys recorded as overdue
    end_reason: str | None = None
    withdrawn_from: GrantStatus | None = None  # the state an intrekking ended (an upheld objection restores it)
    commands: dict[str, CommandReceipt] = Field(default_factory=dict)
    # since 2026-12: the besluiten and their letters (a snapshot taken before holds none of either, and is
    # passed over: REPLAYED_NOT_UPCAST)
    besluiten: list[BesluitRecord] = Field(default_factory=list)
    letters: list[LetterRecord] = Field(default_factory=list)
    meldingen: list[MeldingRecord] = Field(default_factory=list)  # since 2026-12
    # since 2026-12: the advance instalments the besluiten set
    advance_schedule: list[InstalmentRecord] = Field(default_factory=list)
    # since 2026-12: a besluit in its stages, and who holds the grant's open work
    case: CaseRecord | None = None
    claim: ClaimRecord | None = None

    # --- derived views --------------------------------------------------------------------

    @property
    def application(self) -> ApplicationRecord | None:
        return self.applications[-1] if self.applications else None

    @property
    def decision(self) -> DecisionRecord | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def approval(self) -> DecisionRecord | None:
        for decision in reversed(self.decisions):
            if decision.kind in (DecisionKind.APPROVAL, DecisionKind.LOWERING):  # what the grant is now
                return decision
        return None

    @property
    def granted_per_year(self) -> dict[int, int]:
        approval = self.approval
        return dict(approval.granted_per_year) if approval else {}

    @property
    def granted_cents(self) -> int:
        """The 2020–2023 grant."""
        return sum(self.granted_per_year.values())

    @property
    def granted_total_cents(self) -> int:
        """The grant including the 2024 extension."""
        return self.granted_cents + (self.extension.granted_cents or 0)

    def letter(self, besluit: int) -> LetterRecord | None:
        return next((letter for letter in self.letters if letter.besluit == besluit), None)

    def besluiten_without_letter(self, since: dt.datetime | None) -> list[BesluitRecord]:
        """The besluiten whose letter the engine owes: recorded since the installation makes letters (`since`, a fact
        of its store: domain/installation.py; None: it does not make them yet), and without one yet. A besluit
        recorded before then had its letter sent outside the engine when it was taken: the engine must not mail a
        penvoerder a besluit of years ago when a grant running at the upgrade records its next step."""
        if since is None:
            return []
        issued = {letter.besluit for letter in self.letters}
        return [b for b in self.besluiten if b.number not in issued and b.recorded_at is not None and b.recorded_at >= since]

    def rejected_in(self) -> list[int]:
        return [d.period for d in self.decisions if d.kind in (DecisionKind.REJECTION, DecisionKind.SET_ASIDE)]

    def progress_report(self, number: int) -> ProgressReportRecord | None:
        return next((r for r in self.progress_reports if r.number == number), None)

    @property
    def cofinancing_pledged_cents(self) -> int:
        return self.application.documents.cofinancing_cents if self.application else 0
