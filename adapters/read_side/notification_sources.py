"""Where the follower reads the notification log: any recorder, or (faster) the SQLite table itself.

Both give plain tuples (position, originator id, version, topic, state) in position order.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any, Protocol

from eventsourcing.sqlite import SQLiteApplicationRecorder

from adapters.event_store.service import GrantService
from projections.projector import RawNotification


class NotificationSource(Protocol):
    def last(self) -> int: ...

    def after(self, position: int, limit: int) -> list[RawNotification]: ...

    def close(self) -> None: ...


def origin(source: NotificationSource) -> str | None:
    """A fingerprint of the store: the hash of its first record (None while it is empty).

    Views whose origin differs were built from another store (say, a deleted and recreated file)."""
    first = source.after(0, 1)
    return hashlib.sha256(bytes(first[0][4])).hexdigest()[:32] if first else None


class RecorderSource:
    """Any eventsourcing application recorder (PostgreSQL, in memory): `select_notifications` in batches."""

    def __init__(self, recorder: Any):
        self.recorder = recorder

    def last(self) -> int:
        return self.recorder.max_notification_id() or 0

    def after(self, position: int, limit: int) -> list[RawNotification]:
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in self.recorder.select_notifications(position + 1, limit)
        ]

    def close(self) -> None:
        pass


class SQLiteTableSource:
    """The SQLite events table read with its own connection: the same rows `select_notifications` gives
    (rowid order), without building a Notification and a UUID per event."""

    def __init__(self, path: str, table: str):
        self.path, self.table = path, table
        self.connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._last = f"SELECT MAX(rowid) FROM {table}"
        self._after = (
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?"
        )

    def last(self) -> int:
        return self.connection.execute(self._last).fetchone()[0] or 0

    def after(self, position: int, limit: int) -> list[RawNotification]:
        return self.connection.execute(self._after, (position, limit)).fetchall()

    def close(self) -> None:
        self.connection.close()


def notification_source(service: GrantService) -> NotificationSource:
    recorder = service.recorder
    if isinstance(recorder, SQLiteApplicationRecorder):
        pool = recorder.datastore.pool
        if not pool.is_sqlite_memory_mode:
            return SQLiteTableSource(pool.db_name, recorder.events_table_name)
    return RecorderSource(recorder)
