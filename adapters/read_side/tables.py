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
from adapters.read_side.paging import GrantFilter
from adapters.read_side import grant_search as search
from adapters.read_side.grant_search import SEARCHED, SORT_KEY, STAGE_OF
from adapters.read_side.refusals import said, suspect
from adapters.read_side import work_table as work
from projections.grant_rows import COLUMNS, INTEGER_COLUMNS, JSON_COLUMNS, OPTIONAL_INTEGER_COLUMNS, Row
from projections.projector import QUARANTINE_FIELDS, BatchResult, Probe, Quarantined
from projections.timeline import TIMELINE_COLUMNS

log = get_logger(__name__)

TRACKING_NAME = "grant-read-models"
SCHEMA_VERSION = 5  # raise when a table changes: the views are then dropped and rebuilt from the log
# 3: view_quarantine, and view_grants.quarantined_from; 4: view_grants.scheme; 5: the case and claim columns of
# view_grants and the work queue (view_work_items: adapters/read_side/work_table.py)

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


# The grants list (`grant_page`) is read in the order of SORT_KEY, a page at a time after a cursor, narrowed by
# status, scheme, kind, stage and a text. Each index below was chosen by the plans of those queries on 100,000
# grants in 20 schemes (SQLite 3.40: EXPLAIN QUERY PLAN, without ANALYZE as the views are kept; PostgreSQL:
# EXPLAIN ANALYZE after VACUUM ANALYZE);
# tests/integration/test_grant_list_plans.py asserts the plans. Without them every page, the first or a
# deep one, scans the table and sorts all of it (SCAN view_grants, USE TEMP B-TREE FOR ORDER BY; Seq Scan + Sort).
# SORT_KEY (region_code, scheme, grant_id) and the text filter's trigram index: adapters/read_side/grant_search.py.
GRANT_INDEXES = (
    # No filter, or kind, or a text of one or two characters: walk this index in order from the cursor, testing the filters on the
    # way, no sort. SQLite: SEARCH view_grants USING INDEX view_grants_sort ((region_code,scheme,grant_id)>(?,?,?))
    # (first page: SCAN ... USING INDEX view_grants_sort); PostgreSQL: Index Scan using view_grants_sort, Index
    # Cond ROW(region_code, scheme, grant_id) > ROW(...), Filter on kind / status = ANY / lower(...) LIKE. A kind
    # holds a third or more of the grants and a stage a tenth or more, so a page of 50 reads a few hundred index
    # entries (0.2 to 0.3 ms a page at 100,000 in SQLite). It also serves the look-up of one grant (region_code = ?
    # [AND scheme = ?]), which had `view_grants_region` before.
    f"CREATE INDEX IF NOT EXISTS {GRANTS}_sort ON {GRANTS} (region_code, scheme, grant_id)",
    f"DROP INDEX IF EXISTS {GRANTS}_region",
    # status = ?: a status may hold few grants (in objection: 1 % or less), and walking the sort index would then
    # read most of the table for one page; with status first the page is one seek from the cursor, in order.
    # SQLite: SEARCH ... USING INDEX view_grants_status (status=? AND (region_code,scheme,grant_id)>(?,?,?));
    # PostgreSQL: Index Scan using view_grants_status, Index Cond (status = ...) AND ROW(...) > ROW(...). The
    # counts per status of every scheme read it as a covering index.
    f"CREATE INDEX IF NOT EXISTS {GRANTS}_status ON {GRANTS} (status, region_code, scheme, grant_id)",
    # scheme = ?: one scheme of 20 holds 5 % of the grants. The scheme being fixed, the cursor compares
    # (region_code, grant_id), which follows this index: SQLite: SEARCH ... USING INDEX view_grants_scheme
    # (scheme=? AND (region_code,grant_id)>(?,?)). (PostgreSQL prefers view_grants_sort with scheme as an Index
    # Cond on its second column, 0.1 ms of execution either way.)
    f"CREATE INDEX IF NOT EXISTS {GRANTS}_scheme ON {GRANTS} (scheme, region_code, grant_id)",
    # scheme = ? AND status = ?: the back office's usual question (this scheme's grants in that status), one seek
    # in order in both: SEARCH ... USING INDEX view_grants_scheme_status (scheme=? AND status=? AND
    # (region_code,grant_id)>(?,?)); Index Scan using view_grants_scheme_status. The counts per status of one
    # scheme read it as a covering index.
    f"CREATE INDEX IF NOT EXISTS {GRANTS}_scheme_status ON {GRANTS} (scheme, status, region_code, grant_id)",
    # stage = ?: the stage of the status (STAGE_OF, an expression) in front of the sort key: one seek from the
    # cursor, in order, on both. Walking view_grants_sort instead (before 2026-12-07), PostgreSQL fetched 573 heap
    # rows to keep the 51 of a page of the application stage at 100,000 grants (its p50 1.8-2.0x that at 1,000).
    # SQLite: SEARCH ... USING INDEX view_grants_stage (<expr>=? AND (region_code,scheme,grant_id)>(?,?,?));
    # PostgreSQL: Index Scan using view_grants_stage, Index Cond ((CASE ... END) = ...) AND ROW(...) > ROW(...).
    f"CREATE INDEX IF NOT EXISTS {GRANTS}_stage ON {GRANTS} ({STAGE_OF}, region_code, scheme, grant_id)",
    # None for kind (a third of the grants or more: the sort index fills a page within a few rows), nor for the
    # text: a piece anywhere in three columns, which no B-tree serves: see grant_search.py (view_grant_trigrams).
)


# A rebuild from zero drops these with the timeline's index and builds them at the end (`reset`, `index`): at
# 100,000 grants every batch of a rebuild upserts up to 2,000 rows, each updating four indexes in random places.
_GRANT_INDEX_NAMES = tuple(s.split()[5] for s in GRANT_INDEXES if s.startswith("CREATE INDEX IF NOT EXISTS"))


def ddl(dialect: str) -> tuple[str, ...]:
    return (
        f"CREATE TABLE IF NOT EXISTS {TRACKING} (name TEXT PRIMARY KEY, position BIGINT NOT NULL, "
        "schema_version BIGINT NOT NULL, origin TEXT)",
        _grants_table(GRANTS),
        *GRANT_INDEXES,
        _timeline_table(TIMELINE, dialect),
        TIMELINE_INDEX,
        work.work_table(),
        *work.WORK_INDEXES,
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
    work: tuple[list[tuple], list[tuple]] = ([], [])  # the work items to store, the grants whose work is done


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
            if found is None or found[0] != SCHEMA_VERSION:
                if found is not None:
                    log.warning("views.schema_changed", stored=found[0], now=SCHEMA_VERSION, action="rebuilding from zero")
                    for table in (GRANTS, TIMELINE, QUARANTINE, work.WORK, search.GRAMS):
                        self.db.execute(f"DROP TABLE IF EXISTS {table}")
                    for statement in ddl(self.db.dialect):
                        self.db.execute(statement)
                    self.db.execute(f"DELETE FROM {TRACKING} WHERE name = ?", (TRACKING_NAME,))
                self.db.execute(f"INSERT INTO {TRACKING} (name, position, schema_version) VALUES (?, 0, ?)",
                                (TRACKING_NAME, SCHEMA_VERSION))
            built = search.build(self.db)  # an older views database, or a rebuild stopped half way: from its rows
        if built:
            search.settle(self.db)

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
            self.db.execute(f"DELETE FROM {work.WORK}")
            self._drop_indexes()
            self.db.execute(f"UPDATE {TRACKING} SET position = 0, origin = ? WHERE name = ?", (origin, TRACKING_NAME))
        self._index_dropped = True

    def _drop_indexes(self) -> None:  # built again by `index()` when caught up, each once from the rows (P3A)
        schema = "main." if self.db.dialect == "sqlite" else ""  # not a same-named one of an attached database
        for name in (f"{TIMELINE}_grant", *_GRANT_INDEX_NAMES, *work.WORK_INDEX_NAMES):  # not updated at each upsert
            self.db.execute(f"DROP INDEX IF EXISTS {schema}{name}")
        search.drop(self.db, schema)  # and the text's trigram index, kept by no batch while it is away

    def adopt(self, files: list[str], expected_position: int, last_position: int) -> None:
        """SQLite: a sharded rebuild's views (sharded_rebuild.py) added in one transaction with the position, as `write`."""
        names: list[str] = []  # attached (ATTACH and DETACH: outside a transaction), each detached again below
        try:
            for path in files:
                self.db.execute(f"ATTACH DATABASE ? AS shard{len(names)}", (path,))
                names.append(f"shard{len(names)}")
            with self.db.transaction():
                self._guard(expected_position)
                self._drop_indexes()
                for table, columns in ((GRANTS, COLUMNS), (TIMELINE, TIMELINE_COLUMNS), (QUARANTINE, QUARANTINE_COLUMNS),
                                       (work.WORK, work.WORK_ITEM_COLUMNS)):
                    arms = " UNION ALL ".join(f"SELECT {', '.join(columns)} FROM {name}.{table}" for name in names)
                    ordered = " ORDER BY position" if table in (TIMELINE, QUARANTINE) else ""  # a merge of ordered arms
                    self.db.execute(f"INSERT INTO main.{table} ({', '.join(columns)}) {arms}{ordered}")
                search.adopt(self.db, names)  # each share's postings, made by its worker: `index()` keeps them
                self.db.execute(f"UPDATE {TRACKING} SET position = ? WHERE name = ?", (last_position, TRACKING_NAME))
            self._index_dropped = True
        finally:
            for name in names:
                self.db.execute(f"DETACH DATABASE {name}")

    def _guard(self, expected_position: int) -> None:
        lock = " FOR UPDATE" if self.db.dialect == "postgres" else ""
        found = self.db.execute(f"SELECT position FROM {TRACKING} WHERE name = ?{lock}", (TRACKING_NAME,)).fetchone()
        if found is None or int(found[0]) != expected_position:
            raise PositionMoved(f"views moved from {expected_position} to {found[0] if found else 'nothing'}")

    # --- the follower's side ------------------------------------------------------------------

    def index(self) -> None:
        """Build the timeline's (grant_id, version) index, the grants list's indexes and its trigram index again if
        a `reset` dropped them (this store's, or another process's whose rebuild this one went on with: its writes
        found the trigram index away): no DDL on the everyday catch-up. (A process that stopped mid-rebuild gets
        them back on its next start, in `_ensure_schema`.)"""
        if self._index_dropped:
            self.db.execute(TIMELINE_INDEX)
            for statement in (*GRANT_INDEXES, *work.WORK_INDEXES):
                self.db.execute(statement)
            with self.db.transaction():
                built = search.build(self.db)
            if built:
                search.settle(self.db)
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
                             quarantine, work.prepare_work(result.rows.values()))

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
                    return f"{what}{suspect(columns, values)}: {said(error)}"
            return None

        try:
            yield probe
        finally:
            for table in (PROBE_GRANTS, PROBE_TIMELINE):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")

    def write_prepared(self, batch: "PreparedBatch", expected_position: int) -> None:
        with self.db.transaction():
            self._guard(expected_position)
            texts = search.texts_before(self.db, search.batch_ids(batch.rows)) if search.exists(self.db) else None
            if texts is None:  # a rebuild from zero: this one's, or one another process began (its `reset`)
                self._index_dropped = True  # and left: `index()` builds what it dropped once caught up
            self.db.executemany(_UPSERT, batch.rows)
            if texts is not None:  # the trigram index is there (not in a rebuild from zero): kept in step
                search.keep_up(self.db, texts, batch.rows)
            self.db.executemany(_INSERT_TIMELINE, batch.timeline)
            self.db.executemany(_INSERT_QUARANTINE, batch.quarantine)
            self.db.executemany(work.DELETE_WORK, batch.work[1])
            self.db.executemany(work.UPSERT_WORK, batch.work[0])
            self.db.execute(f"UPDATE {TRACKING} SET position = ? WHERE name = ?", (batch.last_position, TRACKING_NAME))

    # --- reads ------------------------------------------------------------------------------

    def grant_rows(self, status: str | None = None, scheme: str | None = None) -> list[Row]:
        where = [(column, value) for column, value in (("status", status), ("scheme", scheme)) if value is not None]
        clause = f" WHERE {' AND '.join(f'{column} = ?' for column, _ in where)}" if where else ""
        return self._rows(f"SELECT * FROM {GRANTS}{clause} ORDER BY region_code, pre_registered_on",
                          tuple(value for _, value in where))

    def grant_page_query(self, wanted: GrantFilter, after: tuple | None, limit: int) -> tuple[str, tuple]:
        """The SQL of one page of the grants list (GRANT_INDEXES and grant_search.py say which index serves it)."""
        return search.page_query(self.db, wanted, after, limit)

    def grant_page(self, wanted: GrantFilter, after: tuple | None, limit: int) -> list[Row]:
        """Up to `limit` grant rows after the key `after` (SORT_KEY) that pass `wanted` (but for within_days)."""
        return self._rows(*self.grant_page_query(wanted, after, limit))

    def grant_counts(self, scheme: str | None = None) -> dict[str, int]:
        """Grants per status (of one scheme), from the status indexes."""
        clause, params = (" WHERE scheme = ?", (scheme,)) if scheme is not None else ("", ())
        found = self.db.execute(f"SELECT status, COUNT(*) FROM {GRANTS}{clause} GROUP BY status", params).fetchall()
        return {status: int(n) for status, n in found}

    def grant_count(self, wanted: GrantFilter) -> int:
        """How many grants pass `wanted` (but for within_days)."""
        return int(self.db.execute(*search.count_query(self.db, wanted)).fetchone()[0])

    def region_rows(self, region_code: str) -> list[Row]:
        """Every grant of one region, one per scheme (view_grants_sort: region_code = ?)."""
        return self._rows(f"SELECT * FROM {GRANTS} WHERE region_code = ? ORDER BY {', '.join(SORT_KEY)}", (region_code,))

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


_JSON_AT = tuple(i for i, c in enumerate(COLUMNS) if c in JSON_COLUMNS)


def _to_db(row: Row) -> tuple:
    """A row as the table's values: JSON columns as JSON text with sorted keys (read back by `_rows`)."""
    values = [row[c] for c in COLUMNS]
    for i in _JSON_AT:
        values[i] = orjson.dumps(values[i], option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    return tuple(values)
