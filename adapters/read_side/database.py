"""Where the read models live, and one connection to them.

- SQLite store `var/sto.sqlite` -> views in `var/sto.views.sqlite` next to it (a separate file, so building
  views never holds the event store's write lock);
- PostgreSQL -> the same database and schema as the events;
- `memory:` -> an in-memory SQLite database (tests, dry runs).

SQL is written once with `?` placeholders; `sql()` adapts it to the dialect.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from adapters.event_store.store import postgres_conninfo, store_env


def views_path(events_path: str | Path) -> Path:
    """`var/sto.sqlite` -> `var/sto.views.sqlite`."""
    path = Path(events_path)
    return path.with_name(f"{path.stem}.views{path.suffix or '.sqlite'}")


class ViewDatabase:
    """A connection to the views with explicit, write-locking transactions."""

    def __init__(self, connection: Any, dialect: str, where: str):
        self.connection = connection
        self.dialect = dialect  # "sqlite" or "postgres"
        self.where = where

    @property
    def refusals(self) -> tuple[type[BaseException], ...]:
        """The errors with which this database refuses the values it is given (a number out of range, a type
        it cannot bind, a NUL in PostgreSQL text, a missing NOT NULL value), as opposed to being unavailable
        (locked, disconnected: those are sqlite3.OperationalError and psycopg.OperationalError, not listed)."""
        given = (OverflowError, TypeError, ValueError)  # Python's side: binding, encoding (orjson's errors too)
        if self.dialect == "postgres":
            import psycopg

            return (*given, psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError)
        return (*given, sqlite3.DataError, sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError)

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.connection.execute(self.sql(statement), params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.dialect == "postgres":
            with self.connection.cursor() as cursor:
                cursor.executemany(self.sql(statement), rows)
        else:
            self.connection.executemany(statement, rows)

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.execute(statement, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator["ViewDatabase"]:
        """One transaction that holds the write lock from its start (SQLite: BEGIN IMMEDIATE)."""
        if self.dialect == "postgres":
            with self.connection.transaction():
                yield self
            return
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    @contextmanager
    def long_writes(self) -> Iterator[None]:
        """Settings for a long catch-up (a rebuild from zero), put back after it. SQLite: a page cache of 256 MB
        (the default 2 MB holds a few thousand of 100,000 grant rows, so each batch's upserts read their pages
        from the file again) and the index builds at its end sorted in memory. Durability stays as it is
        (WAL, synchronous=NORMAL): a rebuild stopped half way resumes from its last batch, in a sound file."""
        if self.dialect != "sqlite":
            yield
            return
        pragmas = {"cache_size": -262_144, "temp_store": 2}  # KiB when negative; 2 = MEMORY
        before = {name: self.connection.execute(f"PRAGMA {name}").fetchone()[0] for name in pragmas}
        for name, value in pragmas.items():
            self.connection.execute(f"PRAGMA {name} = {value}")
        try:
            yield
        finally:
            for name, value in before.items():
                self.connection.execute(f"PRAGMA {name} = {value}")

    def close(self) -> None:
        self.connection.close()


def open_view_database(url: str | None = None) -> ViewDatabase:
    """The views of the store at `url` (STO_DATABASE_URL when None)."""
    env = store_env(url)
    module = env["PERSISTENCE_MODULE"]
    if module.endswith("postgres"):
        import psycopg
        from psycopg import sql

        connection = psycopg.connect(postgres_conninfo(env), autocommit=True)
        schema = env.get("POSTGRES_SCHEMA", "public")
        connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        where = f"PostgreSQL {env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']} schema {schema}"
        return ViewDatabase(connection, "postgres", where)
    if module.endswith("sqlite"):
        path = views_path(env["SQLITE_DBNAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # atomic; views are rebuildable, so no fsync per batch
        return ViewDatabase(connection, "sqlite", f"SQLite {path}")
    connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    return ViewDatabase(connection, "sqlite", "in memory")
