"""How the audit chain hashes: fields, records, links; the names of its tables. Standard library only."""

from __future__ import annotations

import hashlib
import struct
import uuid
from typing import Any


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
