"""Events before the assessment: vooraanmelding, application, repair (herstel verzuim), acceptance, advice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from eventsourcing.domain import Aggregate, OriginatorVersionError
from eventsourcing.utils import resolve_topic

from domain.events.base import GrantEvent
from domain.events.records import _criterion, _documents, _partner, _penvoerder, _record
from domain.state import AdviceRecord, ApplicationRecord, GrantState, RepairRecord
from domain.values import GrantStatus, RegionKind


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
