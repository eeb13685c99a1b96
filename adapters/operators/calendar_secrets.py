"""The secrets in the calendar feeds' URLs: one per region, one for the back office; stored only as a hash.

A calendar program cannot send a bearer token, so the feed's URL carries a secret instead:
`cal_<id>_<secret>`, the id (8 hex characters) naming it in lists, the secret 32 random bytes (url-safe base64).
Only sha256 of the whole secret is stored. A scope (a region code, or `back-office` for DUS-I's own decision
terms) has at most one active secret: issuing a new one revokes the one before (a leaked URL is replaced by
issuing again), and revoking leaves the scope without a feed until the next issue.

Beside the secrets: what each feed entry looked like when last served (its due date and SEQUENCE), so that a
moved deadline keeps its UID and gets a higher SEQUENCE, a new LAST-MODIFIED and the date it moved from.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from adapters.operators.side_tables import SideTables, utc_now
from domain.errors import DomainError
from domain.values import RegionCode

BACK_OFFICE = "back-office"
SECRETS, ENTRIES = "calendar_secrets", "calendar_entries"
_SECRET = re.compile(r"^cal_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")
_REGION = TypeAdapter(RegionCode)
_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SECRETS} (secret_id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, "
    "scope TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT, revoked_by TEXT)",
    f"CREATE TABLE IF NOT EXISTS {ENTRIES} (uid TEXT PRIMARY KEY, due TEXT NOT NULL, previous_due TEXT, "
    "sequence INTEGER NOT NULL, modified_at TEXT NOT NULL)",
)
_COLUMNS = "secret_id, scope, created_at, created_by, revoked_at, revoked_by"


class NoCalendarSecret(DomainError):
    code = "no_calendar_secret"

    def __init__(self, scope: str):
        super().__init__(f"{scope} has no active calendar secret",
                         hint=f"issue one with `sto token calendar {scope}`; `sto token calendar --list` shows them")


@dataclass(frozen=True)
class CalendarSecretInfo:
    secret_id: str
    scope: str  # a region code, or BACK_OFFICE
    created_at: str
    created_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {"secret_id": self.secret_id, "scope": self.scope, "created_at": self.created_at,
                "created_by": self.created_by, "revoked_at": self.revoked_at, "revoked_by": self.revoked_by,
                "active": self.active}


@dataclass(frozen=True)
class FeedEntryState:
    sequence: int
    modified_at: str
    previous_due: str | None  # the due date before the last move, if it moved


def scope_of(region_or_back_office: str) -> str:
    """A region code (validated, upper case) or `back-office`; raises ValueError saying what to change."""
    given = (region_or_back_office or "").strip()
    if given.lower() == BACK_OFFICE:
        return BACK_OFFICE
    try:
        return _REGION.validate_python(given.upper())
    except ValidationError as error:
        message = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise ValueError(f"{message}; or `{BACK_OFFICE}` for DUS-I's own decision terms") from None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class CalendarSecrets:
    """The calendar secrets and feed entries of one store URL (STO_DATABASE_URL when None)."""

    def __init__(self, url: str | None = None):
        self.tables = SideTables(url, _DDL)

    def issue(self, scope: str, *, created_by: str) -> tuple[CalendarSecretInfo, str]:
        """A new secret for the scope (the one before is revoked); the secret is returned once, never stored."""
        scope = scope_of(scope)
        secret_id = secrets.token_hex(4)
        secret = f"cal_{secret_id}_{secrets.token_urlsafe(32)}"
        now = utc_now()
        with self.tables.transaction() as conn:
            self.tables.execute(conn, f"UPDATE {SECRETS} SET revoked_at = ?, revoked_by = ? WHERE scope = ? AND revoked_at IS NULL",
                                (now, created_by, scope))
            self.tables.execute(conn, f"INSERT INTO {SECRETS} (secret_id, secret_hash, scope, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
                                (secret_id, _hash(secret), scope, now, created_by))
        return CalendarSecretInfo(secret_id, scope, now, created_by), secret

    def revoke(self, scope: str, *, revoked_by: str) -> CalendarSecretInfo:
        """Revoke the scope's active secret: its feed URL answers 404 from now on. Raises NoCalendarSecret."""
        scope = scope_of(scope)
        active = [s for s in self.list(include_revoked=False) if s.scope == scope]
        if not active:
            raise NoCalendarSecret(scope)
        self.tables.run(f"UPDATE {SECRETS} SET revoked_at = ?, revoked_by = ? WHERE secret_id = ? AND revoked_at IS NULL",
                        (utc_now(), revoked_by, active[0].secret_id))
        return next(s for s in self.list(include_revoked=True) if s.secret_id == active[0].secret_id)

    def scope(self, secret: str) -> str | None:
        """The scope a secret opens, or None for one that is malformed, unknown or revoked."""
        if not _SECRET.match(secret or ""):
            return None
        found = self.tables.rows(f"SELECT scope FROM {SECRETS} WHERE secret_hash = ? AND revoked_at IS NULL", (_hash(secret),))
        return found[0]["scope"] if found else None

    def list(self, *, include_revoked: bool = False) -> list[CalendarSecretInfo]:
        where = "" if include_revoked else " WHERE revoked_at IS NULL"
        rows = self.tables.rows(f"SELECT {_COLUMNS} FROM {SECRETS}{where} ORDER BY scope, created_at")
        return [CalendarSecretInfo(**row) for row in rows]

    def seen(self, entries: list[tuple[str, str]]) -> dict[str, FeedEntryState]:
        """Record that each entry (uid, due) is served with that due date, in one transaction: a new due date
        raises the entry's SEQUENCE by one and remembers the date before."""
        now = utc_now()
        found: dict[str, FeedEntryState] = {}
        with self.tables.transaction() as conn:
            for uid, due in entries:
                row = self.tables.execute(conn, f"SELECT due, previous_due, sequence, modified_at FROM {ENTRIES} WHERE uid = ?",
                                          (uid,)).fetchone()
                if row is None:
                    self.tables.execute(conn, f"INSERT INTO {ENTRIES} (uid, due, sequence, modified_at) VALUES (?, ?, 0, ?)",
                                        (uid, due, now))
                    found[uid] = FeedEntryState(0, now, None)
                    continue
                known_due, previous_due, sequence, modified_at = row
                if known_due == due:
                    found[uid] = FeedEntryState(sequence, modified_at, previous_due)
                    continue
                self.tables.execute(conn, f"UPDATE {ENTRIES} SET due = ?, previous_due = ?, sequence = ?, modified_at = ? "
                                    "WHERE uid = ?", (due, known_due, sequence + 1, now, uid))
                found[uid] = FeedEntryState(sequence + 1, now, known_due)
        return found

    def close(self) -> None:
        self.tables.close()
