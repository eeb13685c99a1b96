"""The text filter's trigram index stays in step with the grant rows (adapters/read_side/grant_search.py), on SQLite
and PostgreSQL: a name that changes is found by its new text and no longer by its old one, a page walk while
grants are added lists no row twice and skips none, a rebuild from zero builds the index at its end, and views
without it (older ones, or a rebuild that stopped half way) build it when opened."""

from __future__ import annotations

from adapters.event_store.store import open_service
from adapters.read_side import grant_search
from adapters.read_side.database import open_view_database
from adapters.read_side.paging import GrantFilter
from adapters.read_side.read_models import key_of
from adapters.read_side.tables import ViewStore
from tests.integration.test_grant_list_plans import expected, fill, write


def walk(store: ViewStore, wanted: GrantFilter, size: int = 37, between=None) -> list[tuple]:
    walked, after = [], None
    while True:
        page = store.grant_page(wanted, after, size)
        walked.extend(key_of(r) for r in page)
        if len(page) < size:
            return walked
        after = key_of(page[-1])
        if between is not None:
            between(after)


def plain(store: ViewStore, wanted: GrantFilter) -> list[tuple]:
    """The rows the condition itself passes, without the trigram index (the database's own lower() and LIKE)."""
    where, params = grant_search.grant_where(wanted, None)
    found = store.db.execute(f"SELECT region_code, scheme, grant_id FROM {grant_search.GRANTS} WHERE {where} "
                             f"ORDER BY region_code, scheme, grant_id", params).fetchall()
    return [tuple(r) for r in found]


def postings(store: ViewStore, code: str) -> set[str]:
    return {t for (t,) in store.db.execute(f"SELECT trigram FROM {grant_search.GRAMS} WHERE code = ?", (code,)).fetchall()}


def test_the_trigram_index_follows_renames_and_additions_and_pages_stay_stable(store_url):
    open_service(store_url).close()
    db = open_view_database(store_url)
    try:
        store = ViewStore(db)
        rows = fill(store, 600)
        noord = GrantFilter(q="noord")
        assert walk(store, noord) == expected(rows, noord)

        # a region renamed: found by its new name only, and its postings are those of its texts now
        renamed = [r for r in rows if r["region_code"] == "STO-R00007"]
        for r in renamed:
            r["region_name"] = "Regio ĳsselvallei ö"
        write(store, renamed)
        for text in ("noord", "zuid", "ĳssel", "vallei ö", "regio"):
            assert walk(store, GrantFilter(q=text)) == expected(rows, GrantFilter(q=text)), text
        assert store.grant_count(GrantFilter(q="ĳssel")) == len(renamed)
        assert postings(store, "STO-R00007") == {
            t for r in renamed for c in grant_search.SEARCHED for t in grant_search.trigrams(r[c].lower())}
        # an upper-case letter beyond ASCII: as the database's lower() has it (SQLite folds ASCII only)
        for r in renamed:
            r["penvoerder_name"] = "Stichting Ĳmond ÉÉN"
        write(store, renamed)
        for text in ("ĳmond", "Ĳmond", "één", "ÉÉN", "ting ĳ"):
            assert walk(store, GrantFilter(q=text)) == plain(store, GrantFilter(q=text)), text

        # grants added while a client walks the pages: every row there at the start once, in order, none twice
        added: list[dict] = []

        def add(after: tuple) -> None:
            more = fill_more(store, rows, len(added), after)
            added.extend(more)

        walked = walk(store, noord, between=add)
        assert len(walked) == len(set(walked)) and walked == sorted(walked)
        assert set(expected(rows, noord)) <= set(walked)
        assert set(walked) <= set(expected(rows + added, noord))
        assert walk(store, noord) == expected(rows + added, noord)
    finally:
        db.close()


def fill_more(store: ViewStore, rows: list[dict], n: int, after: tuple) -> list[dict]:
    """Two new grants named Noord: one before the cursor's region, one after it."""
    from projections.grant_rows import new_row

    more = []
    for i, code in enumerate(("STO-R00000", "STO-R99999")):
        row = new_row(f"00000000-0000-0000-0000-{n + i:012d}")
        row.update(scheme=f"sto-added-{n + i}", region_code=code, region_name=f"Regio Noord nieuw {n + i}",
                   kind="techniekregio", penvoerder_name="Penvoerder nieuw", status="approved")
        more.append(row)
    write(store, more)
    return more


def test_a_rebuild_from_zero_builds_the_index_at_its_end_and_views_without_it_build_it_when_opened(store_url):
    open_service(store_url).close()
    db = open_view_database(store_url)
    try:
        store = ViewStore(db)
        rows = fill(store, 300)
        store.reset()
        assert not grant_search.exists(db)
        write(store, rows)  # the batches of the rebuild keep no index
        assert walk(store, GrantFilter(q="west")) == expected(rows, GrantFilter(q="west"))  # the walk serves meanwhile
        store.index()
        assert grant_search.exists(db)
        assert walk(store, GrantFilter(q="west")) == expected(rows, GrantFilter(q="west"))

        with db.transaction():  # a rebuild that stopped half way, before its end
            grant_search.drop(db)
        ViewStore(db)
        assert grant_search.exists(db)
        for text in ("west", "R0001", "penvoerder 9"):
            assert walk(store, GrantFilter(q=text)) == expected(rows, GrantFilter(q=text)), text
    finally:
        db.close()


def test_a_rebuild_another_process_began_and_left_is_finished_with_its_indexes(store_url):
    open_service(store_url).close()
    db, other_db = open_view_database(store_url), open_view_database(store_url)
    try:
        running = ViewStore(db)  # a long-running reader (sto serve), open before the other's rebuild
        rows = fill(running, 200)
        other = ViewStore(other_db)
        other.reset()  # another process's rebuild from zero, stopped right after it began
        other_db.close()
        write(running, rows)  # this one goes on with it: catches up the log from zero
        running.index()  # at the end of its catch-up
        assert grant_search.exists(db)
        statement, params = running.grant_page_query(GrantFilter(stage="decision"), None, 51)
        if db.dialect == "sqlite":
            plan = [line[-1] for line in db.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()]
            assert plan == ["SEARCH view_grants USING INDEX view_grants_stage (<expr>=?)"], plan
        assert walk(running, GrantFilter(q="oost")) == expected(rows, GrantFilter(q="oost"))
    finally:
        db.close()
