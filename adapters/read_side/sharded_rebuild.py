"""A rebuild from zero on every core: the grants split over worker processes, one views database at the end.

A rebuild is bound to one core: reading, decoding and projecting a record and binding its rows are Python under the
GIL (2.8 s of CPU for 147,696 records against 1.2 s for the raw read and decode: benchmark P3A,
docs/engineers/benchmarks.md), so threads (the pipelined follower) cannot spread it. A grant's rows, timeline and
quarantine depend on that grant's records alone (projections/projector.py), so the log splits by grant without
changing a single row: each worker process reads the whole log up to the position the rebuild started from,
keeps the records of its share of the grants (chosen in SQL, by the last character of the grant's id, so the others
are never decoded), projects them with the same `project` as every catch-up, and writes its views into a file of
its own, with the same `ViewStore.write` as every batch (its grant rows once, at the end). The follower then adopts
the files into the views in ONE transaction, guarded by the position it started from, and builds the indexes once.

What holds, as for every catch-up: the views move from position 0 to the log's last position all at once or not at
all (a worker that fails or a process stopped half way leaves them at 0, and the next catch-up begins again); a
record that cannot be projected is quarantined with its grant, the others go on; another follower that wrote
first makes this one's adoption fail with PositionMoved. A worker that fails for any reason, or says nothing for
STALL_SECONDS (hung), is logged and the follower falls back to the one-process rebuild, which raises what a missing
handler or a refused value raises.

Used for a SQLite event store whose states are plain JSON, with the standard handlers and SQLite views, when the
log holds at least SHARD_FROM records; otherwise the one-process pipelined rebuild (PostgreSQL among them). The
scratch files sit in a directory next to the views file (`.views-rebuild-<pid>-*`, removed at the end, or by the
next sharded rebuild if the follower was killed): with the write-ahead log of the adoption (truncated after it)
a sharded rebuild needs about twice the views' size in free disk while it runs.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from adapters import processes
from adapters.logging import get_logger
from adapters.read_side import grant_search as search
from adapters.read_side.database import ViewDatabase
from adapters.read_side.tables import ViewStore
from projections.grant_rows import HANDLERS
from projections.payloads import decode_json
from projections.projector import BatchResult, project

log = get_logger(__name__)

# Below this many records the processes' start (about a second: a fresh interpreter importing the projections) and
# the copy into the views cost more than they save: on the agency's log cut at 130,000 records one process rebuilt
# 29,500 records/s and two 26,800; at 300,000, 41,400 and 46,500 (2026-12-07, 2 cores).
SHARD_FROM = 200_000
SHARDS = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
# (worker processes; 1 = no sharding)
MAX_SHARDS = 8  # the adoption attaches every share's file at once, and SQLite attaches at most 10 by default
# A worker that says nothing this long (no batch read, not ended) is taken as hung, as one stuck on a lock or a disk
# would be: it is killed and the rebuild goes on in one process. A batch takes well under a second; the worker's
# start and its last step (its grant rows and their postings) a few seconds, a minute for millions of grants.
STALL_SECONDS = 300.0
SCRATCH = ".views-rebuild-"  # + the follower's pid: the scratch directory next to the views file
LOCK = "in-use.lock"  # in the scratch directory, locked (flock) by the follower while it works


@dataclass(frozen=True)
class ShardJob:
    store: str  # the SQLite event store's file
    table: str  # its events table
    last: int  # the last position of the rebuild
    shard: int
    shards: int
    out: str  # the worker's own views file
    batch_size: int


@dataclass(frozen=True)
class ShardDone:
    notifications: int  # records of this shard read
    grants: int
    seen: int = 0  # the last position it read (one of the shards reads the rebuild's last)


@dataclass(frozen=True)
class Adopted:
    position: int
    notifications: int


def _shard_query(table: str) -> str:
    # The last character of a grant's id (a hex digit of a random UUID): a cheap, even split, evaluated by SQLite.
    # (Leaving out the states no handler reads, 18 % of an agency's log, with CASE WHEN topic IN (...): no faster.)
    return (f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
            "WHERE rowid > ? AND rowid <= ? AND coalesce(unicode(substr(originator_id, -1)), 0) % ? = ? "
            "ORDER BY rowid LIMIT ?")


def project_shard(job: ShardJob, reached: Callable[[int], None] | None = None) -> ShardDone:
    """In a worker process: this shard's records up to `job.last`, projected into `job.out`."""
    collecting = gc.isenabled()
    gc.disable()  # as the long catch-up (follower.py, `_collecting_paused`): the rows make no cycles
    connection = sqlite3.connect(job.out, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")  # a scratch file: thrown away whole if anything fails
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-131072")
    views = ViewStore(ViewDatabase(connection, "sqlite", job.out))
    views.reset()  # no indexes: the follower builds them once, in the views it adopts these rows into
    if not Path(job.store).is_file():  # (sqlite3 would make an empty one, and the shard would read nothing)
        raise FileNotFoundError(f"no event store at {job.store}")
    source = sqlite3.connect(job.store, timeout=30)
    query = _shard_query(job.table)
    rows: dict = {}
    quarantined: dict = {}
    read = written = position = 0
    try:
        while True:
            batch = source.execute(query, (position, job.last, job.shards, job.shard, job.batch_size)).fetchall()
            if not batch:
                break
            result = project(batch, rows, decode_json, HANDLERS, quarantined)
            # its timeline and quarantine now; the grant rows (and the work queue) once, as they end
            views.write(BatchResult(result.last_position, {}, result.timeline, 0, result.quarantine), written)
            written = position = result.last_position
            read += len(batch)
            if reached is not None:
                reached(position)
        views.write(BatchResult(job.last, rows, [], 0, []), written)
        with views.db.transaction():
            search.build(views.db)  # this share's postings of the text filter, adopted with the rows
    finally:
        source.close()
        connection.close()
        if collecting:
            gc.enable()
    return ShardDone(read, len(rows), position)


def rebuild_sharded(views: ViewStore, store: str, table: str, last: int, *, shards: int, batch_size: int,
                    progress: Callable[[int, int], None] | None = None,
                    stall_seconds: float = STALL_SECONDS) -> Adopted | None:
    """Project the log up to `last` in `shards` processes and adopt their views (the views are at position 0).
    None if a worker failed or said nothing for `stall_seconds` (logged; the workers are stopped): nothing was
    written, and the caller rebuilds in one process."""
    if not 1 < shards <= MAX_SHARDS:
        raise ValueError(f"a sharded rebuild runs in 2 to {MAX_SHARDS} processes, not {shards}")
    store = str(Path(store).resolve())  # the workers run in another directory: a relative path would name another file
    where = _views_file(views)
    place = where.parent if where else Path(tempfile.gettempdir())
    _remove_abandoned(place)
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH}{os.getpid()}-", dir=place))
    started = time.perf_counter()
    workers: list[_Worker] = []
    try:
        with open(scratch / LOCK, "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # in use: see `_remove_abandoned`
            jobs = [ShardJob(store, table, last, k, shards, str(scratch / f"shard-{k}.sqlite"), batch_size)
                    for k in range(shards)]
            for job in jobs:
                workers.append(_Worker(job, scratch))
            hung: list[_Worker] = []
            while any(worker.running() for worker in workers) and not any(w.failed() for w in workers):
                time.sleep(0.2)
                hung = [worker for worker in workers if worker.silent_for() > stall_seconds]
                if hung:
                    processes.stop_all([worker.process for worker in hung], signal.SIGKILL)  # stuck: TERM may not land
                    break
                if progress is not None:
                    progress(min(worker.reached() for worker in workers), last)
            failed = [worker for worker in workers if worker.failed()]
            done = [worker.done() for worker in workers]
            problem = (f"shard {hung[0].job.shard} said nothing for {stall_seconds:g} s: taken as hung and stopped"
                       if hung else f"shard {failed[0].job.shard}: {failed[0].error()}" if failed
                       else None if max(d.seen for d in done) == last  # else they read another log than this one
                       else f"the shards read up to position {max(d.seen for d in done)}, not {last}")
            if problem is not None:
                log.warning("views.sharded_rebuild_failed", error=problem, action="rebuilding in one process instead")
                return None
            projected = time.perf_counter() - started
            views.adopt([job.out for job in jobs], 0, last)
            log.info("views.sharded_rebuild", processes=shards, notifications=sum(d.notifications for d in done),
                     grants=sum(d.grants for d in done), projected_seconds=round(projected, 3),
                     adopted_seconds=round(time.perf_counter() - started - projected, 3))
            return Adopted(last, sum(d.notifications for d in done))
    finally:
        processes.stop_all([worker.process for worker in workers])
        shutil.rmtree(scratch, ignore_errors=True)


class _Worker:
    """One shard's process: `python -m adapters.read_side.sharded_rebuild JOB PID`, a fresh interpreter that imports
    the projections and nothing of its caller (no fork of a process that may run threads, no second run of the
    caller's main module), started from the directory that holds this code (so `-m` finds this code and no other),
    as every child of ours: it dies with the follower (adapters/processes.py). Its stdout (a file) says the
    positions it reached, then `done` and what it did; its stderr, why it failed."""

    def __init__(self, job: ShardJob, scratch: Path):
        self.job = job
        self.out = scratch / f"shard-{job.shard}.out"
        self.log = scratch / f"shard-{job.shard}.log"
        root = Path(__file__).resolve().parents[2]  # the directory that holds `adapters`
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(root), os.environ.get("PYTHONPATH"))))}
        self.process = processes.spawn([sys.executable, "-m", __name__, json.dumps(asdict(job)), str(os.getpid())],
                                       self.log, stdout_path=self.out, env=env, cwd=root)
        self._heard = (-1, time.monotonic())  # the size of what it had said, and when that size was first seen

    def silent_for(self) -> float:
        """Seconds since this worker last said something (0 once it has ended)."""
        if not self.running():
            return 0.0
        try:
            size = self.out.stat().st_size + self.log.stat().st_size
        except OSError:
            size = 0
        if size != self._heard[0]:
            self._heard = (size, time.monotonic())
        return time.monotonic() - self._heard[1]

    def _said(self) -> list[str]:
        try:
            return self.out.read_text().splitlines()
        except OSError:
            return []

    def reached(self) -> int:
        positions = [line.split()[1] for line in self._said() if line.startswith("reached ")]
        return int(positions[-1]) if positions else 0

    def done(self) -> ShardDone | None:
        if self.process.poll() != 0:
            return None
        finished = [line.partition(" ")[2] for line in self._said() if line.startswith("done ")]
        return ShardDone(**json.loads(finished[-1])) if finished else None

    def running(self) -> bool:
        return self.process.poll() is None

    def failed(self) -> bool:
        return not self.running() and self.done() is None

    def error(self) -> str:
        said = [line for line in processes.log_tail(self.log).splitlines() if line.strip()]
        return said[-1] if said else f"the worker process ended with exit code {self.process.returncode}"


def main(argv: list[str]) -> int:
    """A shard worker's entry point (`_Worker`). It stops by itself when the follower that started it is gone
    (killed: nothing terminated this worker), at its next batch."""
    job = ShardJob(**json.loads(argv[0]))
    follower = int(argv[1])  # its pid, given: by the time this runs, a killed follower's would read as 1

    def reached(position: int) -> None:
        if os.getppid() != follower:
            raise SystemExit("the follower that started this worker is gone: nobody will adopt its views")
        print(f"reached {position}", flush=True)

    done = project_shard(job, reached)
    print(f"done {json.dumps(asdict(done))}", flush=True)
    return 0


def _remove_abandoned(place: Path) -> None:
    """The scratch directories of sharded rebuilds whose follower is gone (killed half way): a live one holds the
    lock on its LOCK file (released by the system with the process, whatever its pid or namespace)."""
    for found in place.glob(f"{SCRATCH}*"):
        try:
            with open(found / LOCK, "r+") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # in use
        except FileNotFoundError:  # made this instant, before its lock: or left so long ago that it has none
            if time.time() - found.stat().st_mtime < 3600:
                continue
        except OSError:  # not a directory of ours
            continue
        log.info("views.abandoned_rebuild_removed", directory=str(found))
        shutil.rmtree(found, ignore_errors=True)


def _views_file(views: ViewStore) -> Path | None:
    """The file of SQLite views (None in memory): the scratch files go next to it, on the same disk."""
    if views.db.dialect != "sqlite":
        return None
    for _, name, file in views.db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
