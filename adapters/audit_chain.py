"""A hash chain over every stored event, so that an auditor can tell the log was not altered.

Self-contained on purpose: only the standard library and sqlite3 / psycopg, no domain classes, so an auditor
can read (or rewrite in another language) the whole check without trusting the application.

The chain lives in the table `audit_chain` of the event store's own database, one row per stored event:

    seq             1, 2, 3, ...: the order of chaining
    notification_id the stored record's position (SQLite rowid, PostgreSQL notification_id)
    content_hash    sha256 over the record's content: originator id, version, topic and state bytes
    chain_hash      sha256 over the previous chain_hash, the notification id and content_hash
    chained_at      when the row was added (UTC, ISO 8601)

Every field is hashed with an 8-byte big-endian length in front of it (so no two records can collide by
moving bytes between fields); originator ids as lowercase hex without dashes; numbers as decimal ASCII;
the first record's previous hash is 64 zeros. Hashes are lowercase hex.

`verify` walks the events in position order next to the chain and names the first record that was edited,
deleted, inserted or reordered (or a chain row that was altered). The chain is append-only: `extend` only
ever adds records after the head and never re-hashes chained ones; `verify` extends only an intact chain.
Whoever can rewrite both the events and the whole chain can hide a change: anchor the head (printed by
`sto audit verify --json`) somewhere else, and check it later with `--anchor`.

Standalone: `python -m adapters.audit_chain sqlite:///var/sto.sqlite [--no-extend] [--anchor HASH]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sqlite3
import sys
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, unquote, urlparse

GENESIS = "0" * 64
CHAIN_TABLE = "audit_chain"
PAGE = 5000
SQLITE_EVENTS = "stored_events"  # eventsourcing's SQLite table
POSTGRES_EVENTS = "sto_events"  # eventsourcing's PostgreSQL table for the application named "sto"


# --- hashing ---------------------------------------------------------------------------------


def _field(h: Any, part: bytes) -> None:
    h.update(len(part).to_bytes(8, "big"))
    h.update(part)


def _originator(value: Any) -> bytes:
    text = str(value)
    try:
        return uuid.UUID(text).hex.encode()
    except ValueError:
        return text.encode()


def content_hash(originator_id: Any, originator_version: int, topic: str, state: bytes | str) -> str:
    h = hashlib.sha256()
    _field(h, _originator(originator_id))
    _field(h, str(int(originator_version)).encode())
    _field(h, topic.encode())
    _field(h, state.encode() if isinstance(state, str) else bytes(state))
    return h.hexdigest()


def chain_hash(previous: str, notification_id: int, content: str) -> str:
    h = hashlib.sha256()
    _field(h, bytes.fromhex(previous))
    _field(h, str(int(notification_id)).encode())
    _field(h, bytes.fromhex(content))
    return h.hexdigest()


# --- the two tables --------------------------------------------------------------------------


class ChainDatabase:
    """The event table and the chain table in one database (SQLite file or PostgreSQL schema)."""

    def __init__(self, connection: Any, dialect: str, events_table: str):
        self.connection = connection
        self.dialect = dialect
        self.events_table = events_table
        position = "rowid" if dialect == "sqlite" else "notification_id"
        self._events_after = (
            f"SELECT {position}, originator_id, originator_version, topic, state FROM {events_table} "
            f"WHERE {position} > ? ORDER BY {position} LIMIT ?"
        )

    def q(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    def execute(self, statement: str, params: tuple = ()) -> Any:
        return self.connection.execute(self.q(statement), params)

    def exists(self) -> bool:
        if self.dialect == "sqlite":
            found = self.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (CHAIN_TABLE,))
            return found.fetchone() is not None
        return self.execute("SELECT to_regclass(?)", (CHAIN_TABLE,)).fetchone()[0] is not None

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

    def events(self, after: int = -(2**62)) -> Iterator[tuple]:
        """Every stored record after position `after`, in position order, page by page."""
        while True:
            rows = self.execute(self._events_after, (after, PAGE)).fetchall()
            yield from rows
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

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


@dataclass
class Problem:
    kind: str  # edited | deleted | inserted | reordered | chain_altered | anchor_missing
    notification_id: int | None
    message: str


@dataclass
class ChainReport:
    ok: bool
    records: int = 0  # stored records seen
    checked: int = 0  # chained records checked against the store
    newly_chained: int = 0
    unchained: int = 0  # records after the head still without a chain row
    head: dict[str, Any] | None = None
    problem: Problem | None = None
    anchor: dict[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _head_view(row: tuple | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"seq": row[0], "notification_id": row[1], "hash": row[3]}


def extend(db: ChainDatabase) -> int:
    """Chain every record after the head; never touches a chained record. Returns how many were chained."""
    db.create()
    added = 0
    while True:
        db.begin()
        try:
            head = db.head()
            seq, last, previous = (head[0], head[1], head[3]) if head else (0, -(2**62), GENESIS)
            rows = db.execute(db._events_after, (last, PAGE)).fetchall()
            now = dt.datetime.now(dt.timezone.utc).isoformat()
            links = []
            for notification_id, originator_id, version, topic, state in rows:
                seq += 1
                content = content_hash(originator_id, version, topic, state)
                previous = chain_hash(previous, notification_id, content)
                links.append((seq, notification_id, content, previous, now))
            if links:
                statement = db.q(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?, ?, ?)")
                if db.dialect == "sqlite":
                    db.connection.executemany(statement, links)
                else:
                    with db.connection.cursor() as cursor:
                        cursor.executemany(statement, links)
            db.commit()
        except BaseException:
            db.rollback()
            raise
        added += len(links)
        if len(rows) < PAGE:
            return added


def verify(db: ChainDatabase, *, extend_chain: bool = True, anchor: str | None = None) -> ChainReport:
    """Check every chained record against the store; then (if intact) chain the records after the head."""
    db.create()
    report = ChainReport(ok=True)
    events = db.events()
    previous = GENESIS
    expected_seq = 1
    anchor_seen = anchor is None
    event = next(events, None)

    def fail(kind: str, notification_id: int | None, message: str) -> ChainReport:
        report.ok = False
        report.problem = Problem(kind, notification_id, message)
        report.head = _head_view(db.head())
        return report

    for seq, chained_id, chained_content, chained_link in db.chain():
        if seq != expected_seq or chain_hash(previous, chained_id, chained_content) != chained_link:
            return fail(
                "chain_altered", chained_id,
                f"chain row {seq} (record {chained_id}) does not follow from the row before it: the chain table "
                "itself was altered; compare it with an anchored head and a backup",
            )
        if event is None or event[0] > chained_id:
            return fail(
                "deleted", chained_id,
                f"record {chained_id} was chained but is no longer in the store: it was deleted (or renumbered)",
            )
        if event[0] < chained_id:
            return fail(
                "inserted", event[0],
                f"record {event[0]} is in the store but not in the chain, before chained record {chained_id}: "
                "it was inserted",
            )
        content = content_hash(*event[1:])
        if content != chained_content:
            origin = db.chained_elsewhere(content, chained_id)
            if origin is not None:
                return fail(
                    "reordered", chained_id,
                    f"record {chained_id} holds the content that was chained as record {origin}: records were "
                    "reordered",
                )
            return fail(
                "edited", chained_id,
                f"record {chained_id} ({event[3]}, version {event[2]} of {event[1]}) differs from what was chained: "
                "it was edited",
            )
        report.checked += 1
        anchor_seen = anchor_seen or chained_link == anchor
        previous = chained_link
        expected_seq += 1
        event = next(events, None)
    if not anchor_seen:
        return fail(
            "anchor_missing", None,
            f"the anchored head {anchor} is not in the chain: the chain was rewritten or cut back",
        )
    unchained = 0 if event is None else 1 + sum(1 for _ in events)
    report.records = report.checked + unchained
    report.unchained = unchained
    if extend_chain:
        report.newly_chained = extend(db)
        report.unchained = max(0, unchained - report.newly_chained)
    report.head = _head_view(db.head())
    if anchor is not None:
        report.anchor = {"hash": anchor, "found": True}
    return report


# --- opening ---------------------------------------------------------------------------------


def open_sqlite(path: str, events_table: str = SQLITE_EVENTS) -> ChainDatabase:
    if not Path(path).is_file():
        raise FileNotFoundError(f"no event store at {path}: give the store's file (as in STO_DATABASE_URL)")
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    return ChainDatabase(connection, "sqlite", events_table)


def open_postgres(conninfo: str, schema: str = "public", events_table: str = POSTGRES_EVENTS) -> ChainDatabase:
    import psycopg
    from psycopg import sql

    connection = psycopg.connect(conninfo, autocommit=True)
    connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    return ChainDatabase(connection, "postgres", events_table)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify the STO event store's hash chain.")
    parser.add_argument("url", help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB[?schema=S]")
    parser.add_argument("--no-extend", action="store_true", help="only check; chain no new records")
    parser.add_argument("--anchor", help="a chain head hash recorded earlier, that must still be in the chain")
    args = parser.parse_args(argv)
    try:
        db = open_url(args.url)
        try:
            report = verify(db, extend_chain=not args.no_extend, anchor=args.anchor)
        finally:
            db.close()
    except (OSError, ValueError, sqlite3.Error) as error:
        print(f"cannot verify: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(), indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
