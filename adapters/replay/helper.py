"""A helper worker of the replay (`python -m adapters.replay.helper`): `sto worker` with the replay's credentials.

Started by adapters/replay/engine.py with STO_TEMPORAL_ADDRESS, STO_DATABASE_URL and STO_NOTIFIER_URL set;
stops on SIGTERM or SIGINT. Python runs one core per process: a second process uses the machine's second core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path

from adapters.engine.key import engine_key
from adapters.engine.temporal import TemporalSettings, build_worker, connect, ensure_search_attributes
from adapters.event_store.store import open_service
from adapters.notify.notifiers import notifier_from_url
from adapters.replay.credentials import ReplayCredentials


async def main(identity: str, sandboxed: bool) -> None:
    settings = TemporalSettings.from_env()
    client = await connect(settings)
    await ensure_search_attributes(client, settings.namespace)
    url = os.environ["STO_DATABASE_URL"]
    service = open_service(url)
    notifier = notifier_from_url(os.environ.get("STO_NOTIFIER_URL"), Path("var") / "outbox")
    worker = build_worker(client, service, notifier, task_queue=settings.task_queue, identity=identity,
                          sandboxed=sandboxed, credentials=ReplayCredentials(engine_key(url)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--identity", default="replay-worker")
    parser.add_argument("--sandbox", action=argparse.BooleanOptionalAction, default=False)
    args = parser.parse_args()
    from adapters.logging import configure_logging

    configure_logging()
    asyncio.run(main(args.identity, args.sandbox))
