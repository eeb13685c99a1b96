"""The read-model tables: grant rows, the audit timeline, the quarantine and the tracked position, in SQLite
or PostgreSQL.

A batch is written with `write`: its rows, its timeline lines, its quarantined records and the new position in
ONE transaction, guarded by the position it started from, so a crash never counts anything twice and two
followers never write the same batch. A reset (a rebuild from zero) forgets the quarantine with the rest: the
rebuild evaluates every record again.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import orjson

from adapters.logging import get_logger
from adapters.read_side.database import ViewDatabase
from projections.grant_rows import COLUMNS, INTEGER_COLUMNS, JSON_COLUMNS, OPTIONAL_INTEGER_COLUMNS, Row
from projections.projector import QUARANTINE_FIELDS, BatchResult, Probe, Quarantined
from projections.timeline import TIMELINE_COLUMNS

log = get_logger(__name__)

TRACKING_NAME = "grant-read-models"
SCHEMA_VERSION = 4  # raise when a table changes: the views are then dropped and rebuilt from the log
# 3: view_quarantine, and view_grants.quarantined_from; 4: view_grants.scheme

GRANTS = "view_grants"
TIMELINE = "view_timeline"
TRACKING = "view_tracking"
QUARANTINE = "view_quarantine"
QUARANTINE_COLUMNS: tuple[str, ...] = (*QUARANTINE_FIELDS, "quarantined_at")

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


def _grants_table(name: str, temporary: bool = False) -> str:
    return (f"CREATE {'TEMPORARY ' if temporary else ''}TABLE IF NOT EXISTS {name} "
            f"({_columns(COLUMNS, INTEGER_COLUMNS, 'grant_id', OPTIONAL_INTEGER_COLUMNS)}, PRIMARY KEY (grant_id))")


def _timeline_table(name: str, dialect: str, temporary: bool = False) -> str:
    position = "INTEGER" if dialect == "sqlite" else "BIGINT"
    timeline = [c for c in TIMELINE_COLUMNS if c != "position"]
    return (f"CREATE {'TEMPORARY ' if temporary else ''}TABLE IF NOT EXISTS {name} "
            f"(position {position} NOT NULL PRIMARY KEY, {_columns(tuple(timeline), _TIMELINE_INTEGERS, 'grant_id')})")


def ddl(dialect: str) -> tuple[str, ...]:
    return (
        f"CREATE TABLE IF NOT EXISTS {TRACKING} (name TEXT PRIMARY KEY, position BIGINT NOT NULL, "
        "schema_version BIGINT NOT NULL, origin TEXT)",
        _grants_table(GRANTS),
        f"CREATE INDEX IF NOT EXISTS {GRANTS}_region ON {GRANTS} (region_code)",
        _timeline_table(TIMELINE, dialect),
        TIMELINE_INDEX,
        f"CREATE TABLE IF NOT EXISTS {QUARANTINE} (position BIGINT NOT NULL PRIMARY KEY, grant_id TEXT NOT NULL, "
        "region_code TEXT, version BIGINT NOT NULL, topic TEXT NOT NULL, event TEXT NOT NULL, "
        "error_type TEXT NOT NULL, error TEXT NOT NULL, first_position BIGINT NOT NULL, quarantined_at TEXT NOT NULL)",
    )

_UPSERT = (
    f"INSERT INTO {GRANTS} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    "ON CONFLICT (grant_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "grant_id")
)
_INSERT_TIMELINE = f"INSERT INTO {TIMELINE} ({', '.join(TIMELINE_COLUMNS)}) VALUES ({', '.join('?' * len(TIMELINE_COLUMNS))})"
# The probe (see `ViewStore.probing`): temporary tables with the columns and constraints of the real ones.
PROBE_GRANTS = "view_probe_grants"
PROBE_TIMELINE = "view_probe_timeline"
_PROBE_UPSERT = _UPSERT.replace(f"INSERT INTO {GRANTS} ", f"INSERT INTO {PROBE_GRANTS} ", 1)
_PROBE_TIMELINE = _INSERT_TIMELINE.replace(f"INSERT INTO {TIMELINE} ", f"INSERT INTO {PROBE_TIMELINE} ", 1)
_INSERT_QUARANTINE = (
    f"INSERT INTO {QUARANTINE} ({', '.join(QUARANTINE_COLUMNS)}) VALUES ({', '.join('?' * len(QUARANTINE_COLUMNS))})"
)


@dataclass(frozen=True)
class PreparedBatch:
    rows: list[tuple]  # grant rows as table values
    timeline: list[tuple]
    last_position: int
    quarantine: list[tuple] = ()  # QUARANTINE_COLUMNS


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
                for table in (GRANTS, TIMELINE, QUARANTINE):
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
        """The fingerprint of the store these views were built from (adapters/read_side/notification_sources.py)."""
        row = self.db.execute(f"SELECT origin FROM {TRACKING} WHERE name = ?", (TRACKING_NAME,)).fetchone()
        return row[0] if row else None

    def reset(self, origin: str | None = None) -> None:
        """Forget every row and go back to position 0 (a rebuild starts here), for the store `origin`."""
        with self.db.transaction():
            self.db.execute(f"DELETE FROM {GRANTS}")
            self.db.execute(f"DELETE FROM {TIMELINE}")
            self.db.execute(f"DELETE FROM {QUARANTINE}")
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

    def quarantined_grants(self) -> Quarantined:
        """The grants whose records are quarantined: grant id -> (position of its first one, region code)."""
        found = self.db.execute(
            f"SELECT grant_id, position, region_code FROM {QUARANTINE} WHERE position = first_position"
        ).fetchall()
        return {grant_id: (int(position), region_code) for grant_id, position, region_code in found}

    def write(self, result: BatchResult, expected_position: int) -> None:
        """Write one batch and its position atomically, if nobody moved the position since `expected_position`."""
        self.write_prepared(self.prepare(result), expected_position)

    def prepare(self, result: BatchResult) -> "PreparedBatch":
        """The batch as table values, taken now: the follower goes on changing its rows while this is written."""
        quarantine: list[tuple] = []
        if result.quarantine:
            now = dt.datetime.now(dt.timezone.utc).isoformat()
            quarantine = [(*(entry[f] for f in QUARANTINE_FIELDS), now) for entry in result.quarantine]
        return PreparedBatch([_to_db(row) for row in result.rows.values()], result.timeline, result.last_position,
                             quarantine)

    @property
    def refusals(self) -> tuple[type[BaseException], ...]:
        """What `write`, `prepare` and `write_prepared` raise when the database refuses a value (view_db.py)."""
        return self.db.refusals

    @contextmanager
    def probing(self) -> Iterator[Probe]:
        """A probe for `project`: offers one record's row and timeline line to temporary tables shaped as the
        real ones, and returns None if the database took them, else what it said. The follower uses it on a
        batch the database refused, to find the records it refuses. A database that is unavailable raises."""
        for statement in (_grants_table(PROBE_GRANTS, temporary=True),
                          _timeline_table(PROBE_TIMELINE, self.db.dialect, temporary=True)):
            self.db.execute(statement)
        refusals = self.db.refusals

        def probe(row: Row, line: tuple) -> str | None:
            for what, columns, statement, values in (("grant row", COLUMNS, _PROBE_UPSERT, row),
                                                      ("timeline line", TIMELINE_COLUMNS, _PROBE_TIMELINE, line)):
                try:
                    self.db.execute(statement, _to_db(values) if values is row else values)
                except refusals as error:
                    return f"{what}{_suspect(columns, values)}: {_said(error)}"
            return None

        try:
            yield probe
        finally:
            for table in (PROBE_GRANTS, PROBE_TIMELINE):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")

    def write_prepared(self, batch: "PreparedBatch", expected_position: int) -> None:
        lock = " FOR UPDATE" if self.db.dialect == "postgres" else ""
        with self.db.transaction():
            found = self.db.execute(f"SELECT position FROM {TRACKING} WHERE name = ?{lock}", (TRACKING_NAME,)).fetchone()
            if found is None or int(found[0]) != expected_position:
                raise PositionMoved(f"views moved from {expected_position} to {found[0] if found else 'nothing'}")
            self.db.executemany(_UPSERT, batch.rows)
            self.db.executemany(_INSERT_TIMELINE, batch.timeline)
            self.db.executemany(_INSERT_QUARANTINE, batch.quarantine)
            self.db.execute(f"UPDATE {TRACKING} SET position = ? WHERE name = ?", (batch.last_position, TRACKING_NAME))

    # --- reads ------------------------------------------------------------------------------

    def grant_rows(self, status: str | None = None, scheme: str | None = None) -> list[Row]:
        where = [(column, value) for column, value in (("status", status), ("scheme", scheme)) if value is not None]
        clause = f" WHERE {' AND '.join(f'{column} = ?' for column, _ in where)}" if where else ""
        return self._rows(f"SELECT * FROM {GRANTS}{clause} ORDER BY region_code, pre_registered_on",
                          tuple(value for _, value in where))

    def grant_row(self, region_code: str, scheme: str | None = None) -> Row | None:
        """The region's grant in `scheme`; without a scheme, its newest grant (a region has one per scheme)."""
        if scheme is not None:
            rows = self._rows(f"SELECT * FROM {GRANTS} WHERE region_code = ? AND scheme = ?", (region_code, scheme))
        else:
            rows = self._rows(f"SELECT * FROM {GRANTS} WHERE region_code = ? ORDER BY pre_registered_on DESC",
                              (region_code,))
        return rows[0] if rows else None

    def timeline(self, grant_id: str) -> list[dict[str, Any]]:
        return self.db.fetchall(f"SELECT * FROM {TIMELINE} WHERE grant_id = ? ORDER BY version", (grant_id,))

    def all_timeline(self) -> list[dict[str, Any]]:
        return self.db.fetchall(f"SELECT * FROM {TIMELINE} ORDER BY position")

    def quarantine(self) -> list[dict[str, Any]]:
        """Every quarantined record, in log order (QUARANTINE_COLUMNS)."""
        return self.db.fetchall(f"SELECT {', '.join(QUARANTINE_COLUMNS)} FROM {QUARANTINE} ORDER BY position")

    def quarantined_count(self) -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM {QUARANTINE}").fetchone()[0])

    def _rows(self, statement: str, params: tuple = ()) -> list[Row]:
        rows = self.db.fetchall(statement, params)
        for row in rows:
            for column in JSON_COLUMNS:
                row[column] = orjson.loads(row[column]) if row[column] else {}
        return rows


def _suspect(columns: tuple[str, ...], values: Row | tuple) -> str:
    """The column a refusal is most likely about, for the message: a value of a type no column takes, a NUL, a
    number out of range (the database's own message seldom names it)."""
    items = values.items() if isinstance(values, dict) else zip(columns, values)
    for column, value in items:
        if column in JSON_COLUMNS:
            continue
        if not (value is None or type(value) in (str, int, float)) or (type(value) is str and "\x00" in value) \
                or (type(value) is int and value.bit_length() > 63):
            return f" ({column})"
    return ""


def _said(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


_JSON_AT = tuple(i for i, c in enumerate(COLUMNS) if c in JSON_COLUMNS)


def _to_db(row: Row) -> tuple:
    """A row as the table's values: JSON columns as JSON text with sorted keys (read back by `_rows`)."""
    values = [row[c] for c in COLUMNS]
    for i in _JSON_AT:
        values[i] = orjson.dumps(values[i], option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    return tuple(values)
