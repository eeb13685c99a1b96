"""The programme script: the real counts and dates of STO, for synthetic regions, within the ceilings."""

import datetime as dt
from collections import Counter

from adapters.replay.scenario import Fate, Step, build_programme
from domain.regulation import default_regulation


def test_the_script_has_the_real_counts_of_the_programme():
    programme = build_programme(default_regulation())
    fates = Counter(p.fate for p in programme.plans)
    assert len(programme.plans) == 87
    assert fates[Fate.APPROVED_1] == 45 and fates[Fate.APPROVED_2] == 26 and fates[Fate.APPROVED_3] == 7
    assert fates[Fate.NEVER_APPLIES] == 9
    steps = Counter((a.step, a.data.get("period")) for a in programme.actions)
    assert steps[(Step.PRE_REGISTER, None)] == 87
    assert steps[(Step.APPLY, 1)] == 78 and steps[(Step.APPLY, 2)] == 33 and steps[(Step.APPLY, 3)] == 7


def test_every_action_falls_in_its_real_window():
    programme = build_programme(default_regulation())
    for action in programme.actions:
        day = action.at.date()
        if action.step is Step.PRE_REGISTER:
            assert day <= dt.date(2018, 10, 31)
        if action.step is Step.APPLY:
            first, last = {1: ("2019-03-01", "2019-03-31"), 2: ("2019-06-01", "2019-09-30"), 3: ("2020-03-16", "2020-05-31")}[action.data["period"]]
            assert dt.date.fromisoformat(first) <= day <= dt.date.fromisoformat(last)
        if action.step is Step.APPROVE:
            last = {1: "2019-06-30", 2: "2019-12-17", 3: "2020-09-01"}[action.data["period"]]
            assert day <= dt.date.fromisoformat(last)


def test_the_grants_fit_the_ceilings_and_a_quarter_fits_the_2024_budget():
    regulation = default_regulation()
    programme = build_programme(regulation)
    approved = [p for p in programme.plans if p.fate is not Fate.NEVER_APPLIES]
    for kind in ("techniekregio", "techniekarme_regio"):
        ceiling = regulation.param(f"ceiling_{kind}", dt.date(2019, 1, 1)).value
        for year, amount in ceiling.items():
            assert sum(p.per_year[int(year)] for p in approved if p.region.kind.value == kind) <= amount
    total = sum(sum(p.per_year.values()) for p in approved)
    assert total // 4 <= regulation.param("extension_budget_cents", dt.date(2023, 8, 1)).value


def test_the_script_is_deterministic_and_scales():
    regulation = default_regulation()
    assert build_programme(regulation, seed=7).actions == build_programme(regulation, seed=7).actions
    small = build_programme(regulation, regions=12)
    assert len(small.plans) == 12 and sum(1 for p in small.plans if p.fate is Fate.NEVER_APPLIES) == 1
