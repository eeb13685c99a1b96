"""Tables of our own beside the events, in the store's own database: what must outlive a rebuild of the views.

The calendar secrets and the webhook subscriptions with their deliveries are not grant events and not read
models either: deleting the views file must not lose them. They live where the API tokens live
(adapters/operators/tokens.py): the SQLite file of the events, or the PostgreSQL schema; the in-memory store
keeps them for the life of the process.

SQL is written once with `?` placeholders; `execute` adapts it to the dialect.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from adapters.event_store.store import database_url, ensure_postgres_schema, postgres_conninfo, store_env


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


class SideTables:
    """Connections to the store's own database (STO_DATABASE_URL when `url` is None), with the given DDL run once."""

    def __init__(self, url: str | None, ddl: Sequence[str]):
        self.url = database_url(url)
        env = store_env(self.url)
        module = env["PERSISTENCE_MODULE"]
        self.dialect = "postgres" if module.endswith("postgres") else "sqlite"
        self._lock = threading.RLock()
        self._shared: Any = None  # the in-memory store's one connection
        self._pg: Any = None  # PostgreSQL: one autocommit connection, used under the lock
        if module.endswith("postgres"):
            if env.get("POSTGRES_SCHEMA"):
                ensure_postgres_schema(env)
            self._conninfo = postgres_conninfo(env)
            self._schema = env.get("POSTGRES_SCHEMA", "public")
        elif module.endswith("sqlite"):
            self._path = env["SQLITE_DBNAME"]
        else:
            self._shared = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        with self.connection() as conn:
            for statement in ddl:
                self.execute(conn, statement)

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """SQLite: a connection per use (thread-safe, next to the event store's own); PostgreSQL: one, locked."""
        if self._shared is not None:
            with self._lock:
                yield self._shared
            return
        if self.dialect == "sqlite":
            conn = sqlite3.connect(self._path, isolation_level=None, timeout=30)
            try:
                yield conn
            finally:
                conn.close()
            return
        with self._lock:
            if self._pg is None or self._pg.closed or self._pg.broken:
                import psycopg
                from psycopg import sql

                self._pg = psycopg.connect(self._conninfo, autocommit=True)
                self._pg.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self._schema)))
            yield self._pg

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One transaction (SQLite: BEGIN IMMEDIATE, so it holds the write lock from its start)."""
        with self.connection() as conn:
            if self.dialect == "postgres":
                with conn.transaction():
                    yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def execute(self, conn: Any, statement: str, params: Sequence[Any] = ()) -> Any:
        if self.dialect == "postgres":
            statement = statement.replace("?", "%s")
        return conn.execute(statement, tuple(params))

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.connection() as conn:
            cursor = self.execute(conn, statement, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def run(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Execute one statement in its own transaction; the number of rows it changed."""
        with self.connection() as conn:
            return self.execute(conn, statement, params).rowcount

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
        if self._pg is not None:
            self._pg.close()
