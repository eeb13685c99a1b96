"""The scheme in force now, STO 2025–2028, runs beside 2020–2024: a grant belongs to one scheme.

Pure domain on the in-memory store, with the scheme's own data file (domain/regulation/data/schemes/
sto-2025-2028.toml): one application window, one decision for the whole period, two detailed plans.
"""

from __future__ import annotations

import pytest

from domain import commands as c
from domain.deadlines import pending_deadlines
from domain.errors import TransitionRefused
from domain.events import DeadlineMissed, DetailedPlanSubmitted
from domain.models import Partner
from domain.regulation.schemes import grant_id, legacy_scheme_id, scheme, scheme_ids, scheme_in_force
from domain.timekeeping import local_date
from domain.values import GrantStatus, PartnerKind, RegionKind
from adapters.event_store.service import GrantService
from adapters.replay.synthetic import extension_plan
from tests.support.scripted import GrantScript, at
from tests.support.scripted_2025 import NEW, PER_YEAR_2025, Script2025

@pytest.fixture
def service() -> GrantService:
    return GrantService({"PERSISTENCE_MODULE": "eventsourcing.popo"})


def script(service: GrantService, index: int = 1, kind: RegionKind = RegionKind.TECHNIEKREGIO) -> Script2025:
    return Script2025(service, index=index, kind=kind, per_year=dict(PER_YEAR_2025))


def test_the_engine_ships_both_schemes_and_knows_which_is_in_force_on_a_day():
    assert scheme_ids() == ["sto-2020-2024", NEW]
    assert legacy_scheme_id() == "sto-2020-2024"
    import datetime as dt

    assert scheme_in_force(dt.date(2018, 10, 1)) == "sto-2020-2024"
    assert scheme_in_force(dt.date(2024, 5, 1)) == NEW  # both in force: the newer one for new grants
    assert scheme_in_force(dt.date(2026, 12, 3)) == NEW
    new = scheme(NEW).data
    assert [r.number for r in new.application_rounds] == [1]
    assert new.step("SubmitExtensionPlan") is None and new.step("SubmitDetailedPlan") is not None
    assert {k.kind for k in new.region_kinds} == {"techniekregio", "techniekluwe_regio"}


def test_a_region_holds_a_grant_in_each_scheme_side_by_side(service):
    old = GrantScript(service, index=1)
    old.to_approved()
    new = script(service, index=1)
    result = new.pre_register()
    assert result.status is GrantStatus.PRE_REGISTERED
    assert old.code == new.code
    first = service.state(old.code, scheme="sto-2020-2024")
    second = service.state(new.code, scheme=NEW)
    assert first.grant_id == grant_id(old.code, None) != second.grant_id == grant_id(new.code, NEW)
    assert first.status is GrantStatus.APPROVED and second.status is GrantStatus.PRE_REGISTERED
    assert second.scheme == NEW
    assert sorted(service.grant_keys()) == [("sto-2020-2024", old.code), (NEW, new.code)]
    # a second vooraanmelding in the same scheme is refused; the grant of the other scheme is untouched
    with pytest.raises(TransitionRefused) as refused:
        new.pre_register(at(2024, 5, 20))
    assert refused.value.rule == "lifecycle.one_grant_per_region"


def test_a_vooraanmelding_in_2024_belongs_to_the_scheme_in_force_without_naming_it(service):
    grant = GrantScript(service, index=2)
    fields = grant.region.vooraanmelding_fields()
    fields.pop("region_code")
    fields["partners"] = [*fields["partners"], Partner(name="Stichting PO", kind=PartnerKind.PO_SCHOOL_BOARD)]
    grant.send(c.SubmitVooraanmelding, at(2024, 5, 2), **fields)
    assert service.state(grant.code).scheme == NEW


def test_a_grant_of_2025_2028_lives_through_one_decision_and_two_detailed_plans(service):
    grant = script(service)
    approved = grant.to_approved_2025()
    assert approved.status is GrantStatus.APPROVED
    state = service.state(grant.code, scheme=NEW)
    assert state.granted_per_year == PER_YEAR_2025
    regulation = service.regulation(NEW)
    keys = [d.key for d in pending_deadlines(state, regulation, local_date(at(2025, 2, 1)))]
    assert {"objection_period:1", "detailed_plan_2025_2026", "detailed_plan_2027_2028"} <= set(keys)
    grant.detailed_plan("2025-2026", at(2025, 4, 10), 1_500_000_00)
    state = service.state(grant.code, scheme=NEW)
    assert state.detailed_plans["2025-2026"].late is False
    assert "detailed_plan_2025_2026" not in [d.key for d in pending_deadlines(state, regulation, local_date(at(2025, 5, 1)))]
    # the second plan is missed: its consequence is recorded, and the plan is still taken, marked late
    missed = grant.consequence("detailed_plan_2027_2028", at(2026, 10, 2))
    assert missed.events == [DeadlineMissed.__name__]
    late = grant.detailed_plan("2027-2028", at(2026, 10, 20), 1_000_000_00)
    assert late.events == [DetailedPlanSubmitted.__name__]
    assert service.state(grant.code, scheme=NEW).detailed_plans["2027-2028"].late is True


def test_the_money_of_2025_2028_is_claimed_from_its_own_ceilings(service):
    script(service).to_approved_2025()
    assert service.pool_totals(f"{NEW}/ceiling:techniekregio") == PER_YEAR_2025
    assert service.pool_totals("ceiling:techniekregio") == {}


@pytest.mark.parametrize(
    "rule, step",
    [
        ("vooraanmelding.deadline", lambda g: g.pre_register(at(2024, 6, 3))),
        ("region.composition", lambda g: g.pre_register(po_partner=False)),
        ("region.kind_in_scheme", lambda g: g.pre_register(kind=RegionKind.TECHNIEKARME_REGIO)),
    ],
    ids=["after 1 June 2024", "no po school board", "a 2020-2024 region kind"],
)
def test_a_vooraanmelding_that_the_2025_2028_scheme_forbids_is_refused(service, rule, step):
    grant = script(service)
    with pytest.raises(TransitionRefused) as refused:
        step(grant)
    assert refused.value.rule == rule
    assert refused.value.source and refused.value.hint
    assert list(service.grant_keys()) == []


def test_steps_the_2025_2028_scheme_does_not_have_are_refused_naming_the_scheme(service):
    grant = script(service)
    grant.to_approved_2025()
    before = len(service.history(grant.code, scheme=NEW))
    with pytest.raises(TransitionRefused) as refused:
        grant.send(c.SubmitExtensionPlan, at(2025, 3, 1), plan=extension_plan(grant.region, 100_000_00))
    assert refused.value.rule == "scheme.no_such_step" and NEW in refused.value.message
    with pytest.raises(TransitionRefused) as period:
        script(service, index=5).pre_register()
        grant5 = script(service, index=5)
        grant5.apply(2, at(2024, 9, 16))
    assert period.value.rule == "application.period_in_scheme"
    assert len(service.history(grant.code, scheme=NEW)) == before


@pytest.mark.parametrize(
    "rule, key, cents",
    [("plan.key", "2029-2030", 100_000_00), ("plan.within_grant", "2025-2026", 1_800_000_01)],
    ids=["a plan the scheme does not ask for", "more than granted for its years"],
)
def test_a_detailed_plan_outside_the_scheme_or_the_grant_is_refused(service, rule, key, cents):
    grant = script(service)
    grant.to_approved_2025()
    with pytest.raises(TransitionRefused) as refused:
        grant.detailed_plan(key, at(2025, 4, 1), cents)
    assert refused.value.rule == rule


def test_a_techniekluwe_regio_is_held_to_its_fixed_maximum_of_four_million(service):
    grant = Script2025(service, index=7, kind=RegionKind.TECHNIEKLUWE_REGIO,
                       per_year={2025: 1_100_000_00, 2026: 1_100_000_00, 2027: 1_000_000_00, 2028: 1_000_000_00})
    grant.pre_register()
    with pytest.raises(TransitionRefused) as refused:
        grant.apply(1, at(2024, 9, 16))
    assert refused.value.rule == "money.regional_maximum"
    assert "4.000.000" in refused.value.message or "4,000,000" in refused.value.message
