"""P4 operator transitions through Temporal updates, and P6 scale: many grants with timers on one dev server.

P4  An operator transition (RecordHourlyRateChange on an approved grant) through GrantsClient.transition:
    the update's validator runs `decide` on the workflow's copy of the state, the handler runs the
    execute_command activity (load, decide, append to a SQLite store) and replies with the result. Round
    trip as the client sees it, p50 and p99. Baseline: on the same dev server, from the same client and
    process, an update whose handler runs one no-op activity (tests/benchmarks/bare_workflow.py). The two
    kinds alternate, spread over several workflows of each kind so that no history grows long.
P7  Fifty operators at once on one grant, six bursts, through the command sender that the CLI and the API
    share (CommandSender: validator, handler under the workflow's lock, the per-grant queue in front of
    Temporal's ten updates in flight): every answer's time as the caller sees it, p50 and p99, and how many
    answers were of the 5xx kind (engine unavailable, outcome unknown, engine fault). Target: none, p99 < 5 s.
    Baseline: one operator alone on the same grant (the same round trip without a crowd).
P6  N grants, each a grant workflow with pending timers (reminders done, the end of application period 1
    ahead), on one dev server with one `sto worker` process; every workflow's business clock puts that
    deadline at the same wall-clock instant. Measured: how long starting them took, how long from the instant
    until every consequence (GrantLapsed) was stored, that every reminder and every consequence happened
    exactly once (the store's outbox and events, the file notifier's messages), and the server's memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from temporalio.worker import Worker

from adapters import processes
from adapters.engine.grants_client import GrantsClient
from adapters.notify.notifiers import FileNotifier
from tests.support.scripted import GrantScript, at
from adapters.event_store.store import open_service, store_env
from adapters.engine.temporal import DevServer, TemporalSettings, build_worker, connect, free_port
from domain import commands as c
from domain.timekeeping import AMSTERDAM
from tests.benchmarks.bare_workflow import BARE_TASK_QUEUE, BareWorkflow, noop
from tests.benchmarks.common import REPO, Figure, copy_into_sqlite, percentile, rss_kib, scratch_directory
from tests.benchmarks.store_bench import SMALL_PER_YEAR, TINY_PER_YEAR
from workflows import grant_workflow_id
from workflows.grant_lifecycle import GrantWorkflow
from workflows.models import GrantWorkflowInput

P4_TASK_QUEUE = "bench-grants"


def business_offset(moment: dt.datetime, at_wall: float | None = None) -> float:
    """The clock offset that makes business time `moment` the wall-clock time `at_wall` (default now)."""
    wall = dt.datetime.fromtimestamp(at_wall if at_wall is not None else time.time(), dt.timezone.utc)
    return (moment - wall).total_seconds()


# --- P4 ------------------------------------------------------------------------------------------


async def p4_transition(updates: int = 300, per_workflow: int = 100) -> list[Figure]:
    with scratch_directory() as directory:
        server = DevServer(db_file=directory / "temporal.sqlite", port=free_port(), headless=True).start()
        try:
            return await _p4(directory, server, updates, per_workflow)
        finally:
            server.stop()


async def _p4(directory: Path, server: DevServer, updates: int, per_workflow: int) -> list[Figure]:
    client = await connect(TemporalSettings(address=server.address))
    service = open_service(f"sqlite:///{directory / 'sto.sqlite'}")
    workflows = max(1, -(-updates // per_workflow))
    offset = business_offset(at(2022, 9, 1, 10))
    grants = GrantsClient(client, task_queue=P4_TASK_QUEUE, clock_offset_seconds=offset, max_history_events=100_000)
    codes = []
    for i in range(workflows):
        script = GrantScript(service, index=700 + i, per_year=dict(SMALL_PER_YEAR))
        script.to_approved()
        script.consequence("objection_period:1", at(2019, 8, 2))
        script.progress_report(1, at(2021, 10, 20))
        codes.append(script.code)
    grant_worker = build_worker(client, service, FileNotifier(directory / "outbox"), task_queue=P4_TASK_QUEUE)
    bare_worker = Worker(client, task_queue=BARE_TASK_QUEUE, workflows=[BareWorkflow], activities=[noop],
                         activity_executor=ThreadPoolExecutor(8))
    actor = c.Actor(name="op.bench", role="operator")
    async with grant_worker, bare_worker:
        bare = []
        for i, code in enumerate(codes):
            await client.start_workflow(
                GrantWorkflow.run,
                GrantWorkflowInput(region_code=code, state=service.state(code), clock_offset_seconds=offset,
                                   max_history_events=100_000),
                id=grant_workflow_id(code), task_queue=P4_TASK_QUEUE,
            )
            bare.append(await client.start_workflow(BareWorkflow.run, id=f"bench-bare-{i}", task_queue=BARE_TASK_QUEUE))
        for code in codes:  # an update in the workflow's first task would meet it before run() (see the report)
            await _first_task_done(grants, code)

        count = 0

        async def transition(code: str) -> float:
            nonlocal count
            count += 1
            command = c.RecordHourlyRateChange(region_code=code, actor=actor, reason="cao-verhoging",
                                               rate_cents=6000 + count, motivation="cao 2022")
            start = time.perf_counter()
            result = await grants.transition(command)
            elapsed = time.perf_counter() - start
            assert result.events == ["HourlyRateChanged"], result
            return elapsed

        async def bare_update(handle, n: int) -> float:
            start = time.perf_counter()
            assert await handle.execute_update(BareWorkflow.touch, n) == n
            return time.perf_counter() - start

        for i in range(10):  # warm-up: worker caches, prepared statements, connections
            await transition(codes[i % workflows])
            await bare_update(bare[i % workflows], i)
        engine: list[float] = []
        baseline: list[float] = []
        for i in range(updates):
            w = i % workflows
            if i % 2:
                baseline.append(await bare_update(bare[w], i))
                engine.append(await transition(codes[w]))
            else:
                engine.append(await transition(codes[w]))
                baseline.append(await bare_update(bare[w], i))
        for handle in bare:
            await handle.signal(BareWorkflow.finish)
        history = len(service.history(codes[0]))
    p50, p99 = percentile(engine, 50) * 1e3, percentile(engine, 99) * 1e3
    b50, b99 = percentile(baseline, 50) * 1e3, percentile(baseline, 99) * 1e3
    ratio99 = p99 / b99
    return [
        Figure(
            id="P4", store="temporal",
            what=f"operator transition via update (validate, execute_command: load+decide+append, reply): p99 "
                 f"of {updates} (SQLite store, {workflows} grants of ~{history} events)",
            engine=p99, baseline=b99, unit="ms p99", ratio=ratio99, target="p99 ratio ≤ 1.5", ok=ratio99 <= 1.5,
            baseline_what="bare update running one no-op activity, same dev server, alternating",
            samples={"engine_ms": [x * 1e3 for x in engine], "baseline_ms": [x * 1e3 for x in baseline]},
        ),
        Figure(
            id="P4m", store="temporal", what="the same round trips: p50", engine=p50, baseline=b50, unit="ms p50",
            ratio=p50 / b50, target="", ok=None,
            baseline_what="bare update running one no-op activity",
        ),
    ]


async def _first_task_done(grants: GrantsClient, code: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while True:
        try:
            await grants.status(code)
            return
        except Exception:  # noqa: BLE001 - not yet: the first workflow task has not run
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.1)


# --- P7 ------------------------------------------------------------------------------------------


async def p7_race(operators: int = 50, bursts: int = 6) -> list[Figure]:
    with scratch_directory() as directory:
        server = DevServer(db_file=directory / "temporal.sqlite", port=free_port(), headless=True).start()
        try:
            return await _p7(directory, server, operators, bursts)
        finally:
            server.stop()


async def _p7(directory: Path, server: DevServer, operators: int, bursts: int) -> list[Figure]:
    from adapters.engine.sender import CommandSender, GrantBusy
    from domain.clock import BusinessClock
    from domain.errors import DomainError, StaleVersion

    client = await connect(TemporalSettings(address=server.address))
    service = open_service(f"sqlite:///{directory / 'sto.sqlite'}")
    offset = business_offset(at(2022, 9, 1, 10))
    script = GrantScript(service, index=790, per_year=dict(SMALL_PER_YEAR))
    script.to_approved()
    script.consequence("objection_period:1", at(2019, 8, 2))
    script.progress_report(1, at(2021, 10, 20))
    code = script.code
    grants = GrantsClient(client, task_queue=P4_TASK_QUEUE, clock_offset_seconds=offset, max_history_events=100_000)
    sender = CommandSender(grants, service, timeout_seconds=30, clock=BusinessClock(offset))
    actor = c.Actor(name="op.bench", role="operator")
    rate = 6000

    def command(expected_version: int | None) -> c.RecordHourlyRateChange:
        nonlocal rate
        rate += 1
        return c.RecordHourlyRateChange(region_code=code, actor=actor, reason="cao-verhoging", rate_cents=rate,
                                        motivation="cao 2022", expected_version=expected_version)

    async def answer(expected_version: int | None) -> tuple[str, float]:
        start = time.perf_counter()
        try:
            await sender.send(command(expected_version))
            kind = "200"
        except (StaleVersion, GrantBusy):
            kind = "409"
        except DomainError as error:  # outcome unknown, engine unavailable or fault: the 5xx kind
            kind = f"5xx {error.code}"
        return kind, time.perf_counter() - start

    worker = build_worker(client, service, FileNotifier(directory / "outbox"), task_queue=P4_TASK_QUEUE)
    async with worker:
        await client.start_workflow(
            GrantWorkflow.run,
            GrantWorkflowInput(region_code=code, state=service.state(code), clock_offset_seconds=offset,
                               max_history_events=100_000),
            id=grant_workflow_id(code), task_queue=P4_TASK_QUEUE,
        )
        await _first_task_done(grants, code)
        alone = [(await answer(None))[1] for _ in range(20)]
        crowd: list[tuple[str, float]] = []
        for _ in range(bursts):
            version = service.state(code).version
            crowd += await asyncio.gather(*(answer(version) for _ in range(operators)))
        # and one crowd whose commands all apply (no expected version): each is executed, one after another
        writers = await asyncio.gather(*(answer(None) for _ in range(operators)))
    times = [t for _, t in crowd]
    kinds = [k for k, _ in crowd]
    failures = sum(1 for k in kinds if k.startswith("5xx"))
    p50, p99 = percentile(times, 50), percentile(times, 99)
    a50 = percentile(alone, 50)
    return [
        Figure(
            id="P7", store="temporal",
            what=f"{operators} operators at once on one grant, {bursts} bursts, through the command sender: p99 of "
                 f"{len(times)} answers; 200: {kinds.count('200')}, 409: {kinds.count('409')}, 5xx: {failures}",
            engine=p99, baseline=a50, unit="s p99", ratio=p99 / a50 if a50 else None,
            target="5xx = 0, p99 < 5 s", ok=failures == 0 and p99 < 5.0,
            baseline_what="one operator alone on the same grant, p50",
            samples={"answers_s": times, "kinds": kinds, "alone_s": alone},
        ),
        Figure(id="P7m", store="temporal", what="the same answers: p50", engine=p50, baseline=a50, unit="s p50",
               ratio=p50 / a50 if a50 else None, target="", ok=None, baseline_what="one operator alone, p50"),
        Figure(
            id="P7w", store="temporal",
            what=f"{operators} operators at once whose commands all apply (no expected version): p99; 200: "
                 f"{[k for k, _ in writers].count('200')}, 5xx: {sum(1 for k, _ in writers if k.startswith('5xx'))}",
            engine=percentile([t for _, t in writers], 99), baseline=a50, unit="s p99",
            ratio=percentile([t for _, t in writers], 99) / a50 if a50 else None, target="", ok=None,
            baseline_what="one operator alone, p50", samples={"answers_s": [t for _, t in writers]},
        ),
    ]


# --- P6 ------------------------------------------------------------------------------------------


def _prepare_store(url: str, grants: int) -> list[str]:
    """`grants` pre-registered grants, made in memory and copied row by row into the SQLite store (the
    rows the service writes, faster than a transaction each)."""
    memory = open_service("memory:")
    codes = []
    for i in range(grants):
        script = GrantScript(memory, index=10_000 + i, per_year=dict(TINY_PER_YEAR))
        script.pre_register()
        codes.append(script.code)
    copy_into_sqlite(memory, url)
    return codes


@contextmanager
def _read_only(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a SQLite file another process writes (the store, P6b's rows), closed after."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def _count(path: str, topic_suffix: str) -> tuple[int, int]:
    """(records whose topic ends with `topic_suffix`, aggregates that have more than one of them)."""
    with _read_only(path) as connection:
        total = connection.execute("SELECT COUNT(*) FROM stored_events WHERE topic LIKE ?", (f"%{topic_suffix}",)).fetchone()[0]
        doubled = connection.execute(
            "SELECT COUNT(*) FROM (SELECT originator_id FROM stored_events WHERE topic LIKE ? GROUP BY originator_id "
            "HAVING COUNT(*) > 1)", (f"%{topic_suffix}",),
        ).fetchone()[0]
    return total, doubled


class _Tally:
    """Records of one topic counted as they come: each poll reads only the rows written since the one before (the
    notification log's rowid; one writer, so rowids grow in commit order). Watching the burst so costs the machine
    next to nothing, as P6b's poll of its one small table: `_count` reads the whole store twice (0.03 s of CPU at
    19,000 records, growing with the store), twice a second during the burst, on the engine's side of the ratio only."""

    def __init__(self, path: str, topic_suffix: str):
        self.path, self.pattern = path, f"%{topic_suffix}"
        self.after = 0  # the last rowid read
        self.count = 0

    def poll(self) -> int:
        with _read_only(self.path) as connection:
            (last,) = connection.execute("SELECT MAX(rowid) FROM stored_events").fetchone()
            if last is not None and last > self.after:
                (new,) = connection.execute(
                    "SELECT COUNT(*) FROM stored_events WHERE rowid > ? AND rowid <= ? AND topic LIKE ?",
                    (self.after, last, self.pattern),
                ).fetchone()
                self.count += new
                self.after = last
        return self.count


def _last_recorded(path: str, topic_suffix: str) -> float | None:
    """When the last record of the topic was recorded (its `timestamp`, wall time), as P6b's last row's own time;
    None if a state is not plain JSON (a store with a cipher or a compressor)."""
    with _read_only(path) as connection:
        states = connection.execute("SELECT state FROM stored_events WHERE topic LIKE ?", (f"%{topic_suffix}",)).fetchall()
    try:
        moments = [dt.datetime.fromisoformat(json.loads(state)["timestamp"]["_data_"]) for (state,) in states]
    except (ValueError, KeyError, TypeError):
        return None
    return max(moments).timestamp() if moments else None


async def _namespace_ready(client, timeout: float = 120.0) -> None:
    """Wait until the dev server knows its namespace: at a load of 15 on the 2 cores (2026-12-07) the server listened
    and took connections before it had registered `default`, and the first start failed (NamespaceNotFound)."""
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.service import RPCError

    end = time.monotonic() + timeout
    while True:
        try:
            await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=client.namespace))
            return
        except RPCError:
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.5)


async def _logged(log_file: Path, text: str, timeout: float = 120.0) -> None:
    """Wait until a worker's log says `text` (it is up): the idle RSS of P6r and P6br is read after that."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if log_file.exists() and text in log_file.read_text(encoding="utf-8", errors="replace"):
            return
        await asyncio.sleep(0.2)


LEAD_PER_GRANT = 0.1


def lead_seconds(grants: int, per_grant: float = LEAD_PER_GRANT) -> float:
    """Seconds from the first start to the instant: room to start every workflow and run its first task (with its
    reminder) first. 0.04 s a grant was enough on a quiet machine at 2,000, not at 10,000 (2026-12-07, 19:47: 1,680
    first tasks after the instant on an otherwise idle machine); at a load of 9-12 on the 2 cores (2026-12-07) the
    starts ran at 16/s and 1,171 of 2,000 grants met their deadline before their first task, so the run was LATE and
    its ratio meant nothing. 0.1 s a grant: 260 s at 2,000, 1,060 s at 10,000 (`--p6-lead-per-grant` sets it; a
    run whose lead was too short says LATE)."""
    return 60 + grants * per_grant


def _cache_size(worker_args: tuple[str, ...]) -> int:
    """The worker's --max-cached-workflows (`sto worker`'s default when not given)."""
    from adapters.cli.runtime import CACHED_GRANTS

    args = list(worker_args)
    for i, arg in enumerate(args):
        if arg == "--max-cached-workflows" and i + 1 < len(args):
            return int(args[i + 1])
        if arg.startswith("--max-cached-workflows="):
            return int(arg.split("=", 1)[1])
    return CACHED_GRANTS


async def p6_scale(grants: int = 10_000, concurrency: int = 50, worker_args: tuple[str, ...] = (),
                   workers: int = 1, bare: bool = True, fid: str = "P6",
                   lead_per_grant: float = LEAD_PER_GRANT) -> list[Figure]:
    """P6; with `bare`, first P6b's baseline on the same dev server (`_bare_burst`), then the grants."""
    with scratch_directory() as directory:
        url = f"sqlite:///{directory / 'sto.sqlite'}"
        path = store_env(url)["SQLITE_DBNAME"]
        prepared = time.perf_counter()
        codes = _prepare_store(url, grants)
        service = open_service(url)
        states = {code: service.state(code) for code in codes}
        prepared = time.perf_counter() - prepared
        server = DevServer(db_file=directory / "temporal.sqlite", port=free_port(), headless=True).start()
        baseline: dict | None = None
        if bare:
            try:
                baseline = await _bare_burst(directory, server, grants, concurrency, _cache_size(worker_args),
                                             lead_per_grant)
            except BaseException:
                server.stop()
                raise
        outbox = directory / "outbox"
        env = {**os.environ, "STO_TEMPORAL_ADDRESS": server.address, "STO_DATABASE_URL": url,
               "STO_NOTIFIER_URL": f"file://{outbox}", "STO_LOG_LEVEL": "INFO"}
        # each dies with the benchmark, however it ends (adapters/processes.py); its output goes to worker-N.log
        started = [processes.spawn([sys.executable, "-m", "adapters.cli.main", "worker", "--identity", f"bench-p6-{n}",
                                    *worker_args], directory / f"worker-{n}.log", cwd=REPO, env=env)
                   for n in range(1, workers + 1)]
        peak = [0, 0]  # the server's, the workers' together
        sampling = True

        async def sample() -> None:
            while sampling:
                peak[0] = max(peak[0], rss_kib(server.process.pid)[0])
                peak[1] = max(peak[1], sum(rss_kib(w.pid)[0] for w in started))
                await asyncio.sleep(1)

        sampler = asyncio.create_task(sample())
        try:
            figures = await _p6(directory, server, started, codes, states, path, outbox, grants, concurrency, prepared,
                                peak, _cache_size(worker_args), fid, lead_per_grant)
            return figures + _p6b(figures[0], baseline, fid)
        finally:
            sampling = False
            await sampler
            for worker in started:
                processes.stop(worker, signal.SIGTERM, timeout=60)
            server.stop()


def _per_worker(directory: Path, workers: int) -> list[int]:
    """How many deadline consequences each worker executed (its log's "command executed" lines)."""
    counts = []
    for n in range(1, workers + 1):
        log_file = directory / f"worker-{n}.log"
        text = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else ""
        counts.append(sum(1 for line in text.splitlines() if "command executed" in line and "ApplyDeadlineConsequence" in line))
    return counts


async def _p6(directory, server, workers, codes, states, path, outbox, grants, concurrency, prepared, peak,
              cache: int = 10_000, fid: str = "P6", lead_per_grant: float = LEAD_PER_GRANT) -> list[Figure]:
    client = await connect(TemporalSettings(address=server.address))
    await _namespace_ready(client)
    for n in range(1, len(workers) + 1):  # idle means started: at a load of 10 its imports alone outlast 3 s
        await _logged(directory / f"worker-{n}.log", "worker started")
    await asyncio.sleep(3)  # the workers connect
    idle_rss = rss_kib(server.process.pid)[0]
    workers_idle = sum(rss_kib(w.pid)[0] for w in workers)
    due = dt.datetime(2019, 4, 1, 0, 0, tzinfo=AMSTERDAM)  # the end of application period 1 (its due_at)
    # seconds until the instant: room to start them all and for the worker to run each one's first task (which
    # sends its reminder); starts run at 15-90/s here, first tasks at 15-150/s, depending on the machine's load
    lead = lead_seconds(grants, lead_per_grant)
    instant = time.time() + lead
    offset = business_offset(due, instant)
    gate = asyncio.Semaphore(concurrency)
    started_at = time.perf_counter()

    async def start(code: str) -> None:
        async with gate:
            await client.start_workflow(
                GrantWorkflow.run,
                GrantWorkflowInput(region_code=code, state=states[code], clock_offset_seconds=offset),
                id=grant_workflow_id(code), task_queue="sto-grants",
            )

    await asyncio.gather(*(start(code) for code in codes))
    start_seconds = time.perf_counter() - started_at
    late = time.time() > instant
    # the reminders the start phase sent (one per grant: the latest offset before the deadline)
    reminders_deadline = time.time() + max(120, grants / 10)
    delivered_so_far = _Tally(path, "OutboxMessage.Delivered")
    while time.time() < min(reminders_deadline, instant - 1):
        if delivered_so_far.poll() >= grants:
            break
        await asyncio.sleep(1)
    reminders_before = delivered_so_far.poll()
    rss_at_instant = rss_kib(server.process.pid)[0]
    workers_loaded = sum(rss_kib(w.pid)[0] for w in workers)  # every grant's first task done: held in the cache
    lapsed_so_far = _Tally(path, "GrantLapsed")
    lapsed_so_far.poll()  # the rows before the instant read now, not in the burst
    await asyncio.sleep(max(0.0, instant - time.time()))
    fired = time.perf_counter()
    limit = time.time() + max(300, grants / 5)
    lapsed = 0
    while time.time() < limit:
        lapsed = lapsed_so_far.poll()
        if lapsed >= grants:
            break
        await asyncio.sleep(0.5)
    seen_seconds = time.perf_counter() - fired  # when the poll saw the last one (half a second's grain)
    last_at = _last_recorded(path, "GrantLapsed") if lapsed >= grants else None
    # from the instant to the last consequence's own record, as P6b's from the instant to its last row's time
    process_seconds = (last_at - instant) if last_at is not None else seen_seconds
    await asyncio.sleep(3)  # anything late or doubled would show now
    lapsed, lapsed_twice = _count(path, "GrantLapsed")
    delivered, delivered_twice = _count(path, "OutboxMessage.Delivered")
    queued, _ = _count(path, "OutboxMessage.Queued")
    files = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
    visible = time.time() + 60
    while True:  # the dev server's visibility store lags a little behind
        completed = await client.count_workflows('WorkflowType="GrantLifecycle" AND ExecutionStatus="Completed"')
        if completed.count >= grants or time.time() > visible:
            break
        await asyncio.sleep(1)
    _, hwm = rss_kib(server.process.pid)
    exactly_once = (lapsed == grants and lapsed_twice == 0 and delivered == grants and delivered_twice == 0
                    and files == grants and queued == grants)
    all_done = lapsed == grants
    # a workflow whose first task ran after the instant rightly sends no reminder (its deadline has passed):
    # then the instant was not one instant for all, and the run says so
    late = late or reminders_before < grants
    detail = (f"{grants:,} grants started in {start_seconds:.0f} s ({grants / start_seconds:.0f}/s{', LATE: some started after the instant' if late else ''}); "
              f"consequences stored {lapsed:,} (twice: {lapsed_twice}), workflows completed {completed.count:,}; "
              f"reminders delivered {delivered:,} (twice: {delivered_twice}; {reminders_before:,} before the instant), "
              f"outbox queued {queued:,}, messages written {files:,}")
    per_worker = _per_worker(directory, len(workers))
    rate = grants / process_seconds if all_done else None
    detail += (f"; consequences per worker {per_worker} ({', '.join(f'{n / process_seconds:.0f}/s' for n in per_worker)}); "
               f"workers' memory at peak {peak[1] / 1024:.0f} MiB ({peak[1] / grants:.0f} KiB per grant)")
    held = min(grants, cache * len(workers))
    # the grants whose first task had run when the RSS was read: all of them unless the run was LATE
    loaded_grants = min(held, reminders_before) if reminders_before else held
    per_grant = (workers_loaded - workers_idle) / loaded_grants if loaded_grants else float("nan")
    return [
        Figure(
            id=fid, store="temporal",
            what=f"{grants:,} grants with pending timers, {grants:,} deadlines at one instant: time until every "
                 f"consequence is stored (one dev server, {len(workers)} worker process{'es' if len(workers) > 1 else ''}, "
                 "SQLite store)",
            engine=process_seconds if all_done else None, baseline=None, unit="s", target="all, exactly once",
            ok=exactly_once and all_done and not late, notes=detail,
            samples={"start_seconds": start_seconds, "prepare_seconds": prepared, "late": late,
                     "seen_seconds": seen_seconds, "timed_by": "record" if last_at is not None else "poll",
                     "lapsed": lapsed, "lapsed_twice": lapsed_twice, "delivered": delivered,
                     "delivered_twice": delivered_twice, "queued": queued, "files": files,
                     "completed": completed.count, "rate_per_s": rate, "workers": len(workers),
                     "consequences_per_worker": per_worker, "workers_peak_rss_kib": peak[1],
                     "workers_idle_rss_kib": workers_idle, "workers_loaded_rss_kib": workers_loaded,
                     "cache": cache, "exactly_once": exactly_once},
        ),
        Figure(
            id=f"{fid}r", store="temporal",
            what=f"worker memory per cached grant: RSS growth of the worker{'s' if len(workers) > 1 else ''} from idle "
                 f"(connected, no workflow) to the instant (every grant's first task done, {held:,} grants held, "
                 f"cache {cache:,} per worker; divided by the {loaded_grants:,} whose first task had run)",
            engine=per_grant, baseline=None, unit="KiB/grant", target="≤ 50 KiB" if held == grants else "",
            ok=(per_grant <= 50) if held == grants else None,
            notes=f"idle {workers_idle / 1024:.0f} MiB, at the instant {workers_loaded / 1024:.0f} MiB, "
                  f"peak {peak[1] / 1024:.0f} MiB",
        ),
        Figure(
            id=f"{fid}m", store="temporal", what="dev server memory (RSS): peak while running, and before any workflow",
            engine=max(peak[0], hwm) / 1024, baseline=idle_rss / 1024, unit="MiB", target="", ok=None,
            notes=f"{(max(peak[0], hwm) - idle_rss) / grants:.1f} KiB per grant above the idle server; "
                  f"{rss_at_instant / 1024:.0f} MiB at the instant",
            baseline_what="the idle server (before the first workflow)",
        ),
    ]


# --- P6b: the burst's baseline, bare workflows on the same dev server -------------------------------------------


async def _bare_burst(directory: Path, server: DevServer, n: int, concurrency: int, cache: int,
                      lead_per_grant: float = LEAD_PER_GRANT) -> dict:
    """N bare workflows (tests/benchmarks/bare_workflow.py: a timer to one instant, then a local activity that
    inserts one row into SQLite) on `server`, run by a worker process tuned as `sto worker` (bare_worker.py),
    with the same lead before the instant as P6's grants. Returns what it measured; the worker is stopped."""
    from tests.benchmarks.bare_workflow import BURST_TASK_QUEUE, BareDeadlineWorkflow

    rows = directory / "bare-rows.sqlite"
    worker = processes.spawn([sys.executable, "-m", "tests.benchmarks.bare_worker", server.address, str(rows), str(cache)],
                             directory / "bare-worker.log", cwd=REPO, env=dict(os.environ))
    peak = 0
    sampling = True

    async def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, rss_kib(worker.pid)[0])
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample())
    try:
        client = await connect(TemporalSettings(address=server.address))
        await _namespace_ready(client)
        await _logged(directory / "bare-worker.log", "bare worker running")
        await asyncio.sleep(3)  # the worker connects
        idle = rss_kib(worker.pid)[0]
        lead = lead_seconds(n, lead_per_grant)  # as P6's
        instant = time.time() + lead
        gate = asyncio.Semaphore(concurrency)
        started_at = time.perf_counter()

        async def start(i: int) -> None:
            async with gate:
                await client.start_workflow(BareDeadlineWorkflow.run, instant, id=f"bench-bare-burst-{i}",
                                            task_queue=BURST_TASK_QUEUE)

        await asyncio.gather(*(start(i) for i in range(n)))
        start_seconds = time.perf_counter() - started_at
        late = time.time() > instant
        await asyncio.sleep(max(0.0, instant - 1 - time.time()))
        loaded = rss_kib(worker.pid)[0]
        await asyncio.sleep(max(0.0, instant - time.time()))
        limit = time.time() + max(300, n / 5)

        def counted() -> tuple[int, int, float]:
            with _read_only(rows) as connection:
                try:
                    return connection.execute("SELECT COUNT(*), COUNT(DISTINCT workflow_id), MAX(at) FROM fired").fetchone()
                except sqlite3.OperationalError:  # no row yet: the table is made by the worker
                    return 0, 0, 0.0

        count = distinct = 0
        while time.time() < limit:
            count, distinct, _ = counted()
            if distinct >= n:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)  # anything late or doubled would show now
        count, distinct, last_at = counted()
        seconds = (last_at - instant) if distinct >= n else None
        visible = time.time() + 60
        while True:
            completed = await client.count_workflows('WorkflowType="BenchBareDeadline" AND ExecutionStatus="Completed"')
            if completed.count >= n or time.time() > visible:
                break
            await asyncio.sleep(1)
        return {"n": n, "seconds": seconds, "rows": count, "distinct": distinct, "completed": completed.count,
                "start_seconds": start_seconds, "late": late, "idle_kib": idle, "loaded_kib": loaded, "peak_kib": peak,
                "cache": cache, "exactly_once": count == n and distinct == n}
    finally:
        sampling = False
        await sampler
        processes.stop(worker, signal.SIGTERM, timeout=60)


def _p6b(p6: Figure, bare: dict | None, fid: str) -> list[Figure]:
    if bare is None:
        return []
    n = bare["n"]
    held = min(n, bare["cache"])
    ratio = p6.engine / bare["seconds"] if p6.engine and bare["seconds"] else None
    detail = (f"bare: {n:,} started in {bare['start_seconds']:.0f} s{' (LATE)' if bare['late'] else ''}, rows "
              f"{bare['rows']:,} ({bare['distinct']:,} workflows, exactly once: {bare['exactly_once']}), completed "
              f"{bare['completed']:,}; P6 exactly once: {p6.samples.get('exactly_once')}")
    per = (bare["loaded_kib"] - bare["idle_kib"]) / held
    return [
        Figure(
            id=f"{fid}b", store="temporal",
            what=f"{p6.id} against bare Temporal: {n:,} bare workflows on the same dev server before it (a timer to one "
                 "instant, then a local activity inserting one row into SQLite; worker process tuned as `sto worker`)",
            engine=p6.engine, baseline=bare["seconds"], unit="s", ratio=ratio, target="ratio ≤ 1.5, exactly once",
            ok=bool(ratio is not None and ratio <= 1.5 and bare["exactly_once"] and p6.ok),
            baseline_what="the bare burst: from the instant to the last row inserted", notes=detail,
            samples=bare,
        ),
        Figure(
            id=f"{fid}br", store="temporal",
            what=f"bare worker memory per cached workflow (RSS growth idle -> the instant, {held:,} held): the baseline "
                 f"of {p6.id}r", engine=per, baseline=None, unit="KiB/workflow", target="", ok=None,
            notes=f"idle {bare['idle_kib'] / 1024:.0f} MiB, at the instant {bare['loaded_kib'] / 1024:.0f} MiB, "
                  f"peak {bare['peak_kib'] / 1024:.0f} MiB",
        ),
    ]
