"""What the replay did, counted from the event store itself (not from the script)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from domain.letters import is_letter_key
from domain.outbox import OutboxMessage
from adapters.event_store.service import GrantService
from adapters.replay.summary_stages import StageCounts
from domain.regulation.schemes import legacy_scheme_id
from domain.timekeeping import local_date
from domain.values import GrantStatus


class Milestone(BaseModel):
    name: str
    count: int
    expected: int | None = None  # the real programme's count, where the sources give one
    note: str = ""


class ReplaySummary(BaseModel):
    regions: int
    milestones: list[Milestone]
    statuses: dict[str, int]
    granted_2020_2023_cents: dict[str, int]  # per region kind
    ceilings_cents: dict[str, int]
    extension: dict[str, Any]
    vaststelling: dict[str, Any]
    consequences: dict[str, int]
    reminders_sent: int  # reminders and notices of an open period delivered (the whole store's outbox)
    reminder_failures: int
    letters_sent: int = 0  # decision letters delivered (mails with the PDF; the whole store's outbox, every scheme)
    letter_failures: int = 0
    events: int
    wall_seconds: float = 0.0
    approvals_by_month: dict[str, dict[str, int]]  # "2019-06" -> {"1": n, ...}
    stages: StageCounts = Field(default_factory=StageCounts)  # how its besluiten went through their stages


def _outbox_counts(service: GrantService) -> Counter[str]:
    """Delivered and failed outbox mails, reminders (with the notices of an open period) apart from decision
    letters: `reminders`, `reminder_failures`, `letters`, `letter_failures`. A Delivered event names only its
    message's id, so the Queued event before it (same id) says which kind it is."""
    from eventsourcing.utils import get_topic

    counts: Counter[str] = Counter()
    letters: set = set()  # ids of the letter mails
    queued, delivered, failed = (get_topic(e) for e in (OutboxMessage.Queued, OutboxMessage.Delivered, OutboxMessage.DeliveryFailed))
    start = 1
    while True:
        batch = service.recorder.select_notifications(start, 1000, topics=[queued, delivered, failed])
        if not batch:
            return counts
        for n in batch:
            if n.topic == queued:
                if is_letter_key(service.mapper.to_domain_event(n).notification["key"]):
                    letters.add(n.originator_id)
                continue
            letter = n.originator_id in letters
            if n.topic == delivered:
                counts["letters" if letter else "reminders"] += 1
            else:
                counts["letter_failures" if letter else "reminder_failures"] += 1
        start = batch[-1].id + 1


def summarise(service: GrantService, *, real_counts: bool, scheme: str | None = None,
              until: dt.datetime | None = None) -> ReplaySummary:
    """The 2018–2025 replay of the legacy scheme (2020–2024), counted from its grants' events up to `until` (the
    end of its script): the same figures whether or not the 2025–2028 replay ran on in the same store."""
    scheme = scheme or legacy_scheme_id()
    approvals: list[tuple[int, dt.date]] = []
    applied_1 = pre_registered = lapsed = objections = repairs = 0
    report_1 = Counter()
    statuses: Counter[str] = Counter()
    consequences: Counter[str] = Counter()
    granted = {k.kind: 0 for k in service.regulation(scheme).data.region_kinds}
    extension_total = extension_count = 0
    extension_max_share = 0.0
    determined_total = reclaim_total = lowered = determined_count = 0
    events = 0
    regions = 0
    stages = StageCounts()
    for code in service.region_codes(scheme):
        regions += 1
        history = [e for e in service.history(code, scheme=scheme) if until is None or e.effective_at <= until]
        events += len(history)
        state = service.state(code, history[-1].originator_version, scheme=scheme)
        statuses[state.status.value] += 1
        stages.waiting += state.case is not None
        for e in history:
            stages.count(e)
            name = type(e).__name__
            day = local_date(e.effective_at)
            if name == "VooraanmeldingReceived" and day < dt.date(2018, 11, 1):
                pre_registered += 1
            elif name == "ApplicationSubmitted" and e.period == 1 and dt.date(2019, 3, 1) <= day <= dt.date(2019, 3, 31):
                applied_1 += 1
            elif name == "GrantApproved":
                approvals.append((e.period, day))
            elif name == "RepairRequested":
                repairs += 1
            elif name == "ObjectionFiled":
                objections += 1
            elif name == "ProgressReportSubmitted" and e.number == 1:
                report_1["late" if e.late else "on time"] += 1
            if e.role == "system" and name != "DecisionLetterIssued":  # letters are counted apart (letters_sent)
                consequences[name] += 1
        if state.status is GrantStatus.LAPSED:
            lapsed += 1
        if state.approval:
            granted[state.kind.value] += state.granted_cents
        if state.extension.granted_cents:
            extension_count += 1
            extension_total += state.extension.granted_cents
            extension_max_share = max(extension_max_share, state.extension.granted_cents / state.granted_cents)
        if state.determination:
            determined_count += 1
            determined_total += state.determination.determined_cents
            reclaim_total += state.determination.reclaim_cents
            if state.determination.determined_cents < state.determination.eligible_cents:
                lowered += 1
    regulation = service.regulation(scheme)
    day = dt.date(2019, 1, 1)
    ceilings = {
        k.kind: sum(int(v) for v in regulation.param(k.ceiling, day).value.values()) for k in regulation.data.region_kinds
    }
    budget = int(regulation.param("extension_budget_cents", dt.date(2023, 8, 1)).value)
    round_1 = sum(1 for p, d in approvals if p == 1 and d < dt.date(2019, 7, 1))
    round_2 = sum(1 for p, d in approvals if p == 2 and d <= dt.date(2019, 12, 17))
    start_2020 = sum(1 for _, d in approvals if d < dt.date(2020, 1, 1))
    round_3 = sum(1 for p, d in approvals if p == 3 and d <= dt.date(2020, 9, 1))
    expect = real_counts
    milestones = [
        Milestone(name="vooraanmeldingen before 1 November 2018", count=pre_registered, expected=87 if expect else None),
        Milestone(name="applications in period 1 (1–31 March 2019)", count=applied_1, expected=78 if expect else None),
        Milestone(name="approved in round 1, before 1 July 2019", count=round_1, expected=45 if expect else None),
        Milestone(name="approved in round 2, by 17 December 2019", count=round_2, expected=26 if expect else None),
        Milestone(name="start in January 2020", count=start_2020, expected=71 if expect else None),
        Milestone(name="approved in period 3, by 1 September 2020", count=round_3, expected=7 if expect else None),
        Milestone(name="approved in total", count=len(approvals), expected=78 if expect else None),
        Milestone(name="lapsed (no application in period 1)", count=lapsed, expected=9 if expect else None),
        Milestone(name="repair requests (Awb 4:5)", count=repairs),
        Milestone(name="objections (bezwaar)", count=objections),
        Milestone(name="progress report 1 on time / late", count=report_1["on time"], note=f"{report_1['late']} late"),
        Milestone(name="2024 extensions granted", count=extension_count),
        Milestone(name="vaststellingen", count=determined_count, note=f"{lowered} lowered for co-financing"),
    ]
    outbox = _outbox_counts(service)
    by_month: dict[str, dict[str, int]] = {}
    for period, d in approvals:
        month = by_month.setdefault(f"{d.year}-{d.month:02d}", {})
        month[str(period)] = month.get(str(period), 0) + 1
    return ReplaySummary(
        regions=regions,
        milestones=milestones,
        statuses=dict(sorted(statuses.items())),
        granted_2020_2023_cents=granted,
        ceilings_cents=ceilings,
        extension={
            "granted_cents": extension_total,
            "regions": extension_count,
            "budget_cents": budget,
            "max_share_of_2020_2023": round(extension_max_share, 4),
        },
        vaststelling={
            "determined_cents": determined_total,
            "reclaimed_cents": reclaim_total,
            "lowered_for_cofinancing": lowered,
            "regions": determined_count,
        },
        consequences=dict(sorted(consequences.items())),
        reminders_sent=outbox["reminders"],
        reminder_failures=outbox["reminder_failures"],
        letters_sent=outbox["letters"],
        letter_failures=outbox["letter_failures"],
        events=events,
        approvals_by_month=dict(sorted(by_month.items())),
        stages=stages,
    )
