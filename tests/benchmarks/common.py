"""What every benchmark shares: figures, interleaved timing, medians, scratch stores.

Machines here are shared and noisy, so every figure is a ratio to a raw baseline measured in the same run,
interleaved with the engine (A B B A ...) so that a slow spell hits both, and reported as a median.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("STO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Figure:
    """One line of the table: the engine's figure, the baseline's, their ratio, and the target."""

    id: str  # "P1", "P2b", ...
    store: str  # "sqlite", "postgres", "temporal", "-"
    what: str  # precisely what was measured
    engine: float | None
    baseline: float | None
    unit: str
    target: str = ""  # "ratio <= 2.0", ">= 50000/s", "< 60 s", "" (for information)
    ok: bool | None = None  # None: no target
    ratio: float | None = None  # engine / baseline (time) or baseline / engine (rate): >1 means slower
    baseline_what: str = ""
    notes: str = ""
    samples: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def time_ratio(engine: float, baseline: float) -> float:
    return engine / baseline if baseline else float("nan")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(p / 100 * len(ordered) + 0.5))))
    return ordered[rank - 1]


def interleave(runs: dict[str, Callable[[], float]], repetitions: int) -> dict[str, list[float]]:
    """Run each callable `repetitions` times, alternating their order (ABBA...); each returns its own measure."""
    names = list(runs)
    results: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repetitions):
        order = names if rep % 2 == 0 else list(reversed(names))
        for name in order:
            results[name].append(runs[name]())
    return results


def clock() -> float:
    return time.perf_counter()


@contextmanager
def scratch_directory(prefix: str = "sto-bench-") -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def postgres_problem() -> str | None:
    try:
        import psycopg

        from adapters.event_store.store import postgres_conninfo, store_env

        with psycopg.connect(postgres_conninfo(store_env(POSTGRES_URL)), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"{type(exc).__name__}: {exc}"
    return None


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A throwaway schema in the test database, dropped afterwards: yields its store URL."""
    import psycopg

    from adapters.event_store.store import postgres_conninfo, store_env

    schema = f"sto_bench_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with psycopg.connect(postgres_conninfo(store_env(POSTGRES_URL)), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def copy_into_sqlite(memory: Any, url: str) -> int:
    """Copy every record of an in-memory service, in order, into the (new) SQLite store at `url`, in one
    transaction: the rows the service writes, without a transaction per command (but for its installation facts:
    the new store records its own). Returns how many records the store then holds."""
    import sqlite3

    from adapters.event_store.store import open_service, store_env

    open_service(url).close()  # the tables, and the new store's own installation facts
    connection = sqlite3.connect(store_env(url)["SQLITE_DBNAME"], isolation_level=None)
    present = {row[0] for row in connection.execute("SELECT DISTINCT originator_id FROM stored_events")}
    connection.execute("BEGIN")
    start, copied = 1, 0
    while True:
        batch = memory.recorder.select_notifications(start, 5000)
        if not batch:
            break
        rows = [(n.originator_id.hex, n.originator_version, n.topic, n.state) for n in batch
                if n.originator_id.hex not in present]  # the memory's installation facts: the store has its own
        connection.executemany(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)", rows)
        copied += len(rows)
        start = batch[-1].id + 1
    connection.execute("COMMIT")
    total = connection.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    connection.close()
    return total


def rss_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in KiB, from /proc (0, 0 when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)
