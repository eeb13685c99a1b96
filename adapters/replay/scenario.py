"""The STO programme 2018–2024 as a script of dated operator actions, for synthetic regions.

Pure and deterministic from a seed. The counts are the real ones (87 vooraanmeldingen, 78
applications in period 1, 45 approved in round 1, 26 more by 17 December 2019, 7 in period 3) and
scale with `regions`; the dates fall inside the real windows; amounts stay within the ceilings per
region kind and year, so that the 2024 extension (a quarter of each grant) fits the EUR 100 million.
Deadlines, reminders and their consequences are not in the script: the workflows produce them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from adapters.replay.synthetic import SyntheticRegion, synthetic_region
from domain.regulation import Regulation
from domain.regulation.schemes import legacy_scheme_id
from domain.timekeeping import AMSTERDAM
from domain.values import RegionKind

REAL = {"regions": 87, "applied": 78, "approved_1": 45, "approved_2": 26}  # period 3: the rest (7)


class Fate(StrEnum):
    NEVER_APPLIES = "never_applies"  # lapses when period 1 ends
    APPROVED_1 = "approved_1"
    APPROVED_2 = "approved_2"
    APPROVED_3 = "approved_3"


class Step(StrEnum):
    PRE_REGISTER = "pre_register"
    APPLY = "apply"
    REQUEST_REPAIR = "request_repair"
    SUBMIT_REPAIR = "submit_repair"
    ACCEPT = "accept"
    ADVISE = "advise"
    APPROVE = "approve"
    REJECT = "reject"
    OBJECT = "object"
    DECIDE_OBJECTION = "decide_objection"
    PROGRESS_REPORT = "progress_report"
    HOURLY_RATE = "hourly_rate"
    FINAL_REPORT = "final_report"
    DETERMINE = "determine"
    EXTENSION_ROUND = "extension_round"  # a programme operation, not one region's
    DETAILED_PLAN = "detailed_plan"  # 2025–2028: an uitgewerkt plan for some years of the grant
    MONEY = "money"  # the day's money after the vaststelling (adapters/replay/settlement_script.py), not one region's


@dataclass(frozen=True)
class Action:
    at: dt.datetime  # business time
    step: Step
    region: str | None
    data: dict = field(default_factory=dict, hash=False, compare=False)
    scheme: str = field(default_factory=legacy_scheme_id)  # every command names the scheme of its grant


@dataclass
class RegionPlan:
    region: SyntheticRegion
    fate: Fate
    per_year: dict[int, int]
    positive_in: int | None  # the period in which the advice is positive


@dataclass
class Programme:
    seed: int
    plans: list[RegionPlan]
    actions: list[Action]
    start: dt.datetime
    end: dt.datetime
    scheme: str = field(default_factory=legacy_scheme_id)

    def plan(self, code: str) -> RegionPlan:
        return next(p for p in self.plans if p.region.code == code)


def _counts(regions: int) -> dict[str, int]:
    scale = regions / REAL["regions"]
    applied = round(REAL["applied"] * scale)
    approved_1 = round(REAL["approved_1"] * scale)
    approved_2 = min(round(REAL["approved_2"] * scale), applied - approved_1)
    return {"applied": applied, "approved_1": approved_1, "approved_2": approved_2, "approved_3": applied - approved_1 - approved_2}


def _at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


def _weekday_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5] or days
    return rng.choice(weekdays)


def _on_or_after(day: dt.date, weekday: int) -> dt.date:
    """The first `weekday` (0 = Monday) on or after `day`: the back office works in weekly batches."""
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


TUESDAY, THURSDAY = 1, 3


def _amounts(plans: list[RegionPlan], regulation: Regulation, rng: random.Random, fill: Decimal) -> None:
    """Share `fill` of each kind's ceiling per year among the regions of that kind that end up approved."""
    day = dt.date(2019, 1, 1)
    for declared in regulation.data.region_kinds:
        kind = RegionKind(declared.kind)
        ceiling = {int(y): int(a) for y, a in regulation.param(declared.ceiling, day).value.items()}
        members = [p for p in plans if p.region.kind is kind]
        approved = [p for p in members if p.fate is not Fate.NEVER_APPLIES]
        weights = {p.region.code: Decimal(str(round(rng.uniform(0.6, 1.4), 3))) for p in members}
        total_weight = sum(weights[p.region.code] for p in approved) or Decimal(1)
        for p in members:
            share = weights[p.region.code] / total_weight
            p.per_year = {
                year: int((Decimal(amount) * fill * share).to_integral_value()) // 100 * 100 for year, amount in ceiling.items()
            }


def build_programme(regulation: Regulation, regions: int = REAL["regions"], seed: int = 2018) -> Programme:
    if regions < 4:
        raise ValueError("a programme needs at least 4 regions")
    rng = random.Random(seed)
    counts = _counts(regions)
    fates = (
        [Fate.APPROVED_1] * counts["approved_1"]
        + [Fate.APPROVED_2] * counts["approved_2"]
        + [Fate.APPROVED_3] * counts["approved_3"]
        + [Fate.NEVER_APPLIES] * (regions - counts["applied"])
    )
    rng.shuffle(fates)
    plans = []
    for index, fate in enumerate(fates, start=1):
        region = synthetic_region(index, seed)
        positive_in = {Fate.APPROVED_1: 1, Fate.APPROVED_2: 2, Fate.APPROVED_3: 3}.get(fate)
        plans.append(RegionPlan(region=region, fate=fate, per_year={}, positive_in=positive_in))
    _amounts(plans, regulation, rng, Decimal("0.92"))

    actions: list[Action] = []
    add = actions.append
    d = dt.date
    for plan in plans:
        code = plan.region.code
        r = random.Random(f"{seed}:{code}")
        add(Action(_at(_weekday_between(r, d(2018, 9, 17), d(2018, 10, 31)), 9 + r.randint(0, 7)), Step.PRE_REGISTER, code))
        if plan.fate is Fate.NEVER_APPLIES:
            continue
        repair = r.random() < 0.12
        for period in range(1, (plan.positive_in or 1) + 1):
            # region side: any weekday in the window; back office: weekly intake (Tuesday), the committee's
            # sessions and the decision batches of the round
            windows = {
                1: (d(2019, 3, 1), d(2019, 3, 29), [d(2019, 6, 11), d(2019, 6, 13)], [d(2019, 6, 24), d(2019, 6, 26), d(2019, 6, 28)]),
                2: (d(2019, 8, 26), d(2019, 9, 27), [d(2019, 11, 19), d(2019, 11, 21)], [d(2019, 12, 10), d(2019, 12, 12)]),
                3: (d(2020, 3, 16), d(2020, 5, 29), [d(2020, 8, 11), d(2020, 8, 13)], [d(2020, 8, 25), d(2020, 8, 27)]),
            }[period]
            applied = _weekday_between(r, windows[0], windows[1])
            add(Action(_at(applied, 11), Step.APPLY, code, {"period": period}))
            check = _on_or_after(applied + dt.timedelta(days=5), TUESDAY)
            if repair and period == 1:
                add(Action(_at(check, 10), Step.REQUEST_REPAIR, code))
                add(Action(_at(check + dt.timedelta(days=r.randint(3, 10)), 10), Step.SUBMIT_REPAIR, code))
                check = _on_or_after(check + dt.timedelta(days=11), TUESDAY)
            add(Action(_at(check, 15), Step.ACCEPT, code))
            positive = period == plan.positive_in
            add(Action(_at(r.choice(windows[2]), 14), Step.ADVISE, code, {"positive": positive}))
            decided = r.choice(windows[3])
            add(Action(_at(decided, 16), Step.APPROVE if positive else Step.REJECT, code, {"period": period}))
            if not positive and period == 1 and r.random() < 0.1:
                add(Action(_at(decided + dt.timedelta(days=20), 10), Step.OBJECT, code))
                add(Action(_at(decided + dt.timedelta(days=45), 10), Step.DECIDE_OBJECTION, code))
        late = r.random() < 0.05
        report_1 = _weekday_between(r, d(2021, 11, 3), d(2021, 11, 12)) if late else _weekday_between(r, d(2021, 10, 4), d(2021, 10, 29))
        add(Action(_at(report_1, 11), Step.PROGRESS_REPORT, code, {"number": 1}))
        if r.random() < 0.15:
            add(Action(_at(_weekday_between(r, d(2022, 9, 1), d(2023, 3, 31)), 10), Step.HOURLY_RATE, code))
        share = Decimal("0.25") if r.random() < 0.8 else Decimal(str(round(r.uniform(0.15, 0.25), 3)))
        add(Action(_at(_weekday_between(r, d(2023, 9, 4), d(2023, 9, 29)), 11), Step.PROGRESS_REPORT, code, {"number": 2, "plan_share": str(share)}))
        cofinancing = Decimal(str(round(r.uniform(0.08, 0.14), 3))) if r.random() > 0.1 else Decimal(str(round(r.uniform(0.05, 0.074), 3)))
        realised = Decimal(str(round(r.uniform(0.93, 1.0), 3)))
        add(Action(_at(_weekday_between(r, d(2024, 12, 2), d(2024, 12, 20)), 11), Step.FINAL_REPORT, code,
                   {"cofinancing": str(cofinancing), "realised": str(realised)}))
        determined = _on_or_after(_weekday_between(r, d(2025, 2, 3), d(2025, 5, 23)), THURSDAY)  # weekly batches
        add(Action(_at(determined, 10), Step.DETERMINE, code))
    add(Action(_at(d(2023, 11, 1), 9), Step.EXTENSION_ROUND, None))
    actions.sort(key=lambda a: (a.at, a.step != Step.EXTENSION_ROUND, a.region or ""))
    return Programme(
        seed=seed, plans=plans, actions=actions, start=_at(d(2018, 9, 12), 9), end=_at(d(2025, 6, 30), 18),
    )
