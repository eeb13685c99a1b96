"""Fixtures for the Temporal tests: the real time-skipping test server, a real SMTP server, a worker."""

from __future__ import annotations

import asyncio
import email.policy
import datetime as dt
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest, ListOpenWorkflowExecutionsRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from adapters.engine.grants_client import GrantsClient
from adapters.replay.virtual_time import VirtualClock
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
        """Let virtual time run until business time `moment` (timers fire on the way), in the replay's bounded steps,
        each call with its own deadline (adapters/replay/virtual_time.py): one long sleep can outlast the SDK's 30 s
        deadline for a call on a busy machine."""
        if moment > await self.business_now():
            await VirtualClock(self.env.client.test_service).advance_to(moment - self.offset)
        await self.settled()

    async def settled(self, timeout: float = 180.0) -> None:
        """Until the worker has finished what the timers started: no workflow has a workflow task or an activity
        outstanding, nor a timer that is due (the sleep returns when the server's clock reaches its end, while
        the worker may still be running the task of a timer that fired on the way). An activity waiting for its
        next attempt (a mail server down) counts as settled: its retry is a timer of the future."""
        deadline = time.monotonic() + timeout
        while True:
            busy = await busy_workflows(self.env.client, await self.env.get_current_time())
            if not busy:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker did not settle within {timeout:g} s; still busy: {busy}")
            await asyncio.sleep(0.1)  # each look reads every open history: leave the worker the cores


def waiting_for_a_retry(activity, now: dt.datetime) -> bool:
    """A pending activity whose last attempt ended and whose next one lies ahead. The time-skipping server keeps such
    an activity STARTED, its last attempt's end after its start; the dev server keeps it SCHEDULED, with the time
    of its next attempt."""
    if activity.attempt <= 1 and not activity.HasField("last_failure"):
        return False
    if activity.HasField("next_attempt_schedule_time"):
        return activity.next_attempt_schedule_time.ToDatetime(dt.timezone.utc) > now
    return (activity.HasField("last_attempt_complete_time") and activity.HasField("last_started_time")
            and activity.last_attempt_complete_time.ToDatetime() >= activity.last_started_time.ToDatetime())


async def busy_workflows(client: Client, now: dt.datetime) -> list[str]:
    """Every open workflow with work in flight, and what: the time-skipping server lists open workflows (the old
    ListOpenWorkflowExecutions; it has no visibility queries), their histories show open workflow tasks and
    timers, and `describe` the activities pending and whether they wait for a retry."""
    service = client.workflow_service
    executions, token = [], b""
    while True:
        page = await service.list_open_workflow_executions(
            ListOpenWorkflowExecutionsRequest(namespace=client.namespace, maximum_page_size=1000, next_page_token=token))
        executions += list(page.executions)
        token = page.next_page_token
        if not token:
            break
    busy = []
    for info in executions:
        execution = info.execution
        handle = client.get_workflow_handle(execution.workflow_id, run_id=execution.run_id)
        try:
            history = await handle.fetch_history()
            described = await service.describe_workflow_execution(  # raw: the SDK's decoding trips on a Datetime attribute
                DescribeWorkflowExecutionRequest(namespace=client.namespace, execution=execution))
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            described = None
        if described is None or described.workflow_execution_info.status != WorkflowExecutionStatus.RUNNING.value:
            # closed since the list: it may have continued as new, its next run not listed yet; ask again
            busy.append(f"{execution.workflow_id}: closed since it was listed")
            continue
        tasks = 0
        timers: dict[int, dt.datetime] = {}
        for event in history.events:
            kind = event.WhichOneof("attributes")
            if kind == "workflow_task_scheduled_event_attributes":
                tasks += 1
            elif kind in ("workflow_task_completed_event_attributes", "workflow_task_failed_event_attributes",
                          "workflow_task_timed_out_event_attributes"):
                tasks -= 1
            elif kind == "timer_started_event_attributes":
                timers[event.event_id] = (event.event_time.ToDatetime(dt.timezone.utc)
                                          + event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta())
            elif kind == "timer_fired_event_attributes":
                timers.pop(event.timer_fired_event_attributes.started_event_id, None)
            elif kind == "timer_canceled_event_attributes":
                timers.pop(event.timer_canceled_event_attributes.started_event_id, None)
        what = []
        if tasks > 0 or described.HasField("pending_workflow_task"):  # the dev server also names one an update brought
            what.append("a workflow task")
        what += [f"a timer due at {due:%Y-%m-%d %H:%M:%S}" for due in timers.values() if due <= now]
        for activity in described.pending_activities:
            if not waiting_for_a_retry(activity, now):
                what.append(f"activity {activity.activity_type.name} (attempt {activity.attempt})")
        if what:
            busy.append(f"{execution.workflow_id}: {', '.join(what)}")
    return busy


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
    server = DevServer(db_file=tmp_path / "temporal.sqlite", port=free_port(), headless=True).start(timeout=120)
    yield server
    server.stop(kill=True)  # nothing of it is needed afterwards; a gentle stop can take 15 s
