"""The 2025–2028 script of `sto demo`: the regions approved before, the scheme's windows, money within its ceilings."""

import datetime as dt
import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from adapters.cli.main import app
from adapters.replay.scenario import Fate, Step, build_programme
from adapters.replay.scenario_2025 import SCHEME, build_programme_2025
from adapters.replay.synthetic import application_documents
from domain.money import check_application_money
from domain.regulation import default_regulation
from domain.regulation.schemes import scheme
from domain.timekeeping import AMSTERDAM
from domain.values import PartnerKind, RegionKind

TODAY = dt.datetime(2026, 12, 3, 12, tzinfo=AMSTERDAM)


def programmes(regions: int = 87, end: dt.datetime = TODAY, seed: int = 2018):
    base = build_programme(default_regulation(), regions=regions, seed=seed)
    return base, build_programme_2025(scheme(SCHEME), base, end=end, seed=seed)


def test_the_regions_approved_under_2020_2024_continue_each_with_a_po_school_board():
    base, new = programmes()
    approved = [p.region.code for p in base.plans if p.fate is not Fate.NEVER_APPLIES]
    assert [p.region.code for p in new.plans] == approved and len(approved) == 78
    assert all(any(x.kind is PartnerKind.PO_SCHOOL_BOARD for x in p.region.partners) for p in new.plans)
    kinds = Counter(p.region.kind for p in new.plans)
    assert kinds == {RegionKind.TECHNIEKREGIO: 73, RegionKind.TECHNIEKLUWE_REGIO: 5}
    assert {a.scheme for a in new.actions} == {SCHEME} and new.scheme == SCHEME
    before = {p.region.code: p.region for p in base.plans}
    assert all(p.region.vmbo_schools == before[p.region.code].vmbo_schools for p in new.plans)  # the same regions


def test_every_action_falls_in_the_windows_of_the_2025_2028_scheme():
    _, new = programmes()
    steps = Counter((a.step, a.data.get("plan_key")) for a in new.actions)
    assert steps[(Step.PRE_REGISTER, None)] == steps[(Step.APPLY, None)] == steps[(Step.APPROVE, None)] == 78
    assert steps[(Step.DETAILED_PLAN, "2025-2026")] == 78 and steps[(Step.DETAILED_PLAN, "2027-2028")] == 76  # 2 never
    for action in new.actions:
        day = action.at.date()
        if action.step is Step.PRE_REGISTER:
            assert dt.date(2024, 5, 1) <= day <= dt.date(2024, 6, 1)
        if action.step is Step.APPLY:
            assert dt.date(2024, 9, 1) <= day <= dt.date(2024, 10, 1)
        if action.step is Step.APPROVE:
            assert dt.date(2025, 1, 1) <= day <= dt.date(2025, 1, 31)
    late = Counter(a.data["plan_key"] for a in new.actions if a.step is Step.DETAILED_PLAN
                   and a.at.date() > {"2025-2026": dt.date(2025, 4, 15), "2027-2028": dt.date(2026, 10, 1)}[a.data["plan_key"]])
    assert late == {"2025-2026": 3, "2027-2028": 3}


def test_the_grants_fill_most_of_each_kinds_ceiling_and_a_techniekluwe_regio_stays_within_four_million():
    regulation = scheme(SCHEME)
    _, new = programmes()
    day = dt.date(2024, 9, 15)
    for kind in (RegionKind.TECHNIEKREGIO, RegionKind.TECHNIEKLUWE_REGIO):
        ceiling = regulation.param(f"ceiling_{kind.value}", day).value
        members = [p for p in new.plans if p.region.kind is kind]
        for year, amount in ceiling.items():
            granted = sum(p.per_year[int(year)] for p in members)
            assert 0.9 * int(amount) <= granted <= int(amount), (kind, year)
    fixed = regulation.param("regional_maximum_per_kind_cents", day).value["techniekluwe_regio"]
    assert all(sum(p.per_year.values()) <= fixed for p in new.plans if p.region.kind is RegionKind.TECHNIEKLUWE_REGIO)
    assert all(set(p.per_year) == {2025, 2026, 2027, 2028} for p in new.plans)


@pytest.mark.parametrize("regions", [12, 40])
def test_the_script_scales_and_keeps_at_least_one_of_each_case(regions):
    base, new = programmes(regions)
    assert len(new.plans) == sum(1 for p in base.plans if p.fate is not Fate.NEVER_APPLIES)
    assert sum(1 for p in new.plans if p.region.kind is RegionKind.TECHNIEKLUWE_REGIO) >= 1
    assert programmes(regions)[1].actions == new.actions  # deterministic


def test_the_script_stops_at_today():
    _, new = programmes(end=dt.datetime(2026, 6, 1, 12, tzinfo=AMSTERDAM))
    assert new.end.date() == dt.date(2026, 6, 1)
    assert all(a.at <= new.end for a in new.actions)
    assert not [a for a in new.actions if a.data.get("plan_key") == "2027-2028"]


def test_sto_demo_refuses_a_scheme_it_cannot_replay_and_starts_nothing(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--scheme", "sto-2030-2033", "--dir", str(tmp_path / "demo"), "--json"])
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body["error"] == "invalid_input" and body["details"][0]["field"] == "scheme"
    assert "sto-2020-2024" in body["hint"] and "sto-2025-2028" in body["hint"]
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize("seed", [2018, 1, 7])
@pytest.mark.parametrize("regions", [4, 5, 6, 7, 12])
def test_every_application_of_a_small_programme_fits_its_regional_maximum(regions, seed):
    """With few regions each one's share of a national ceiling is large (`sto demo --regions 6` refused a
    2025 application with money.regional_maximum): the synthetic pupil counts must still carry it, in both
    schemes, by the domain's own money check, and the approval must fit the maximum it records."""
    base, new = programmes(regions, seed=seed)
    for programme, regulation in ((base, default_regulation()), (new, scheme(SCHEME))):
        for action in (a for a in programme.actions if a.step is Step.APPLY):
            plan = programme.plan(action.region)
            documents = application_documents(plan.region, plan.per_year, seed=seed, tag=str(action.data["period"]))
            maximum = check_application_money(documents, plan.region.vmbo_schools, regulation, action.at.date(),
                                              kind=plan.region.kind.value)
            assert sum(plan.per_year.values()) <= maximum, (programme.scheme, plan.region.code)
            assert all(c.pupils <= 10_000 for c in documents.pupil_counts)
