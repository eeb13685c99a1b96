"""A hash chain over every stored event, so that an auditor can tell the log was not altered.

Self-contained on purpose: only the standard library and sqlite3 / psycopg, no domain classes, so an auditor
can read (or rewrite in another language) the whole check without trusting the application.

Two tables in the event store's own database. `audit_sealed`, one row per stored record, is written by the
store's recorder in the same transaction that stores the record (adapters/sqlite_recorder.py,
adapters/postgres_recorder.py), so a record's content is fixed the moment it is committed:

    notification_id the stored record's position (SQLite rowid, PostgreSQL notification_id)
    content_hash    the record's content hash (below), as the recorder stored it

`audit_chain`, one row per chained record, is extended later, on reads and by `verify`:

    seq             1, 2, 3, ...: the order of chaining
    notification_id the stored record's position
    content_hash    the record's sealed content hash; for a record without a seal, the hash of its content
                    when it was chained
    chain_hash      sha256 over the previous chain_hash, the notification id and content_hash
    chained_at      when the row was added (UTC, ISO 8601)

content_hash = sha256 over the originator id, version, topic and state bytes of the record; chain_hash =
sha256 over the previous chain_hash, the notification id and the content_hash. Every field is hashed with an
8-byte big-endian length in front of it (so no two records can collide by moving bytes between fields);
originator ids as lowercase hex without dashes; numbers as decimal ASCII; hashes (the previous chain hash and
the content hash) as their 32 raw bytes; the first record's previous hash is 64 zeros. Hashes are stored as
lowercase hex. Both tables are append-only (triggers refuse UPDATE and DELETE).

`verify` walks the events in position order next to the chain and the seals and names the first record
that was edited, deleted, inserted or reordered (or a chain row that was altered): a chained record is
checked against its chain row (and the chain row against the record's seal), a record not yet chained
against its seal, so an edit made right after the record was stored, before any catch-up chained it, is
named as well (`edited`), and chaining it does not bless it (`extend` chains the sealed hash, not the
edited content). A seal without its record names a deleted record; once one record is sealed, a later
record without a seal was written around the recorder (`unsealed`). Stores written before seals existed
(and records stored before the first sealed one) have no seals: those records are chained, and checked, as
before, by the hash of their content when they were first chained. The chain is append-only: `extend` only
ever adds records after the head and never re-hashes chained ones; `verify` extends only an intact store.
Whoever can rewrite the events and their seals, or the whole chain, can hide a change from these checks:
so the head is published where the store's writer cannot rewrite it (`sto audit anchor`, adapters/audit_anchor.py:
a line in an append-only file outside the store and a mail to the auditors), and checked later with `--anchors
FILE` (or one head with `--anchor HASH`).

A published head is one JSON object per line of the anchors file: `seq`, `notification_id` and `hash` (the chain
row's chain_hash), with `anchored_at` (UTC), `business_time` and `store` (which store, without secrets) for
people. `check_anchors` recomputes the chain from the records in the store as they are now, record by record in
position order, from neither the chain table nor the seals, and compares it at each published head's seq with the
published hash (and position): the first head that no longer matches is named, with both hashes, and the last
one that still matches, so the change lies between the two. An intruder who rewrote a record, its seal and the
whole chain consistently is named all the same, since no one can make the recomputed hash equal to one published
before the change. Every head in the file is checked: keep one anchors file per store.

Standalone: `python -m adapters.audit_chain sqlite:///var/sto.sqlite [--no-extend] [--anchor HASH] [--anchors FILE]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sqlite3
import struct
import sys
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, unquote, urlparse

GENESIS = "0" * 64
CHAIN_TABLE = "audit_chain"
SEAL_TABLE = "audit_sealed"
PAGE = 5000
SQLITE_EVENTS = "stored_events"  # eventsourcing's SQLite table
POSTGRES_EVENTS = "sto_events"  # eventsourcing's PostgreSQL table for the application named "sto"
BEFORE_ANY = -(2**62)


# --- hashing ---------------------------------------------------------------------------------


_LENGTH = struct.Struct(">Q").pack  # a field's length: 8 bytes, big-endian


def _originator(value: Any) -> bytes:
    if type(value) is uuid.UUID:
        return value.hex.encode()
    text = str(value)
    try:
        return uuid.UUID(text).hex.encode()
    except ValueError:
        return text.encode()


def content_hash(originator_id: Any, originator_version: int, topic: str, state: bytes | str) -> str:
    """sha256 over the four fields of a stored record, each with its length in front (the recorders seal
    every record with this hash when they store it, so it is kept lean: one buffer, one sha256 call)."""
    originator = _originator(originator_id)
    version = b"%d" % int(originator_version)
    name = topic.encode()
    data = state if type(state) is bytes else state.encode() if isinstance(state, str) else bytes(state)
    return hashlib.sha256(
        b"".join((_LENGTH(len(originator)), originator, _LENGTH(len(version)), version,
                  _LENGTH(len(name)), name, _LENGTH(len(data)), data))
    ).hexdigest()


def chain_hash(previous: str, notification_id: int, content: str) -> str:
    """sha256 over the previous chain hash, the record's position and its content hash, each with its length
    in front (the hashes as their 32 raw bytes)."""
    fields = (bytes.fromhex(previous), b"%d" % int(notification_id), bytes.fromhex(content))
    return hashlib.sha256(b"".join(_LENGTH(len(part)) + part for part in fields)).hexdigest()


# --- the seal table (created by the store's recorder, written in its append transaction) -----


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def seal_table_ddl(dialect: str, schema: str | None = None) -> list[str]:
    """The statements that create the seal table and its append-only guard (each idempotent)."""
    prefix = f"{quote_identifier(schema)}." if schema else ""
    table = f"{prefix}{SEAL_TABLE}"
    if dialect == "sqlite":
        return [
            f"CREATE TABLE IF NOT EXISTS {table} (notification_id INTEGER PRIMARY KEY, content_hash TEXT NOT NULL)",
            *(
                f"CREATE TRIGGER IF NOT EXISTS {SEAL_TABLE}_no_{action.lower()} BEFORE {action} ON {SEAL_TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{SEAL_TABLE} is append-only'); END"
                for action in ("UPDATE", "DELETE")
            ),
        ]
    guard = f"{prefix}{SEAL_TABLE}_append_only"
    literal = table.replace("'", "''")
    return [
        f"CREATE TABLE IF NOT EXISTS {table} (notification_id BIGINT PRIMARY KEY, content_hash TEXT NOT NULL)",
        f"CREATE OR REPLACE FUNCTION {guard}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{SEAL_TABLE} is append-only'; END $$",
        # created once (not replaced on every start: that would lock the table against appends)
        "DO $$ BEGIN "
        f"IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = '{literal}'::regclass "
        f"AND tgname = '{SEAL_TABLE}_append_only') THEN "
        f"CREATE TRIGGER {SEAL_TABLE}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {guard}(); "
        f"CREATE TRIGGER {SEAL_TABLE}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {guard}(); "
        "END IF; END $$",
    ]


# --- the tables ------------------------------------------------------------------------------


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


@dataclass
class Problem:
    kind: str  # edited | deleted | inserted | unsealed | reordered | chain_altered | anchor_missing | anchor_mismatch
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
    sealed: int = 0  # records checked against the seal written when they were stored
    anchors: dict[str, Any] | None = None  # the published heads checked (check_anchors), with --anchors

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _head_view(row: tuple | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"seq": row[0], "notification_id": row[1], "hash": row[3]}


def extend(db: ChainDatabase) -> int:
    """Chain every record after the head, by the hash sealed when it was stored (the hash of its content now,
    for a record without a seal); never touches a chained record. Returns how many were chained."""
    db.create()
    added = 0
    while True:
        db.begin()
        try:
            head = db.head()
            seq, last, previous = (head[0], head[1], head[3]) if head else (0, BEFORE_ANY, GENESIS)
            rows = db.events_after(last)
            now = dt.datetime.now(dt.timezone.utc).isoformat()
            links = []
            for notification_id, originator_id, version, topic, state, sealed in rows:
                seq += 1
                content = sealed if sealed is not None else content_hash(originator_id, version, topic, state)
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


def verify(
    db: ChainDatabase, *, extend_chain: bool = True, anchor: str | None = None, anchors: list[dict[str, Any]] | None = None
) -> ChainReport:
    """Check every chained record against its chain row and its seal, and every record not yet chained
    against its seal; with `anchors` (published heads, `read_anchors`), the store against each of them; then
    (if all is intact) chain the records after the head."""
    db.create()
    published = check_anchors(db, anchors) if anchors is not None else None
    report = _verify(db, extend_chain=extend_chain and (published is None or published["ok"]), anchor=anchor)
    if published is not None:
        report.anchors = published
        if not published["ok"] and report.ok:
            mismatch = published["first_mismatch"]
            report.ok = False
            report.problem = Problem("anchor_mismatch", mismatch["notification_id"], mismatch["message"])
    return report


def _verify(db: ChainDatabase, *, extend_chain: bool, anchor: str | None) -> ChainReport:
    report = ChainReport(ok=True)
    last = db.last_position()  # records appended while verifying are left to the next run
    events = db.events(up_to=last)
    orphan = db.first_orphan_seal(last)
    previous = GENESIS
    expected_seq = 1
    anchor_seen = anchor is None
    sealing = False  # a record before this one was sealed: so must this one be
    event = next(events, None)

    def fail(kind: str, notification_id: int | None, message: str) -> ChainReport:
        report.ok = False
        report.problem = Problem(kind, notification_id, message)
        report.head = _head_view(db.head())
        return report

    def deleted_sealed(notification_id: int) -> ChainReport:
        return fail(
            "deleted", notification_id,
            f"record {notification_id} was sealed when it was stored but is no longer in the store: it was deleted "
            "(or renumbered)",
        )

    def against_seal(event: tuple, chained: str | None) -> ChainReport | None:
        """The record's seal: it must be there once sealing began, and match (the chain row, if chained)."""
        nonlocal sealing
        position, originator_id, version, topic, _, sealed = event
        if orphan is not None and orphan < position:
            return deleted_sealed(orphan)
        if sealed is None:
            if sealing:
                return fail(
                    "unsealed", position,
                    f"record {position} ({topic}, version {version} of {originator_id}) has no seal although the "
                    "records before it were sealed when they were stored: it was written around the engine's "
                    "store (inserted), or its seal was deleted",
                )
            return None
        sealing = True
        report.sealed += 1
        if chained is not None:
            if sealed != chained:
                return fail(
                    "edited", position,
                    f"record {position} ({topic}, version {version} of {originator_id}) was chained with content "
                    "that differs from what was sealed when it was stored: it was edited before it was chained",
                )
            return None
        content = content_hash(originator_id, version, topic, event[4])
        if content != sealed:
            origin = db.sealed_elsewhere(content, position)
            if origin is not None:
                return fail(
                    "reordered", position,
                    f"record {position} holds the content that was sealed as record {origin}: records were reordered",
                )
            return fail(
                "edited", position,
                f"record {position} ({topic}, version {version} of {originator_id}) differs from what was sealed "
                "when it was stored: it was edited (before it was chained)",
            )
        return None

    for seq, chained_id, chained_content, chained_link in db.chain():
        if seq != expected_seq or chain_hash(previous, chained_id, chained_content) != chained_link:
            return fail(
                "chain_altered", chained_id,
                f"chain row {seq} (record {chained_id}) does not follow from the row before it: the chain table "
                "itself was altered; compare it with an anchored head and a backup",
            )
        if orphan is not None and orphan < chained_id:  # a sealed record, never chained, deleted before this one
            return deleted_sealed(orphan)
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
        content = content_hash(*event[1:5])
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
        problem = against_seal(event, chained_content)
        if problem is not None:
            return problem
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
    unchained = 0
    while event is not None:
        problem = against_seal(event, None)
        if problem is not None:
            return problem
        unchained += 1
        event = next(events, None)
    if orphan is not None:
        return deleted_sealed(orphan)
    report.records = report.checked + unchained
    report.unchained = unchained
    if extend_chain:
        report.newly_chained = extend(db)
        report.unchained = max(0, unchained - report.newly_chained)
    report.head = _head_view(db.head())
    if anchor is not None:
        report.anchor = {"hash": anchor, "found": True}
    return report


# --- published heads (anchors) ---------------------------------------------------------------


def read_anchors(path: str | Path) -> tuple[list[dict[str, Any]], list[int]]:
    """The published heads in an anchors file (JSON lines), each with its line number as `line`, and the
    numbers of the lines that are no published head (a line torn by a crash while it was appended)."""
    heads: list[dict[str, Any]] = []
    unreadable: list[int] = []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise FileNotFoundError(f"no anchors file at {path}: give the file `sto audit anchor` published to") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            head = json.loads(line)
            seq, position, value = head["seq"], head["notification_id"], head["hash"]
            if type(seq) is not int or seq < 1 or type(position) is not int or not _is_hash(value):
                raise ValueError(line)
        except (ValueError, KeyError, TypeError):
            unreadable.append(number)
            continue
        heads.append({**head, "line": number})
    return heads, unreadable


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def check_anchors(db: ChainDatabase, heads: list[dict[str, Any]]) -> dict[str, Any]:
    """The store against published heads: the chain recomputed from the records as they are now (not from
    the chain table, not from the seals), compared at each head's seq with its published hash and position.
    Names the first head (in chain order) that no longer matches, and the last one before it that does."""
    wanted = sorted(heads, key=lambda h: (h["seq"], h.get("line", 0)))
    result: dict[str, Any] = {"ok": True, "heads": len(wanted), "matched": 0, "first_mismatch": None, "last_match": None}

    def view(head: dict[str, Any]) -> dict[str, Any]:
        return {key: head.get(key) for key in ("line", "seq", "notification_id", "hash", "anchored_at", "store")}

    def mismatch(head: dict[str, Any], now_hash: str | None, now_position: int | None, records: int) -> dict[str, Any]:
        where = f"the head published at {head.get('anchored_at') or 'an unknown time'} (line {head.get('line')}: " \
                f"record {head['notification_id']}, seq {head['seq']})"
        if now_hash is None:
            message = (f"{where} no longer matches the store: published {head['hash']}, but the store now holds only "
                       f"{records} record(s): records up to record {head['notification_id']} were deleted")
        else:
            message = (f"{where} no longer matches the store: published {head['hash']}, the store's records now "
                       f"give {now_hash} at seq {head['seq']} (record {now_position}): a record up to record "
                       f"{head['notification_id']} was edited, deleted, inserted or reordered after this head was published")
        last = result["last_match"]
        if last is not None:
            message += (f"; the head published at {last.get('anchored_at')} (record {last['notification_id']}, seq "
                        f"{last['seq']}) still matches, so the change lies after record {last['notification_id']}")
        result["ok"] = False
        result["first_mismatch"] = {
            **view(head), "published_hash": head["hash"], "store_hash": now_hash,
            "store_notification_id": now_position, "message": message,
        }
        return result

    if not wanted:
        return result
    previous, seq, index = GENESIS, 0, 0
    for position, originator_id, version, topic, state, _ in db.events(up_to=db.last_position()):
        seq += 1
        previous = chain_hash(previous, position, content_hash(originator_id, version, topic, state))
        while index < len(wanted) and wanted[index]["seq"] == seq:
            head = wanted[index]
            if head["hash"] != previous or head["notification_id"] != position:
                return mismatch(head, previous, position, seq)
            result["matched"] += 1
            result["last_match"] = view(head)
            index += 1
        if index == len(wanted):
            return result
    return mismatch(wanted[index], None, None, seq)


# --- opening ---------------------------------------------------------------------------------


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify the STO event store's hash chain.")
    parser.add_argument("url", help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB[?schema=S]")
    parser.add_argument("--no-extend", action="store_true", help="only check; chain no new records")
    parser.add_argument("--anchor", help="a chain head hash recorded earlier, that must still be in the chain")
    parser.add_argument("--anchors", metavar="FILE", help="a file of published heads (sto audit anchor): check the store against each")
    args = parser.parse_args(argv)
    try:
        heads, unreadable = read_anchors(args.anchors) if args.anchors else (None, [])
        db = open_url(args.url)
        try:
            report = verify(db, extend_chain=not args.no_extend, anchor=args.anchor, anchors=heads)
        finally:
            db.close()
        if report.anchors is not None:
            report.anchors.update(file=args.anchors, unreadable_lines=unreadable)
    except (OSError, ValueError, sqlite3.Error) as error:
        print(f"cannot verify: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(), indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
