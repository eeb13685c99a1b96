"""A hash chain over every stored event, so that an auditor can tell the log was not altered.

Self-contained on purpose: only the standard library and sqlite3 / psycopg, no domain classes, so an auditor
can read (or rewrite in another language) the whole check without trusting the application: this package and
the store's seal (adapters/event_store/sealing.py, the content hash the recorders write) are all of it.

Two tables in the event store's own database. `audit_sealed`, one row per stored record, is written by the
store's recorder in the same transaction that stores the record (adapters/event_store/sqlite_recorder.py,
adapters/event_store/postgres_recorder.py), so a record's content is fixed the moment it is committed:

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
so the head is published where the store's writer cannot rewrite it (`sto audit anchor`, adapters/audit/anchor.py:
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

Standalone: `python -m adapters.audit.chain sqlite:///var/sto.sqlite [--no-extend] [--anchor HASH] [--anchors FILE]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from adapters.audit.anchors import check_anchors, read_anchors
from adapters.audit.database import ChainDatabase, open_postgres, open_sqlite, open_url
from adapters.audit.hashing import BEFORE_ANY, CHAIN_TABLE, GENESIS, PAGE, chain_hash
from adapters.event_store.sealing import SEAL_TABLE, content_hash, seal_table_ddl  # the store's seal, read back here

__all__ = ["CHAIN_TABLE", "GENESIS", "SEAL_TABLE", "ChainDatabase", "ChainReport", "Problem", "chain_hash", "check_anchors",
           "content_hash", "extend", "main", "open_postgres", "open_sqlite", "open_url", "read_anchors", "seal_table_ddl",
           "verify"]


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
