"""The SQLite recorder of eventsourcing, reading an aggregate's events with one statement, and sealing
every record it stores.

The library wraps every read in BEGIN ... ROLLBACK and converts the stored hex id of every row back into a
UUID. Reading one aggregate (`select_event_rows`, and `select_events` made of it) is one SELECT: SQLite runs a lone statement in its own read transaction, so it
sees one consistent snapshot without BEGIN; and every row it returns belongs to the aggregate that was
asked for, so that id is reused. What is read, and how it is written, are the library's.

Sealing: in the transaction that inserts a command's records, the content hash of each (as defined in
adapters/event_store/sealing.py) is inserted into the append-only table `audit_sealed` under the record's rowid,
so what was stored is fixed when it is committed, before any catch-up chains it; a failed append
leaves neither record nor seal. The audit chain is built from these seals.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from adapters.event_store.sealing import SEAL_TABLE, content_hash, seal_table_ddl
from adapters.event_store.aggregate_select import SelectsEventRows, aggregate_events_select


class LeanSQLiteApplicationRecorder(SelectsEventRows, SQLiteApplicationRecorder):
    insert_seals_statement = f"INSERT INTO {SEAL_TABLE} (notification_id, content_hash) VALUES (?, ?)"

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *seal_table_ddl("sqlite")]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        # hashed before the write transaction begins: the write lock is held only for the inserts
        seals = [content_hash(s.originator_id, s.originator_version, s.topic, s.state) for s in stored_events]
        with self.datastore.transaction(commit=True) as c:
            return self._insert_events(c, stored_events, seals=seals, **kwargs)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], *, seals: Sequence[str] | None = None, **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        if notification_ids:
            if seals is None:
                seals = [content_hash(s.originator_id, s.originator_version, s.topic, s.state) for s in stored_events]
            c.executemany(self.insert_seals_statement, list(zip(notification_ids, seals, strict=True)))
        return notification_ids

    def reads_rows(self, originator_id: Any) -> bool:
        return isinstance(originator_id, UUID) and self.datastore.originator_id_type == "uuid"

    def select_event_rows(
        self, originator_id: UUID, *, gt: int | None = None, lte: int | None = None, desc: bool = False,
        limit: int | None = None,
    ) -> list[tuple[int, str, bytes]]:
        """The aggregate's rows (version, topic, state), in one statement without BEGIN ... ROLLBACK."""
        statement, filters = aggregate_events_select(self.events_table_name, "?", gt=gt, lte=lte, desc=desc, limit=limit)
        params: list[object] = [originator_id.hex, *filters]
        with self.datastore.get_connection(commit=False) as connection, connection.cursor() as cursor:
            try:
                cursor.execute(statement, params)
                return cursor.fetchall()
            except sqlite3.OperationalError as error:
                raise OperationalError(error) from error


TOPIC = f"{__name__}:{LeanSQLiteApplicationRecorder.__name__}"
