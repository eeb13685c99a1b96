"""Scripted multi-region scenarios: many grants in different lives (tests, measurements, demos).

Region `index` gets one of six lives, by `index % 6`: the whole life up to vaststelling with a 2024
extension; approved and reporting; rejected in period 1; waiting for a repair; an approved techniekarme
regio; pre-registered only. Deterministic: the same count gives the same events.
"""

from __future__ import annotations

from tests.support.scripted import PER_YEAR, GrantScript, at, years
from domain import commands as c
from adapters.event_store.service import GrantService
from domain.values import ObjectionOutcome, RegionKind

LIVES = ("determined_with_extension", "approved_reporting", "rejected", "repair_requested", "techniekarme_approved",
         "pre_registered")


def to_extended(grant: GrantScript) -> int:
    """Approved in 2019, both progress reports in, the 2024 extension granted on 1 November 2023 (a quarter of
    the grant); returns the extension's amount."""
    grant.to_approved()
    grant.consequence("objection_period:1", at(2019, 8, 2))
    grant.progress_report(1, at(2021, 10, 20))
    quarter = sum(grant.per_year.values()) // 4
    grant.progress_report(2, at(2023, 9, 20), quarter)
    grant.send(c.GrantExtension, at(2023, 11, 1), amount_cents=quarter)
    return quarter


def full_life(grant: GrantScript) -> None:
    """Vooraanmelding to vaststelling, with the 2024 extension (the demo's life)."""
    quarter = to_extended(grant)
    grant.consequence("spending_end", at(2025, 1, 1))
    total = sum(grant.per_year.values()) + quarter
    grant.final_report(at(2025, 1, 15), {**grant.per_year, 2024: quarter}, cofinancing_cents=total * 6 // 100)
    grant.send(c.DetermineGrant, at(2025, 3, 1))


def live(service: GrantService, index: int, per_year: dict[int, int] | None = None) -> GrantScript:
    life = LIVES[index % len(LIVES)]
    kind = RegionKind.TECHNIEKARME_REGIO if life == "techniekarme_approved" else RegionKind.TECHNIEKREGIO
    grant = GrantScript(service, index=index, kind=kind, per_year=dict(per_year or PER_YEAR))
    if life == "determined_with_extension":
        full_life(grant)
    elif life == "approved_reporting":
        grant.to_approved()
        grant.consequence("objection_period:1", at(2019, 8, 2))
        grant.progress_report(1, at(2021, 10, 20))
    elif life == "rejected":
        grant.to_rejected_in_period_1()
    elif life == "repair_requested":
        grant.pre_register()
        grant.apply()
        grant.send(c.RequestRepair, at(2019, 3, 20), missing=["begroting 2023"])
    elif life == "techniekarme_approved":
        grant.to_approved()
    else:
        grant.pre_register()
    return grant


def scripted_regions(service: GrantService, count: int, *, first: int = 1,
                     per_year: dict[int, int] | None = None) -> list[GrantScript]:
    """`count` regions from index `first`, each in its life. Lower `per_year` to stay under the ceilings for many."""
    return [live(service, index, per_year) for index in range(first, first + count)]


# --- the less common turns, each once: for tests that must see every kind of grant event ---------

EXCEPTIONAL = ("objection_upheld", "withdrawn", "lapsed", "repaired_with_new_documents", "hourly_rate_changed",
               "report_missed")


def exceptional(service: GrantService, index: int, turn: str) -> GrantScript:
    grant = GrantScript(service, index=index)
    if turn == "objection_upheld":
        grant.to_rejected_in_period_1()
        grant.send(c.FileObjection, at(2019, 7, 30), grounds="ten onrechte afgewezen")
        grant.send(c.DecideObjection, at(2019, 9, 10), outcome=ObjectionOutcome.UPHELD,
                   granted_per_year=years({y: a // 2 for y, a in grant.per_year.items()}))
    elif turn == "withdrawn":
        grant.to_approved()
        grant.send(c.WithdrawGrant, at(2020, 2, 1), reason="regio stopt")
    elif turn == "lapsed":
        grant.pre_register()
        grant.consequence("application_period_1", at(2019, 4, 2))
    elif turn == "repaired_with_new_documents":
        grant.pre_register()
        grant.apply()
        grant.send(c.RequestRepair, at(2019, 4, 1), missing=["begroting"])
        grant.per_year = {y: a * 9 // 10 for y, a in grant.per_year.items()}
        grant.send(c.SubmitRepair, at(2019, 4, 10), documents=grant.documents())
    elif turn == "hourly_rate_changed":
        grant.to_approved()
        grant.send(c.RecordHourlyRateChange, at(2022, 9, 2), rate_cents=6200, motivation="cao-verhoging")
    elif turn == "report_missed":
        grant.to_approved()
        grant.consequence("objection_period:1", at(2019, 8, 2))
        grant.consequence("progress_report_1", at(2021, 11, 2))
    else:
        raise ValueError(f"unknown turn {turn!r}; choose from {', '.join(EXCEPTIONAL)}")
    return grant


def exceptional_regions(service: GrantService, *, first: int = 101) -> list[GrantScript]:
    """One region for each of the less common turns, from index `first`."""
    return [exceptional(service, first + i, turn) for i, turn in enumerate(EXCEPTIONAL)]
