"""Follows the event store's notification log into the read models, in batches, with a tracked position.

The SQLite recorder of eventsourcing has no subscriptions, so the follower polls the log in batches
(adapters/read_side/notification_sources.py: `recorder.select_notifications`, or the SQLite table directly); the
same code serves SQLite, PostgreSQL and the in-memory store. Each batch is written with its position in
one transaction (adapters/read_side/tables.py): a restart resumes where the last committed batch ended, and a
rebuild from zero gives the same rows.

A record that cannot be projected is quarantined with its grant (projections/projector.py): written with its
batch, logged as a warning `views.record_quarantined` once that batch is committed, and the others go on. When
the views database refuses a batch (a value it cannot store that the handlers' intake checks let through: a NUL
character in PostgreSQL text, say), the follower loads the rows again and projects that batch record by record,
offering each record's row and timeline line to the database first (`ViewStore.probing`): the records it
refuses are quarantined, the batch is written, and the follower goes on. A batch refused again after that is no
record's doing, and its error is raised.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

from adapters.logging import get_logger
from adapters.read_side import sharded_rebuild as sharded
from adapters.read_side.notification_sources import NotificationSource, SQLiteTableSource, notification_source, origin
from adapters.read_side.tables import PositionMoved, ViewStore
from adapters.event_store.service import GrantService
from projections.grant_rows import HANDLERS, Handler
from projections.payloads import decode_json, make_decoder
from projections.projector import QUARANTINE_FIELDS, QUARANTINE_HINT, BatchResult, project

log = get_logger(__name__)

Progress = Callable[[int, int], None]  # (position reached, last position in the store)
BATCH_SIZE = 2000
# A long catch-up (a rebuild, a long absence) reads, projects and writes in batches of this many: a grant row is
# written once per batch however many of its records the batch holds, and an agency's log interleaves its grants
# (a scheme's step for thousands of grants, then the next), so a batch of 2,000 wrote a row for nearly every
# record (P3A: 1.48 million row upserts for 1.48 million records at 100,000 grants; 50,000 writes each about a
# tenth as often; 25,000 took a quarter more CPU). The cost: the records of two batches in memory (about 80 MB
# each at 1.6 KB a record) and the timeline lines of one.
LONG_BATCH_SIZE = 50_000


@dataclass(frozen=True)
class CatchUpReport:
    started_at: int  # the position the views had
    position: int  # the position they have now
    notifications: int  # notifications read (grant events and others)
    seconds: float
    quarantined: int = 0  # records quarantined by this run (`ViewStore.quarantine()` lists every one)
    processes: int = 1  # the processes that projected it (a sharded rebuild: sharded_rebuild.py)

    @property
    def rate(self) -> float:
        return self.notifications / self.seconds if self.seconds > 0 else 0.0


class ProjectionFollower:
    def __init__(
        self,
        service: GrantService,
        store: ViewStore,
        *,
        batch_size: int = BATCH_SIZE,
        handlers: Mapping[str, Handler] = HANDLERS,
        source: NotificationSource | None = None,
        long_batch_size: int | None = None,
        processes: int = sharded.SHARDS,
        processes_from: int = sharded.SHARD_FROM,
    ):
        self.source = source or notification_source(service)
        self.decode = make_decoder(service.mapper)
        self.store = store
        self.batch_size = batch_size
        # a batch size chosen by the caller (the tests' small ones) holds for the long catch-up too
        self.long_batch_size = long_batch_size or (LONG_BATCH_SIZE if batch_size == BATCH_SIZE else batch_size)
        self.handlers = handlers
        # a catch-up from zero of at least `processes_from` records runs in `processes` processes (sharded_rebuild.py)
        self.processes = processes
        self.processes_from = processes_from

    def catch_up(self, progress: Progress | None = None) -> CatchUpReport:
        """Project every notification after the tracked position."""
        run = _Run(started=time.perf_counter())
        moves = 0
        while True:
            try:
                return self._catch_up(progress, run)
            except PositionMoved as moved:
                moves += 1
                if moves == 10:
                    raise PositionMoved(
                        "the views kept moving under this follower; try again when the other one has finished"
                    ) from moved
                log.info("views.position_moved", detail=str(moved), action="reloading")
            except Refused as refused:
                # each refused batch is projected again once, record by record (and so passed): this ends
                if run.careful_at == refused.position:  # refused again, record by record: not one record's doing
                    raise refused.error
                log.warning("views.batch_refused", position=refused.position, error=_said(refused.error),
                            action="projecting that batch again record by record, each offered to the database")
                run.careful_at = refused.position

    def rebuild(self, progress: Progress | None = None) -> CatchUpReport:
        """Forget the views and project the whole log from its first notification."""
        self.store.reset(origin(self.source))
        return self.catch_up(progress)

    def close(self) -> None:
        self.source.close()

    def _catch_up(self, progress: Progress | None, run: "_Run") -> CatchUpReport:
        position = self.store.position()
        last = self.source.last()
        store_origin, views_origin = origin(self.source), self.store.origin()
        stale = position > last or (position > 0 and views_origin != store_origin)
        if stale or views_origin != store_origin:
            if stale:  # built from another store (a deleted and recreated file), or the log lost its tail
                log.warning("views.not_of_this_store", views=position, store=last, action="rebuilding from zero")
            self.store.reset(store_origin)
            position = 0
            run.start = None
        if run.start is None:
            run.start = position
        if position >= last and run.careful_at != position:
            # nothing to project (every read of the read models asks first): return without loading every grant
            # row, which grows with the store (41 of a 45 ms page at 1,000 grants; benchmark P8, agency_bench.py)
            return self._report(run, position)
        if position == 0 and run.careful_at is None and self._shardable(last):
            with self.store.db.long_writes():
                adopted = sharded.rebuild_sharded(self.store, self.source.path, self.source.table, last,
                                                  shards=self.processes, batch_size=self.long_batch_size,
                                                  progress=progress)
                if adopted is not None:
                    self.store.index()  # once, with the long catch-up's settings
                    self.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the log held all of the views
            if adopted is not None:
                run.read += adopted.notifications
                run.processes = self.processes
                quarantine = [{f: entry[f] for f in QUARANTINE_FIELDS} for entry in self.store.quarantine()]
                self._committed(BatchResult(adopted.position, quarantine=quarantine), run)
                return self._catch_up(progress, run)  # what was written meanwhile, and the indexes
        # the follower's working copies, dropped if anything below raises (a retry loads them again)
        rows = self.store.load_rows()
        quarantined = self.store.quarantined_grants()
        if run.careful_at == position:  # the database refused this batch: find the records it refuses
            batch = self.source.after(position, self.long_batch_size)  # as long as the batch refused may be
            if batch:
                with self.store.probing() as probe:
                    result = project(batch, rows, self.decode, self.handlers, quarantined, probe)
                self._write(result, position, run)
                position = result.last_position
                run.read += result.notifications
        if last - position > self.batch_size:
            with self.store.db.long_writes(), _collecting_paused():
                position = self._pipelined(position, last, rows, quarantined, progress, run)
                self.store.index()  # the indexes a rebuild dropped, built with the same settings
        else:
            while True:
                batch = self.source.after(position, self.batch_size)
                if not batch:
                    break
                result = project(batch, rows, self.decode, self.handlers, quarantined)
                self._write(result, position, run)
                position = result.last_position
                run.read += result.notifications
                if progress is not None:
                    progress(position, max(last, position))
        return self._report(run, position)

    def _shardable(self, last: int) -> bool:
        """A rebuild from zero the worker processes can do as this one would: plain JSON states in a SQLite file,
        the standard handlers, SQLite views (sharded_rebuild.py)."""
        return (self.processes > 1 and last >= self.processes_from and isinstance(self.source, SQLiteTableSource)
                and self.decode is decode_json and self.handlers is HANDLERS and self.store.db.dialect == "sqlite")

    def _report(self, run: "_Run", position: int) -> CatchUpReport:
        self.store.index()
        seconds = time.perf_counter() - run.started
        if run.read:
            log.info("views.caught_up", start=run.start, position=position, notifications=run.read,
                     seconds=round(seconds, 3))
        return CatchUpReport(started_at=run.start, position=position, notifications=run.read, seconds=seconds,
                             quarantined=run.quarantined, processes=run.processes)

    def _write(self, result: BatchResult, position: int, run: "_Run") -> None:
        try:
            self.store.write(result, position)
        except self.store.refusals as error:
            raise Refused(position, error) from error
        self._committed(result, run)

    @staticmethod
    def _committed(result: BatchResult, run: "_Run") -> None:
        """A batch is written: say which of its records were quarantined (once, now that they are stored)."""
        for entry in result.quarantine:  # structlog's own `event` is the message: the record's is `record`
            fields = {("record" if key == "event" else key): value for key, value in entry.items()}
            log.warning("views.record_quarantined", **fields, action=QUARANTINE_HINT)
        run.quarantined += len(result.quarantine)

    def _pipelined(self, position: int, last: int, rows: dict, quarantined: dict, progress: Progress | None,
                   run: "_Run") -> int:
        """Many batches to go (a rebuild, a long absence): three stages in step. A reader thread fetches batch
        N+1 while this thread decodes and projects batch N and a writer thread commits batch N-1 (SQLite and
        psycopg leave the GIL while they work). Writes stay in order, each guarded by the position the one
        before wrote; the first error stops the loop and is raised, as in the plain loop (a refused batch as
        Refused, with the position it starts at)."""
        refusals = self.store.refusals
        size = self.long_batch_size
        written: Future | None = None
        written_result: BatchResult | None = None
        written_from = written_position = position
        with ThreadPoolExecutor(1, thread_name_prefix="views-reader") as reader, \
                ThreadPoolExecutor(1, thread_name_prefix="views-writer") as writer:
            fetched = reader.submit(self.source.after, position, size)
            try:
                while True:
                    batch = fetched.result()
                    if not batch:
                        break
                    fetched = reader.submit(self.source.after, batch[-1][0], size)
                    result = project(batch, rows, self.decode, self.handlers, quarantined)
                    try:
                        prepared = self.store.prepare(result)
                    except refusals as error:
                        raise Refused(position, error) from error
                    if written is not None:
                        self._wait(written, written_from, refusals)
                        self._committed(written_result, run)
                        if progress is not None:
                            progress(written_position, max(last, written_position))
                    written = writer.submit(self.store.write_prepared, prepared, position)
                    written_result, written_from = result, position
                    position = written_position = result.last_position
                    run.read += result.notifications
                if written is not None:
                    self._wait(written, written_from, refusals)
                    written = None
                    self._committed(written_result, run)
                    if progress is not None:
                        progress(position, max(last, position))
            finally:
                fetched.cancel()
        return position

    @staticmethod
    def _wait(written: Future, position: int, refusals: tuple[type[BaseException], ...]) -> None:
        try:
            written.result()
        except refusals as error:
            raise Refused(position, error) from error


@contextmanager
def _collecting_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a long catch-up: its full passes walk every grant row held (at
    100,000 grants, millions of objects, again and again as the rows grow), about a tenth of a rebuild's CPU, and
    the projection makes no cycles for it to find. Back on afterwards, as it was."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@dataclass
class _Run:
    """One `catch_up`, across its retries."""

    started: float
    start: int | None = None  # the position the views had
    read: int = 0
    quarantined: int = 0
    careful_at: int | None = None  # the position of a batch the database refused: project it record by record
    processes: int = 1


class Refused(Exception):
    """The views database refused a batch that starts at `position` (a value it cannot store)."""

    def __init__(self, position: int, error: BaseException):
        super().__init__(f"the views database refused the batch after position {position}: {_said(error)}")
        self.position = position
        self.error = error


def _said(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"
