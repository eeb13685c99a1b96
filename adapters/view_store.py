"""The read-model tables: grant rows, the audit timeline, and the tracked position, in SQLite or PostgreSQL.

A batch is written with `write`: its rows, its timeline lines and the new position in ONE transaction,
guarded by the position it started from, so a crash never counts anything twice and two followers never
write the same batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from adapters.logging import get_logger
from adapters.view_db import ViewDatabase
from projections.grant_rows import COLUMNS, INTEGER_COLUMNS, JSON_COLUMNS, OPTIONAL_INTEGER_COLUMNS, Row
from projections.projector import BatchResult
from projections.timeline import TIMELINE_COLUMNS

log = get_logger(__name__)

TRACKING_NAME = "grant-read-models"
SCHEMA_VERSION = 2  # raise when a table changes: the views are then dropped and rebuilt from the log

GRANTS = "view_grants"
TIMELINE = "view_timeline"
TRACKING = "view_tracking"

_TIMELINE_INTEGERS = frozenset({"position", "version"})


def _columns(columns: tuple[str, ...], integers: frozenset[str], key: str, optional: frozenset[str] = frozenset()) -> str:
    parts = []
    for column in columns:
        kind = "BIGINT" if column in integers or column in optional else "TEXT"
        parts.append(f"{column} {kind}{' NOT NULL' if column in integers or column == key else ''}")
    return ", ".join(parts)


# A grant's timeline is looked up by (grant_id, version); the table itself is keyed by the log position, so
# it grows at its end in log order (in SQLite `INTEGER PRIMARY KEY` makes the position the rowid). A rebuild
# from zero drops the (grant_id, version) index and builds it once at the end: one sort instead of a
# random insert into it per event.
TIMELINE_INDEX = f"CREATE UNIQUE INDEX IF NOT EXISTS {TIMELINE}_grant ON {TIMELINE} (grant_id, version)"


def ddl(dialect: str) -> tuple[str, ...]:
    position = "INTEGER" if dialect == "sqlite" else "BIGINT"
    timeline = [c for c in TIMELINE_COLUMNS if c != "position"]
    return (
        f"CREATE TABLE IF NOT EXISTS {TRACKING} (name TEXT PRIMARY KEY, position BIGINT NOT NULL, "
        "schema_version BIGINT NOT NULL, origin TEXT)",
        f"CREATE TABLE IF NOT EXISTS {GRANTS} ({_columns(COLUMNS, INTEGER_COLUMNS, 'grant_id', OPTIONAL_INTEGER_COLUMNS)}, "
        "PRIMARY KEY (grant_id))",
        f"CREATE INDEX IF NOT EXISTS {GRANTS}_region ON {GRANTS} (region_code)",
        f"CREATE TABLE IF NOT EXISTS {TIMELINE} (position {position} NOT NULL PRIMARY KEY, "
        f"{_columns(tuple(timeline), _TIMELINE_INTEGERS, 'grant_id')})",
        TIMELINE_INDEX,
    )

_UPSERT = (
    f"INSERT INTO {GRANTS} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    "ON CONFLICT (grant_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "grant_id")
)
_INSERT_TIMELINE = f"INSERT INTO {TIMELINE} ({', '.join(TIMELINE_COLUMNS)}) VALUES ({', '.join('?' * len(TIMELINE_COLUMNS))})"


@dataclass(frozen=True)
class PreparedBatch:
    rows: list[tuple]  # grant rows as table values
    timeline: list[tuple]
    last_position: int


class PositionMoved(RuntimeError):
    """Another follower wrote a batch first: reload the rows and go on from the stored position."""


class ViewStore:
    def __init__(self, db: ViewDatabase):
        self.db = db
        self._ensure_schema()  # creates the timeline index when it is missing
        self._index_dropped = False

    # --- schema and position ------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        with self.db.transaction():
            for statement in ddl(self.db.dialect):
                self.db.execute(statement)
            found = self.db.execute(f"SELECT schema_version FROM {TRACKING} WHERE name = ?", (TRACKING_NAME,)).fetchone()
            if found is not None and found[0] == SCHEMA_VERSION:
                return
            if found is not None:
                log.warning("views.schema_changed", stored=found[0], now=SCHEMA_VERSION, action="rebuilding from zero")
                for table in (GRANTS, TIMELINE):
                    self.db.execute(f"DROP TABLE {table}")
                for statement in ddl(self.db.dialect):
                    self.db.execute(statement)
                self.db.execute(f"DELETE FROM {TRACKING} WHERE name = ?", (TRACKING_NAME,))
            self.db.execute(
                f"INSERT INTO {TRACKING} (name, position, schema_version) VALUES (?, 0, ?)", (TRACKING_NAME, SCHEMA_VERSION)
            )

    def position(self) -> int:
        row = self.db.execute(f"SELECT position FROM {TRACKING} WHERE name = ?", (TRACKING_NAME,)).fetchone()
        return int(row[0]) if row else 0

    def origin(self) -> str | None:
        """The fingerprint of the store these views were built from (adapters/notification_sources.py)."""
        row = self.db.execute(f"SELECT origin FROM {TRACKING} WHERE name = ?", (TRACKING_NAME,)).fetchone()
        return row[0] if row else None

    def reset(self, origin: str | None = None) -> None:
        """Forget every row and go back to position 0 (a rebuild starts here), for the store `origin`."""
        with self.db.transaction():
            self.db.execute(f"DELETE FROM {GRANTS}")
            self.db.execute(f"DELETE FROM {TIMELINE}")
            self.db.execute(f"DROP INDEX IF EXISTS {TIMELINE}_grant")  # built again by `index()` when caught up
            self.db.execute(f"UPDATE {TRACKING} SET position = 0, origin = ? WHERE name = ?", (origin, TRACKING_NAME))
        self._index_dropped = True

    # --- the follower's side ------------------------------------------------------------------

    def index(self) -> None:
        """Build the timeline's (grant_id, version) index again if `reset` dropped it: no DDL on the everyday
        catch-up. (A process that stopped mid-rebuild gets it back on its next start, in `_ensure_schema`.)"""
        if self._index_dropped:
            self.db.execute(TIMELINE_INDEX)
            self._index_dropped = False

    def load_rows(self) -> dict[str, Row]:
        return {row["grant_id"]: row for row in self._rows(f"SELECT * FROM {GRANTS}")}

    def write(self, result: BatchResult, expected_position: int) -> None:
        """Write one batch and its position atomically, if nobody moved the position since `expected_position`."""
        self.write_prepared(self.prepare(result), expected_position)

    def prepare(self, result: BatchResult) -> "PreparedBatch":
        """The batch as table values, taken now: the follower goes on changing its rows while this is written."""
        return PreparedBatch([_to_db(row) for row in result.rows.values()], result.timeline, result.last_position)

    def write_prepared(self, batch: "PreparedBatch", expected_position: int) -> None:
        lock = " FOR UPDATE" if self.db.dialect == "postgres" else ""
        with self.db.transaction():
            found = self.db.execute(f"SELECT position FROM {TRACKING} WHERE name = ?{lock}", (TRACKING_NAME,)).fetchone()
            if found is None or int(found[0]) != expected_position:
                raise PositionMoved(f"views moved from {expected_position} to {found[0] if found else 'nothing'}")
            self.db.executemany(_UPSERT, batch.rows)
            self.db.executemany(_INSERT_TIMELINE, batch.timeline)
            self.db.execute(f"UPDATE {TRACKING} SET position = ? WHERE name = ?", (batch.last_position, TRACKING_NAME))

    # --- reads ------------------------------------------------------------------------------

    def grant_rows(self, status: str | None = None) -> list[Row]:
        if status is None:
            return self._rows(f"SELECT * FROM {GRANTS} ORDER BY region_code")
        return self._rows(f"SELECT * FROM {GRANTS} WHERE status = ? ORDER BY region_code", (status,))

    def grant_row(self, region_code: str) -> Row | None:
        rows = self._rows(f"SELECT * FROM {GRANTS} WHERE region_code = ?", (region_code,))
        return rows[0] if rows else None

    def timeline(self, grant_id: str) -> list[dict[str, Any]]:
        return self.db.fetchall(f"SELECT * FROM {TIMELINE} WHERE grant_id = ? ORDER BY version", (grant_id,))

    def all_timeline(self) -> list[dict[str, Any]]:
        return self.db.fetchall(f"SELECT * FROM {TIMELINE} ORDER BY position")

    def _rows(self, statement: str, params: tuple = ()) -> list[Row]:
        rows = self.db.fetchall(statement, params)
        for row in rows:
            for column in JSON_COLUMNS:
                row[column] = orjson.loads(row[column]) if row[column] else {}
        return rows


_JSON_AT = tuple(i for i, c in enumerate(COLUMNS) if c in JSON_COLUMNS)


def _to_db(row: Row) -> tuple:
    """A row as the table's values: JSON columns as JSON text with sorted keys (read back by `_rows`)."""
    values = [row[c] for c in COLUMNS]
    for i in _JSON_AT:
        values[i] = orjson.dumps(values[i], option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    return tuple(values)
