"""Events: what happened to a grant. Past-tense names; stored forever, so this module stays put.

Every event carries who (actor, role), when it took effect in the grant's life (`effective_at`,
business time; the store adds the recording time as `timestamp`), why (`reason`), under which rule
and legal basis, and the command that caused it. Payloads are JSON-shaped (documents are stored as
the dicts the region handed in), so an auditor can read the store without our classes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate, OriginatorIDError, OriginatorVersionError
from eventsourcing.utils import resolve_topic
from pydantic import BaseModel

from domain.models import ApplicationDocuments, CriterionAdvice, ExtensionPlan, Partner, Penvoerder
from domain.state import (
    AdviceRecord,
    BesluitRecord,
    ApplicationRecord,
    CommandReceipt,
    DecisionRecord,
    DetailedPlanRecord,
    DeterminationRecord,
    FinalReportRecord,
    GrantState,
    HourlyRateRecord,
    LetterRecord,
    ObjectionRecord,
    ProgressReportRecord,
    RepairRecord,
)
from domain.timekeeping import local_date
from domain.values import DecisionKind, GrantStatus, ObjectionOutcome, RegionKind


def _years(amounts: dict[Any, int]) -> dict[int, int]:
    return {int(year): int(cents) for year, cents in amounts.items()}


# --- building state records cheaply (every load replays every event) -------------------------------

M = TypeVar("M", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__
_fields: dict[type, tuple[tuple[str, ...], tuple[tuple[str, Any, Any], ...]]] = {}


def _record(cls: type[M], **values: Any) -> M:
    """`cls(**values)` for values that already have the field types (ints, strings, dates, enums, records
    built here), without validating them again: what pydantic's `model_construct` does, for the plain
    record models of domain/state.py (no private attributes, no extra fields).
    tests/unit/test_codec.py holds every record built this way equal to the validated one."""
    spec = _fields.get(cls)
    if spec is None:
        fields = cls.model_fields
        spec = _fields[cls] = (
            tuple(fields),
            tuple((name, info.default, info.default_factory) for name, info in fields.items()),
        )
    names, defaults = spec
    if len(values) == len(names):
        data = {name: values[name] for name in names}  # in field order, as validation leaves them
    else:
        unknown = values.keys() - set(names)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
        data = {}
        for name, default, factory in defaults:
            if name in values:
                data[name] = values[name]
            elif factory is not None:
                data[name] = factory()
            else:
                data[name] = default
    return _constructed(cls, data, set(values))


def _constructed(cls: type[M], data: dict[str, Any], fields_set: set[str]) -> M:
    """A model of `cls` holding `data` (its fields, in field order) as they are: pydantic's model_construct."""
    model = _new(cls)
    _set(model, "__dict__", data)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


_RECEIPT_FIELDS = ("type", "version", "status", "events", "fingerprint")
assert tuple(CommandReceipt.model_fields) == _RECEIPT_FIELDS, "CommandReceipt's fields changed: change _receipt too"


def _receipt(type: str, version: int, status: Any, events: list[str], fingerprint: str | None) -> CommandReceipt:
    """`_record(CommandReceipt, ...)` for the one record every event makes, with its fields written in order."""
    return _constructed(CommandReceipt, {"type": type, "version": version, "status": status, "events": events,
                                         "fingerprint": fingerprint}, set(_RECEIPT_FIELDS))


class _FrozenValues:
    """Validated frozen values (documents, plans, advice) by their JSON: a grant's ApplicationSubmitted is
    replayed on every load of the grant, and validating its documents costs more than the rest of the load.
    The values are immutable (`frozen=True`, never mutated), so one instance can serve every state."""

    def __init__(self, model: type[M], maxsize: int = 256):
        self.model = model
        self.maxsize = maxsize
        self.values: dict[bytes, Any] = {}

    def __call__(self, data: dict[str, Any]) -> Any:
        try:
            key = orjson.dumps(data)
        except TypeError:  # not plain JSON: validate it as it is
            return self.model.model_validate(data)
        value = self.values.get(key)
        if value is None:
            value = self.model.model_validate(data)
            if len(self.values) >= self.maxsize:
                self.values.pop(next(iter(self.values)), None)
            self.values[key] = value
        return value


_documents = _FrozenValues(ApplicationDocuments)
_extension_plan = _FrozenValues(ExtensionPlan)
_penvoerder = _FrozenValues(Penvoerder, 1024)
_partner = _FrozenValues(Partner, 4096)
_criterion = _FrozenValues(CriterionAdvice)


class GrantEvent(Aggregate.Event):
    """Version 2 (2026-12) added `command_fingerprint` (domain/idempotency.py); version 1 events read as None."""

    class_version = 2

    actor: str
    role: str
    reason: str
    rule: str
    legal_basis: str
    effective_at: dt.datetime
    command_id: UUID
    command_type: str
    command_fingerprint: str | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["command_fingerprint"] = None  # written before fingerprints: the command type alone identifies it

    @property
    def effective_on(self) -> dt.date:
        return local_date(self.effective_at)

    def mutate(self, aggregate: Any) -> Any:
        """The library's `mutate`: the event must be the aggregate's and the next in its sequence; then it applies
        and sets the aggregate's version and modification time. Here those two are written into the aggregate's
        fields rather than through its properties (every load replays every event)."""
        if aggregate is None:
            raise OriginatorVersionError(self.originator_version, None)
        fields = aggregate.__dict__
        if self.originator_id != fields["_id"]:
            raise OriginatorIDError(self.originator_id, fields["_id"])
        if self.originator_version != fields["_version"] + 1:
            raise OriginatorVersionError(self.originator_version, fields["_version"] + 1)
        self.apply(aggregate)
        fields["_version"] = self.originator_version
        fields["_modified_on"] = self.timestamp
        return aggregate

    def apply(self, aggregate: Aggregate) -> None:  # a domain.grant.Grant
        state = aggregate.state
        self.evolve(state)
        # every event sets these: written straight into the record's fields (as pydantic's own assignment
        # does, without its per-call checks), and marked set once, when the record is made
        fields = state.__dict__
        fields["version"] = self.originator_version
        fields["last_effective_at"] = self.effective_at
        key = self.command_id.hex
        receipt = fields["commands"].get(key)
        if receipt is None:
            fields["commands"][key] = _receipt(
                self.command_type, self.originator_version, fields["status"], [type(self).__name__], self.command_fingerprint
            )
        else:
            receipt_fields = receipt.__dict__
            receipt_fields["version"] = self.originator_version
            receipt_fields["status"] = fields["status"]
            receipt_fields["events"].append(type(self).__name__)

    def evolve(self, state: GrantState) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def note_besluit(self, state: GrantState, kind: str, period: int, decided_on: dt.date, sent_on: dt.date, *,
                     granted_per_year: dict[int, int] | None = None, reasons: list[str] | None = None,
                     outcome: str | None = None, against: str | None = None) -> None:
        """Number the besluit this event records, for its decision letter (state.besluiten)."""
        state.besluiten.append(
            _record(
                BesluitRecord, number=len(state.besluiten) + 1, kind=kind, event=type(self).__name__,
                version=self.originator_version, period=period, decided_on=decided_on, sent_on=sent_on,
                granted_per_year=dict(granted_per_year or {}), reasons=list(reasons or []), outcome=outcome,
                against=against, rule=self.rule, legal_basis=self.legal_basis, recorded_at=self.timestamp,
            )
        )


class VooraanmeldingReceived(GrantEvent, Aggregate.Created):
    """Version 3 (2026-12) names the grant's scheme (regeling); older ones read as None: the legacy scheme."""

    class_version = 3

    scheme: str | None
    region_code: str
    region_name: str
    kind: str
    penvoerder: dict[str, Any]
    vmbo_schools: list[str]
    mbo_institutions: list[str]
    partners: list[dict[str, Any]]

    def mutate(self, aggregate: Any) -> Any:
        """The library's `Created.mutate` for an aggregate class without an `__init__` of its own (the Grant's
        only attribute, its state, is made by `apply`): a shell of the class, its base fields, then `apply`.
        tests/unit/test_codec.py holds the result equal to the library's."""
        if aggregate is not None:
            raise OriginatorVersionError(self.originator_version, aggregate.version + 1)
        cls = resolve_topic(self.originator_topic)
        if "__init__" in cls.__dict__:  # an aggregate with an __init__ of its own takes the library's way
            return Aggregate.Created.mutate(self, aggregate)
        grant = cls.__new__(cls)
        grant.__base_init__(self.originator_id, self.originator_version, self.timestamp)
        self.apply(grant)
        return grant

    def apply(self, aggregate: Aggregate) -> None:  # a domain.grant.Grant
        aggregate.state = _record(
            GrantState,
            grant_id=self.originator_id,
            scheme=self.scheme,
            region_code=self.region_code,
            region_name=self.region_name,
            kind=RegionKind(self.kind),
            penvoerder=_penvoerder(self.penvoerder),
            vmbo_schools=list(self.vmbo_schools),
            mbo_institutions=list(self.mbo_institutions),
            partners=[_partner(p) for p in self.partners],
            status=GrantStatus.PRE_REGISTERED,
            pre_registered_on=self.effective_on,
            last_effective_at=self.effective_at,
            version=self.originator_version,
        )
        super().apply(aggregate)

    def evolve(self, state: GrantState) -> None:
        pass

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["scheme"] = None  # recorded before grants named their scheme: the legacy scheme's


class ApplicationSubmitted(GrantEvent):
    period: int
    documents: dict[str, Any]
    requested_cents: int
    regional_maximum_cents: int

    def evolve(self, state: GrantState) -> None:
        state.applications.append(
            _record(
                ApplicationRecord,
                period=self.period,
                submitted_on=self.effective_on,
                documents=_documents(self.documents),
                requested_cents=self.requested_cents,
                regional_maximum_cents=self.regional_maximum_cents,
            )
        )
        state.status = GrantStatus.APPLICATION_SUBMITTED
        state.repair = None
        state.suspended_days = 0
        state.advice = None


class RepairRequested(GrantEvent):
    missing: list[str]
    days: int
    due: dt.date

    def evolve(self, state: GrantState) -> None:
        state.repair = _record(
            RepairRecord, requested_on=self.effective_on, due=self.due, days=self.days, missing=list(self.missing)
        )
        state.status = GrantStatus.REPAIR_REQUESTED


class RepairSubmitted(GrantEvent):
    documents: dict[str, Any] | None
    requested_cents: int
    regional_maximum_cents: int
    suspended_days: int

    def evolve(self, state: GrantState) -> None:
        assert state.repair is not None and state.application is not None
        state.repair.completed_on = self.effective_on
        state.suspended_days = self.suspended_days
        if self.documents is not None:
            state.application.documents = _documents(self.documents)
            state.application.requested_cents = self.requested_cents
            state.application.regional_maximum_cents = self.regional_maximum_cents
        state.status = GrantStatus.APPLICATION_SUBMITTED


class ApplicationAccepted(GrantEvent):
    def evolve(self, state: GrantState) -> None:
        state.status = GrantStatus.UNDER_ASSESSMENT


class AdviceRecorded(GrantEvent):
    positive: bool
    criteria: list[dict[str, Any]]
    ranking_score: int | None

    def evolve(self, state: GrantState) -> None:
        state.advice = _record(
            AdviceRecord,
            advised_on=self.effective_on,
            positive=self.positive,
            criteria=[_criterion(c) for c in self.criteria],
            ranking_score=self.ranking_score,
        )
        state.status = GrantStatus.ADVISED


class GrantApproved(GrantEvent):
    """Version 3 (2026-12): `late_days`, how many days after DUS-I's decision term it was taken (None before)."""

    class_version = 3

    period: int
    granted_per_year: dict[str, int]
    sent_on: dt.date
    late_days: int | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["late_days"] = None

    def evolve(self, state: GrantState) -> None:
        state.decisions.append(
            _record(
                DecisionRecord,
                kind=DecisionKind.APPROVAL,
                period=self.period,
                decided_on=self.effective_on,
                sent_on=self.sent_on,
                granted_per_year=_years(self.granted_per_year),
                late_days=self.late_days or 0,
            )
        )
        state.status = GrantStatus.APPROVED
        self.note_besluit(state, DecisionKind.APPROVAL.value, self.period, self.effective_on, self.sent_on,
                          granted_per_year=_years(self.granted_per_year))


class ApplicationRejected(GrantEvent):
    """Version 3 (2026-12): `late_days`, how many days after DUS-I's decision term it was taken (None before)."""

    class_version = 3

    period: int
    reasons: list[str]
    sent_on: dt.date
    late_days: int | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["late_days"] = None

    def evolve(self, state: GrantState) -> None:
        state.decisions.append(
            _record(
                DecisionRecord,
                kind=DecisionKind.REJECTION,
                period=self.period,
                decided_on=self.effective_on,
                sent_on=self.sent_on,
                reasons=list(self.reasons),
                late_days=self.late_days or 0,
            )
        )
        state.status = GrantStatus.REJECTED
        self.note_besluit(state, DecisionKind.REJECTION.value, self.period, self.effective_on, self.sent_on,
                          reasons=list(self.reasons))


class ObjectionFiled(GrantEvent):
    grounds: str
    against: str
    status_before: str

    def evolve(self, state: GrantState) -> None:
        state.objection = _record(
            ObjectionRecord,
            filed_on=self.effective_on,
            grounds=self.grounds,
            against=DecisionKind(self.against),
            status_before=GrantStatus(self.status_before),
        )
        state.status = GrantStatus.IN_OBJECTION


class ObjectionDecided(GrantEvent):
    outcome: str
    granted_per_year: dict[str, int]
    status_after: str

    def evolve(self, state: GrantState) -> None:
        assert state.objection is not None and state.decision is not None
        state.objection.outcome = ObjectionOutcome(self.outcome)
        state.objection.decided_on = self.effective_on
        previous = state.decision
        previous.final = True
        if self.granted_per_year:
            state.decisions.append(
                _record(
                    DecisionRecord,
                    kind=DecisionKind.APPROVAL,
                    period=previous.period,
                    decided_on=self.effective_on,
                    sent_on=self.effective_on,
                    granted_per_year=_years(self.granted_per_year),
                    final=True,
                )
            )
        state.status = GrantStatus(self.status_after)
        self.note_besluit(state, "objection_decision", previous.period, self.effective_on, self.effective_on,
                          granted_per_year=_years(self.granted_per_year), reasons=[self.reason],
                          outcome=self.outcome, against=state.objection.against.value)


class ProgressReportSubmitted(GrantEvent):
    number: int
    summary: str
    spent_cents: int
    cofinancing_realised_cents: int
    late: bool

    def evolve(self, state: GrantState) -> None:
        state.progress_reports.append(
            _record(
                ProgressReportRecord,
                number=self.number,
                submitted_on=self.effective_on,
                summary=self.summary,
                spent_cents=self.spent_cents,
                cofinancing_realised_cents=self.cofinancing_realised_cents,
                late=self.late,
            )
        )


class ExtensionPlanSubmitted(GrantEvent):
    plan: dict[str, Any]

    def evolve(self, state: GrantState) -> None:
        state.extension.plan = _extension_plan(self.plan)
        state.extension.plan_submitted_on = self.effective_on


class DetailedPlanSubmitted(GrantEvent):
    """A detailed plan and budget (uitgewerkt plan) for some years of a multi-year grant."""

    plan_key: str
    plan: dict[str, Any]
    years: list[int]
    late: bool

    def evolve(self, state: GrantState) -> None:
        state.detailed_plans[self.plan_key] = _record(
            DetailedPlanRecord, submitted_on=self.effective_on, plan=_extension_plan(self.plan),
            years=[int(y) for y in self.years], late=self.late,
        )


def _besluit(state: GrantState, kind: DecisionKind, decided_on: dt.date, sent_on: dt.date | None,
             granted_per_year: dict[int, int] | None = None, event: GrantEvent | None = None) -> None:
    """Record a besluit, so that its objection term runs (from the day after `sent_on`). Events written before
    such besluiten got an objection term (class version 2) carry no `sent_on`: they record none, as then."""
    if sent_on is None:
        return
    period = state.decision.period if state.decision is not None else 0
    state.decisions.append(
        _record(DecisionRecord, kind=kind, period=period, decided_on=decided_on, sent_on=sent_on,
                granted_per_year=dict(granted_per_year or {}))
    )
    if event is not None:
        event.note_besluit(state, kind.value, period, decided_on, sent_on, granted_per_year=granted_per_year,
                           reasons=[event.reason])


class ExtensionGranted(GrantEvent):
    """Version 3 (2026-12): the extension is a besluit, with the day it was sent and its year."""

    class_version = 3

    amount_cents: int
    cap_cents: int
    year: int | None
    sent_on: dt.date | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["year"] = None
        state["sent_on"] = None

    def evolve(self, state: GrantState) -> None:
        state.extension.granted_cents = self.amount_cents
        state.extension.granted_on = self.effective_on
        _besluit(state, DecisionKind.EXTENSION, self.effective_on, self.sent_on,
                 {self.year: self.amount_cents} if self.year else None, self)


class HourlyRateChanged(GrantEvent):
    rate_cents: int
    motivation: str | None
    granted_cents: int  # unchanged: recorded to show that a rate never changes the grant

    def evolve(self, state: GrantState) -> None:
        state.hourly_rates.append(
            _record(HourlyRateRecord, recorded_on=self.effective_on, rate_cents=self.rate_cents, motivation=self.motivation)
        )


class FinalReportSubmitted(GrantEvent):
    summary: str
    realised_per_year: dict[str, int]
    cofinancing_realised_cents: int
    late: bool

    def evolve(self, state: GrantState) -> None:
        state.final_report = _record(
            FinalReportRecord,
            submitted_on=self.effective_on,
            summary=self.summary,
            realised_per_year=_years(self.realised_per_year),
            cofinancing_realised_cents=self.cofinancing_realised_cents,
            late=self.late,
        )
        state.status = GrantStatus.FINAL_REPORT_SUBMITTED


class GrantDetermined(GrantEvent):
    """Version 3 (2026-12): the vaststelling is a besluit, with the day it was sent."""

    class_version = 3

    determination: dict[str, Any]
    sent_on: dt.date | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["sent_on"] = None

    def evolve(self, state: GrantState) -> None:
        state.determination = DeterminationRecord.model_validate(
            {**self.determination, "determined_on": self.effective_on}
        )
        state.status = GrantStatus.DETERMINED
        state.end_reason = "vastgesteld"
        _besluit(state, DecisionKind.DETERMINATION, self.effective_on, self.sent_on, event=self)


class GrantWithdrawn(GrantEvent):
    """Version 3 (2026-12): the intrekking is a besluit, with the day it was sent."""

    class_version = 3

    status_before: str
    sent_on: dt.date | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["sent_on"] = None

    def evolve(self, state: GrantState) -> None:
        state.status = GrantStatus.WITHDRAWN
        state.end_reason = self.reason
        _besluit(state, DecisionKind.WITHDRAWAL, self.effective_on, self.sent_on, event=self)


class DecisionLetterIssued(GrantEvent):
    """The decision letter (beschikking) of a besluit was made and queued for the penvoerder (new 2026-12).

    The PDF itself is kept content-addressed outside the events (adapters/letters); its sha256 and length
    here put it under the audit chain: a reprint from the same template gives the same bytes, so the same
    hash. `besluit` is the besluit's number in state.besluiten."""

    besluit: int
    besluit_kind: str
    template: str
    template_version: int
    sha256: str
    size: int
    filename: str
    objection_deadline: dt.date | None
    sent_to: str

    def evolve(self, state: GrantState) -> None:
        state.letters.append(
            _record(
                LetterRecord, besluit=self.besluit, kind=self.besluit_kind, template=self.template,
                template_version=self.template_version, sha256=self.sha256, size=self.size, filename=self.filename,
                issued_on=self.effective_on, objection_deadline=self.objection_deadline, sent_to=self.sent_to,
            )
        )


# --- consequences of a deadline that passed ---------------------------------------------------


class DeadlineConsequence(GrantEvent):
    deadline_key: str
    due: dt.date

    def evolve(self, state: GrantState) -> None:
        state.consequences_applied.append(self.deadline_key)
        self.follow(state)

    def follow(self, state: GrantState) -> None:
        pass


class GrantLapsed(DeadlineConsequence):
    """An application period passed without the application the region needed to make."""

    def follow(self, state: GrantState) -> None:
        state.status = GrantStatus.LAPSED
        state.end_reason = f"{self.deadline_key} passed on {self.due.isoformat()} without an application"


class ApplicationSetAside(DeadlineConsequence):
    """The repair period passed without the missing documents (Awb 4:5)."""

    period: int

    def follow(self, state: GrantState) -> None:
        state.decisions.append(
            _record(
                DecisionRecord,
                kind=DecisionKind.SET_ASIDE,
                period=self.period,
                decided_on=self.effective_on,
                sent_on=self.effective_on,
                reasons=[self.reason],
            )
        )
        state.status = GrantStatus.REJECTED
        self.note_besluit(state, DecisionKind.SET_ASIDE.value, self.period, self.effective_on, self.effective_on,
                          reasons=[self.reason])


class DecisionBecameFinal(DeadlineConsequence):
    """The objection period passed without an objection: the decision is final."""

    def follow(self, state: GrantState) -> None:
        if state.decision is not None:
            state.decision.final = True


class DeadlineMissed(DeadlineConsequence):
    """A report was not in on time: recorded as overdue (verzuim)."""

    def follow(self, state: GrantState) -> None:
        state.missed_deadlines.append(self.deadline_key)


class ExtensionForfeited(DeadlineConsequence):
    """No 2024 plan by its deadline: no extension for this region."""

    def follow(self, state: GrantState) -> None:
        state.extension.forfeited = True
        state.missed_deadlines.append(self.deadline_key)


class DecisionTermExceeded(DeadlineConsequence):
    """DUS-I did not decide within the decision term (Awb 4:13/4:14)."""


class SpendingPeriodEnded(DeadlineConsequence):
    """Costs after this day are no longer eligible."""
