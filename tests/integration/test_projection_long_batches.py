"""A long catch-up (a rebuild) reads, projects and writes in long batches (adapters/read_side/follower.py,
LONG_BATCH_SIZE), with the cyclic garbage collector paused and SQLite's cache and temp store set for it: its views
equal those of a follower that caught up a few records at a time, a rebuild stopped half way comes back right,
and the settings are put back after it, also when it stops. SQLite and PostgreSQL."""

from __future__ import annotations

import gc

import pytest
from eventsourcing.utils import get_topic

from adapters.event_store.store import open_service
from adapters.read_side.database import open_view_database
from adapters.read_side.follower import ProjectionFollower
from adapters.read_side.tables import ViewStore
from domain import events as e
from projections.grant_rows import HANDLERS
from tests.support.scenarios import exceptional_regions, scripted_regions
from tests.support.scripted import GrantScript


def views(store: ViewStore) -> dict[str, list[dict]]:
    """Every table the follower writes, in a fixed order."""
    db = store.db
    return {
        "grants": db.fetchall("SELECT * FROM view_grants ORDER BY grant_id"),
        "timeline": db.fetchall("SELECT * FROM view_timeline ORDER BY position"),
        "work": db.fetchall("SELECT * FROM view_work_items ORDER BY grant_id"),
        "quarantine": db.fetchall("SELECT * FROM view_quarantine ORDER BY position"),
        "position": [{"position": store.position()}],
    }


def interleaved(service) -> None:
    """Grants written one after another, then grants whose records interleave (as an agency's log does)."""
    scripted_regions(service, 6)
    later = [GrantScript(service, index=i) for i in range(7, 13)]
    for grant in later:
        grant.pre_register()
    for grant in later[:4]:
        grant.apply()
    for grant in later[:2]:
        grant.accept()
        grant.advise()
    drafted = GrantScript(service, index=30, stages=False)  # its approval drafted, waiting in its stages
    drafted.to_approved()
    later[0].approve()  # the besluit due on an advised application: open work, then taken
    exceptional_regions(service)


def test_a_rebuild_in_long_batches_equals_catching_up_a_few_records_at_a_time(store_url):
    service = open_service(store_url)
    step_by_step = ViewStore(open_view_database(store_url))
    follower = ProjectionFollower(service, step_by_step, batch_size=3)  # short batches, in both loops
    scripted_regions(service, 2, first=20)
    follower.catch_up()
    interleaved_first = service.recorder.max_notification_id()
    GrantScript(service, index=40).pre_register()
    follower.catch_up()
    interleaved(service)
    follower.catch_up()
    caught_up = views(step_by_step)
    assert interleaved_first < caught_up["position"][0]["position"] == service.recorder.max_notification_id()

    rebuilt = ProjectionFollower(service, step_by_step, batch_size=2, long_batch_size=45)  # windows across grants
    report = rebuilt.rebuild()
    assert report.notifications == service.recorder.max_notification_id() > 3 * 45
    assert views(step_by_step) == caught_up
    assert len(caught_up["timeline"]) == sum(row["version"] for row in caught_up["grants"])
    assert caught_up["work"], "some grants have open work: the queue is compared too"


class Crash(BaseException):  # the process dies: not an error of one record (those are quarantined)
    pass


def test_a_rebuild_stopped_in_a_long_batch_resumes_right_and_puts_its_settings_back(store_url):
    service = open_service(store_url)
    interleaved(service)
    topic = get_topic(e.ApplicationSubmitted)
    real = HANDLERS[topic]
    calls = 0

    def dies_at_the_fifth(row, payload):
        nonlocal calls
        calls += 1
        if calls == 5:
            raise Crash("the process dies here")
        real(row, payload)

    store = ViewStore(open_view_database(store_url))
    settings = _settings(store)
    assert gc.isenabled()
    follower = ProjectionFollower(service, store, batch_size=2, long_batch_size=30,
                                  handlers={**HANDLERS, topic: dies_at_the_fifth})
    with pytest.raises(Crash):
        follower.rebuild()
    assert gc.isenabled() and _settings(store) == settings  # put back when it stops
    stopped = store.position()
    assert 0 < stopped < service.recorder.max_notification_id()
    half = views(ViewStore(open_view_database(store_url)))  # what another process sees
    assert max((t["position"] for t in half["timeline"]), default=0) <= stopped  # nothing of the batch it died in
    assert len(half["timeline"]) == sum(row["version"] for row in half["grants"])

    resumed = ProjectionFollower(service, ViewStore(open_view_database(store_url)), long_batch_size=30)
    report = resumed.catch_up()
    assert report.started_at == stopped and report.position == service.recorder.max_notification_id()
    after_resume = views(resumed.store)
    fresh = ProjectionFollower(service, resumed.store, batch_size=5)
    fresh.rebuild()
    assert views(resumed.store) == after_resume
    assert gc.isenabled() and _settings(resumed.store) == settings


def _settings(store: ViewStore) -> tuple:
    if store.db.dialect != "sqlite":
        return ()
    return tuple(store.db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "temp_store"))
