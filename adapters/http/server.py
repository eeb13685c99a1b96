"""Run the API with uvicorn inside an event loop that also runs other parts (the worker, in `sto serve`).

uvicorn's proxy headers are off: by default it takes the client address from X-Forwarded-For when the peer is
127.0.0.1, so any local client could name itself anew on every request and never reach the limit on failed
tokens (adapters.http.limits). The client address is the address of the connection.
"""

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


def uvicorn_config(settings: ApiSettings) -> uvicorn.Config:
    return uvicorn.Config(create_app(settings), host=settings.host, port=settings.port, log_config=None, access_log=False,
                          proxy_headers=False)


async def serve_api(settings: ApiSettings, stop: asyncio.Event) -> None:
    server = _Server(uvicorn_config(settings))
    task = asyncio.create_task(server.serve())
    log.info("api started", url=f"http://{settings.host}:{settings.port}", docs=f"http://{settings.host}:{settings.port}/docs")
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await task
    stopping.cancel()
    log.info("api stopped")
