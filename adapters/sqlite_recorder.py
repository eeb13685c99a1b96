"""The SQLite recorder of eventsourcing, reading an aggregate's events with one statement.

The library wraps every read in BEGIN ... ROLLBACK and converts the stored hex id of every row back into a
UUID. Reading one aggregate is one SELECT: SQLite runs a lone statement in its own read transaction, so it
sees one consistent snapshot without BEGIN; and every row it returns belongs to the aggregate that was
asked for, so that id is reused. What is read, and how it is written, are the library's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder


class LeanSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        if not isinstance(originator_id, UUID) or self.datastore.originator_id_type != "uuid":
            return super().select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        statement = "SELECT originator_version, topic, state FROM " + self.events_table_name + " WHERE originator_id=? "
        params: list[object] = [originator_id.hex]
        if gt is not None:
            statement += "AND originator_version>? "
            params.append(gt)
        if lte is not None:
            statement += "AND originator_version<=? "
            params.append(lte)
        statement += "ORDER BY originator_version DESC " if desc else "ORDER BY originator_version ASC "
        if limit is not None:
            statement += "LIMIT ? "
            params.append(limit)
        with self.datastore.get_connection(commit=False) as connection, connection.cursor() as cursor:
            try:
                cursor.execute(statement, params)
                rows = cursor.fetchall()
            except sqlite3.OperationalError as error:
                raise OperationalError(error) from error
        return [StoredEvent(originator_id, version, topic, state) for version, topic, state in rows]


TOPIC = f"{__name__}:{LeanSQLiteApplicationRecorder.__name__}"
