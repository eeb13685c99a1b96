"""How the audit chain links the sealed records: the chain hash, its first link, the chain table.

A record's content hash is the store's seal (adapters/event_store/sealing.py); the chain hashes it, with the
record's position, onto the previous link, each field framed with its length as the seal frames its own.
Standard library only.
"""

from __future__ import annotations

import hashlib

from adapters.event_store.sealing import FIELD_LENGTH

GENESIS = "0" * 64
CHAIN_TABLE = "audit_chain"
PAGE = 5000
BEFORE_ANY = -(2**62)


def chain_hash(previous: str, notification_id: int, content: str) -> str:
    """sha256 over the previous chain hash, the record's position and its content hash, each with its length
    in front (the hashes as their 32 raw bytes)."""
    fields = (bytes.fromhex(previous), b"%d" % int(notification_id), bytes.fromhex(content))
    return hashlib.sha256(b"".join(FIELD_LENGTH(len(part)) + part for part in fields)).hexdigest()
