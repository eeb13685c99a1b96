"""The grants list in the views database (issue 25): every page of it, filtered or not, is read through the index
chosen for its filters and never sorted (SQLite: EXPLAIN QUERY PLAN on views kept as they are, without statistics;
PostgreSQL: EXPLAIN after ANALYZE); and on both databases the keyset pages of each filter are exactly the filtered
rows in order, each once (adapters/read_side/tables.py, GRANT_INDEXES; the stage's index and the text's trigram index:
adapters/read_side/grant_search.py)."""

from __future__ import annotations

import random
import re
import uuid

import pytest

from adapters.event_store.store import open_service
from adapters.read_side.database import open_view_database
from adapters.read_side.paging import STAGES, GrantFilter
from adapters.read_side.read_models import key_of
from adapters.read_side.tables import GRANTS, SORT_KEY, PreparedBatch, ViewStore, _to_db
from projections.grant_rows import new_row

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
    write(store, rows)
    return rows


def write(store: ViewStore, rows: list[dict]) -> None:
    """The rows written as a batch of the follower is (the trigram index kept with them), at the next position."""
    position = store.position()
    store.write_prepared(PreparedBatch([_to_db(r) for r in rows], [], position + 1), position)


AFTER = ("STO-R00100", "sto-2005-2009", "8")
SHAPES = {  # filter -> the index its pages are read through
    "no filter": (GrantFilter(), "view_grants_sort"),
    "status": (GrantFilter(status="in_objection"), "view_grants_status"),
    "scheme": (GrantFilter(scheme="sto-2005-2009"), "view_grants_scheme"),
    "scheme and status": (GrantFilter(scheme="sto-2005-2009", status="approved"), "view_grants_scheme_status"),
    "kind": (GrantFilter(kind="techniekarme_regio"), "view_grants_sort"),
    "stage": (GrantFilter(stage="decision"), "view_grants_stage"),
    "short text": (GrantFilter(q="oo"), "view_grants_sort"),  # no trigram: the walk in order, testing each row
}
TEXT_SHAPES = {  # filter -> the index of the grants of each region the trigram index's postings lead to
    "text": (GrantFilter(q="noord"), "view_grants_sort"),
    "kind, stage and text": (GrantFilter(kind="techniekregio", stage="execution", q="zuid"), "view_grants_stage"),
    "scheme and text": (GrantFilter(scheme="sto-2005-2009", q="penvoerder 4"), "view_grants_s"),
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


@pytest.mark.parametrize("shape", sorted(TEXT_SHAPES))
def test_a_text_walks_the_postings_of_its_rarest_trigram_in_order_without_a_sort_in_sqlite(tmp_path, shape):
    db = open_view_database(f"sqlite:///{tmp_path / 'sto.sqlite'}")
    try:
        store = ViewStore(db)
        fill(store, 20_000)
        wanted, index = TEXT_SHAPES[shape]
        for after in (None, AFTER):
            statement, params = store.grant_page_query(wanted, after, 51)
            plan = [line[-1] for line in db.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()]
            seek = "(trigram=? AND code>?)" if after else "(trigram=?)"  # SQLite writes >= as >
            assert plan[0] == f"SEARCH t USING PRIMARY KEY {seek}", plan  # the postings in region order
            assert plan[-1].startswith(f"SEARCH g USING INDEX {index}") and "region_code=?" in plan[-1], plan
            assert all(line.startswith(("CORRELATED", "SEARCH p")) for line in plan[1:-1]), plan  # the other trigrams
            assert not any("TEMP B-TREE" in line for line in plan), plan
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


EDGES = {  # texts the trigram index must answer exactly as the plain condition does
    "two trigrams in two columns": (GrantFilter(q="oordpen"), None),  # no column holds it: nothing
    "a whole name": (GrantFilter(q="Regio West 1234"), None),
    "upper case": (GrantFilter(q="STO-R0004"), None),
    "one character": (GrantFilter(q="7"), None),
    "a wildcard taken literally": (GrantFilter(q="_"), None),
    "a text longer than every name": (GrantFilter(q="penvoerder 1 penvoerder 1 penvoerder 1"), None),
    "many trigrams": (GrantFilter(q="egio noord 1"), None),
}


def test_the_pages_of_every_filter_are_its_rows_in_order_each_once_on_sqlite_and_postgres(store_url):
    open_service(store_url).close()  # makes the store (and PostgreSQL's schema)
    db = open_view_database(store_url)
    try:
        store = ViewStore(db)
        rows = fill(store, 2_000)
        for name, (wanted, _) in (SHAPES | TEXT_SHAPES | EDGES).items():
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
        db.execute("ANALYZE view_grant_trigrams")
        for name in ("no filter", "status", "scheme and status", "kind", "stage"):
            wanted, index = SHAPES[name]
            statement, params = store.grant_page_query(wanted, AFTER, 51)
            plan = "\n".join(line[0] for line in db.execute("EXPLAIN " + statement, params).fetchall())
            assert f"Index Scan using {index}" in plan and "Sort" not in plan and "Seq Scan" not in plan, (name, plan)
        for after in (None, AFTER):  # a text: the postings of its rarest trigram in order, each region's grants
            statement, params = store.grant_page_query(TEXT_SHAPES["text"][0], after, 51)
            plan = "\n".join(line[0] for line in db.execute("EXPLAIN " + statement, params).fetchall())
            assert "Index Only Scan using view_grant_trigrams_pkey on view_grant_trigrams t" in plan, plan
            assert "Nested Loop" in plan and "Seq Scan" not in plan and "Hash" not in plan, plan
            # sorted within each region only (the postings come in region order): never the whole match
            assert "Incremental Sort" in plan and not re.search(r"(^|->)\s*Sort\s+\(", plan, re.M), plan
        assert SORT_KEY == ("region_code", "scheme", "grant_id")
    finally:
        db.close()
