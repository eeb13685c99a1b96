"""Run the API with uvicorn inside an event loop that also runs other parts (the worker, in `sto serve`)."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.logging import get_logger

log = get_logger(__name__)


class _Server(uvicorn.Server):
    """Leaves the signals to the process that runs it: it stops when that process sets `stop`."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


async def serve_api(settings: ApiSettings, stop: asyncio.Event) -> None:
    config = uvicorn.Config(create_app(settings), host=settings.host, port=settings.port, log_config=None, access_log=False)
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    log.info("api started", url=f"http://{settings.host}:{settings.port}", docs=f"http://{settings.host}:{settings.port}/docs")
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await task
    stopping.cancel()
    log.info("api stopped")
