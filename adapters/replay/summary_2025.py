"""What the replay of a scheme still running today did (STO 2025–2028), counted from the event store itself."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pydantic import BaseModel, Field

from adapters.event_store.service import GrantService
from adapters.replay.pending import PendingTimers
from adapters.replay.scenario import Programme
from adapters.replay.scenario_2025 import scaled
from adapters.replay.summary_stages import StageCounts
from domain.timekeeping import local_date


class Count(BaseModel):
    name: str
    count: int
    expected: int | None = None  # what the script sets out to do (the demo's own figures: 2025 has no public counts yet)
    note: str = ""


class PlanCount(BaseModel):
    key: str
    due: dt.date
    on_time: int
    late: int  # submitted after the due date (the DeadlineMissed came first)
    missing: int  # not submitted by the end of the replay although due
    deadline_missed: int  # DeadlineMissed recorded by the workflows' timers


class KindMoney(BaseModel):
    regions: int
    granted_cents: int
    ceiling_cents: int  # the kind's ceiling over the whole period
    granted_per_year_cents: dict[str, int]
    ceiling_per_year_cents: dict[str, int]
    largest_grant_cents: int
    regional_maximum_cents: int | None = None  # the fixed maximum per region of this kind, if the scheme has one


class SchemeSummary(BaseModel):
    scheme: str
    title: str
    replayed_from: dt.date
    replayed_to: dt.date
    regions: int
    counts: list[Count]
    statuses: dict[str, int]
    plans: list[PlanCount]
    money: dict[str, KindMoney]  # per region kind
    consequences: dict[str, int]
    pending: PendingTimers
    reminder_offsets_days: list[int]
    events: int
    letters: int = 0  # decision letters issued (DecisionLetterIssued) for the scheme's besluiten
    stages: StageCounts = Field(default_factory=StageCounts)  # how its besluiten went through their stages


def summarise_scheme(service: GrantService, programme: Programme, pending: PendingTimers, *,
                     reminders: tuple[int, ...] | list[int]) -> SchemeSummary:
    scheme = programme.scheme
    regulation = service.regulation(scheme)
    end = local_date(programme.end)
    plan_terms = {key: opts["term"] for key, opts in (regulation.data.step("SubmitDetailedPlan").options or {}).get("plans", {}).items()}
    due = {key: regulation.term(term, end).due for key, term in plan_terms.items()}
    found: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    consequences: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    plans = {key: Counter() for key in plan_terms}
    kinds: dict[str, list] = {}
    events = regions = 0
    stages = StageCounts()
    for code in service.region_codes(scheme):
        regions += 1
        history = service.history(code, scheme=scheme)
        events += len(history)
        state = service.state(code, scheme=scheme)
        statuses[state.status.value] += 1
        stages.waiting += state.case is not None
        for e in history:
            stages.count(e)
            name = type(e).__name__
            found[name] += 1
            if e.role == "system" and name != "DecisionLetterIssued":  # letters are counted apart (letters)
                consequences[name] += 1
            if name == "DeadlineMissed":
                missed[e.deadline_key] += 1
        if state.approval:
            kinds.setdefault(state.kind.value, []).append(state)
            for key in plan_terms:
                record = state.detailed_plans.get(key)
                if record is not None:
                    plans[key]["late" if record.late else "on_time"] += 1
                elif due[key] < end:
                    plans[key]["missing"] += 1
    day = dt.date(2024, 9, 15)
    fixed = {k: int(v) for k, v in regulation.param("regional_maximum_per_kind_cents", day).value.items()}
    money = {}
    for declared in regulation.data.region_kinds:
        ceiling = {str(y): int(a) for y, a in regulation.param(declared.ceiling, day).value.items()}
        members = kinds.get(declared.kind, [])
        per_year = {y: sum(s.granted_per_year.get(int(y), 0) for s in members) for y in ceiling}
        money[declared.kind] = KindMoney(
            regions=len(members), granted_cents=sum(s.granted_cents for s in members), ceiling_cents=sum(ceiling.values()),
            granted_per_year_cents=per_year, ceiling_per_year_cents=ceiling,
            largest_grant_cents=max((s.granted_cents for s in members), default=0), regional_maximum_cents=fixed.get(declared.kind),
        )
    n = len(programme.plans)  # the script's own figures (2025–2028 has no published counts to hold it to)
    counts = [
        Count(name="vooraanmeldingen by 1 June 2024 (with a po school board)", count=found["VooraanmeldingReceived"], expected=n),
        Count(name="applications 1 September – 1 October 2024", count=found["ApplicationSubmitted"], expected=n),
        Count(name="repair requests (Awb 4:5)", count=found["RepairRequested"]),
        Count(name="approved (verlening 2025–2028) in January 2025", count=found["GrantApproved"], expected=n),
        Count(name="techniekluwe regio's among them", count=len(kinds.get("techniekluwe_regio", [])), expected=scaled("techniekluwe", n)),
    ]
    expected_plans = {"2025-2026": {"late": scaled("plan_1_late", n)},
                      "2027-2028": {"late": scaled("plan_2_late", n), "missing": scaled("plan_2_missing", n)}}
    for key in plan_terms:
        if due[key] < end:
            e = expected_plans.get(key, {})
            counts.append(Count(name=f"detailed plan {key} (due {due[key].isoformat()}) late / missing",
                                count=plans[key]["late"] + plans[key]["missing"],
                                expected=e.get("late", 0) + e.get("missing", 0),
                                note=f"{plans[key]['on_time']} on time, {plans[key]['late']} late, {plans[key]['missing']} missing"))
    return SchemeSummary(
        scheme=scheme,
        title=regulation.data.scheme.title if regulation.data.scheme else scheme,
        replayed_from=local_date(programme.start),
        replayed_to=end,
        regions=regions,
        counts=counts,
        statuses=dict(sorted(statuses.items())),
        plans=[
            PlanCount(key=key, due=due[key], on_time=plans[key]["on_time"], late=plans[key]["late"], missing=plans[key]["missing"],
                      deadline_missed=missed[term])
            for key, term in plan_terms.items()
        ],
        money=money,
        consequences=dict(sorted(consequences.items())),
        pending=pending,
        reminder_offsets_days=list(reminders),
        events=events,
        letters=found["DecisionLetterIssued"],
        stages=stages,
    )
