"""Assemble the replay: a fresh SQLite store, the time-skipping server, a worker, the script, the summary."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from adapters import processes
from adapters.engine.grants_client import GrantsClient
from adapters.notify.notifiers import FileNotifier
from adapters.engine.business_clock import clock_from_env
from adapters.letters.export import export_letters, report_section
from adapters.replay.report import write_report
from adapters.replay.runner import ReplayRunner
from adapters.replay.pending import PendingTimers, pending_timers
from adapters.replay.scenario import REAL, Programme, build_programme
from adapters.replay.scenario_2025 import SCHEME as SCHEME_2025
from adapters.replay.scenario_2025 import build_programme_2025
from adapters.replay.settlement import Settlement
from adapters.replay.settlement_script import Cast, money_actions
from adapters.replay.summary_money import MoneySummary, summarise_money
from adapters.replay.throwaway import relax_service
from adapters.replay.summary import ReplaySummary, summarise
from adapters.replay.summary_2025 import SchemeSummary, summarise_scheme
from adapters.engine.key import engine_key
from domain.timekeeping import local_date
from adapters.event_store.service import GrantService
from adapters.event_store.store import open_service
from adapters.logging import get_logger
from adapters.engine.temporal import build_worker, ensure_search_attributes, free_port, install_runtime, test_server_binary
from domain.regulation.schemes import legacy_scheme_id
from workflows.credentials import CommandCredentials
from workflows.models import DEFAULT_REMINDER_OFFSETS, ExtensionRoundResult

LEGACY = legacy_scheme_id()
log = get_logger(__name__)
SCHEMES = (LEGACY, SCHEME_2025)  # `sto demo` replays both, in this order
# Reminders of the 2025–2028 grants in the demo: none (the engine's default is 28/14/7/1 days ahead). Fewer
# wake-ups of 78 workflows over two and a half years, and the file outbox keeps only the 2020–2024 reminders,
# which that replay counts; its workflows show reminders at full scale.
REMINDER_OFFSETS: dict[str, tuple[int, ...]] = {SCHEME_2025: ()}


def _worker_process(port: int, url: str, outbox: Path, directory: Path, n: int, sandboxed: bool) -> subprocess.Popen:
    """Another worker process on the same task queue: Python runs one core per process, the machine has more.
    It dies with this process (adapters/processes.py); its output goes to worker-N.log in the demo directory. It
    serves only the demo's throwaway store, whose commits skip the fsync (adapters/replay/throwaway.py)."""
    env = {
        **os.environ,
        "STO_TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "STO_DATABASE_URL": url,
        "STO_NOTIFIER_URL": f"file://{outbox.resolve()}",
    }
    return processes.spawn(
        [sys.executable, "-m", "adapters.cli.demo_worker", "worker", "--identity", f"replay-worker-{n + 2}",
         "--sandbox" if sandboxed else "--no-sandbox"],
        directory / f"worker-{n + 2}.log", env=env,
    )


async def _start_test_server(attempts: int = 3) -> tuple[int, WorkflowEnvironment]:
    """The time-skipping server on a free port; on a busy machine another process may take the port between
    choosing it and binding it ("Address already in use"): then on another port."""
    for attempt in range(1, attempts + 1):
        port = free_port()
        try:
            return port, await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=test_server_binary(), data_converter=pydantic_data_converter, port=port,
                runtime=install_runtime(),
            )
        except RuntimeError as error:  # "Failed starting test server: ... did not start within 5s"
            if attempt == attempts or "Failed starting test server" not in str(error):
                raise
            log.warning("replay.test_server_started_again", port=port, attempt=attempt, error=str(error)[:200])
    raise AssertionError("unreachable")


@dataclass
class ReplayOutcome:
    summary: ReplaySummary | None  # 2020–2024 (None when only another scheme was replayed)
    report: Path
    database_url: str
    outbox: Path
    schemes: dict[str, SchemeSummary] = field(default_factory=dict)  # the schemes after the legacy one
    wall_seconds: float = 0.0
    extension: ExtensionRoundResult | None = None  # the 2024 round's own result (None: the round did not run)
    money: MoneySummary | None = None  # the money per scheme as of the last day, and the settlement's parts


def programmes_for(service: GrantService, schemes: Sequence[str], regions: int, seed: int, today: dt.datetime) -> dict[str, Programme]:
    """The scripts to replay, per scheme; 2025–2028 continues with the regions 2018–2025 approved."""
    unknown = [s for s in schemes if s not in SCHEMES]
    if unknown:
        raise ValueError(f"the demo replays {', '.join(SCHEMES)}; not {', '.join(unknown)}")
    base = build_programme(service.regulation(LEGACY), regions=regions, seed=seed)
    found: dict[str, Programme] = {}
    if LEGACY in schemes:
        found[LEGACY] = base
    if SCHEME_2025 in schemes:
        found[SCHEME_2025] = build_programme_2025(service.regulation(SCHEME_2025), base, end=today, seed=seed)
    return found


async def replay(
    directory: Path,
    *,
    regions: int = REAL["regions"],
    seed: int = 2018,
    schemes: Sequence[str] = SCHEMES,
    today: dt.datetime | None = None,
    extra_workers: int = 1,
    sandboxed: bool = False,
    on_start: Callable[[dt.datetime, dt.datetime], None] = lambda start, end: None,
    on_progress: Callable[[dt.datetime], None] = lambda moment: None,
) -> ReplayOutcome:
    """Replay the schemes named (default both: 2018–2025 for 2020–2024, May 2024 to today for 2025–2028) on
    one timeline in one store, through the real workflows on the time-skipping server."""
    started = time.perf_counter()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    url = f"sqlite:///{directory / 'sto.sqlite'}"
    service = open_service(url)
    relax_service(service)  # a throwaway store: commits without an fsync each (adapters/replay/throwaway.py)
    outbox = directory / "outbox"
    today = today or clock_from_env().now()
    programmes = programmes_for(service, schemes, regions, seed, today)
    port, env = await _start_test_server()
    helpers: list[subprocess.Popen] = []
    pending: dict[str, PendingTimers] = {}
    runner: ReplayRunner | None = None
    stopping: asyncio.Task | None = None
    notifier = FileNotifier(outbox)
    cast: Cast | None = None
    settlement: Settlement | None = None
    extra = []
    if LEGACY in programmes:  # the money after the vaststelling, on its own days (adapters/replay/settlement_script.py)
        cast, extra = money_actions(programmes[LEGACY], with_2025=SCHEME_2025 in programmes)
        settlement = Settlement(service, cast, directory / "finance", notifier)
    try:
        await ensure_search_attributes(env.client, "default")
        helpers = [_worker_process(port, url, outbox, directory, n, sandboxed) for n in range(extra_workers)]
        credentials = CommandCredentials(engine_key(url))  # the helper workers hold the key beside the store
        worker = build_worker(env.client, service, notifier, activity_threads=4, sandboxed=sandboxed,
                              credentials=credentials)
        async with worker:
            first = min(p.start for p in programmes.values())
            offset = first - await env.get_current_time()
            clients = {
                scheme: GrantsClient(env.client, clock_offset_seconds=offset.total_seconds(), credentials=credentials,
                                     reminder_offsets_days=REMINDER_OFFSETS.get(scheme, DEFAULT_REMINDER_OFFSETS))
                for scheme in programmes
            }
            runner = ReplayRunner(env, clients, service, programmes, offset, on_progress=on_progress,
                                  settlement=settlement, money_actions=extra)
            on_start(runner.start, runner.end)
            await runner.run()
            for scheme, programme in programmes.items():
                if scheme != LEGACY:  # still running today: ask the open workflows what they wait for
                    pending[scheme] = await pending_timers(clients[scheme], service, scheme, runner.end)
            # the helpers take a second or two to stop: let them while this worker stops too
            stopping = asyncio.create_task(asyncio.to_thread(processes.stop_all, helpers, signal.SIGTERM, 20))
    finally:
        if stopping is None:
            processes.stop_all(helpers, signal.SIGTERM, timeout=20)
        else:
            await stopping
        await env.shutdown()
    legacy = programmes.get(LEGACY)
    summary = None
    if legacy is not None:
        summary = summarise(service, real_counts=regions == REAL["regions"] and seed == 2018, until=legacy.end)
    others = {
        scheme: summarise_scheme(service, programme, pending[scheme],
                                 reminders=REMINDER_OFFSETS.get(scheme, DEFAULT_REMINDER_OFFSETS))
        for scheme, programme in programmes.items() if scheme != LEGACY
    }
    money_now = summarise_money(service, list(programmes), local_date(runner.end if runner else today), cast,
                                settlement.facts if settlement is not None else {})
    wall = time.perf_counter() - started
    if summary is not None:
        summary.wall_seconds = wall
    letters = export_letters(service, directory / "letters")  # every besluit's letter, as PDF
    report = write_report(directory / "report.html", summary, service.regulation(LEGACY), others, wall,
                          extra=report_section(letters, directory))
    return ReplayOutcome(summary=summary, report=report, database_url=url, outbox=outbox, schemes=others, wall_seconds=wall,
                         extension=runner.extension if runner is not None else None, money=money_now)
