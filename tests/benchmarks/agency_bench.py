"""P8 pages of the grants list and P3 at a million events, on the synthetic agency (tests/benchmarks/agency.py).

P8  One page of 50 of a filtered grants list through the API's read path (ReadGateway.regions ->
    ReadModels.regions: catch-up check, keyset page from the views, counts per status, region views), with the
    views built by the projector from the agency's events. For each filter, the first page and a deep one (from
    the 1,000th row of the filtered list on; in a list shorter than 1,050 rows, its last full page), each read
    many times, the small agency and the large one alternating; p99 of each and the ratio large / small. Both
    read pages of the same number of rows: 50, or all the small agency's list holds when it holds fewer (a
    scheme's grants in one status at 1,000 grants: 20), so the ratio is the store's size, not the page's.
    On SQLite (the views file next to the cached store) and PostgreSQL (the agency's records copied into a
    schema of the test database through the recorder, its views built there by the projector).
P3  The read models rebuilt from zero (ProjectionFollower.rebuild) from the agency's SQLite store, events per
    second, against reading the same rows in the same batches and decoding each (json.loads: P3's baseline since
    it began; orjson.loads, the decoder the projector itself uses, printed beside it), alternating.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from typing import Any, Callable

import orjson

from tests.benchmarks.agency import SCHEMES, Agency, cached, copy_store, digest, scheme_id, verify
from tests.benchmarks.common import POSTGRES_URL, Figure, clock, interleave, median, percentile

P8_FILTERS = {  # name -> GrantFilter fields: the back office's usual questions
    "status": {"status": "approved"},
    "scheme+status": {"scheme": scheme_id(SCHEMES // 2), "status": "determined"},
    "stage": {"stage": "application"},
    "text": {"q": "gooi"},
}
PAGE = 50
DEEP_ROW = 1000


def _say(text: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(text, highlight=False)


def _gateway(url: str) -> Any:
    from adapters.event_store.store import open_service
    from adapters.http.reads import ReadGateway

    service = open_service(url)
    return service, ReadGateway(service, url)


def _deep_key(gateway: Any, wanted: Any, day: dt.date, size: int, matched: int) -> tuple[tuple | None, int]:
    """The cursor of the deep page of `size` rows and the number of rows before it: in a list long enough, after row
    DEEP_ROW, walked to as a client does (page by page, each page's cursor); in a shorter one, the cursor before its
    last `size` rows, so that the deep page is full too (its last page could hold 3 rows, and a page of 3 rows
    against one of 50 measures the page, not the store); none in a list of one page. `matched`: the list's length."""
    from adapters.read_side.read_models import key_of

    if matched >= DEEP_ROW + size:
        after = None
        for _ in range(DEEP_ROW // size):
            page = gateway.regions(wanted, day, size, after)
            after = tuple(page["next_key"])
        return after, size * (DEEP_ROW // size)
    if matched > size:
        rows = gateway.models.store.grant_page(wanted, None, matched - size)
        return key_of(rows[-1]), matched - size
    return None, 0


def p8_pages(store: str, small: Agency, large: Agency, *, repetitions: int, urls: dict[str, str] | None = None) -> list[Figure]:
    """P8 on one store kind: `urls` maps 'small'/'large' to the store URLs (default: the agencies' SQLite files)."""
    from adapters.read_side.paging import GrantFilter

    urls = urls or {"small": small.url, "large": large.url}
    day = dt.date(2040, 1, 1)
    opened: dict[str, tuple[Any, Any]] = {}
    built: dict[str, float] = {}
    for size, url in urls.items():
        start = clock()
        service, gateway = _gateway(url)
        gateway.models.refresh()  # the views, built by the projector if they are not there yet
        built[size] = clock() - start
        opened[size] = (service, gateway)
    counts = {size: gateway.models.store.grant_count(GrantFilter()) for size, (_, gateway) in opened.items()}
    figures: list[Figure] = []
    try:
        for name, fields in P8_FILTERS.items():
            wanted = GrantFilter(**fields)
            matched = {size: gateway.models.store.grant_count(wanted) for size, (_, gateway) in opened.items()}
            # both agencies read pages of the same number of rows: 50, or as many as the small agency's list holds
            # (a scheme's status at 1,000 grants: 20), so the ratio says what the store's size costs, not the page's
            rows_per_page = max(1, min(PAGE, *matched.values()))
            deep = {size: _deep_key(gateway, wanted, day, rows_per_page, matched[size])
                    for size, (_, gateway) in opened.items()}
            runs: dict[str, Callable[[], float]] = {}
            for size, (_, gateway) in opened.items():
                for kind, after in (("first", None), ("deep", deep[size][0])):
                    def run(gateway: Any = gateway, after: tuple | None = after, rows_per_page: int = rows_per_page) -> float:
                        start = clock()
                        page = gateway.regions(wanted, day, rows_per_page, after)
                        elapsed = clock() - start
                        assert len(page["regions"]) == rows_per_page, (len(page["regions"]), rows_per_page)
                        return elapsed
                    runs[f"{size}/{kind}"] = run
            for warm in runs.values():
                warm()
            results = interleave(runs, repetitions)
            for kind in ("first", "deep"):
                p99s = {size: percentile(results[f"{size}/{kind}"], 99) * 1e3 for size in opened}
                p50s = {size: percentile(results[f"{size}/{kind}"], 50) * 1e3 for size in opened}
                ratio = p99s["large"] / p99s["small"]
                ok = ratio <= 1.5 and p99s["large"] <= 50
                rows = "" if kind == "first" else (f", from row {deep['small'][1]:,} / {deep['large'][1]:,}")
                figures.append(Figure(
                    id="P8", store=store,
                    what=f"grants list, {kind} page of {rows_per_page}, filter {name} {fields}: p99 of {repetitions} reads "
                         f"(ReadGateway.regions) at {counts['large']:,} grants ({matched['large']:,} match{rows})",
                    engine=p99s["large"], baseline=p99s["small"], unit="ms p99", ratio=ratio,
                    target="ratio ≤ 1.5, p99 ≤ 50 ms", ok=ok,
                    baseline_what=f"the same read at {counts['small']:,} grants ({matched['small']:,} match), alternating",
                    notes=f"p50 {p50s['large']:.2f} ms at {counts['large']:,}, {p50s['small']:.2f} ms at {counts['small']:,}",
                    samples={"large_ms": [x * 1e3 for x in results[f"large/{kind}"]],
                             "small_ms": [x * 1e3 for x in results[f"small/{kind}"]],
                             "deep_row": {s: d[1] for s, d in deep.items()}, "views_ready_s": built},
                ))
    finally:
        for service, gateway in opened.values():
            gateway.models.close()
            service.close()
    return figures


def p8_postgres(small: Agency, large: Agency, *, repetitions: int, keep: bool = True) -> list[Figure]:
    """P8 on PostgreSQL: each agency copied (once; kept by its digest unless `keep` is off) into a schema of the
    test database, its views built there by the projector."""
    import psycopg

    from adapters.event_store.store import postgres_conninfo, store_env

    env = store_env(POSTGRES_URL)
    urls: dict[str, str] = {}
    made: list[str] = []
    notes: list[str] = []
    for size, agency in (("small", small), ("large", large)):
        schema = f"sto_bench_agency_s{agency.seed}_g{agency.grants}_{digest()}"
        urls[size] = f"{POSTGRES_URL}?schema={schema}"
        with psycopg.connect(postgres_conninfo(env), autocommit=True) as conn:
            done = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (f"{schema}",)).fetchone()
            ready = done and conn.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'bench_agency_done'",
                (schema,)).fetchone()
            if not ready:
                for old in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                                        (f"sto_bench_agency_s{agency.seed}_g{agency.grants}_%",)).fetchall():
                    conn.execute(f'DROP SCHEMA "{old[0]}" CASCADE')
        if not ready:
            start = clock()
            _say(f"  P8 postgres: copying the {agency.grants:,}-grant agency into schema {schema}")
            copied = copy_store(agency, urls[size], progress=_say)
            with psycopg.connect(postgres_conninfo(env), autocommit=True) as conn:
                conn.execute(f'CREATE TABLE "{schema}".bench_agency_done (copied bigint)')
                conn.execute(f'INSERT INTO "{schema}".bench_agency_done VALUES (%s)', (copied,))
            notes.append(f"{agency.grants:,} copied in {clock() - start:.0f} s")
            made.append(schema)
    try:
        checked = verify(large, sample=8, url=urls["large"])
        assert not checked["mismatches"], checked["mismatches"]
        figures = p8_pages("postgres", small, large, repetitions=repetitions, urls=urls)
        for figure in figures:
            figure.notes += ("; " + ", ".join(notes)) if notes else ""
        return figures
    finally:
        if not keep:
            with psycopg.connect(postgres_conninfo(env), autocommit=True) as conn:
                for size in ("small", "large"):
                    conn.execute(f'DROP SCHEMA IF EXISTS "{urls[size].split("schema=")[1]}" CASCADE')


# --- P3 at a million events -------------------------------------------------------------------------------------


def p3_agency(agency: Agency, *, repetitions: int) -> list[Figure]:
    from adapters.event_store.store import open_service
    from adapters.read_side.database import open_view_database
    from adapters.read_side.follower import BATCH_SIZE, ProjectionFollower
    from adapters.read_side.tables import ViewStore

    service = open_service(agency.url)
    follower = ProjectionFollower(service, ViewStore(open_view_database(agency.url)))
    count = agency.events

    def engine() -> float:
        report = follower.rebuild()
        assert report.notifications == count, (report.notifications, count)
        return report.notifications / report.seconds

    def raw_with(loads: Callable[[bytes], Any]) -> Callable[[], float]:
        def raw() -> float:
            connection = sqlite3.connect(str(agency.path), isolation_level=None)
            start = clock()
            position, read = 0, 0
            while True:
                rows = connection.execute(
                    "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events WHERE rowid > ? "
                    "ORDER BY rowid LIMIT ?", (position, BATCH_SIZE),
                ).fetchall()
                if not rows:
                    break
                for row in rows:
                    loads(row[4])
                read += len(rows)
                position = rows[-1][0]
            seconds = clock() - start
            connection.close()
            assert read == count, (read, count)
            return read / seconds
        return raw

    try:
        results = interleave({"engine": engine, "raw": raw_with(json.loads), "raw_orjson": raw_with(orjson.loads)},
                             repetitions)
    finally:
        follower.close()
        service.close()
    rate, raw_rate, raw_orjson = (median(results[k]) for k in ("engine", "raw", "raw_orjson"))
    share = rate / raw_rate
    return [Figure(
        id="P3", store="sqlite",
        what=f"projection rebuild from zero at agency scale: {count:,} events of {agency.grants:,} grants in "
             f"{SCHEMES} schemes (read, decode, project, write views), {repetitions} rebuilds",
        engine=rate, baseline=raw_rate, unit="events/s", ratio=raw_rate / rate,
        target="≥ 0.75 of raw", ok=share >= 0.75,
        baseline_what=f"raw read + json.loads of the same rows in batches of {BATCH_SIZE}",
        notes=f"{share:.2f} of the raw rate; of raw read + orjson.loads ({raw_orjson:,.0f}/s): {rate / raw_orjson:.2f}",
        samples={"engine_rates": results["engine"], "raw_rates": results["raw"],
                 "raw_orjson_rates": results["raw_orjson"], "share_of_raw": share},
    )]


def agencies(scale: float, progress: Callable[[str], None] = _say) -> tuple[Agency, Agency]:
    """The small agency (1,000 grants, scaled) and the large one (100,000, scaled), each built or cached, each
    checked against the real service on a sample."""
    small_n = max(SCHEMES * 5, int(round(1000 * scale)))
    large_n = max(small_n * 2, int(round(100_000 * scale)))
    found = []
    for n in (small_n, large_n):
        start = time.perf_counter()
        agency = cached(n, progress=progress)
        checked = verify(agency)
        if checked["mismatches"]:
            raise AssertionError(f"the agency's store differs from the real service's: {checked['mismatches'][:5]}")
        progress(f"  agency {n:,}: {agency.events:,} records, "
                 f"{'built in %.0f s' % agency.build_seconds if agency.build_seconds else 'from the cache'}; "
                 f"{checked['checked']} grants ({', '.join(checked['lives'])}) equal to the real service's "
                 f"({time.perf_counter() - start:.0f} s)")
        found.append(agency)
    return found[0], found[1]
