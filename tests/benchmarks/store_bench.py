"""P1 append, P2 load, P3 projection rebuild: the event store path of the engine against raw sqlite3 / psycopg.

P1  GrantService.save() of the events that one command produced (the grant's, and the budget pools' it
    claimed from): mapper encoding, one recorder transaction, the snapshot check. Measured per command, per
    event, for every command of realistic grant lives (adapters/scenarios.full_life: vooraanmelding to
    vaststelling). Load and decide are not in it (P2 and the domain); they are in the informational
    "execute" line. Baseline: the same stored rows (topic, state bytes) inserted with sqlite3 / psycopg,
    one INSERT per event, one transaction (BEGIN ... COMMIT) per command, into a table of the same shape
    (SQLite: a file of its own in WAL mode with the library's synchronous=FULL default).
P2  GrantService.repository.get() of a grant, per event, vs the raw SELECT of the same rows + decode of each
    state with the stdlib: json.loads reviving the stored typed values (datetimes, dates, UUIDs, decimals),
    since the engine hands out those values, not their wrappers. The ratios to json.loads alone (the wrappers
    left undecoded; the baseline until 2026-12-04) and to orjson.loads are printed beside it.
P3  The read models rebuilt from zero from a SQLite store (ProjectionFollower.rebuild), events per second,
    vs reading the same rows in the same batches + json.loads (the raw read+decode rate).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import uuid
from decimal import Decimal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import orjson

from tests.support.scenarios import full_life, scripted_regions
from tests.support.scripted import GrantScript, at
from adapters.event_store.store import open_service, postgres_conninfo, store_env
from domain import commands as c
from domain.events import records as domain_events
from domain.decide import Context
from domain.grant import Grant
from adapters.event_store.service import GrantService
from domain.idempotency import fingerprint
from domain.values import grant_id_for
from tests.benchmarks.common import Figure, clock, copy_into_sqlite, interleave, median, time_ratio

try:  # the bench also runs against the engine before its lean store path (for before/after figures)
    from adapters.event_store.codec import project
except ImportError:  # pragma: no cover
    from eventsourcing.application import project_aggregate as project

# P2: how long one sample of the raw read lasts at least (each contestant then runs as many passes)
SAMPLE_SECONDS = 0.05
P2_ONE_PASS_NOTE = "one pass over the grants per sample (a few ms: each contestant starts on caches the one before left cold)"
SMALL_PER_YEAR = {2020: 100_000_00, 2021: 100_000_00, 2022: 90_000_00, 2023: 90_000_00}
TINY_PER_YEAR = {2020: 5_000_00, 2021: 5_000_00, 2022: 4_000_00, 2023: 4_000_00}


# --- raw baselines ------------------------------------------------------------------------------------


class RawSQLite:
    """sqlite3 on its own file: the table eventsourcing's SQLite application recorder creates, WAL mode."""

    def __init__(self, path: Path):
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS raw_events (originator_id TEXT, originator_version INTEGER, topic TEXT, "
            "state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )

    def append(self, rows: list[tuple[str, int, str, bytes]]) -> None:
        execute = self.connection.execute
        execute("BEGIN")
        for row in rows:
            execute("INSERT INTO raw_events VALUES (?,?,?,?)", row)
        execute("COMMIT")

    def close(self) -> None:
        self.connection.close()


_RAW_TYPES = {"datetime_iso": dt.datetime.fromisoformat, "date_iso": dt.date.fromisoformat, "uuid_hex": uuid.UUID,
              "decimal_str": Decimal}


def _revive(obj: dict) -> Any:
    """The stored format's typed values, as written by hand with the stdlib: a `{"_type_": NAME, "_data_": DATA}`
    object becomes the value it wraps (datetimes, dates, UUIDs, decimals). What decoding a row means."""
    if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
        return _RAW_TYPES[obj["_type_"]](obj["_data_"])
    return obj


def typed_loads(data: bytes) -> Any:
    """json.loads with the typed values revived: the raw decode of a stored row."""
    return json.loads(data, object_hook=_revive)


class RawSQLiteReader:
    """SELECT + decode of one aggregate's rows in the engine's own SQLite table."""

    def __init__(self, path: str):
        self.connection = sqlite3.connect(path, isolation_level=None)

    def load(self, originator_id: Any, decode: Any = json.loads) -> list[Any]:
        rows = self.connection.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events WHERE originator_id=? "
            "ORDER BY originator_version",
            (originator_id.hex,),
        ).fetchall()
        return [decode(row[3]) for row in rows]

    def close(self) -> None:
        self.connection.close()


class RawPostgres:
    """psycopg on the same database and schema: a table of the shape of eventsourcing's events table."""

    def __init__(self, url: str, events_table: str = "sto_events"):
        import psycopg

        env = store_env(url)
        self.schema = env["POSTGRES_SCHEMA"]
        self.connection = psycopg.connect(postgres_conninfo(env))
        self.reader = psycopg.connect(postgres_conninfo(env), autocommit=True)
        self.events_table = events_table
        with self.connection.transaction():
            self.connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            self.connection.execute(
                f'CREATE TABLE IF NOT EXISTS "{self.schema}".raw_events (originator_id uuid NOT NULL, '
                "originator_version bigint NOT NULL, topic text, state bytea, notification_id bigserial, "
                "PRIMARY KEY (originator_id, originator_version))"
            )
            self.connection.execute(
                f'CREATE UNIQUE INDEX IF NOT EXISTS raw_events_nid ON "{self.schema}".raw_events (notification_id)'
            )
        self._insert = (
            f'INSERT INTO "{self.schema}".raw_events (originator_id, originator_version, topic, state) '
            "VALUES (%s, %s, %s, %s)"
        )
        self._select = (
            f'SELECT originator_id, originator_version, topic, state FROM "{self.schema}".{events_table} '
            "WHERE originator_id = %s ORDER BY originator_version"
        )

    def append(self, rows: list[tuple[Any, int, str, bytes]]) -> None:
        with self.connection.transaction(), self.connection.cursor() as cursor:
            for row in rows:
                cursor.execute(self._insert, row, prepare=True)

    def load(self, originator_id: Any, decode: Any = json.loads) -> list[Any]:
        with self.reader.cursor() as cursor:
            cursor.execute(self._select, (originator_id,), prepare=True)
            rows = cursor.fetchall()
        return [decode(bytes(row[3])) for row in rows]

    def close(self) -> None:
        self.connection.close()
        self.reader.close()


# --- P1 --------------------------------------------------------------------------------------------


@dataclass
class AppendSample:
    events: int
    engine: float
    raw: float


class TimedAppends:
    """Stands in for the service in a GrantScript: each command is loaded and decided untimed, then its
    events are saved by the service and their stored rows inserted raw, timed, alternating which goes first."""

    def __init__(self, service: GrantService, raw: Any, sqlite_ids: bool):
        self.service = service
        self.raw = raw
        self.sqlite_ids = sqlite_ids
        self.samples: list[AppendSample] = []

    def execute(self, command: c.Command):
        service = self.service
        grant = service._find(command.region_code)
        ctx = Context(service.regulation(), command.effective_at)
        if grant is None:
            grant, decision = Grant.pre_register(command, ctx)
        else:
            decision = grant.handle(command, ctx)
        pools = service._reserve(command, decision, ctx)
        pending = [e for aggregate in (grant, *pools) for e in aggregate.pending_events]
        stored = [service.mapper.to_stored_event(e) for e in pending]
        rows = [
            (s.originator_id.hex if self.sqlite_ids else s.originator_id, s.originator_version, s.topic, s.state)
            for s in stored
        ]

        def engine() -> float:
            start = clock()
            service.save(grant, *pools)
            return clock() - start

        def raw() -> float:
            start = clock()
            self.raw.append(rows)
            return clock() - start

        if len(self.samples) % 2:
            raw_time, engine_time = raw(), engine()
        else:
            engine_time, raw_time = engine(), raw()
        self.samples.append(AppendSample(len(rows), engine_time, raw_time))
        return service._repeated(service._find(command.region_code), command, fingerprint(command))


def p1_append(url: str, store: str, directory: Path, *, grants: int, repetitions: int) -> list[Figure]:
    service = open_service(url)
    raw = RawSQLite(directory / "raw-append.sqlite") if store == "sqlite" else RawPostgres(url)
    timed = TimedAppends(service, raw, sqlite_ids=store == "sqlite")
    per_rep: list[tuple[float, float, int]] = []
    index = 1
    for _ in range(repetitions):
        before = len(timed.samples)
        for _ in range(grants):
            script = GrantScript(timed, index=index, per_year=dict(SMALL_PER_YEAR))  # type: ignore[arg-type]
            index += 1
            full_life(script)
        samples = timed.samples[before:]
        events = sum(s.events for s in samples)
        per_rep.append((sum(s.engine for s in samples) / events, sum(s.raw for s in samples) / events, events))
    raw.close()
    ratios = [e / r for e, r, _ in per_rep]
    engine_us = median([e for e, _, _ in per_rep]) * 1e6
    raw_us = median([r for _, r, _ in per_rep]) * 1e6
    ratio = median(ratios)
    commands = len(timed.samples) // repetitions
    events = per_rep[0][2]
    figures = [
        Figure(
            id="P1", store=store,
            what=f"append: GrantService.save() of one command's events (encode + 1 transaction), per event; "
                 f"{commands} commands/{events} events of {grants} full grant lives x {repetitions}",
            engine=engine_us, baseline=raw_us, unit="µs/event", ratio=ratio, target="ratio ≤ 2.0", ok=ratio <= 2.0,
            baseline_what=f"raw {'sqlite3' if store == 'sqlite' else 'psycopg'}: same rows, INSERT per event, "
                          "1 transaction per command",
            samples={"ratio_per_repetition": ratios, "engine_us_per_repetition": [e * 1e6 for e, _, _ in per_rep],
                     "raw_us_per_repetition": [r * 1e6 for _, r, _ in per_rep]},
        )
    ]
    # information: the whole command (load + decide + append), as a worker's activity runs it
    executed: list[float] = []
    for _ in range(max(1, repetitions // 2)):
        script = GrantScript(_TimedExecute(service, executed), index=index, per_year=dict(SMALL_PER_YEAR))  # type: ignore[arg-type]
        index += 1
        full_life(script)
    figures.append(Figure(
        id="P1i", store=store, what="execute(): load + decide + append of one command (median over full lives)",
        engine=median(executed) * 1e3, baseline=None, unit="ms/command", target="", ok=None,
        samples={"commands": len(executed)},
    ))
    return figures


class _TimedExecute:
    def __init__(self, service: GrantService, into: list[float]):
        self.service = service
        self.into = into

    def execute(self, command: c.Command):
        start = clock()
        result = self.service.execute(command)
        self.into.append(clock() - start)
        return result


# --- P2 --------------------------------------------------------------------------------------------


def _long_grant(service: GrantService, index: int, events: int) -> str:
    """An approved grant that records hourly rate changes until it has `events` events."""
    script = GrantScript(service, index=index, per_year=dict(SMALL_PER_YEAR))
    script.to_approved()
    script.consequence("objection_period:1", at(2019, 8, 2))
    version = service.state(script.code).version
    moment = at(2022, 9, 2)
    for n in range(events - version):
        script.send(c.RecordHourlyRateChange, moment + dt.timedelta(minutes=n), rate_cents=6000 + n,
                    motivation="cao-verhoging")
    return script.code


def p2_load(url: str, store: str, *, grants: int, repetitions: int) -> list[Figure]:
    writer = open_service(url)
    lives = []
    for i in range(grants):
        script = GrantScript(writer, index=500 + i, per_year=dict(SMALL_PER_YEAR))
        full_life(script)
        lives.append(grant_id_for(script.code))
    long_id = grant_id_for(_long_grant(writer, 600, 99))
    snap_id = grant_id_for(_long_grant(writer, 601, 250))
    reader = open_service(url)  # a fresh process's view: no caches but the documents'
    if store == "sqlite":
        raw: Any = RawSQLiteReader(store_env(url)["SQLITE_DBNAME"])
    else:
        raw = RawPostgres(url)
    versions = {gid: reader.repository.get(gid).version for gid in [*lives, long_id, snap_id]}
    figures: list[Figure] = []

    def measure(ids: list[Any], *, cold: bool = False, passes: int | None = None) -> dict[str, list[float]]:
        """Per event, each sample `passes` loads of every grant in `ids`: by default as many as make the raw
        sample last SAMPLE_SECONDS (one pass of a few grants lasts a few ms, and then mostly measures how
        cold the caches were that the previous contestant left: see P2_ONE_PASS_NOTE)."""
        events = sum(versions[g] for g in ids)

        def engine() -> float:
            total = 0.0
            for _ in range(rounds):
                for gid in ids:
                    if cold and hasattr(domain_events, "_documents"):
                        domain_events._documents.values.clear()
                    start = clock()
                    reader.repository.get(gid)
                    total += clock() - start
            return total / (events * rounds)

        def raw_with(decode: Any) -> Callable[[], float]:
            def run() -> float:
                start = clock()
                for _ in range(rounds):
                    for gid in ids:
                        raw.load(gid, decode)
                return (clock() - start) / (events * rounds)
            return run

        if passes is None:  # one raw pass, timed, says how many make a sample
            start = clock()
            for gid in ids:
                raw.load(gid, typed_loads)
            passes = max(1, math.ceil(SAMPLE_SECONDS / (clock() - start)))
        rounds = passes
        return interleave({"engine": engine, "raw": raw_with(typed_loads), "raw_json": raw_with(json.loads),
                           "raw_orjson": raw_with(orjson.loads)}, repetitions)

    def figure(fid: str, what: str, results: dict[str, list[float]], target: bool,
               one_pass: dict[str, list[float]] | None = None) -> Figure:
        ratios = [e / r for e, r in zip(results["engine"], results["raw"])]
        ratio = median(ratios)

        def versus(key: str, of: dict[str, list[float]] = results) -> float:
            return median([e / r for e, r in zip(of["engine"], of[key])])

        notes = (f"vs json.loads alone (typed values left wrapped): {versus('raw_json'):.2f}x; "
                 f"vs orjson.loads alone: {versus('raw_orjson'):.2f}x")
        samples: dict[str, Any] = {"ratio_per_repetition": ratios, "ratio_vs_json_loads": versus("raw_json"),
                                   "raw_json_us": median(results["raw_json"]) * 1e6,
                                   "raw_orjson_us": median(results["raw_orjson"]) * 1e6}
        if one_pass:
            notes += f"; {P2_ONE_PASS_NOTE}: {versus('raw', one_pass):.2f}x"
            samples["ratio_one_pass"] = versus("raw", one_pass)
        return Figure(
            id=fid, store=store, what=what, engine=median(results["engine"]) * 1e6,
            baseline=median(results["raw"]) * 1e6, unit="µs/event", ratio=ratio,
            target="ratio ≤ 1.5" if target else "", ok=(ratio <= 1.5) if target else None,
            baseline_what="SELECT the grant's rows + decode each state (json.loads reviving its typed values)",
            notes=notes, samples=samples,
        )

    life_events = versions[lives[0]]
    figures.append(figure("P2", f"load: repository.get() of a full-life grant ({life_events} events), per event",
                          measure(lives), True, one_pass=measure(lives, passes=1)))
    figures.append(figure("P2c", "load, first in a process (validated-documents cache cleared each time)",
                          measure(lives, cold=True), False))
    figures.append(figure("P2l", "load: a grant of 99 events (no snapshot yet), per event", measure([long_id]), False))

    # snapshots: a 250-event grant has one at 200; compare with replaying all 250 and with the raw read
    def snap_engine() -> float:
        start = clock()
        reader.repository.get(snap_id)
        return clock() - start

    def full_replay() -> float:
        start = clock()
        project(None, reader.events.get(snap_id))
        return clock() - start

    def raw_all() -> float:
        start = clock()
        raw.load(snap_id)
        return clock() - start

    snaps = interleave({"snapshot": snap_engine, "replay": full_replay, "raw": raw_all}, repetitions * 2)
    snapshot_ms, replay_ms, raw_ms = (median(snaps[k]) * 1e3 for k in ("snapshot", "replay", "raw"))
    figures.append(Figure(
        id="P2s", store=store,
        what="load with snapshots: a 250-event grant (snapshot at 200 + 50 events)",
        engine=snapshot_ms, baseline=raw_ms, unit="ms/load", ratio=time_ratio(snapshot_ms, raw_ms),
        baseline_what="SELECT + json.loads of all 250 rows", target="", ok=None,
        notes=f"replaying all 250 events instead: {replay_ms:.2f} ms",
        samples={"replay_ms": replay_ms},
    ))
    raw.close()
    return figures


# --- P3 --------------------------------------------------------------------------------------------


def build_log(url: str, grants: int) -> int:
    """`grants` scripted regions (six different lives) written through the service in memory, then copied
    record by record, in order, into the SQLite store at `url`: the same rows the service writes, made faster."""
    memory = open_service("memory:")
    scripted_regions(memory, grants, per_year=dict(TINY_PER_YEAR))
    return copy_into_sqlite(memory, url)


def p3_rebuild(url: str, *, grants: int, repetitions: int) -> list[Figure]:
    from adapters.read_side.follower import BATCH_SIZE, ProjectionFollower
    from adapters.read_side.database import open_view_database
    from adapters.read_side.tables import ViewStore

    built = clock()
    count = build_log(url, grants)
    built = clock() - built
    service = open_service(url)
    follower = ProjectionFollower(service, ViewStore(open_view_database(url)))
    path = store_env(url)["SQLITE_DBNAME"]

    def engine() -> float:
        report = follower.rebuild()
        assert report.notifications == count, (report.notifications, count)
        return report.notifications / report.seconds

    def raw() -> float:
        connection = sqlite3.connect(path, isolation_level=None)
        start = clock()
        position, read = 0, 0
        loads = json.loads
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
        return read / seconds

    results = interleave({"engine": engine, "raw": raw}, repetitions)
    follower.close()
    rate, raw_rate = median(results["engine"]), median(results["raw"])
    return [Figure(
        id="P3", store="sqlite",
        what=f"projection rebuild from zero: {count:,} events of {grants:,} grants (read, decode, project, write views)",
        engine=rate, baseline=raw_rate, unit="events/s", ratio=raw_rate / rate if rate else None,
        target="≥ 50,000/s", ok=rate >= 50_000,
        baseline_what=f"raw read + json.loads of the same rows in batches of {BATCH_SIZE}",
        notes=f"store built in {built:.1f} s",
        samples={"engine_rates": results["engine"], "raw_rates": results["raw"]},
    )]
