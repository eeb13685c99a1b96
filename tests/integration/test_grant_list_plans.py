"""The grants list in the views database (issue 25): every page of it, filtered or not, is read through the index
chosen for its filters and never sorted (SQLite: EXPLAIN QUERY PLAN on views kept as they are, without statistics;
PostgreSQL: EXPLAIN after ANALYZE); and on both databases the keyset pages of each filter are exactly the filtered
rows in order, each once (adapters/read_side/tables.py, GRANT_INDEXES)."""

from __future__ import annotations

import random
import uuid

import pytest

from adapters.event_store.store import open_service
from adapters.read_side.database import open_view_database
from adapters.read_side.paging import STAGES, GrantFilter
from adapters.read_side.read_models import key_of
from adapters.read_side.tables import GRANTS, SORT_KEY, ViewStore, _to_db
from projections.grant_rows import COLUMNS, new_row

STATUSES = ["pre_registered"] * 10 + ["application_submitted"] * 5 + ["approved"] * 40 + ["determined"] * 30 + \
           ["rejected"] * 5 + ["in_objection"] + ["withdrawn"] * 9
SCHEMES = [f"sto-{2000 + n}-{2004 + n}" for n in range(20)]


def fill(store: ViewStore, count: int, seed: int = 25) -> list[dict]:
    rnd = random.Random(seed)
    rows = []
    for i in range(count):
        row = new_row(str(uuid.UUID(int=rnd.getrandbits(128))))
        row.update(scheme=SCHEMES[i % len(SCHEMES)], region_code=f"STO-R{i // len(SCHEMES):05d}",
                   region_name=f"Regio {rnd.choice(['Noord', 'Zuid', 'Oost', 'West'])} {i}",
                   kind=rnd.choice(["techniekregio", "techniekarme_regio"]), penvoerder_name=f"Penvoerder {i % 97}",
                   status=rnd.choice(STATUSES))
        rows.append(row)
    with store.db.transaction():
        store.db.executemany(f"INSERT INTO {GRANTS} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                             [_to_db(r) for r in rows])
    return rows


AFTER = ("STO-R00100", "sto-2005-2009", "8")
SHAPES = {  # filter -> the index its pages are read through
    "no filter": (GrantFilter(), "view_grants_sort"),
    "status": (GrantFilter(status="in_objection"), "view_grants_status"),
    "scheme": (GrantFilter(scheme="sto-2005-2009"), "view_grants_scheme"),
    "scheme and status": (GrantFilter(scheme="sto-2005-2009", status="approved"), "view_grants_scheme_status"),
    "kind": (GrantFilter(kind="techniekarme_regio"), "view_grants_sort"),
    "stage": (GrantFilter(stage="decision"), "view_grants_sort"),
    "text": (GrantFilter(q="noord"), "view_grants_sort"),
    "kind, stage and text": (GrantFilter(kind="techniekregio", stage="execution", q="zuid"), "view_grants_sort"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_page_of_the_grants_list_is_read_through_its_index_without_a_sort_in_sqlite(tmp_path, shape):
    db = open_view_database(f"sqlite:///{tmp_path / 'sto.sqlite'}")
    try:
        store = ViewStore(db)
        fill(store, 20_000)
        wanted, index = SHAPES[shape]
        for after in (None, AFTER):  # the first page and a deep one
            statement, params = store.grant_page_query(wanted, after, 51)
            plan = [line[-1] for line in db.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()]
            assert len(plan) == 1 and f"USING INDEX {index}" in plan[0], plan
            assert not any("TEMP B-TREE" in line for line in plan), plan
            if after is not None:
                assert plan[0].startswith("SEARCH"), plan  # a seek to the cursor, not a scan from the start
    finally:
        db.close()


def expected(rows: list[dict], wanted: GrantFilter) -> list[tuple]:
    def passes(r: dict) -> bool:
        text = wanted.q.lower() if wanted.q else None
        return all((
            wanted.status is None or r["status"] == wanted.status,
            wanted.scheme is None or r["scheme"] == wanted.scheme,
            wanted.kind is None or r["kind"] == wanted.kind,
            wanted.stage is None or r["status"] in STAGES[wanted.stage],
            text is None or any(text in r[c].lower() for c in ("region_code", "region_name", "penvoerder_name")),
        ))

    return sorted(key_of(r) for r in rows if passes(r))


def test_the_pages_of_every_filter_are_its_rows_in_order_each_once_on_sqlite_and_postgres(store_url):
    open_service(store_url).close()  # makes the store (and PostgreSQL's schema)
    db = open_view_database(store_url)
    try:
        store = ViewStore(db)
        rows = fill(store, 2_000)
        for name, (wanted, _) in SHAPES.items():
            walked, after = [], None
            while True:
                page = store.grant_page(wanted, after, 37)
                walked.extend(key_of(r) for r in page)
                if len(page) < 37:
                    break
                after = key_of(page[-1])
            assert walked == expected(rows, wanted), name
            assert store.grant_count(wanted) == len(walked), name
        assert sum(store.grant_counts().values()) == len(rows)
        assert sum(store.grant_counts("sto-2005-2009").values()) == len(rows) // len(SCHEMES)
        assert [r["scheme"] for r in store.region_rows("STO-R00003")] == SCHEMES
        literal = GrantFilter(q="100%")  # LIKE's wildcards in the text are taken as they are
        assert store.grant_page(literal, None, 10) == []
    finally:
        db.close()


def test_postgresql_reads_the_pages_through_the_indexes_too(postgres_url):
    open_service(postgres_url).close()
    db = open_view_database(postgres_url)
    try:
        store = ViewStore(db)
        fill(store, 20_000)
        db.execute(f"ANALYZE {GRANTS}")
        for name in ("no filter", "status", "scheme and status", "kind", "stage"):
            wanted, index = SHAPES[name]
            statement, params = store.grant_page_query(wanted, AFTER, 51)
            plan = "\n".join(line[0] for line in db.execute("EXPLAIN " + statement, params).fetchall())
            assert f"Index Scan using {index}" in plan and "Sort" not in plan and "Seq Scan" not in plan, (name, plan)
        assert SORT_KEY == ("region_code", "scheme", "grant_id")
    finally:
        db.close()
