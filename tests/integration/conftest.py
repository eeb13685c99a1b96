"""Fixtures for the Temporal tests: the real time-skipping test server, a real SMTP server, a worker."""

from __future__ import annotations

import asyncio
import email.policy
import datetime as dt
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from adapters.engine.grants_client import GrantsClient
from adapters.notify.notifiers import SmtpNotifier
from adapters.event_store.store import open_service
from adapters.engine.temporal import DevServer, build_worker, ensure_search_attributes, free_port, test_server_binary
from domain.regulation import default_regulation
from adapters.event_store.service import GrantService
from domain.timekeeping import AMSTERDAM


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default))
        return "250 OK"

    def keys(self) -> list[str]:
        return [m["X-STO-Reminder-Key"] for m in self.messages if m["X-STO-Reminder-Key"]]

    def letters(self) -> list[Message]:
        """The decision letters (a mail with the PDF attached)."""
        return [m for m in self.messages if m["X-STO-Letter-Key"]]


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox = field(default_factory=Mailbox)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer(port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def ts_env():
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_binary(), data_converter=pydantic_data_converter
    )
    await ensure_search_attributes(env.client, "default")
    yield env
    await env.shutdown()


@dataclass
class Engine:
    """A running engine on the time-skipping server: store, worker, client, and a business clock."""

    env: WorkflowEnvironment
    service: GrantService
    client: GrantsClient
    offset: dt.timedelta

    async def business_now(self) -> dt.datetime:
        return (await self.env.get_current_time()) + self.offset

    async def advance_to(self, moment: dt.datetime) -> None:
        """Let virtual time run until business time `moment` (timers fire on the way)."""
        delta = moment - await self.business_now()
        if delta > dt.timedelta(0):
            await self.env.sleep(delta)
        await asyncio.sleep(0.05)  # let the worker finish what the last timer started


async def start_engine(
    env, url: str, smtp_port: int, start: dt.datetime, *, base_without_versions: tuple[str, ...] = (), **client_kwargs
) -> tuple[Engine, object]:
    base = default_regulation().without_versions(*base_without_versions) if base_without_versions else None
    service = open_service(url, base_regulation=base)
    worker = build_worker(env.client, service, SmtpNotifier("127.0.0.1", smtp_port))
    offset = start - await env.get_current_time()
    client = GrantsClient(
        env.client, clock_offset_seconds=offset.total_seconds(), base_without_versions=base_without_versions, **client_kwargs
    )
    return Engine(env, service, client, offset), worker


@pytest.fixture
async def engine(ts_env, smtp, sqlite_url):
    """The engine with business time starting on 1 October 2018, 09:00 in Amsterdam."""
    eng, worker = await start_engine(ts_env, sqlite_url, smtp.port, dt.datetime(2018, 10, 1, 9, tzinfo=AMSTERDAM))
    async with worker:
        yield eng


@pytest.fixture
def dev_server(tmp_path):
    """A real `temporal server start-dev` on a free port and its own SQLite file."""
    server = DevServer(db_file=tmp_path / "temporal.sqlite", port=free_port(), headless=True).start()
    yield server
    server.stop(kill=True)  # nothing of it is needed afterwards; a gentle stop can take 15 s
