"""A rebuild from zero in worker processes, the grants split between them (adapters/read_side/sharded_rebuild.py),
gives the views of a rebuild in one process, to the row, quarantine and indexes included; it adopts them all at
once or not at all, and leaves no process and no scratch file behind. SQLite (PostgreSQL rebuilds in one
process: the condition is tested too)."""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from adapters.event_store.store import open_service
from adapters.read_side import sharded_rebuild as sharded
from adapters.read_side.database import open_view_database, views_path
from adapters.read_side.follower import ProjectionFollower
from adapters.read_side.read_models import ReadModels
from adapters.read_side.tables import PositionMoved, ViewStore
from domain import events as e
from tests.integration.test_process_hygiene import running
from tests.integration.test_projection_long_batches import interleaved, views
from tests.unit.test_projection_quarantine import TOO_BIG, append_record


def everything(store: ViewStore) -> dict[str, list]:
    """The tables the follower writes, the moment each record was quarantined left out, and the indexes."""
    found = views(store)
    for entry in found["quarantine"]:
        entry.pop("quarantined_at")
    found["indexes"] = [r["name"] for r in store.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")]
    found["trigrams"] = store.db.fetchall("SELECT trigram, code FROM view_grant_trigrams ORDER BY trigram, code")
    return found


def workers_left() -> list[int]:
    """Shard workers still running (not zombies), of this test or any other."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "adapters.read_side.sharded_rebuild" in command and running(int(proc.name)):
            found.append(int(proc.name))
    return found


def scratch_left(url: str) -> list[Path]:
    return list(views_path(url.removeprefix("sqlite:///")).parent.glob(".views-rebuild-*"))


@pytest.fixture
def store_with_a_quarantined_grant(sqlite_url):
    service = open_service(sqlite_url)
    interleaved(service)
    append_record(service, "STO-R001", e.ProgressReportSubmitted, spent_cents=TOO_BIG)
    append_record(service, "STO-R001", e.ProgressReportSubmitted, spent_cents=20_000)
    interleaved_more = service.recorder.max_notification_id()
    assert interleaved_more > 100
    return service


@pytest.mark.parametrize("processes", [2, 3])
def test_a_rebuild_in_processes_gives_the_views_of_one_process_and_leaves_nothing_behind(
        store_with_a_quarantined_grant, sqlite_url, processes):
    service = store_with_a_quarantined_grant
    store = ViewStore(open_view_database(sqlite_url))
    one = ProjectionFollower(service, store, processes=1, long_batch_size=7).rebuild()
    in_one = everything(store)

    follower = ProjectionFollower(service, store, processes=processes, processes_from=1, long_batch_size=7)
    with capture_logs() as logs:  # (warnings: an earlier test may have set the level that `info` is below)
        two = follower.rebuild()

    assert two.processes == processes and one.processes == 1
    assert not [entry for entry in logs if entry["event"] == "views.sharded_rebuild_failed"]
    assert everything(store) == in_one
    assert in_one["quarantine"] and in_one["work"] and in_one["indexes"] and in_one["trigrams"]
    assert two.notifications == one.notifications == service.recorder.max_notification_id()
    assert two.position == one.position and two.quarantined == one.quarantined == 2
    quarantined = [entry for entry in logs if entry["event"] == "views.record_quarantined"]
    assert [entry["position"] for entry in quarantined] == [q["position"] for q in in_one["quarantine"]]
    assert workers_left() == [] and scratch_left(sqlite_url) == []


def test_records_written_during_a_sharded_rebuild_are_caught_up_after_it(store_with_a_quarantined_grant, sqlite_url):
    service = store_with_a_quarantined_grant
    store = ViewStore(open_view_database(sqlite_url))
    before = service.recorder.max_notification_id()
    written = []

    def meanwhile(position: int, last: int) -> None:  # called while the workers run
        if not written:
            written.append(append_record(service, "STO-R002"))  # another writer, past the rebuild's last position

    report = ProjectionFollower(service, store, processes=2, processes_from=1).rebuild(meanwhile)
    assert report.processes == 2
    assert written and written[0] > before
    assert report.position == store.position() == written[0] == service.recorder.max_notification_id()
    assert report.notifications == written[0]
    caught = everything(store)
    assert max(line["position"] for line in caught["timeline"]) == written[0]
    ProjectionFollower(service, store, processes=1).rebuild()
    assert everything(store) == caught


def test_a_worker_that_fails_leaves_the_views_at_zero_and_no_scratch_file(store_with_a_quarantined_grant, sqlite_url):
    service = store_with_a_quarantined_grant
    store = ViewStore(open_view_database(sqlite_url))
    store.reset("origin")
    with capture_logs() as logs:
        adopted = sharded.rebuild_sharded(store, str(Path(sqlite_url.removeprefix("sqlite:///")).parent / "gone" / "x.sqlite"),
                                          "stored_events", service.recorder.max_notification_id(), shards=2,
                                          batch_size=50)
    assert adopted is None
    assert [entry["event"] for entry in logs] == ["views.sharded_rebuild_failed"]
    assert "no event store at" in logs[0]["error"] and "one process" in logs[0]["action"]
    last = service.recorder.max_notification_id()
    with capture_logs() as logs:  # shards that did not see the position the follower did: not adopted either
        assert sharded.rebuild_sharded(store, sqlite_url.removeprefix("sqlite:///"), "stored_events", last + 5,
                                       shards=2, batch_size=50) is None
    assert [entry["event"] for entry in logs] == ["views.sharded_rebuild_failed"]
    assert f"read up to position {last}, not {last + 5}" in logs[0]["error"]
    assert store.position() == 0 and views(store)["grants"] == []
    assert workers_left() == [] and scratch_left(sqlite_url) == []


def test_a_worker_that_hangs_is_stopped_and_the_rebuild_goes_on_in_one_process(store_with_a_quarantined_grant, sqlite_url):
    service = store_with_a_quarantined_grant
    store = ViewStore(open_view_database(sqlite_url))
    ProjectionFollower(service, store, processes=1).rebuild()
    in_one = everything(store)
    store.reset("origin")
    frozen: list[int] = []

    def freeze_one(position: int, last: int) -> None:  # called while the workers run: one of them stops dead
        if not frozen:
            mine = [pid for pid in workers_left() if _parent(pid) == os.getpid()]
            if mine:
                os.kill(mine[0], signal.SIGSTOP)  # as a process stuck in a read would: alive, saying nothing
                frozen.append(mine[0])
        elif time.monotonic() - started > 60:  # nobody stopped it: let it go on, so that this test fails, not hangs
            os.kill(frozen[0], signal.SIGCONT)

    started = time.monotonic()
    with capture_logs() as logs:
        adopted = sharded.rebuild_sharded(store, sqlite_url.removeprefix("sqlite:///"), "stored_events",
                                          service.recorder.max_notification_id(), shards=2, batch_size=5,
                                          progress=freeze_one, stall_seconds=3)
    assert frozen and adopted is None
    assert time.monotonic() - started < 60, "the hung worker held the rebuild"
    failures = [entry for entry in logs if entry["event"] == "views.sharded_rebuild_failed"]
    assert len(failures) == 1 and "said nothing for 3 s" in failures[0]["error"], failures
    assert store.position() == 0 and views(store)["grants"] == []
    assert workers_left() == [] and scratch_left(sqlite_url) == []
    report = ProjectionFollower(service, store, processes=1).rebuild()  # what the follower does next
    assert report.position == service.recorder.max_notification_id() and everything(store) == in_one


def _parent(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")), None)


def test_a_store_named_by_a_relative_path_is_read_by_the_workers_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the workers run from the code's directory: they must still find this store
    url = "sqlite:///var/sto.sqlite"
    service = open_service(url)
    interleaved(service)
    store = ViewStore(open_view_database(url))
    ProjectionFollower(service, store, processes=1).rebuild()
    in_one = everything(store)
    with capture_logs() as logs:
        report = ProjectionFollower(service, store, processes=2, processes_from=1).rebuild()
    assert report.processes == 2 and not [entry for entry in logs if entry["event"] == "views.sharded_rebuild_failed"]
    assert everything(store) == in_one and in_one["grants"]


def test_views_another_follower_moved_are_not_adopted(store_with_a_quarantined_grant, sqlite_url, tmp_path):
    service = store_with_a_quarantined_grant
    store = ViewStore(open_view_database(sqlite_url))
    store.reset("origin")
    last = service.recorder.max_notification_id()
    table = ProjectionFollower(service, store).source.table
    files = []
    for shard in range(2):  # the workers' own function, in this process
        job = sharded.ShardJob(sqlite_url.removeprefix("sqlite:///"), table, last, shard, 2,
                               str(tmp_path / f"shard-{shard}.sqlite"), 50)
        done = sharded.project_shard(job)
        assert done.notifications > 0 and done.grants > 0 and gc.isenabled()  # paused while it ran, not after
        files.append(job.out)
    with pytest.raises(PositionMoved):
        store.adopt(files, expected_position=3, last_position=last)  # another follower wrote up to 3
    assert store.position() == 0 and views(store)["grants"] == []
    broken = tmp_path / "broken.sqlite"  # a share whose work queue is missing: the adoption stops half way
    shutil.copy(files[1], broken)
    sqlite3.connect(broken).execute("DROP TABLE view_work_items").connection.close()
    with pytest.raises(sqlite3.OperationalError, match="view_work_items"):
        store.adopt([files[0], str(broken)], expected_position=0, last_position=last)
    assert store.position() == 0 and views(store)["grants"] == [] and views(store)["timeline"] == []  # nothing of it
    assert [row[1] for row in store.db.execute("PRAGMA database_list").fetchall()] == ["main"]  # nothing attached
    store.adopt(files, expected_position=0, last_position=last)
    store.index()
    adopted = everything(store)
    assert store.position() == last and adopted["grants"]
    ProjectionFollower(service, store, processes=1).rebuild()
    assert everything(store) == adopted


def test_the_operator_chooses_how_many_processes_a_rebuild_takes(store_with_a_quarantined_grant, sqlite_url):
    models = ReadModels(store_with_a_quarantined_grant, sqlite_url)
    models.follower.processes_from = 1  # (a long log: the store here is short)
    assert models.rebuild(processes=3).views.processes == 3
    in_three = everything(models.store)
    assert models.rebuild(processes=1).views.processes == 1  # e.g. a machine short of memory
    assert models.rebuild().views.processes == 1  # the choice holds for this process's later rebuilds
    assert everything(models.store) == in_three
    with pytest.raises(ValueError, match="2 to 8 processes"):  # (the CLI refuses such a number before it gets here)
        sharded.rebuild_sharded(models.store, "x", "stored_events", 1, shards=sharded.MAX_SHARDS + 1, batch_size=5)


def test_only_a_long_rebuild_of_plain_json_in_sqlite_runs_in_processes(store_url):
    service = open_service(store_url)
    store = ViewStore(open_view_database(store_url))
    long = ProjectionFollower(service, store, processes=2, processes_from=10)
    assert long._shardable(10) is store_url.startswith("sqlite")
    assert not long._shardable(9)
    assert not ProjectionFollower(service, store, processes=1, processes_from=10)._shardable(10)
    assert not ProjectionFollower(service, store, processes=2, processes_from=10, handlers={})._shardable(10)


def test_a_worker_whose_follower_was_killed_stops_and_the_next_rebuild_removes_its_scratch(
        store_with_a_quarantined_grant, sqlite_url, tmp_path):
    service = store_with_a_quarantined_grant
    store_file = sqlite_url.removeprefix("sqlite:///")
    job = sharded.ShardJob(store_file, ProjectionFollower(service, ViewStore(open_view_database(sqlite_url))).source.table,
                           service.recorder.max_notification_id(), 0, 2, str(tmp_path / "orphan.sqlite"), 5)
    # a follower that starts its worker and dies at once (as one killed would): the worker is left alone
    started = subprocess.run(
        [sys.executable, "-c", "import os, subprocess, sys; p = subprocess.Popen([sys.executable, '-m', "
         "'adapters.read_side.sharded_rebuild', sys.argv[1], str(os.getpid())], stdout=subprocess.DEVNULL, "
         "stderr=subprocess.DEVNULL); "
         "print(p.pid)", json.dumps(dataclasses.asdict(job))],
        capture_output=True, text=True, check=True, timeout=60)
    orphan = int(started.stdout.strip())
    deadline = time.monotonic() + 120
    while orphan in workers_left() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert orphan not in workers_left(), "the orphaned worker went on"
    left = sqlite3.connect(job.out)
    assert left.execute("SELECT COUNT(*) FROM view_grants").fetchone()[0] == 0  # it stopped before its end (the rows)
    left.close()

    views_dir = views_path(store_file).parent
    gone = _dead_pid()
    abandoned = views_dir / f"{sharded.SCRATCH}{gone}-x"
    alive = views_dir / f"{sharded.SCRATCH}{gone}-y"  # a living follower's (the same pid in another namespace)
    for directory in (abandoned, alive):
        directory.mkdir()
        (directory / "shard-0.sqlite").write_bytes(b"half written")
        (directory / sharded.LOCK).touch()
    with open(alive / sharded.LOCK) as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as its follower holds it while it works
        ProjectionFollower(service, ViewStore(open_view_database(sqlite_url)), processes=2, processes_from=1).rebuild()
    assert not abandoned.exists() and alive.exists()


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
