"""Read models on the real stores (SQLite file and PostgreSQL): the budget ledger adds up to the events,
a crash in the middle of a batch counts nothing twice, a restart resumes, and a rebuild equals catch-up."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from eventsourcing.utils import get_topic

from adapters.read_side.follower import ProjectionFollower
from adapters.read_side.read_models import ReadModels
from tests.support.scenarios import exceptional_regions, full_life, scripted_regions
from tests.support.scripted import GrantScript, at
from adapters.event_store.store import open_service
from adapters.read_side.database import open_view_database
from adapters.read_side.tables import ViewStore
from domain import commands as c
from domain import events as e
from adapters.event_store.service import GrantService
from domain.values import RegionKind
from projections.grant_rows import HANDLERS

DAY = dt.date(2024, 1, 15)


def dump(models: ReadModels) -> tuple[list[dict], list[dict]]:
    return models.store.grant_rows(), models.store.all_timeline()


def sums_over_events(service: GrantService, codes: list[str]) -> dict:
    """The ledger's totals, summed straight from each grant's stored events (domain classes, not the views)."""
    requested = pledged = realised = extension = 0
    per_year: Counter = Counter()
    for code in codes:
        last_requested = last_pledged = last_realised = 0
        granted: dict[str, int] = {}
        for event in service.history(code):
            if isinstance(event, (e.ApplicationSubmitted, e.RepairSubmitted)):
                last_requested = event.requested_cents
            if isinstance(event, e.ApplicationSubmitted) or (isinstance(event, e.RepairSubmitted) and event.documents):
                last_pledged = sum(p["amount_cents"] for p in event.documents["cofinancing"])
            if isinstance(event, e.GrantApproved) or (isinstance(event, e.ObjectionDecided) and event.granted_per_year):
                granted = dict(event.granted_per_year)
            if isinstance(event, e.ExtensionGranted):
                extension += event.amount_cents
            if isinstance(event, (e.ProgressReportSubmitted, e.FinalReportSubmitted)):
                last_realised = event.cofinancing_realised_cents
        requested += last_requested
        pledged += last_pledged
        realised += last_realised
        per_year.update(granted)
    return {
        "requested_cents": requested,
        "granted_per_year_cents": dict(sorted(per_year.items())),
        "granted_cents": sum(per_year.values()),
        "extension_cents": extension,
        "cofinancing_pledged_cents": pledged,
        "cofinancing_realised_cents": realised,
    }


def test_the_budget_ledger_totals_equal_the_sums_over_the_events(store_url):
    service = open_service(store_url)
    approved = GrantScript(service, index=1)
    approved.to_approved()
    arme = GrantScript(service, index=2, kind=RegionKind.TECHNIEKARME_REGIO,
                       per_year={2020: 400_000_00, 2021: 400_000_00, 2022: 300_000_00, 2023: 250_000_00})
    arme.to_approved()
    extended = GrantScript(service, index=3)
    full_life(extended)  # approved, both progress reports, the 2024 extension, vaststelling
    rejected = GrantScript(service, index=4)
    rejected.to_rejected_in_period_1()
    waiting = GrantScript(service, index=5, kind=RegionKind.TECHNIEKARME_REGIO)
    waiting.pre_register()
    withdrawn = GrantScript(service, index=6)
    withdrawn.to_approved()
    withdrawn.send(c.WithdrawGrant, at(2020, 2, 1), reason="regio stopt")
    codes = [g.code for g in (approved, arme, extended, rejected, waiting, withdrawn)]

    ledger = ReadModels(service, store_url).budget(DAY)
    totals = ledger["totals"]
    expected = sums_over_events(service, codes)
    assert {k: totals[k] for k in expected} == expected
    assert totals["granted_total_cents"] == expected["granted_cents"] + expected["extension_cents"]
    assert totals["regions"] == 6 and expected["extension_cents"] > 0
    assert [r["granted_cents"] for r in ledger["regions"] if r["region_code"] == rejected.code] == [0]
    # against the ceilings: the budget pools (their own aggregates) hold the same amounts; the withdrawn
    # grant's line stays in the ledger, its money went back to the pool
    pools = {pool["pool"]: {y["year"]: y["granted_cents"] for y in pool["years"]} for pool in ledger["ceilings"]}
    for kind in (RegionKind(k.kind) for k in service.regulation().data.region_kinds):  # the kinds of the grants' scheme
        assert {y: c for y, c in pools[kind.value].items() if c} == service.pool_totals(f"ceiling:{kind.value}")
    assert pools["extension"] == service.pool_totals("extension:2024")
    ceiling = next(p for p in ledger["ceilings"] if p["pool"] == "techniekregio")
    year_2020 = next(y for y in ceiling["years"] if y["year"] == 2020)
    assert year_2020["remaining_cents"] == year_2020["ceiling_cents"] - year_2020["granted_cents"]


class Crash(BaseException):  # the process dies: not an error of one record (those are quarantined)
    pass


def crashing_handlers(on_call: int) -> dict:
    """The real handlers, except that the `on_call`-th GrantApproved raises (after earlier events were applied)."""
    topic = get_topic(e.GrantApproved)
    real = HANDLERS[topic]
    calls = 0

    def approved(row, payload):
        nonlocal calls
        calls += 1
        if calls == on_call:
            raise Crash("the process dies here")
        real(row, payload)

    return {**HANDLERS, topic: approved}


def test_a_crash_in_the_middle_of_a_batch_resumes_without_counting_anything_twice(store_url):
    service = open_service(store_url)
    codes = [g.code for g in scripted_regions(service, 12)]
    approvals = [n.id for n in service.recorder.select_notifications(1, 10_000) if n.topic == get_topic(e.GrantApproved)]
    crash_at = approvals[2]

    follower = ProjectionFollower(service, ViewStore(open_view_database(store_url)), batch_size=10,
                                  handlers=crashing_handlers(3))
    with pytest.raises(Crash):
        follower.catch_up()
    views = ViewStore(open_view_database(store_url))  # what another process sees after the crash
    stopped = views.position()
    assert stopped < crash_at - 1 < stopped + 10  # the crashing batch had applied events before the crash...
    assert max((t["position"] for t in views.all_timeline()), default=0) <= stopped  # ...and wrote none of them
    assert len(views.all_timeline()) == sum(row["version"] for row in views.grant_rows())

    resumed = ReadModels(service, store_url)  # a fresh process, with the real handlers
    report = resumed.refresh().views
    assert report.started_at == stopped
    totals = resumed.budget(DAY)["totals"]
    expected = sums_over_events(service, codes)
    assert {k: totals[k] for k in expected} == expected
    after_resume = dump(resumed)
    assert len(after_resume[1]) == sum(row["version"] for row in after_resume[0])  # each event once
    resumed.rebuild()
    assert dump(resumed) == after_resume


def test_a_restart_resumes_from_the_tracked_position(store_url):
    service = open_service(store_url)
    scripted_regions(service, 3)
    first = ReadModels(service, store_url)
    position = first.refresh().views.position
    first.close()
    scripted_regions(service, 2, first=4)
    report = ReadModels(open_service(store_url), store_url).refresh().views
    assert report.started_at == position
    assert report.notifications == service.recorder.max_notification_id() - position > 0


def test_a_rebuild_from_zero_gives_the_same_rows_as_catching_up(store_url):
    service = open_service(store_url)
    models = ReadModels(service, store_url, batch_size=5)
    scripted_regions(service, 6)
    models.refresh()
    exceptional_regions(service)
    models.refresh()
    caught_up = dump(models)
    assert len(caught_up[0]) == 12
    models.rebuild()
    assert dump(models) == caught_up


def test_after_a_rebuild_a_grant_version_is_on_the_timeline_once(store_url):
    """The rebuild drops the timeline's (grant, version) index and builds it at the end: it must be back."""
    service = open_service(store_url)
    scripted_regions(service, 2)
    store = ViewStore(open_view_database(store_url))
    ProjectionFollower(service, store, batch_size=5).rebuild()
    line = store.db.fetchall("SELECT * FROM view_timeline ORDER BY position LIMIT 1")[0]
    line["position"] = 10**9  # a new position, the same grant and version
    with pytest.raises(Exception, match="(?i)unique"):
        with store.db.transaction():
            store.db.execute(f"INSERT INTO view_timeline ({', '.join(line)}) VALUES ({', '.join('?' * len(line))})",
                             list(line.values()))


def test_views_of_a_deleted_and_recreated_store_are_rebuilt_not_continued(sqlite_url, tmp_path):
    old = open_service(sqlite_url)
    scripted_regions(old, 6)
    ReadModels(old, sqlite_url).refresh()
    for path in tmp_path.glob("sto.sqlite*"):  # the event store goes; its views file stays behind
        path.unlink()
    new = open_service(sqlite_url)
    scripted_regions(new, 8, first=20)  # more events than the old store had
    view = ReadModels(new, sqlite_url).regions()
    assert [r["region_code"] for r in view["regions"]] == [f"STO-R{i:03d}" for i in range(20, 28)]
