"""The grants list's stage and text filters, each served in the order of the list (adapters/read_side/tables.py).

**The stage.** A stage is a set of statuses (paging.STAGES). An index on the stage of the status
(`STAGE_OF`, an expression index, SQLite and PostgreSQL alike) in front of the list's sort key makes a page of a
stage one seek from the cursor, in order, as the status index does for a status.

**The text.** `q` is a piece of the region code, the region's name or the penvoerder's name, in any case: a row
passes when `lower(column) LIKE '%' || q.lower() || '%'` for one of the three (the database's own lower(): ASCII
only in SQLite, the database's locale in PostgreSQL; accents are not folded). No B-tree serves a piece of text, so
the views keep a trigram index of their own, the same in both databases (no extension assumed): `view_grant_trigrams`
holds (trigram, region code) for every three characters of the lowered texts of each region's grants. A page of a
text of three characters or more walks the postings of the query's rarest trigram in region order from the cursor,
keeps the regions that hold the next rarest ones too, reads those regions' grants through the list's indexes and
tests the real condition above on each: every row that passes is found (its region holds every trigram of the
text), in the list's order, and the page stops once full. Its cost follows the page and the text's rarity, not the
size of the store. A text of one or two characters has no trigram: it walks the list's sort index as before.

The index is keyed by region, not by grant (a region's grants in every scheme share its code and mostly its names):
5,000 regions, about 300,000 postings, for the benchmark's 100,000 grants. It is kept like an index: while the
table exists it holds every trigram of the rows (each batch's writes recompute the postings of the regions whose
texts changed, in the batch's transaction); a rebuild from zero drops it and builds it once from the rows at the
end (`build`), as it does the list's indexes, and a views database without it (an older one, or a rebuild that
stopped half way) builds it when opened. The trigrams are cut by the database itself (substr of lower()), so they
are the database's own lowering of the text: the query's trigrams, cut from q.lower(), are a subset whenever the
LIKE above would match.
"""

from __future__ import annotations

from typing import Any, Iterable

from adapters.read_side.database import ViewDatabase
from adapters.read_side.paging import STAGES, GrantFilter
from projections.grant_rows import COLUMNS

GRANTS = "view_grants"
GRAMS = "view_grant_trigrams"
SORT_KEY = ("region_code", "scheme", "grant_id")  # the grants list's order; grant_id: unique, so the order is total
SEARCHED = ("region_code", "region_name", "penvoerder_name")  # the text filter looks in these
_GRANT_AT = COLUMNS.index("grant_id")
_SEARCHED_AT = tuple(COLUMNS.index(c) for c in SEARCHED)
GRAM = 3
_COUNT_CAP = 100  # postings counted per trigram to choose the rarest (beyond it, any of them serves): each
# counted posting is a read (on PostgreSQL a heap fetch too, until VACUUM sets the visibility map), so at 500 the
# counting of a text of common trigrams alone grew with the store (P8, "sto-a000": 1.9x p50 at 100,000)
_COUNTED = 12  # trigrams of a long text counted at most (spread over it)
_PROBES = 2  # trigrams besides the rarest whose postings a region must hold too

# The stage of a status, as SQL: the same text in the index and in the WHERE clause (SQLite matches an expression
# index by its text). A new status or stage changes it: raise tables.SCHEMA_VERSION then, so the index is rebuilt.
STAGE_OF = "(CASE status " + " ".join(
    f"WHEN '{status}' THEN '{stage}'" for stage, statuses in STAGES.items() for status in statuses) + " END)"


def gram_ddl(dialect: str) -> tuple[str, ...]:
    rowid = " WITHOUT ROWID" if dialect == "sqlite" else ""
    return (f"CREATE TABLE IF NOT EXISTS {GRAMS} (trigram TEXT NOT NULL, code TEXT NOT NULL, "
            f"PRIMARY KEY (trigram, code)){rowid}",
            f"CREATE INDEX IF NOT EXISTS {GRAMS}_code ON {GRAMS} (code)")  # a region's postings, to replace them


def _fill(regions: int | None) -> str:
    """INSERT the postings of every region (None) or of `regions` region codes given as parameters."""
    where = "" if regions is None else f" WHERE region_code IN ({', '.join('?' * regions)})"
    texts = " UNION ".join(f"SELECT region_code, lower({c}) FROM {GRANTS}{where}" for c in SEARCHED)
    return (f"WITH RECURSIVE texts (code, text) AS ({texts}), "
            f"n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i <= (SELECT max(length(text)) FROM texts) - {GRAM}) "
            f"INSERT INTO {GRAMS} (trigram, code) SELECT DISTINCT substr(text, i, {GRAM}), code FROM texts "
            f"JOIN n ON i <= length(text) - {GRAM - 1} WHERE true ON CONFLICT DO NOTHING")


def exists(db: ViewDatabase) -> bool:
    if db.dialect == "postgres":
        return db.execute("SELECT to_regclass(?)", (GRAMS,)).fetchone()[0] is not None
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (GRAMS,)).fetchone() is not None


def drop(db: ViewDatabase, schema: str = "") -> None:
    db.execute(f"DROP TABLE IF EXISTS {schema}{GRAMS}")


def build(db: ViewDatabase) -> bool:
    """Make the trigram index from the rows, unless it is there (then it is complete: every write keeps it). True
    when it was made: `settle` it then, once the transaction is committed."""
    if exists(db):
        return False
    for statement in gram_ddl(db.dialect):
        db.execute(statement)
    db.execute(_fill(None))
    return True


def adopt(db: ViewDatabase, schemas: list[str]) -> None:
    """The index made from the postings of a sharded rebuild's shares of the grants (attached as `schemas`, each made
    by `build` from its own rows by its worker process): a region's grants may sit in several shares, and the union
    of their postings is those of all the rows."""
    table, code_index = gram_ddl(db.dialect)
    db.execute(table)  # (another process may have made it, empty, when it opened the views: OR IGNORE)
    db.execute(f"INSERT OR IGNORE INTO main.{GRAMS} (trigram, code) "
               + " UNION ".join(f"SELECT trigram, code FROM {s}.{GRAMS}" for s in schemas))
    db.execute(code_index)


def settle(db: ViewDatabase) -> None:
    """PostgreSQL, after `build` (outside a transaction): VACUUM sets the visibility map, so the postings are read
    from the index alone (counting 100 postings of each of six trigrams was a heap fetch each: "sto-a000" 1.43x at
    100,000 grants, 1.03x after), and ANALYZE gives its planner their statistics. SQLite keeps its views without
    statistics."""
    if db.dialect == "postgres":
        db.execute(f"VACUUM (ANALYZE) {GRAMS}")


def texts_before(db: ViewDatabase, grant_ids: list[str]) -> dict[str, tuple]:
    """The searched texts (SEARCHED) of these grants as stored now, before a batch writes them."""
    found: dict[str, tuple] = {}
    for start in range(0, len(grant_ids), 500):
        chunk = grant_ids[start:start + 500]
        for grant_id, *texts in db.execute(
                f"SELECT grant_id, {', '.join(SEARCHED)} FROM {GRANTS} WHERE grant_id IN ({', '.join('?' * len(chunk))})",
                chunk).fetchall():
            found[grant_id] = tuple(texts)
    return found


def batch_ids(rows: Iterable[tuple]) -> list[str]:
    return [row[_GRANT_AT] for row in rows]


def keep_up(db: ViewDatabase, before: dict[str, tuple], rows: Iterable[tuple]) -> None:
    """After a batch's rows (table values, COLUMNS) are written: the postings of every region whose texts changed,
    computed again from all its rows (a region's old texts may have left trigrams no grant holds any more)."""
    regions: set[str] = set()
    for row in rows:
        grant_id, texts = row[_GRANT_AT], tuple(row[i] for i in _SEARCHED_AT)
        old = before.get(grant_id)
        if old != texts:
            regions.add(texts[0])
            if old is not None:
                regions.add(old[0])
    ordered = sorted(r for r in regions if r is not None)
    for start in range(0, len(ordered), 300):
        chunk = ordered[start:start + 300]
        marks = ", ".join("?" * len(chunk))
        db.execute(f"DELETE FROM {GRAMS} WHERE code IN ({marks})", chunk)
        db.execute(_fill(len(chunk)), chunk * len(SEARCHED))


def trigrams(text: str) -> list[str]:
    """The distinct trigrams of `text` (already lowered), in the order they first occur."""
    return list(dict.fromkeys(text[i:i + GRAM] for i in range(len(text) - GRAM + 1)))


def chosen(db: ViewDatabase, text: str) -> list[str]:
    """The trigrams of `text` that lead a page, the rarest first (postings counted up to a cap): the first one is
    walked, the others must be held by the region too."""
    grams = trigrams(text)
    if len(grams) > _COUNTED:
        step = (len(grams) - 1) / (_COUNTED - 1)
        grams = list(dict.fromkeys(grams[round(i * step)] for i in range(_COUNTED)))
    counts = " UNION ALL ".join(
        f"SELECT {i}, COUNT(*) FROM (SELECT 1 FROM {GRAMS} WHERE trigram = ? LIMIT {_COUNT_CAP}) AS c{i}"
        for i in range(len(grams)))
    found = sorted((int(n), int(i)) for i, n in db.execute(counts, grams).fetchall())
    return [grams[i] for _, i in found[:1 + _PROBES]]


def text_page(dialect: str, where: str, params: tuple, grams: list[str], after: tuple | None, scheme_fixed: bool,
              limit: int) -> tuple[str, tuple]:
    """One page of the list through the trigram index: `where` (the list's other conditions and the text's LIKE, on
    view_grants' columns) for the regions holding `grams`, after the key `after` (SORT_KEY)."""
    keyset, keyed, seek, sought = "", (), "", ()
    if after is not None:
        # from the cursor's region on; in that region only after the cursor. Said of t.code, not of g.region_code:
        # a range on g.region_code would let SQLite seek the grants by it, not by each posting's region.
        code, scheme, grant_id = after
        rest = ("g.grant_id > ?", (grant_id,)) if scheme_fixed else ("(g.scheme, g.grant_id) > (?, ?)", (scheme, grant_id))
        keyset, keyed = f" AND t.code >= ? AND (t.code > ? OR {rest[0]})", (code, code, *rest[1])
        seek, sought = " AND p{i}.code >= ?", (code,)  # PostgreSQL merges the postings: each from the cursor on
    probes = "".join(f" AND EXISTS (SELECT 1 FROM {GRAMS} p{i} WHERE p{i}.trigram = ? AND p{i}.code = t.code"
                     f"{seek.format(i=i)})" for i in range(1, len(grams)))
    probed = tuple(value for gram in grams[1:] for value in (gram, *sought))
    condition = f" AND {where}" if where else ""
    if dialect == "sqlite":
        # CROSS JOIN: SQLite keeps the postings the outer loop (its planner, without statistics, would otherwise walk
        # a grants index and sort). `+t.code`: it does not carry `t.code >= ?` over to g.region_code (it would then
        # seek view_grants_stage by a range of regions and sort).
        statement = (f"SELECT g.* FROM {GRAMS} t CROSS JOIN {GRANTS} g WHERE t.trigram = ? AND g.region_code = +t.code"
                     f"{probes}{keyset}{condition} ORDER BY t.code, g.scheme, g.grant_id LIMIT ?")
        return statement, (grams[0], *probed, *keyed, *params, limit)
    # PostgreSQL: each region's grants as a LATERAL subquery behind OFFSET 0, never pulled up into a hash or merge
    # join of every grant that passes the text, which its planner, misjudging the LIKEs, would choose; the regions
    # come in order, and each region's few rows are sorted (Incremental Sort, presorted key t.code).
    statement = (f"SELECT g.* FROM {GRAMS} t CROSS JOIN LATERAL (SELECT * FROM {GRANTS} g WHERE g.region_code = t.code"
                 f"{condition} OFFSET 0) g WHERE t.trigram = ?{probes}{keyset} ORDER BY t.code, g.scheme, g.grant_id LIMIT ?")
    return statement, (*params, grams[0], *probed, *keyed, limit)


def grant_where(wanted: GrantFilter, after: tuple | None) -> tuple[str, tuple]:
    """The conditions of the grants list on view_grants' columns: `wanted` (but for within_days), and the keyset
    after `after` (SORT_KEY)."""
    clauses: list[str] = []
    params: list[Any] = []
    for column in ("status", "scheme", "kind"):
        value = getattr(wanted, column)
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if wanted.stage is not None:
        clauses.append(f"{STAGE_OF} = ?")  # view_grants_stage
        params.append(wanted.stage)
    if wanted.q:
        pattern = "%" + wanted.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(" + " OR ".join(f"lower({c}) LIKE ? ESCAPE '\\'" for c in SEARCHED) + ")")
        params.extend([pattern] * len(SEARCHED))
    if after is not None:
        # the key's columns that an equality filter fixes are left out: the rest then follow the index's order
        keyed = [(c, v) for c, v in zip(SORT_KEY, after) if not (c == "scheme" and wanted.scheme is not None)]
        clauses.append(f"({', '.join(c for c, _ in keyed)}) > ({', '.join('?' * len(keyed))})")
        params.extend(v for _, v in keyed)
    return " AND ".join(clauses), tuple(params)


def page_query(db: ViewDatabase, wanted: GrantFilter, after: tuple | None, limit: int) -> tuple[str, tuple]:
    """The SQL of one page of the grants list: through the trigram index for a text of three characters or more
    (when the index is there: a rebuild from zero builds it at its end), else through view_grants' indexes."""
    text = wanted.q.lower() if wanted.q else ""
    if len(text) >= GRAM and exists(db):
        where, params = grant_where(wanted, None)
        return text_page(db.dialect, where, params, chosen(db, text), after, wanted.scheme is not None, limit)
    where, params = grant_where(wanted, after)
    clause = f" WHERE {where}" if where else ""
    return f"SELECT * FROM {GRANTS}{clause} ORDER BY {', '.join(SORT_KEY)} LIMIT ?", (*params, limit)


def count_query(db: ViewDatabase, wanted: GrantFilter) -> tuple[str, tuple]:
    """How many grants pass `wanted` (but for within_days), as SQL."""
    where, params = grant_where(wanted, None)
    text = wanted.q.lower() if wanted.q else ""
    if len(text) >= GRAM and exists(db):
        grams = chosen(db, text)
        statement, found = text_page(db.dialect, where, params, grams, None, False, 0)
        statement = statement.replace("SELECT g.* ", "SELECT COUNT(*) ", 1).split(" ORDER BY ")[0]
        return statement, found[:-1]
    return f"SELECT COUNT(*) FROM {GRANTS}{' WHERE ' + where if where else ''}", params
