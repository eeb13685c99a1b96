"""Shared fixtures: stores (in memory, SQLite file, real PostgreSQL) and the CI guard.

Under CI=true a PostgreSQL test may not be skipped: if the server cannot be reached the test fails,
and the session fails when no PostgreSQL test passed at all.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from adapters.event_store.store import open_service, postgres_conninfo, store_env
from adapters.event_store.service import GrantService

POSTGRES_URL = os.environ.get("STO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Each PostgreSQL store a test opens keeps its pool's connections until the process ends (the pools' threads hold
# them): at 5 each, one run of the suite reached the server's 100 (measured peak 89 in the store tests alone).
# Tests keep one open each (busy ones still get up to 10 more), and so do the processes they start.
os.environ.setdefault("STO_POSTGRES_POOL_SIZE", "1")

_postgres_passed = 0


def postgres_available() -> str | None:
    """None if PostgreSQL answers, else why not."""
    try:
        import psycopg

        env = store_env(POSTGRES_URL)
        with psycopg.connect(postgres_conninfo(env), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture
def memory_service() -> GrantService:
    """A new store on which a worker has started: it makes letters for every besluit from its first event."""
    service = open_service("memory:")
    service.installation.switch_on_letters()
    return service


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'sto.sqlite'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the real PostgreSQL for one test, dropped afterwards."""
    problem = postgres_available()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL on {POSTGRES_URL} is required under CI=true: {problem}")
        pytest.skip(f"PostgreSQL not available: {problem}")
    schema = f"sto_test_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}?schema={schema}"
    yield url
    import psycopg

    with psycopg.connect(postgres_conninfo(store_env(POSTGRES_URL)), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request) -> str:
    """Each durable store in turn: the same test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    request.node.add_marker(pytest.mark.postgres)
    return request.getfixturevalue("postgres_url")


def pytest_runtest_logreport(report) -> None:
    global _postgres_passed
    if report.when == "call" and report.passed and ("postgres" in report.keywords or "[postgres" in report.nodeid):
        _postgres_passed += 1


def pytest_sessionfinish(session, exitstatus) -> None:
    if IN_CI and exitstatus == 0 and session.testscollected and _postgres_passed == 0:
        session.exitstatus = 1
        print("\nCI=true: no PostgreSQL test passed; the scale-out store must be tested for real.")
