"""Follows the event store's notification log into the read models, in batches, with a tracked position.

The SQLite recorder of eventsourcing has no subscriptions, so the follower polls the log in batches
(adapters/notification_sources.py: `recorder.select_notifications`, or the SQLite table directly); the
same code serves SQLite, PostgreSQL and the in-memory store. Each batch is written with its position in
one transaction (adapters/view_store.py): a restart resumes where the last committed batch ended, and a
rebuild from zero gives the same rows.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Mapping

from adapters.logging import get_logger
from adapters.notification_sources import NotificationSource, notification_source, origin
from adapters.view_store import PositionMoved, ViewStore
from domain.service import GrantService
from projections.grant_rows import HANDLERS, Handler
from projections.payloads import make_decoder
from projections.projector import project

log = get_logger(__name__)

Progress = Callable[[int, int], None]  # (position reached, last position in the store)
BATCH_SIZE = 2000


@dataclass(frozen=True)
class CatchUpReport:
    started_at: int  # the position the views had
    position: int  # the position they have now
    notifications: int  # notifications read (grant events and others)
    seconds: float

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
    ):
        self.source = source or notification_source(service)
        self.decode = make_decoder(service.mapper)
        self.store = store
        self.batch_size = batch_size
        self.handlers = handlers

    def catch_up(self, progress: Progress | None = None) -> CatchUpReport:
        """Project every notification after the tracked position."""
        for _ in range(10):
            try:
                return self._catch_up(progress)
            except PositionMoved as moved:
                log.info("views.position_moved", detail=str(moved), action="reloading")
        raise PositionMoved("the views kept moving under this follower; try again when the other one has finished")

    def rebuild(self, progress: Progress | None = None) -> CatchUpReport:
        """Forget the views and project the whole log from its first notification."""
        self.store.reset(origin(self.source))
        return self.catch_up(progress)

    def close(self) -> None:
        self.source.close()

    def _catch_up(self, progress: Progress | None) -> CatchUpReport:
        started = time.perf_counter()
        position = start = self.store.position()
        last = self.source.last()
        store_origin, views_origin = origin(self.source), self.store.origin()
        stale = position > last or (position > 0 and views_origin != store_origin)
        if stale or views_origin != store_origin:
            if stale:  # built from another store (a deleted and recreated file), or the log lost its tail
                log.warning("views.not_of_this_store", views=position, store=last, action="rebuilding from zero")
            self.store.reset(store_origin)
            position = start = 0
        rows = self.store.load_rows()  # the follower's working copy; dropped if anything below raises
        if last - position > self.batch_size:
            position, read = self._pipelined(position, last, rows, progress)
        else:
            read = 0
            while True:
                batch = self.source.after(position, self.batch_size)
                if not batch:
                    break
                result = project(batch, rows, self.decode, self.handlers)
                self.store.write(result, position)
                position = result.last_position
                read += result.notifications
                if progress is not None:
                    progress(position, max(last, position))
        self.store.index()
        seconds = time.perf_counter() - started
        if read:
            log.info("views.caught_up", start=start, position=position, notifications=read, seconds=round(seconds, 3))
        return CatchUpReport(started_at=start, position=position, notifications=read, seconds=seconds)

    def _pipelined(self, position: int, last: int, rows: dict, progress: Progress | None) -> tuple[int, int]:
        """Many batches to go (a rebuild, a long absence): three stages in step. A reader thread fetches batch
        N+1 while this thread decodes and projects batch N and a writer thread commits batch N-1 (SQLite and
        psycopg leave the GIL while they work). Writes stay in order, each guarded by the position the one
        before wrote; the first error stops the loop and is raised, as in the plain loop."""
        read = 0
        written: Future | None = None
        written_position = position
        with ThreadPoolExecutor(1, thread_name_prefix="views-reader") as reader, \
                ThreadPoolExecutor(1, thread_name_prefix="views-writer") as writer:
            fetched = reader.submit(self.source.after, position, self.batch_size)
            try:
                while True:
                    batch = fetched.result()
                    if not batch:
                        break
                    fetched = reader.submit(self.source.after, batch[-1][0], self.batch_size)
                    result = project(batch, rows, self.decode, self.handlers)
                    prepared = self.store.prepare(result)
                    if written is not None:
                        written.result()
                        if progress is not None:
                            progress(written_position, max(last, written_position))
                    written = writer.submit(self.store.write_prepared, prepared, position)
                    position = written_position = result.last_position
                    read += result.notifications
                if written is not None:
                    written.result()
                    written = None
                    if progress is not None:
                        progress(position, max(last, position))
            finally:
                fetched.cancel()
        return position, read
