"""The grants service on real stores: a SQLite file and the PostgreSQL server on 127.0.0.1:5432.

Every test runs on both (the `store_url` fixture), so the scale-out store is tested for real.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters.event_store.store import open_service
from adapters.replay.staff import take_besluit
from domain import commands as c
from domain.errors import ConcurrencyConflict
from domain.grant import Grant
from adapters.event_store.service import GrantService
from domain.values import GrantStatus, RegionKind
from tests.support.scripted import PER_YEAR, GrantScript, at


def test_a_grant_survives_a_restart_of_the_service(store_url):
    grant = GrantScript(open_service(store_url))
    grant.to_approved()
    reopened = open_service(store_url)
    state = reopened.state(grant.code)
    assert state.status is GrantStatus.APPROVED and state.granted_per_year == PER_YEAR
    history = reopened.history(grant.code)
    names = [type(e).__name__ for e in history]
    # the approval through its stages: drafted, passed by the interne controle, signed under a mandate; the
    # signature and the verlening (with the advances it sets) are stored together
    assert names[:8] == [
        "VooraanmeldingReceived", "ApplicationSubmitted", "ApplicationAccepted", "AdviceRecorded",
        "BesluitDrafted", "StagePassed", "BesluitSigned", "GrantApproved",
    ]
    assert names[8:] == ["AdvancesScheduled"]
    (besluit,) = state.besluiten
    assert besluit.signature is not None and besluit.signature["signer"] == besluit.taken_by == history[6].actor
    assert [s.outcome for s in besluit.stages] == ["drafted", "passed", "signed"]
    # two times per event: business time (effective_at) and recording time (timestamp)
    assert history[0].effective_at.year == 2018 and history[0].timestamp.year >= 2026
    assert list(reopened.region_codes()) == [grant.code]


def test_a_retried_command_appends_nothing_even_on_another_process(store_url):
    first, second = open_service(store_url), open_service(store_url)
    grant = GrantScript(first)
    grant.pre_register()
    command = grant.command(c.SubmitApplication, at(2019, 3, 15), period=1, documents=grant.documents())
    assert not first.execute(command).duplicate
    assert second.execute(command).duplicate
    assert len(second.history(grant.code)) == 2


class _RacingService(GrantService):
    """Lets two writers load the same version before either saves (timing control only)."""

    name = GrantService.name  # the same tables
    barrier: threading.Barrier
    local = threading.local()

    def _find(self, region_code, scheme=None):
        grant = super()._find(region_code, scheme)
        if not getattr(self.local, "waited", False):
            self.local.waited = True
            self.barrier.wait(timeout=10)
        return grant


def test_two_concurrent_writers_give_one_success_and_one_conflict_and_no_lost_event(store_url):
    setup = GrantScript(open_service(store_url))
    setup.pre_register()
    setup.apply()
    barrier = threading.Barrier(2)

    services = [open_service(store_url, service_class=_RacingService) for _ in range(2)]
    for service in services:
        service.barrier = barrier

    def writer(job):
        service, command = job
        try:
            return service.execute(command)
        except ConcurrencyConflict as conflict:
            return conflict

    accept = setup.command(c.AcceptApplication, at(2019, 4, 1), reason="operator A: complete")
    repair = setup.command(c.RequestRepair, at(2019, 4, 1), reason="operator B: incomplete", missing=["begroting"])
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(writer, zip(services, [accept, repair])))
    conflicts = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
    successes = [o for o in outcomes if not isinstance(o, ConcurrencyConflict)]
    assert len(conflicts) == 1 and len(successes) == 1
    assert conflicts[0].expected_version == 2 and conflicts[0].actual_version == 3
    history = open_service(store_url).history(setup.code)
    assert [e.originator_version for e in history] == [1, 2, 3]
    assert history[-1].command_id == successes[0].command_id  # the winner's event is stored, nothing else


def test_concurrent_approvals_of_different_regions_share_the_ceiling_without_conflict(store_url):
    scripts = [GrantScript(open_service(store_url), index=i) for i in (11, 12, 13, 14)]
    for s in scripts:
        s.pre_register()
        s.apply()
        s.accept()
        s.advise()
    commands = [s.command(c.ApproveGrant, at(2019, 6, 20), granted_per_year=[
        {"year": y, "amount_cents": a} for y, a in PER_YEAR.items()]) for s in scripts]

    services = [open_service(store_url) for _ in commands]

    def approve(job):  # each approval through its stages; the signatures claim the shared ceiling at once
        service, command = job
        return take_besluit(service.execute, command, service.regulation(), when=command.effective_at)[-1].status

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(approve, zip(services, commands))) == [GrantStatus.APPROVED] * 4
    totals = open_service(store_url).pool_totals(f"ceiling:{RegionKind.TECHNIEKREGIO.value}")
    assert totals == {y: 4 * a for y, a in PER_YEAR.items()}


class _SnapshotEveryThree(GrantService):
    name = GrantService.name
    snapshotting_intervals = {Grant: 3}


def test_snapshots_load_the_same_state_as_a_full_replay(store_url):
    service = open_service(store_url, service_class=_SnapshotEveryThree)
    grant = GrantScript(service)
    grant.to_approved()
    last = service.state(grant.code).version  # the approval's stages and its besluit included
    assert last >= 8
    snapshots = list(service.snapshots.get(service.state(grant.code).grant_id))
    assert [s.originator_version for s in snapshots] == list(range(3, last + 1, 3))
    from_snapshot = open_service(store_url, service_class=_SnapshotEveryThree).state(grant.code)
    replayed = open_service(store_url).state(grant.code)
    assert from_snapshot == replayed


def test_a_published_amendment_is_seen_by_every_process(store_url):
    from domain.regulation import default_regulation
    import datetime as dt

    full = default_regulation()
    base = full.without_versions("brief-2022-07-07")
    writer = open_service(store_url, base_regulation=base)
    reader = open_service(store_url, base_regulation=base)
    assert reader.regulation().term("progress_report_2", dt.date(2023, 1, 1)).due == dt.date(2023, 7, 1)
    assert writer.publish_amendment(full.amendment_of("brief-2022-07-07"), "op.jansen", "letter of 7 July 2022")
    assert not writer.publish_amendment(full.amendment_of("brief-2022-07-07"), "op.jansen", "again")
    assert reader.regulation().term("progress_report_2", dt.date(2023, 1, 1)).due == dt.date(2023, 10, 1)


def test_the_grant_as_of_a_business_date_between_two_events(store_url):
    service = open_service(store_url)
    grant = GrantScript(service)
    grant.to_approved()
    earlier = service.state_as_of(grant.code, at(2019, 5, 1))
    assert earlier.status is GrantStatus.UNDER_ASSESSMENT
    assert service.state_as_of(grant.code, at(2018, 1, 1)) is None


@pytest.mark.parametrize("url", ["sqlite:///", "mysql://x", "postgresql://host"])
def test_a_bad_database_url_says_what_to_use(url):
    from adapters.event_store.store import StoreConfigError, store_env

    with pytest.raises(StoreConfigError, match="sqlite:///|DBNAME|names no file"):
        store_env(url)


@pytest.mark.postgres
def test_postgres_appends_wait_for_the_table_lock_so_commit_order_is_notification_order(postgres_url):
    """The one-round-trip append (adapters/event_store/postgres_recorder.py) takes the library's EXCLUSIVE table lock:
    while another transaction holds ROW SHARE (which blocks EXCLUSIVE, not plain INSERTs), it waits."""
    import time

    import psycopg

    from adapters.event_store.store import postgres_conninfo, store_env

    service = open_service(postgres_url)
    first = GrantScript(service, index=1)
    first.pre_register()
    env = store_env(postgres_url)
    blocker = psycopg.connect(postgres_conninfo(env))
    try:
        blocker.execute(f'LOCK TABLE "{env["POSTGRES_SCHEMA"]}".sto_events IN ROW SHARE MODE')
        writer = threading.Thread(target=GrantScript(service, index=2).pre_register)
        writer.start()
        time.sleep(1.0)
        assert writer.is_alive(), "the append did not wait for the table lock"
        blocker.commit()
        writer.join(timeout=30)
        assert not writer.is_alive()
    finally:
        blocker.close()
    ids = [n.id for n in service.recorder.select_notifications(1, 100)]
    assert ids == sorted(ids) and len(ids) == 2


def test_reading_a_grant_gives_its_events_in_order_and_respects_the_bounds(store_url):
    service = open_service(store_url)
    grant = GrantScript(service)
    grant.to_approved()
    gid = service.state(grant.code).grant_id
    events = service.recorder.select_events(gid)
    last = len(service.history(grant.code))  # the approval's stages and its besluit included
    assert last >= 8 and [e.originator_version for e in events] == list(range(1, last + 1))
    assert all(e.originator_id == gid for e in events)
    assert [e.originator_version for e in service.recorder.select_events(gid, gt=2, lte=4)] == [3, 4]
    assert [e.originator_version for e in service.recorder.select_events(gid, desc=True, limit=2)] == [last, last - 1]


def test_a_grant_loaded_from_its_rows_equals_the_librarys_load_of_its_stored_events(store_url):
    """The repository decodes the rows it reads (select_event_rows) without a StoredEvent each; the state,
    version and times equal the library's own reconstruction from the recorder's StoredEvents."""
    from eventsourcing.application import project_aggregate

    service = open_service(store_url)
    grant = GrantScript(service)
    grant.to_approved()
    gid = service.state(grant.code).grant_id
    rows = service.recorder.select_event_rows(gid)
    stored = service.recorder.select_events(gid)
    assert [(s.originator_version, s.topic, s.state) for s in stored] == [tuple(r) for r in rows]
    assert all(type(state) is bytes for _, _, state in rows)
    library = project_aggregate(None, map(service.mapper.to_domain_event, stored))
    loaded = service.repository.get(gid)
    assert loaded.state == library.state
    assert (loaded.version, loaded.created_on, loaded.modified_on) == (library.version, library.created_on, library.modified_on)
    assert service.repository.get(gid, version=3).state == project_aggregate(None, map(service.mapper.to_domain_event, stored[:3])).state
