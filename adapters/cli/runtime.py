"""`sto worker` and `sto serve`: the processes that run the engine."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated, Optional

import typer

from adapters import processes
from adapters.engine.business_clock import BUSINESS_EPOCH_SETTING, clock_from_env
from adapters.cli.context import STATE
from adapters.cli.output import console, err_console
from adapters.engine.key import engine_key
from adapters.logging import get_logger
from adapters.notify.notifiers import notifier_from_url
from adapters.event_store.store import describe, open_service
from adapters.engine.temporal import (
    MIN_CACHED_WORKFLOWS, DevServer, TemporalSettings, WorkerTuning, build_worker, connect, ensure_search_attributes,
)
from workflows.credentials import CommandCredentials

log = get_logger(__name__)

NotifierOption = Annotated[
    Optional[str],
    typer.Option("--notifier-url", envvar="STO_NOTIFIER_URL", help="smtp://HOST:PORT or file:///DIR (default: file outbox var/outbox)"),
]


CACHED_GRANTS = 10_000  # a worker's grants in memory (198 KiB each in P6): a burst of deadlines replays no history


async def _run_worker(
    settings: TemporalSettings,
    notifier_url: str | None,
    identity: str | None,
    max_cached: int,
    stop: asyncio.Event,
    sandboxed: bool = True,
    anchor_daily: bool = False,
    tuning: WorkerTuning = WorkerTuning(),
) -> None:
    client = await connect(settings)
    await ensure_search_attributes(client, settings.namespace)
    service = open_service(STATE.database_url)
    notifier = notifier_from_url(notifier_url, Path("var") / "outbox")
    worker = build_worker(
        client, service, notifier, task_queue=settings.task_queue, identity=identity, max_cached_workflows=max_cached,
        sandboxed=sandboxed, credentials=CommandCredentials(engine_key(STATE.url)), tuning=tuning,
    )
    log.info("worker started", address=settings.address, namespace=settings.namespace, task_queue=settings.task_queue,
             store=describe(STATE.database_url), identity=identity)
    if anchor_daily and STATE.url != "memory:":  # `sto serve`: the chain's head leaves the store every business day
        from adapters.audit.anchor import start_daily_anchoring

        await start_daily_anchoring(client, task_queue=settings.task_queue, clock_offset_seconds=clock_from_env().offset_seconds)
        from adapters.engine.payment_activities import start_payment_run  # the money: a payment run every working day

        await start_payment_run(client, task_queue=settings.task_queue, clock_offset_seconds=clock_from_env().offset_seconds)
    async with worker:
        await stop.wait()
    log.info("worker stopped", identity=identity)


async def _run_webhooks(notifier_url: str | None, stop: asyncio.Event) -> None:
    """`sto serve`'s webhook deliveries (adapters/notify/webhooks.py): one loop per store, so only here."""
    from adapters.notify.subscriptions import SubscriptionStore
    from adapters.notify.webhooks import OPERATORS_ADDRESS, WebhookDispatcher, mail_alert

    service, store = open_service(STATE.database_url), SubscriptionStore(STATE.url)
    alert = mail_alert(notifier_from_url(notifier_url, Path("var") / "outbox"), OPERATORS_ADDRESS, clock_from_env().today)
    dispatcher = WebhookDispatcher(service, store, alert=alert)
    try:
        await dispatcher.run(stop)
    finally:
        dispatcher.close()
        store.close()
        service.close()


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


def worker(
    notifier_url: NotifierOption = None,
    identity: Annotated[Optional[str], typer.Option("--identity", help="worker name shown in Temporal")] = None,
    max_cached_workflows: Annotated[int, typer.Option("--max-cached-workflows", min=MIN_CACHED_WORKFLOWS, help="grants kept in memory (about 135 KiB each, measured in P6r; at least 1): a burst of deadlines then replays no history")] = CACHED_GRANTS,
    sandbox: Annotated[bool, typer.Option("--sandbox/--no-sandbox", help="Temporal's workflow sandbox (off only for trusted batch runs)")] = True,
    sticky_timeout: Annotated[float, typer.Option(
        "--sticky-timeout", min=1.0, max=300.0,
        help="seconds a grant's next task waits for this worker, which holds the grant in memory, before any worker "
             "takes it: after this worker dies, at most that long (the server also notices a gone worker within about "
             "10 s); lower means more history replays in a burst of deadlines")] = WorkerTuning().sticky_queue_schedule_to_start_seconds,
    metrics_port: Annotated[Optional[int], typer.Option(
        "--metrics-port", min=1, max=65535, envvar="STO_METRICS_PORT",
        help="serve the engine's metrics as Prometheus text on 127.0.0.1:PORT/metrics (the Temporal SDK's own: "
             "STO_TEMPORAL_METRICS_ADDRESS)")] = None,
) -> None:
    """Run a worker for the grant and programme workflows (Ctrl-C stops it). Several workers on one task
    queue share the grants: that is how the engine scales past one machine."""
    settings = TemporalSettings.from_env()
    tuning = WorkerTuning(sticky_queue_schedule_to_start_seconds=sticky_timeout)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        from adapters.observability.metrics import REGISTRY

        start_http_server(metrics_port, addr="127.0.0.1", registry=REGISTRY)

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        await _run_worker(settings, notifier_url, identity, max_cached_workflows, stop, sandbox, tuning=tuning)

    try:
        asyncio.run(main())
    except OSError as error:
        err_console.print(f"[bold red]Error[/]: cannot reach Temporal at {settings.address}: {error}")
        err_console.print("  [cyan]what to do:[/] start one with `sto serve`, or set STO_TEMPORAL_ADDRESS")
        raise typer.Exit(6) from None


def serve(
    port: Annotated[int, typer.Option("--port", help="Temporal frontend port")] = 7233,
    ui_port: Annotated[int, typer.Option("--ui-port", help="Temporal web UI port")] = 8233,
    db_file: Annotated[Path, typer.Option("--temporal-db", help="the dev server's SQLite file")] = Path("var/temporal.sqlite"),
    notifier_url: NotifierOption = None,
    api_port: Annotated[int, typer.Option("--api-port", help="HTTP API (OpenAPI at /docs) and back-office page, on localhost")] = 8000,
    business_epoch: Annotated[Optional[str], typer.Option("--business-epoch", envvar=BUSINESS_EPOCH_SETTING, help="business time now (ISO): grants started through the API begin there")] = None,
) -> None:
    """Start the embedded Temporal dev server (SQLite file under ./var, web UI on localhost), a worker, and the
    HTTP API with the back-office page; Ctrl-C stops them all cleanly."""
    from adapters.http.context import ApiSettings
    from adapters.http.server import serve_api
    from adapters.notify.addresses import AllowedNetworks

    try:
        clock = clock_from_env(business_epoch)
        webhook_allowed = AllowedNetworks.from_env()  # STO_WEBHOOK_ALLOWED_NETWORKS: refused before anything starts
    except ValueError as error:
        err_console.print(f"[bold red]Error[/]: {error}")
        raise typer.Exit(2) from None
    # The dev server dies with this process however it ends: `kill -9` included (parent-death signal, see
    # adapters/processes.py); SIGTERM or SIGINT outside the event loop (while the server starts) stops it
    # through the `finally` below; inside the loop they stop the worker and the API first.
    server = DevServer(db_file=db_file, port=port, ui_port=ui_port)
    with processes.stopping_on_signals():
        try:
            server.start()
            console.print(f"Temporal dev server on {server.address}, web UI http://127.0.0.1:{ui_port}, history in {db_file}"
                          f" (its log: {server.log_file})")
            settings = TemporalSettings(address=server.address)
            api = ApiSettings(database_url=STATE.database_url, temporal=settings, clock=clock, port=api_port,
                              webhook_allowed=webhook_allowed)

            async def main() -> None:
                stop = asyncio.Event()
                _stop_on_signals(stop)
                tasks = [asyncio.create_task(_run_worker(settings, notifier_url, "sto-serve", CACHED_GRANTS, stop, anchor_daily=True))]
                tasks.append(asyncio.create_task(serve_api(api, stop)))
                tasks.append(asyncio.create_task(_run_webhooks(notifier_url, stop)))
                console.print(f"worker running; API and back-office page on http://{api.host}:{api.port} (OpenAPI at /docs); press Ctrl-C to stop")
                await asyncio.gather(*tasks)

            asyncio.run(main())
        finally:
            server.stop()
            console.print("stopped the worker and the Temporal dev server")

