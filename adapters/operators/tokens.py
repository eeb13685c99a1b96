"""API tokens: issued to one named person (or one region) with one role, kept only as a hash, revocable.

A token reads `sto_<id>_<secret>`: the id (8 hex characters) names it in lists and revocations, the secret
is 32 random bytes (url-safe base64). Only sha256 of the whole token is stored, in the table `api_tokens`
of the configured store's own database (the SQLite file of the events, or the PostgreSQL schema); the
in-memory store keeps tokens for the life of the process. The token's name is the actor of every event
its requests cause.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from pydantic import TypeAdapter, ValidationError

from adapters.event_store.store import database_url, ensure_postgres_schema, postgres_conninfo, store_env
from domain.errors import DomainError
from domain.values import RegionCode, Role

TABLE = "api_tokens"
TOKEN_ROLES = (Role.OPERATOR, Role.AUDITOR, Role.REGION)
_TOKEN = re.compile(r"^sto_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")
_REGION = TypeAdapter(RegionCode)
_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (token_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, "
    "name TEXT NOT NULL, role TEXT NOT NULL, region_code TEXT, created_at TEXT NOT NULL, created_by TEXT NOT NULL, "
    "revoked_at TEXT, revoked_by TEXT)"
)
_COLUMNS = "token_id, name, role, region_code, created_at, created_by, revoked_at, revoked_by"


class UnknownToken(DomainError):
    code = "unknown_token"

    def __init__(self, token_id: str):
        super().__init__(f"no token with id {token_id}", hint="list the tokens with `sto token list`")


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    name: str
    role: Role
    region_code: str | None
    created_at: str
    created_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "token_id": self.token_id, "name": self.name, "role": self.role.value, "region_code": self.region_code,
            "created_at": self.created_at, "created_by": self.created_by, "revoked_at": self.revoked_at,
            "revoked_by": self.revoked_by, "active": self.active,
        }


@dataclass(frozen=True)
class IssuedToken:
    info: TokenInfo
    token: str  # shown once, never stored


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")  # also the order of issue


def validate_grant(name: str, role: Role | str, region_code: str | None) -> tuple[str, Role, str | None]:
    """Name, role and region as they will be stored; raises ValueError saying what to change."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValueError("a token needs a name of 1-100 characters: the person or region that uses it (it becomes the actor)")
    try:
        role = Role(role)
    except ValueError:
        raise ValueError(f"role must be one of {', '.join(r.value for r in TOKEN_ROLES)}") from None
    if role not in TOKEN_ROLES:
        raise ValueError(f"role must be one of {', '.join(r.value for r in TOKEN_ROLES)}; the system role is the engine's own")
    if role is Role.REGION:
        if not region_code:
            raise ValueError("a region token needs --region: the one region whose grant it may read")
        try:
            region_code = _REGION.validate_python(region_code)
        except ValidationError as error:
            raise ValueError(error.errors()[0]["msg"].removeprefix("Value error, ")) from None
    elif region_code:
        raise ValueError(f"only region tokens are bound to a region; an {role.value} reads every grant")
    return name, role, region_code


class TokenStore:
    """The tokens of one store URL (STO_DATABASE_URL when None)."""

    def __init__(self, url: str | None = None):
        self.url = database_url(url)
        env = store_env(self.url)
        module = env["PERSISTENCE_MODULE"]
        self.dialect = "postgres" if module.endswith("postgres") else "sqlite"
        self._lock = threading.Lock()
        self._shared: Any = None  # the in-memory store's one connection
        self._pg: Any = None  # PostgreSQL: one autocommit connection, used under the lock
        if module.endswith("postgres"):
            if env.get("POSTGRES_SCHEMA"):
                ensure_postgres_schema(env)
            self._conninfo = postgres_conninfo(env)
            self._schema = env.get("POSTGRES_SCHEMA", "public")
        elif module.endswith("sqlite"):
            self._path = env["SQLITE_DBNAME"]
        else:
            self._shared = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        with self._connection() as conn:
            self._execute(conn, _DDL)

    # --- connections -------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """SQLite: a connection per use (thread-safe, next to the event store's own); PostgreSQL: one, locked."""
        if self._shared is not None:
            with self._lock:
                yield self._shared
            return
        if self.dialect == "sqlite":
            conn = sqlite3.connect(self._path, isolation_level=None, timeout=30)
            try:
                yield conn
            finally:
                conn.close()
            return
        with self._lock:
            if self._pg is None or self._pg.closed or self._pg.broken:
                import psycopg
                from psycopg import sql

                self._pg = psycopg.connect(self._conninfo, autocommit=True)
                self._pg.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self._schema)))
            yield self._pg

    def _execute(self, conn: Any, statement: str, params: tuple = ()) -> Any:
        if self.dialect == "postgres":
            statement = statement.replace("?", "%s")
        return conn.execute(statement, params)

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
        if self._pg is not None:
            self._pg.close()

    # --- tokens ------------------------------------------------------------------------------

    def issue(self, name: str, role: Role | str, region_code: str | None = None, *, created_by: str) -> IssuedToken:
        name, role, region_code = validate_grant(name, role, region_code)
        token_id = secrets.token_hex(4)
        token = f"sto_{token_id}_{secrets.token_urlsafe(32)}"
        info = TokenInfo(token_id, name, role, region_code, _now(), created_by)
        with self._connection() as conn:
            self._execute(
                conn,
                f"INSERT INTO {TABLE} (token_id, token_hash, name, role, region_code, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (token_id, token_hash(token), name, role.value, region_code, info.created_at, created_by),
            )
        return IssuedToken(info, token)

    def verify(self, token: str) -> TokenInfo | None:
        """The token's holder, or None for a token that is malformed, unknown or revoked."""
        if not _TOKEN.match(token or ""):
            return None
        with self._connection() as conn:
            row = self._execute(conn, f"SELECT {_COLUMNS} FROM {TABLE} WHERE token_hash = ?", (token_hash(token),)).fetchone()
        info = _info(row) if row else None
        return info if info is not None and info.active else None

    def revoke(self, token_id: str, *, revoked_by: str) -> TokenInfo:
        """Revoke one token (revoking twice keeps the first revocation); raises UnknownToken."""
        with self._connection() as conn:
            self._execute(
                conn, f"UPDATE {TABLE} SET revoked_at = ?, revoked_by = ? WHERE token_id = ? AND revoked_at IS NULL",
                (_now(), revoked_by, token_id),
            )
            row = self._execute(conn, f"SELECT {_COLUMNS} FROM {TABLE} WHERE token_id = ?", (token_id,)).fetchone()
        if row is None:
            raise UnknownToken(token_id)
        return _info(row)

    def list(self, *, include_revoked: bool = False) -> list[TokenInfo]:
        where = "" if include_revoked else " WHERE revoked_at IS NULL"
        with self._connection() as conn:
            rows = self._execute(conn, f"SELECT {_COLUMNS} FROM {TABLE}{where} ORDER BY created_at, token_id").fetchall()
        return [_info(r) for r in rows]


def _info(row: tuple) -> TokenInfo:
    token_id, name, role, region_code, created_at, created_by, revoked_at, revoked_by = row
    return TokenInfo(token_id, name, Role(role), region_code, created_at, created_by, revoked_at, revoked_by)
