"""One running engine for the API, page and CLI tests: `sto serve` (Temporal dev server, worker, HTTP API) as a
real process on free ports, on a SQLite store in a temporary directory.

Business time starts on 15 October 2018 (STO_BUSINESS_EPOCH): no reminder or deadline of a grant created
there falls due while the tests run, so every stored event is one a test caused. The tests date their steps
ahead of that clock on purpose (2019, 2020), so the engine lets commands be dated up to ten years ahead
(STO_FUTURE_MARGIN_DAYS; the default is one day, and 2099 is refused either way). Each test module works on
its own region codes.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from adapters import processes
from adapters.engine.temporal import free_port
from adapters.operators.tokens import TokenStore
from tests.support.webhook_receiver import RECEIVERS_SETTING

EPOCH = "2018-10-15T10:00:00+02:00"
FUTURE_MARGIN_DAYS = "3650"
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


@dataclass
class Served:
    base_url: str
    database_url: str
    store_file: Path
    temporal_address: str
    log: Path
    sdk_metrics_url: str = ""  # the Temporal SDK's own Prometheus metrics of the served worker

    def token(self, role: str, name: str, region: str | None = None) -> str:
        """A fresh token, issued the way `sto token create` issues it."""
        store = TokenStore(self.database_url)
        try:
            return store.issue(name, role, region, created_by="tests").token
        finally:
            store.close()

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)

    def stored_events(self) -> int:
        """Every record in the event store, counted with plain SQL."""
        with sqlite3.connect(self.store_file) as conn:
            return conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]

    def settled_events(self, timeout: float = 60) -> int:
        """`stored_events` once every besluit in the store has its letter and the store stays still for half a second.

        A grant's workflow makes a besluit's letter (an event and a mail) just after it answers the step that took
        the besluit, so a test that counts the store right after another test's approval may see that letter land
        and take it for a write of its own."""
        from adapters.event_store.store import open_service

        service = open_service(self.database_url)
        deadline = time.monotonic() + timeout
        owed: list[str] = []
        try:
            while time.monotonic() < deadline:
                since = service.installation.letters_owed_from
                owed = [f"{scheme}/{code}" for scheme, code in service.grant_keys()
                        if service.state(code, scheme=scheme).besluiten_without_letter(since)]
                count = self.stored_events()
                time.sleep(0.5 if not owed else 0.2)
                if not owed and self.stored_events() == count:
                    return count
        finally:
            service.close()
        raise AssertionError(f"the store did not settle within {timeout} s; letters owed: {owed}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _stop(process: subprocess.Popen) -> None:
    """Ctrl-C, as an operator stops it (it stops its worker, API and dev server); SIGKILL after 30 s, and then
    the dev server dies with it (parent-death signal, adapters/processes.py)."""
    processes.stop(process, signal.SIGINT, timeout=30)


@contextmanager
def sto_cli(served: Served, monkeypatch: pytest.MonkeyPatch, actor: str) -> Iterator[Callable]:
    """`sto ...` in this process against the served engine, as operator `actor` (the CLI tests' fixture)."""
    from typer.testing import CliRunner

    from adapters.cli.context import STATE
    from adapters.cli.main import app
    from adapters.logging import configure_logging

    configure_logging("WARNING")  # bind the log stream once, not to a CliRunner stream that closes
    monkeypatch.setenv("STO_TEMPORAL_ADDRESS", served.temporal_address)
    monkeypatch.setenv("STO_BUSINESS_EPOCH", EPOCH)
    monkeypatch.setenv("STO_FUTURE_MARGIN_DAYS", FUTURE_MARGIN_DAYS)
    monkeypatch.setenv("STO_ACTOR", actor)

    def run(*args: str):
        STATE.__dict__.pop("service", None)  # every invocation is its own process in real life
        STATE.extra.clear()
        return CliRunner().invoke(app, ["--database-url", served.database_url, *args])

    try:
        yield run
    finally:
        STATE.__dict__.pop("service", None)
        STATE.database_url = None


@pytest.fixture(scope="package")  # stopped when the last e2e test is done, before the integration tests run
def served(tmp_path_factory) -> Served:
    tmp = tmp_path_factory.mktemp("served")
    store_file = tmp / "sto.sqlite"
    temporal_port, ui_port, api_port, sdk_metrics_port = free_port(), free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "STO_DATABASE_URL": f"sqlite:///{store_file}",
        "STO_NOTIFIER_URL": f"file://{tmp / 'outbox'}",
        "STO_BUSINESS_EPOCH": EPOCH,
        "STO_FUTURE_MARGIN_DAYS": FUTURE_MARGIN_DAYS,
        "STO_LOG_LEVEL": "INFO",
        "STO_WEBHOOK_ALLOWED_NETWORKS": RECEIVERS_SETTING,  # the tests' webhook receivers on 127.0.0.1
        "STO_TEMPORAL_METRICS_ADDRESS": f"127.0.0.1:{sdk_metrics_port}",
    }
    log = tmp / "serve.log"
    process = processes.spawn(  # dies with this test process, even a killed one
        [sys.executable, "-m", "adapters.cli.main", "serve", "--port", str(temporal_port), "--ui-port", str(ui_port),
         "--api-port", str(api_port), "--temporal-db", str(tmp / "temporal.sqlite")],
        log, cwd=REPO, env=env,  # this checkout, whatever is installed
    )
    engine = Served(f"http://127.0.0.1:{api_port}", env["STO_DATABASE_URL"], store_file, f"127.0.0.1:{temporal_port}", log,
                    f"http://127.0.0.1:{sdk_metrics_port}/metrics")
    deadline = time.monotonic() + 180  # a hang, not a slow machine
    while True:
        if process.poll() is not None:
            pytest.fail(f"sto serve exited with {process.returncode}:\n{engine.log_tail()}")
        try:
            if httpx.get(f"{engine.base_url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            _stop(process)
            pytest.fail(f"sto serve did not answer within 180 s:\n{engine.log_tail()}")
        time.sleep(0.2)
    yield engine
    _stop(process)
