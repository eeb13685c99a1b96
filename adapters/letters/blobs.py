"""The letters' PDFs, content-addressed: one row per sha256, in the store's own database.

A table beside the events (as the API tokens and subscriptions, adapters/operators/side_tables.py): the
SQLite file of the events, or the PostgreSQL schema; the in-memory store keeps them for the life of its
service object. The event DecisionLetterIssued holds each PDF's sha256 and length, so the audit chain covers
the bytes: `get` checks them before it hands a PDF out.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from adapters.operators.side_tables import SideTables, utc_now

_DDL = {
    "sqlite": "CREATE TABLE IF NOT EXISTS letter_pdfs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, "
              "content BLOB NOT NULL, stored_at TEXT NOT NULL)",
    "postgres": "CREATE TABLE IF NOT EXISTS letter_pdfs (sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, "
                "content BYTEA NOT NULL, stored_at TEXT NOT NULL)",
}


class LetterCorrupted(RuntimeError):
    """A stored PDF no longer has the hash its event recorded."""


class LetterBlobs:
    def __init__(self, url: str | None):
        self.tables = SideTables(url, [])
        with self.tables.connection() as conn:
            self.tables.execute(conn, _DDL[self.tables.dialect])

    def put(self, data: bytes) -> str:
        """Store `data` (once: the same bytes are the same row); its sha256."""
        digest = hashlib.sha256(data).hexdigest()
        self.tables.run(
            "INSERT INTO letter_pdfs (sha256, size, content, stored_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            (digest, len(data), data, utc_now()),
        )
        return digest

    def get(self, digest: str) -> bytes | None:
        rows = self.tables.rows("SELECT content FROM letter_pdfs WHERE sha256 = ?", (digest,))
        if not rows:
            return None
        data = bytes(rows[0]["content"])
        if hashlib.sha256(data).hexdigest() != digest:
            raise LetterCorrupted(f"the stored letter {digest[:12]}… no longer has its hash")
        return data

    def close(self) -> None:
        self.tables.close()


def url_of(service: Any) -> str:
    """The database URL of a grants service's store (its eventsourcing environment read back)."""
    env = service.env
    module = env.get("PERSISTENCE_MODULE", "")
    if module.endswith("sqlite"):
        return f"sqlite:///{env['SQLITE_DBNAME']}"
    if module.endswith("postgres"):
        user = quote(env.get("POSTGRES_USER", ""), safe="")
        password = env.get("POSTGRES_PASSWORD", "")
        auth = f"{user}:{quote(password, safe='')}@" if password else f"{user}@"
        url = f"postgresql://{auth}{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{quote(env['POSTGRES_DBNAME'], safe='')}"
        schema = env.get("POSTGRES_SCHEMA")
        return f"{url}?schema={quote(schema, safe='')}" if schema else url
    return "memory:"


def blobs_for(service: Any) -> LetterBlobs:
    """The letter store beside `service`'s events: one per service object (the in-memory one lives with it)."""
    blobs = getattr(service, "_letter_blobs", None)
    if blobs is None:
        blobs = LetterBlobs(url_of(service))
        service._letter_blobs = blobs
    return blobs
