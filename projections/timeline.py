"""The audit timeline: one line per grant event, with both times, who, why, and under which rule.

Rows are tuples in TIMELINE_COLUMNS order (they go to executemany as they are). The event's own
facts (amounts, documents, outcomes) stay in the event store: a reader that wants them fetches one grant's
stored events and passes them to `entry`, so a rebuild never copies documents.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from domain.timekeeping import local_date
from projections.payloads import specific

TIMELINE_COLUMNS: tuple[str, ...] = (
    "position", "grant_id", "region_code", "version", "event", "effective_at", "recorded_at", "actor", "role",
    "reason", "rule", "legal_basis", "command_id", "command_type",
)

# What `sto audit history` shows, in this order.
HISTORY_FIELDS: tuple[str, ...] = (
    "version", "effective_at", "effective_on", "recorded_at", "event", "actor", "role", "reason", "legal_basis",
    "rule", "command_id", "command_type",
)


def event_name(topic: str) -> str:
    """`domain.events:GrantApproved` -> `GrantApproved`."""
    return topic.rpartition(":")[2].rpartition(".")[2]


def timeline_row(position: int, grant_id: str, region_code: str, version: int, event: str, effective_at: str,
                 payload: dict[str, Any]) -> tuple:
    """One timeline line; `effective_at` already unwrapped (the projector needs it too)."""
    return (
        position,
        grant_id,
        region_code,
        version,
        event,
        effective_at,
        payload["timestamp"]["_data_"],
        payload["actor"],
        payload["role"],
        payload["reason"],
        payload["rule"],
        payload["legal_basis"],
        payload["command_id"]["_data_"],
        payload["command_type"],
    )


def entry(row: dict[str, Any], payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stored timeline row as a history entry (plain JSON values), with the event's facts if given its payload."""
    effective_at = row["effective_at"]
    return {
        "version": row["version"],
        "effective_at": effective_at,
        "effective_on": local_date(dt.datetime.fromisoformat(effective_at)).isoformat(),
        "recorded_at": row["recorded_at"],
        "event": row["event"],
        "actor": row["actor"],
        "role": row["role"],
        "reason": row["reason"],
        "legal_basis": row["legal_basis"],
        "rule": row["rule"],
        "command_id": str(uuid.UUID(row["command_id"])),
        "command_type": row["command_type"],
        "position": row["position"],
        "facts": specific(payload) if payload is not None else None,
    }
