"""The work queue's table in the views database: one row per grant with open work (projections/work_items.py),
written with the grant rows of each batch in the same transaction (adapters/read_side/tables.py), SQLite or
PostgreSQL.

The queue is read a page at a time in the order of WORK_SORT_KEY (the oldest open work first), after a keyset
cursor, narrowed by who holds the work (`--mine`: claimed_by = ?; `--unassigned`: claimed_by IS NULL), the
scheme, the stage, the stage's role and whether the decision term runs. Each index below was chosen by the plans
of those queries (SQLite: EXPLAIN QUERY PLAN on views kept without statistics, as they are;
tests/integration/test_work_item_plans.py asserts them; PostgreSQL takes the same indexes, its planner seeing
statistics): every page is one seek from the cursor in index order, never a sort of the whole queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import orjson

from projections.intake import Row
from projections.work_items import (WORK_INTEGER_COLUMNS, WORK_ITEM_COLUMNS, WORK_JSON_COLUMNS,
                                    WORK_OPTIONAL_INTEGER_COLUMNS, work_item)

WORK = "view_work_items"
WORK_SORT_KEY = ("opened_on", "region_code", "grant_id")  # grant_id: unique, so the order is total
WORK_KEY_SHAPE = (str, str, str)
WORK_INDEXES = (
    # No filter, the stage's role (a person's roles), the decision term: walk this index in order from the cursor,
    # testing the filters on the way. SQLite: SEARCH view_work_items USING INDEX view_work_items_sort
    # ((opened_on,region_code,grant_id)>(?,?,?)); the first page: SCAN ... USING INDEX view_work_items_sort.
    # PostgreSQL (20,000 items, after ANALYZE): Index Scan using view_work_items_sort, Index Cond ROW(...) > ROW(...).
    f"CREATE INDEX IF NOT EXISTS {WORK}_sort ON {WORK} (opened_on, region_code, grant_id)",
    # claimed_by = ? (mine) or claimed_by IS NULL (unassigned): one person holds a few cases, and the unassigned
    # ones may be few too; one seek in order: SEARCH ... USING INDEX view_work_items_claimed (claimed_by=? AND
    # (opened_on,region_code,grant_id)>(?,?,?)), the same for `claimed_by IS NULL`. PostgreSQL takes it for a
    # person (Index Cond claimed_by = ...) and, when half the queue is unassigned, walks view_work_items_sort.
    f"CREATE INDEX IF NOT EXISTS {WORK}_claimed ON {WORK} (claimed_by, opened_on, region_code, grant_id)",
    # scheme = ?: SEARCH ... USING INDEX view_work_items_scheme (scheme=? AND (opened_on,...)>(?,?,?)).
    f"CREATE INDEX IF NOT EXISTS {WORK}_scheme ON {WORK} (scheme, opened_on, region_code, grant_id)",
    # stage = ?: a stage of one procedure holds a part of the queue: SEARCH ... USING INDEX view_work_items_stage.
    f"CREATE INDEX IF NOT EXISTS {WORK}_stage ON {WORK} (stage, opened_on, region_code, grant_id)",
)
WORK_INDEX_NAMES = tuple(s.split()[5] for s in WORK_INDEXES)


def work_table(name: str = WORK) -> str:
    columns = []
    for column in WORK_ITEM_COLUMNS:
        if column in WORK_INTEGER_COLUMNS:
            columns.append(f"{column} BIGINT NOT NULL")
        elif column in WORK_OPTIONAL_INTEGER_COLUMNS:
            columns.append(f"{column} BIGINT")
        else:
            columns.append(f"{column} TEXT{' NOT NULL' if column in ('grant_id', 'opened_on', 'stage') else ''}")
    return f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(columns)}, PRIMARY KEY (grant_id))"


UPSERT_WORK = (
    f"INSERT INTO {WORK} ({', '.join(WORK_ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(WORK_ITEM_COLUMNS))}) "
    "ON CONFLICT (grant_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in WORK_ITEM_COLUMNS if c != "grant_id")
)
DELETE_WORK = f"DELETE FROM {WORK} WHERE grant_id = ?"
_JSON_AT = tuple(i for i, c in enumerate(WORK_ITEM_COLUMNS) if c in WORK_JSON_COLUMNS)


def prepare_work(rows: Iterable[Row]) -> tuple[list[tuple], list[tuple]]:
    """The work items of the grant rows a batch touched: (items to store, grant ids whose work is done)."""
    items: list[tuple] = []
    done: list[tuple] = []
    for row in rows:
        item = work_item(row)
        if item is None:
            done.append((row["grant_id"],))
            continue
        values = [item[c] for c in WORK_ITEM_COLUMNS]
        for i in _JSON_AT:
            values[i] = orjson.dumps(values[i], option=orjson.OPT_SORT_KEYS).decode()
        items.append(tuple(values))
    return items, done


@dataclass(frozen=True)
class WorkFilter:
    """What the work queue is narrowed to in the views database; None / False: no narrowing on that field."""

    claimed_by: str | None = None  # the work this person holds
    unclaimed: bool = False  # the work nobody holds
    scheme: str | None = None
    stage: str | None = None
    roles: tuple[str, ...] | None = None  # stages of these roles only
    decision_term: bool = False  # only work on which the decision term runs (a besluit on the application)


def work_where(wanted: WorkFilter, after: tuple | None) -> tuple[str, tuple]:
    clauses: list[str] = []
    params: list[Any] = []
    if wanted.claimed_by is not None:
        clauses.append("claimed_by = ?")
        params.append(wanted.claimed_by)
    elif wanted.unclaimed:
        clauses.append("claimed_by IS NULL")
    for column in ("scheme", "stage"):
        value = getattr(wanted, column)
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if wanted.roles is not None:
        # no index leads with the role (a role holds a large part of the queue): the sort index is walked
        clauses.append(f"stage_role IN ({', '.join('?' * len(wanted.roles))})" if wanted.roles else "1 = 0")
        params.extend(wanted.roles)
    if wanted.decision_term:
        clauses.append("decision_term = 1")
    if after is not None:
        clauses.append(f"({', '.join(WORK_SORT_KEY)}) > (?, ?, ?)")
        params.extend(after)
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), tuple(params)


def work_page_query(wanted: WorkFilter, after: tuple | None, limit: int) -> tuple[str, tuple]:
    where, params = work_where(wanted, after)
    return f"SELECT * FROM {WORK}{where} ORDER BY {', '.join(WORK_SORT_KEY)} LIMIT ?", (*params, limit)


def work_key(item: dict[str, Any]) -> tuple[str, str, str]:
    return tuple(item[c] for c in WORK_SORT_KEY)  # type: ignore[return-value]


def work_rows(db: Any, statement: str, params: tuple = ()) -> list[dict[str, Any]]:
    rows = db.fetchall(statement, params)
    for row in rows:
        for column in WORK_JSON_COLUMNS:
            row[column] = orjson.loads(row[column]) if row[column] else {}
    return rows


def work_page(db: Any, wanted: WorkFilter, after: tuple | None, limit: int) -> list[dict[str, Any]]:
    return work_rows(db, *work_page_query(wanted, after, limit))


def work_of(db: Any, grant_id: str) -> dict[str, Any] | None:
    found = work_rows(db, f"SELECT * FROM {WORK} WHERE grant_id = ?", (grant_id,))
    return found[0] if found else None


def work_count(db: Any, wanted: WorkFilter) -> int:
    where, params = work_where(wanted, None)
    return int(db.execute(f"SELECT COUNT(*) FROM {WORK}{where}", params).fetchone()[0])
