"""How the store seals every record it stores: the record's content hash and the append-only seal table.

The recorders (sqlite_recorder.py, postgres_recorder.py) insert each record's content hash into `audit_sealed`
in the transaction that stores the record; the audit chain (adapters/audit/) is built from these seals and
checks the records against them. Standard library only, and this package's __init__ imports nothing: the
auditor's standalone check (`python -m adapters.audit.chain URL`) reads this module without the library.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from typing import Any


SEAL_TABLE = "audit_sealed"
SQLITE_EVENTS = "stored_events"  # eventsourcing's SQLite table
POSTGRES_EVENTS = "sto_events"  # eventsourcing's PostgreSQL table for the application named "sto"

FIELD_LENGTH = struct.Struct(">Q").pack  # every hashed field has its length in front: 8 bytes, big-endian


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
        b"".join((FIELD_LENGTH(len(originator)), originator, FIELD_LENGTH(len(version)), version,
                  FIELD_LENGTH(len(name)), name, FIELD_LENGTH(len(data)), data))
    ).hexdigest()


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
