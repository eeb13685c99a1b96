"""The event store's database as the audit chain reads it (SQLite or PostgreSQL). Standard library + driver."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, unquote, urlparse

from adapters.audit.hashing import BEFORE_ANY, CHAIN_TABLE, PAGE
from adapters.event_store.sealing import POSTGRES_EVENTS, SEAL_TABLE, SQLITE_EVENTS


class ChainDatabase:
    """The event table, the seal table and the chain table in one database (SQLite file or PostgreSQL schema)."""

    def __init__(self, connection: Any, dialect: str, events_table: str, location: str | None = None):
        self.connection = connection
        self.dialect = dialect
        self.events_table = events_table
        self.location = location  # which store, without secrets (sqlite:///ABSOLUTE/PATH, postgresql://HOST:PORT/DB?schema=S)
        self.position = "rowid" if dialect == "sqlite" else "notification_id"
        self._sealed: bool | None = None

    def q(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    def execute(self, statement: str, params: tuple = ()) -> Any:
        return self.connection.execute(self.q(statement), params)

    def table_exists(self, name: str) -> bool:
        if self.dialect == "sqlite":
            found = self.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
            return found.fetchone() is not None
        return self.execute("SELECT to_regclass(?)", (name,)).fetchone()[0] is not None

    def exists(self) -> bool:
        return self.table_exists(CHAIN_TABLE)

    def sealed(self) -> bool:
        """Whether the store has a seal table (a store written before seals existed has none)."""
        if not self._sealed:
            self._sealed = self.table_exists(SEAL_TABLE)
        return self._sealed

    def create(self) -> None:
        if self.exists():
            return
        self.execute(
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (seq BIGINT PRIMARY KEY, notification_id BIGINT NOT NULL "
            "UNIQUE, content_hash TEXT NOT NULL, chain_hash TEXT NOT NULL, chained_at TEXT NOT NULL)"
        )
        if self.dialect == "sqlite":
            for action in ("UPDATE", "DELETE"):
                self.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {CHAIN_TABLE}_no_{action.lower()} BEFORE {action} ON {CHAIN_TABLE} "
                    f"BEGIN SELECT RAISE(ABORT, '{CHAIN_TABLE} is append-only'); END"
                )
        else:
            self.execute(
                f"CREATE OR REPLACE FUNCTION {CHAIN_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{CHAIN_TABLE} is append-only'; END $$"
            )
            self.execute(
                f"CREATE OR REPLACE TRIGGER {CHAIN_TABLE}_append_only BEFORE UPDATE OR DELETE ON {CHAIN_TABLE} "
                f"FOR EACH ROW EXECUTE FUNCTION {CHAIN_TABLE}_append_only()"
            )

    def _select_events(self, bounded: bool) -> str:
        """Records after a position (and up to one, if bounded), each with its seal (None without one)."""
        position = f"e.{self.position}"
        seal, join = ("s.content_hash", f" LEFT JOIN {SEAL_TABLE} s ON s.notification_id = {position}") if self.sealed() else ("NULL", "")
        return (
            f"SELECT {position}, e.originator_id, e.originator_version, e.topic, e.state, {seal} "
            f"FROM {self.events_table} e{join} WHERE {position} > ?{f' AND {position} <= ?' if bounded else ''} "
            f"ORDER BY {position} LIMIT ?"
        )

    def events(self, after: int = BEFORE_ANY, up_to: int | None = None) -> Iterator[tuple]:
        """Every stored record after position `after` (up to `up_to`), in position order, page by page:
        (position, originator id, version, topic, state, sealed content hash or None)."""
        if up_to is None:
            return
        statement = self._select_events(bounded=True)
        while True:
            rows = self.execute(statement, (after, up_to, PAGE)).fetchall()
            yield from rows
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

    def events_after(self, after: int) -> list[tuple]:
        return self.execute(self._select_events(bounded=False), (after, PAGE)).fetchall()

    def last_position(self) -> int | None:
        """The last position of a record or a seal: both are committed together, so every record and seal
        up to it is there (a record deleted at the end of the log still has its seal)."""
        last = f"(SELECT MAX({self.position}) FROM {self.events_table})"
        if self.sealed():
            row = self.execute(f"SELECT {last}, (SELECT MAX(notification_id) FROM {SEAL_TABLE})").fetchone()
        else:
            row = self.execute(f"SELECT {last}, NULL").fetchone()
        known = [value for value in row if value is not None]
        return max(known) if known else None

    def first_orphan_seal(self, up_to: int | None) -> int | None:
        """The first seal, up to `up_to`, whose record is no longer in the store."""
        if up_to is None or not self.sealed():
            return None
        row = self.execute(
            f"SELECT s.notification_id FROM {SEAL_TABLE} s WHERE s.notification_id <= ? AND NOT EXISTS "
            f"(SELECT 1 FROM {self.events_table} e WHERE e.{self.position} = s.notification_id) "
            "ORDER BY s.notification_id LIMIT 1",
            (up_to,),
        ).fetchone()
        return row[0] if row else None

    def chain(self) -> Iterator[tuple]:
        after = 0
        while True:
            rows = self.execute(
                f"SELECT seq, notification_id, content_hash, chain_hash FROM {CHAIN_TABLE} WHERE seq > ? "
                "ORDER BY seq LIMIT ?",
                (after, PAGE),
            ).fetchall()
            yield from rows
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

    def head(self) -> tuple | None:
        return self.execute(
            f"SELECT seq, notification_id, content_hash, chain_hash FROM {CHAIN_TABLE} ORDER BY seq DESC LIMIT 1"
        ).fetchone()

    def chained_elsewhere(self, content: str, notification_id: int) -> int | None:
        row = self.execute(
            f"SELECT notification_id FROM {CHAIN_TABLE} WHERE content_hash = ? AND notification_id <> ? "
            "ORDER BY seq LIMIT 1",
            (content, notification_id),
        ).fetchone()
        return row[0] if row else None

    def sealed_elsewhere(self, content: str, notification_id: int) -> int | None:
        if not self.sealed():
            return None
        row = self.execute(
            f"SELECT notification_id FROM {SEAL_TABLE} WHERE content_hash = ? AND notification_id <> ? "
            "ORDER BY notification_id LIMIT 1",
            (content, notification_id),
        ).fetchone()
        return row[0] if row else None

    def begin(self) -> None:
        if self.dialect == "sqlite":
            self.connection.execute("BEGIN IMMEDIATE")
        else:
            self.connection.execute("BEGIN")
            self.connection.execute(f"LOCK TABLE {CHAIN_TABLE} IN EXCLUSIVE MODE")

    def commit(self) -> None:
        self.connection.execute("COMMIT")

    def rollback(self) -> None:
        self.connection.execute("ROLLBACK")

    def close(self) -> None:
        self.connection.close()


# --- extending and verifying -----------------------------------------------------------------


def open_sqlite(path: str, events_table: str = SQLITE_EVENTS) -> ChainDatabase:
    if not Path(path).is_file():
        raise FileNotFoundError(f"no event store at {path}: give the store's file (as in STO_DATABASE_URL)")
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    return ChainDatabase(connection, "sqlite", events_table, f"sqlite:///{Path(path).resolve()}")


def open_postgres(conninfo: str, schema: str = "public", events_table: str = POSTGRES_EVENTS) -> ChainDatabase:
    import psycopg
    from psycopg import sql

    connection = psycopg.connect(conninfo, autocommit=True)
    connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    info = connection.info
    return ChainDatabase(connection, "postgres", events_table, f"postgresql://{info.host}:{info.port}/{info.dbname}?schema={schema}")


def open_url(url: str) -> ChainDatabase:
    """sqlite:///PATH or postgresql://USER[:PW]@HOST[:PORT]/DB[?schema=S] (the STO_DATABASE_URL forms)."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return open_sqlite(unquote(url[len("sqlite:///"):]))
    if parsed.scheme in ("postgresql", "postgres"):
        conninfo = (
            f"host={parsed.hostname or '127.0.0.1'} port={parsed.port or 5432} dbname={unquote(parsed.path.strip('/'))} "
            f"user={unquote(parsed.username or 'postgres')} password={unquote(parsed.password or '')}"
        )
        schema = (parse_qs(parsed.query).get("schema") or ["public"])[0]
        return open_postgres(conninfo, schema)
    raise ValueError(f"{url!r}: give sqlite:///PATH or postgresql://USER@HOST:PORT/DB[?schema=S]")
