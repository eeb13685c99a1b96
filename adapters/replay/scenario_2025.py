"""STO 2025–2028 as a script of dated actions: from the vooraanmelding of May 2024 to the business clock's today.

Pure and deterministic from a seed. The regions are those whose 2020–2024 grant was approved in the
2018–2025 script (same codes, schools and partners), each now with a po school board among its partners;
about five of them are techniekluwe regio's (the former techniekarme regio's first), the rest techniekregio's.
All pre-register in May 2024, apply between 1 September and 1 October 2024, and are decided in January 2025
with amounts per year within the ceiling of their kind (and a techniekluwe regio within its EUR 4 million).
The detailed plan 2025–2026 is due 15 April 2025 and the plan 2027–2028 1 October 2026: a few regions are
late and a few never send the second plan, so that the workflows' timers record DeadlineMissed. The
script stops at `end` (today): what is due later (spending_end, the final report) stays a pending timer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

from adapters.replay.scenario import Action, Fate, Programme, RegionPlan, Step, _at, _on_or_after, _weekday_between, TUESDAY
from domain.models import Partner
from domain.regulation import Regulation
from domain.values import PartnerKind, RegionKind

SCHEME = "sto-2025-2028"
REAL_2025 = {"regions": 78, "techniekluwe": 5, "plan_1_late": 3, "plan_2_late": 3, "plan_2_missing": 2}
PLANS = {"2025-2026": (2025, 2026), "2027-2028": (2027, 2028)}
FILL = Decimal("0.97")  # the share of each kind's ceiling the decisions of January 2025 use


def scaled(key: str, regions: int) -> int:
    """A count of the 2025 script for `regions` continuing regions (at least one where the real count is)."""
    return max(1, round(REAL_2025[key] * regions / REAL_2025["regions"])) if regions else 0


def _region_2025(plan: RegionPlan, kind: RegionKind):
    region = plan.region
    place = region.name.removeprefix("STO ")
    po = Partner(name=f"Stichting Primair Onderwijs {place}", kind=PartnerKind.PO_SCHOOL_BOARD)
    return dataclasses.replace(region, kind=kind, partners=[*region.partners, po])


def _ceilings(regulation: Regulation, day: dt.date) -> dict[RegionKind, dict[int, int]]:
    return {
        RegionKind(k.kind): {int(y): int(a) for y, a in regulation.param(k.ceiling, day).value.items()}
        for k in regulation.data.region_kinds
    }


def _amounts(plans: list[RegionPlan], regulation: Regulation, rng: random.Random, day: dt.date) -> None:
    """Share FILL of each kind's yearly ceiling among its regions by weight; a region with a fixed maximum
    (techniekluwe regio: EUR 4 million over the period) gets at most a quarter of it a year."""
    fixed = {RegionKind(k): int(v) for k, v in regulation.param("regional_maximum_per_kind_cents", day).value.items()}
    for kind, ceiling in _ceilings(regulation, day).items():
        members = [p for p in plans if p.region.kind is kind]
        weights = {p.region.code: Decimal(str(round(rng.uniform(0.6, 1.4) if kind not in fixed else rng.uniform(0.9, 1.0), 3)))
                   for p in members}
        total_weight = sum(weights.values()) or Decimal(1)
        for p in members:
            share = weights[p.region.code] / total_weight
            per_year = {y: int((Decimal(a) * FILL * share).to_integral_value()) // 100 * 100 for y, a in ceiling.items()}
            if kind in fixed:
                cap = fixed[kind] // len(per_year) // 100 * 100
                per_year = {y: min(a, cap) for y, a in per_year.items()}
            p.per_year = per_year


def build_programme_2025(regulation: Regulation, base: Programme, end: dt.datetime, seed: int = 2018) -> Programme:
    """The 2025–2028 script for the regions approved in `base` (the 2018–2025 script), up to `end`."""
    rng = random.Random(f"{seed}:{SCHEME}")
    approved = [p for p in base.plans if p.fate is not Fate.NEVER_APPLIES]
    n = len(approved)
    former_arme = [p for p in approved if p.region.kind is RegionKind.TECHNIEKARME_REGIO]
    others = [p for p in approved if p not in former_arme]
    luwe_count = scaled("techniekluwe", n)
    luwe = rng.sample(former_arme, min(luwe_count, len(former_arme)))
    luwe += rng.sample(others, luwe_count - len(luwe))
    luwe_codes = {p.region.code for p in luwe}
    plans = [
        RegionPlan(region=_region_2025(p, RegionKind.TECHNIEKLUWE_REGIO if p.region.code in luwe_codes else RegionKind.TECHNIEKREGIO),
                   fate=Fate.APPROVED_1, per_year={}, positive_in=1)
        for p in approved
    ]
    _amounts(plans, regulation, rng, dt.date(2024, 9, 15))
    codes = [p.region.code for p in plans]
    late_1 = set(rng.sample(codes, scaled("plan_1_late", n)))
    missing_2 = set(rng.sample(codes, scaled("plan_2_missing", n)))
    late_2 = set(rng.sample([c for c in codes if c not in missing_2], scaled("plan_2_late", n)))

    actions: list[Action] = []
    d = dt.date

    def add(when: dt.datetime, step: Step, code: str, data: dict | None = None) -> None:
        actions.append(Action(when, step, code, data or {}, scheme=SCHEME))

    for plan in plans:
        code = plan.region.code
        r = random.Random(f"{seed}:{SCHEME}:{code}")
        add(_at(_weekday_between(r, d(2024, 5, 6), d(2024, 5, 31)), 9 + r.randint(0, 7)), Step.PRE_REGISTER, code)
        applied = _weekday_between(r, d(2024, 9, 2), d(2024, 10, 1))
        add(_at(applied, 11), Step.APPLY, code, {"period": 1})
        check = _on_or_after(applied + dt.timedelta(days=5), TUESDAY)
        if r.random() < 0.08:  # Awb 4:5: a few applications are completed after a repair request
            add(_at(check, 10), Step.REQUEST_REPAIR, code)
            add(_at(check + dt.timedelta(days=r.randint(3, 10)), 10), Step.SUBMIT_REPAIR, code)
            check = _on_or_after(check + dt.timedelta(days=11), TUESDAY)
        add(_at(check, 15), Step.ACCEPT, code)
        add(_at(r.choice([d(2024, 12, 3), d(2024, 12, 5), d(2024, 12, 10)]), 14), Step.ADVISE, code, {"positive": True})
        add(_at(r.choice([d(2025, 1, 14), d(2025, 1, 16), d(2025, 1, 21)]), 16), Step.APPROVE, code, {"period": 1})
        first = (_weekday_between(r, d(2025, 4, 22), d(2025, 5, 16)) if code in late_1
                 else _weekday_between(r, d(2025, 3, 3), d(2025, 4, 15)))
        add(_at(first, 11), Step.DETAILED_PLAN, code, {"plan_key": "2025-2026", "share": str(round(r.uniform(0.97, 1.0), 3))})
        if code not in missing_2:
            second = (_weekday_between(r, d(2026, 10, 12), d(2026, 11, 20)) if code in late_2
                      else _weekday_between(r, d(2026, 9, 1), d(2026, 10, 1)))
            add(_at(second, 11), Step.DETAILED_PLAN, code, {"plan_key": "2027-2028", "share": str(round(r.uniform(0.97, 1.0), 3))})
    actions = sorted((a for a in actions if a.at <= end), key=lambda a: (a.at, a.region or ""))
    return Programme(seed=seed, plans=plans, actions=actions, start=_at(d(2024, 5, 2), 9), end=end, scheme=SCHEME)
