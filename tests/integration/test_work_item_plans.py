"""The work queue in the views database: every page of it, filtered or not, is read through the index chosen for
its filters and never sorted (SQLite: EXPLAIN QUERY PLAN on views kept as they are, without statistics), and on
SQLite and PostgreSQL the keyset pages of each filter are exactly the filtered items in order, each once
(adapters/read_side/work_table.py, WORK_INDEXES)."""

from __future__ import annotations

import random
import uuid

import pytest

from adapters.event_store.store import open_service
from adapters.read_side.database import open_view_database
from adapters.read_side.tables import ViewStore
from adapters.read_side.work_table import WORK, WorkFilter, prepare_work, work_key, work_page, work_page_query
from projections.grant_rows import new_row

PEOPLE = ["op.jansen", "op.bakker", "ic.smit", None, None, None]


def fill(store: ViewStore, count: int, seed: int = 23) -> None:
    """`count` grants: a third advised (a besluit due), the rest drafted and waiting in a later stage."""
    rnd = random.Random(seed)
    rows = []
    for i in range(count):
        row = new_row(str(uuid.UUID(int=rnd.getrandbits(128))))
        row.update(scheme="sto-2020-2024" if i % 2 else "sto-2025-2028", region_code=f"STO-R{i:05d}",
                   region_name=f"Regio {i}", status="advised", version=5,
                   status_since=f"2019-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T10:00:00+00:00",
                   claim_person=rnd.choice(PEOPLE), claim_since="2019-06-01")
        if i % 3:
            row.update(case_procedure="aanvraag", case_command="ApproveGrant", case_kind="approval",
                       case_amount_cents=100, case_next_stage=rnd.choice([1, 2]), case_round=1,
                       case_opened_on=f"2019-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                       case_stage_since="2019-06-01", case_drafted_by="op.jansen",
                       case_takers={"op.jansen": "eerste_beoordeling"})
        rows.append(row)
    items, _ = prepare_work(rows)
    with store.db.transaction():
        store.db.executemany(f"INSERT INTO {WORK} VALUES ({', '.join('?' * len(items[0]))})", items)


AFTER = ("2019-06-15", "STO-R00100", "8")
SHAPES = {  # filter -> the index its pages are read through
    "no filter": (WorkFilter(), f"{WORK}_sort"),
    "mine": (WorkFilter(claimed_by="ic.smit"), f"{WORK}_claimed"),
    "unassigned": (WorkFilter(unclaimed=True), f"{WORK}_claimed"),
    "scheme": (WorkFilter(scheme="sto-2020-2024"), f"{WORK}_scheme"),
    "stage": (WorkFilter(stage="interne_controle"), f"{WORK}_stage"),
    "roles": (WorkFilter(roles=("interne_controle", "coordinator")), f"{WORK}_sort"),
    "decision term": (WorkFilter(decision_term=True), f"{WORK}_sort"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_page_of_the_work_queue_is_read_through_its_index_without_a_sort_in_sqlite(tmp_path, shape):
    db = open_view_database(f"sqlite:///{tmp_path / 'sto.sqlite'}")
    try:
        store = ViewStore(db)
        fill(store, 6_000)
        wanted, index = SHAPES[shape]
        for after in (None, AFTER):  # the first page and a deep one
            statement, params = work_page_query(wanted, after, 51)
            plan = [line[-1] for line in db.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()]
            assert len(plan) == 1 and f"USING INDEX {index}" in plan[0], plan
            assert not any("TEMP B-TREE" in line for line in plan), plan
            if after is not None:
                assert plan[0].startswith("SEARCH"), plan  # a seek to the cursor, not a scan from the start
    finally:
        db.close()


def _passes(item: dict, wanted: WorkFilter) -> bool:
    return all((
        wanted.claimed_by is None or item["claimed_by"] == wanted.claimed_by,
        not wanted.unclaimed or item["claimed_by"] is None,
        wanted.scheme is None or item["scheme"] == wanted.scheme,
        wanted.stage is None or item["stage"] == wanted.stage,
        wanted.roles is None or item["stage_role"] in wanted.roles,
        not wanted.decision_term or item["decision_term"] == 1,
    ))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_pages_of_each_filter_are_the_filtered_items_in_order_each_once(store_url, shape):
    open_service(store_url).close()  # makes the store (and PostgreSQL's schema)
    db = open_view_database(store_url)
    try:
        store = ViewStore(db)
        fill(store, 400)
        wanted, _ = SHAPES[shape]
        everything = work_page(db, WorkFilter(), None, 10_000)
        expected = sorted((work_key(i) for i in everything if _passes(i, wanted)))
        walked, after = [], None
        while True:
            page = work_page(db, wanted, after, 37)
            walked += [work_key(i) for i in page]
            if len(page) < 37:
                break
            after = work_key(page[-1])
        assert walked == expected and expected
    finally:
        db.close()


def test_postgresql_reads_the_pages_through_the_indexes_too(postgres_url):
    open_service(postgres_url).close()
    db = open_view_database(postgres_url)
    try:
        store = ViewStore(db)
        fill(store, 20_000)
        db.execute(f"ANALYZE {WORK}")
        for name in ("no filter", "mine", "scheme", "stage", "roles", "decision term"):
            wanted, index = SHAPES[name]
            statement, params = work_page_query(wanted, AFTER, 51)
            plan = "\n".join(line[0] for line in db.execute("EXPLAIN " + statement, params).fetchall())
            assert "Index Scan" in plan and "Sort" not in plan and "Seq Scan" not in plan, (name, plan)
    finally:
        db.close()
