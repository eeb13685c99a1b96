"""The demo's store is thrown away when the next demo starts: its SQLite commits may skip the fsync.

SQLite in WAL mode with `synchronous=NORMAL` keeps every commit when a process dies and loses at most the last ones
when the machine loses power (https://www.sqlite.org/pragma.html#pragma_synchronous); the store the engine runs on
keeps SQLite's default (FULL), which this module never touches. Only the demo's own store: the demo's process relaxes
the connections of its own service (`relax_service`), and the demo's helper worker processes, which serve nothing but
the demo's store, start through `python -m adapters.cli.demo_worker worker ...` (`sto worker` with every SQLite
connection of that process relaxed). Measured on the demo: 7–11 % of its wall time on a quieter machine; on
2026-12-07 at load 5–12, 161–180 s without it, 156–161 s with it (about 7 %), the system time 22–24 s down to 20.5 s.
"""

from __future__ import annotations

from typing import Any

RELAXED = "PRAGMA synchronous=NORMAL"


def _relax(connection: Any) -> Any:
    connection._sqlite_conn.execute(RELAXED)
    return connection


def relax_service(service: Any) -> bool:
    """The SQLite connections of this service, those it has and those it makes, commit without an fsync each;
    False (nothing done) when the service is not on SQLite."""
    pool = getattr(getattr(service.recorder, "datastore", None), "pool", None)
    if pool is None or type(pool).__name__ != "SQLiteConnectionPool" or pool.is_sqlite_memory_mode:
        return False
    create = pool._create_connection
    pool._create_connection = lambda: _relax(create())  # this pool's only: other stores keep their durability
    for connection in list(pool._pool):  # made when the tables were created; called before anything else runs
        _relax(connection)
    return True


def relax_every_sqlite_connection() -> None:
    """Every SQLite connection this process makes from now on: only for a process that serves nothing but the
    demo's throwaway store (adapters/cli/demo_worker.py)."""
    from eventsourcing.sqlite import SQLiteConnectionPool

    create = SQLiteConnectionPool._create_connection
    SQLiteConnectionPool._create_connection = lambda self: _relax(create(self))  # type: ignore[method-assign]
