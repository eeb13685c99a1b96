"""Where events are stored: one setting, `STO_DATABASE_URL`.

- unset: a SQLite file `./var/sto.sqlite` (the embedded default);
- `sqlite:///relative/path.sqlite` or `sqlite:////absolute/path.sqlite`;
- `postgresql://user[:password]@host[:port]/dbname[?schema=NAME]` for scale-out;
- `memory:` keeps everything in memory (tests and dry runs).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from adapters.event_store.postgres_recorder import TOPIC as POSTGRES_RECORDER_TOPIC
from adapters.event_store.sqlite_recorder import TOPIC as SQLITE_RECORDER_TOPIC
from domain.regulation import Regulation
from adapters.event_store.service import Clock, GrantService, system_clock

DATABASE_URL_SETTING = "STO_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path("var") / "sto.sqlite"


class StoreConfigError(ValueError):
    pass


def database_url(url: str | None = None) -> str:
    return url or os.environ.get(DATABASE_URL_SETTING) or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def store_env(url: str | None = None) -> dict[str, str]:
    """The eventsourcing environment for a database URL."""
    url = database_url(url)
    if url == "memory:":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        raw = unquote(url[len("sqlite:///") :])
        path = Path(raw)
        if not raw.strip() or raw.endswith("/"):
            raise StoreConfigError(f"{DATABASE_URL_SETTING}={url!r} names no file; use sqlite:///var/sto.sqlite")
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER_TOPIC,
        }
    if parsed.scheme in ("postgresql", "postgres"):
        if not parsed.path.strip("/"):
            raise StoreConfigError(f"{DATABASE_URL_SETTING}={url!r} names no database; add /DBNAME")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parsed.path.strip("/")),
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": unquote(parsed.username or os.environ.get("USER", "postgres")),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "10",
            # connections each process keeps open (and up to 10 more when busy); STO_POSTGRES_POOL_SIZE sets it
            "POSTGRES_POOL_SIZE": os.environ.get("STO_POSTGRES_POOL_SIZE", "5"),
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_ENABLE_DB_FUNCTIONS": "yes",  # with adapters/event_store/postgres_recorder.py: one round trip per append
            "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER_TOPIC,
        }
        schema = parse_qs(parsed.query).get("schema")
        if schema:
            env["POSTGRES_SCHEMA"] = schema[0]
        return env
    raise StoreConfigError(
        f"{DATABASE_URL_SETTING}={url!r} is not understood; use sqlite:///PATH, "
        "postgresql://USER@HOST:PORT/DBNAME[?schema=NAME] or memory:"
    )


def describe(url: str | None = None) -> str:
    """The store in words, without secrets."""
    env = store_env(url)
    module = env["PERSISTENCE_MODULE"]
    if module.endswith("sqlite"):
        return f"SQLite {env['SQLITE_DBNAME']}"
    if module.endswith("postgres"):
        schema = env.get("POSTGRES_SCHEMA", "public")
        return f"PostgreSQL {env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']} schema {schema}"
    return "in memory"


def open_service(
    url: str | None = None,
    *,
    base_regulation: Regulation | None = None,
    clock: Clock = system_clock,
    service_class: type[GrantService] = GrantService,
) -> GrantService:
    """The grants service on the configured store (schema and tables are created when missing)."""
    env = store_env(url)
    if env.get("POSTGRES_SCHEMA"):
        ensure_postgres_schema(env)
    return service_class(env, base_regulation=base_regulation, clock=clock)


def postgres_conninfo(env: dict[str, str]) -> str:
    return (
        f"host={env['POSTGRES_HOST']} port={env['POSTGRES_PORT']} dbname={env['POSTGRES_DBNAME']} "
        f"user={env['POSTGRES_USER']} password={env['POSTGRES_PASSWORD']} connect_timeout=10"
    )


def ensure_postgres_schema(env: dict[str, str]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(postgres_conninfo(env), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(env["POSTGRES_SCHEMA"])))
