"""What the grants of a scheme still running today wait for: their open workflows, asked by query."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

from pydantic import BaseModel
from temporalio.client import WorkflowExecutionStatus

from adapters.engine.grants_client import GrantsClient
from adapters.event_store.service import GrantService


class PendingDeadline(BaseModel):
    key: str
    title: str
    due: dt.date
    grants: int  # open workflows with a timer on this deadline


class PendingTimers(BaseModel):
    as_of: dt.datetime  # business time when the replay stopped
    open_workflows: int
    closed_workflows: int
    deadlines: list[PendingDeadline]
    next_wake: dt.datetime | None  # the earliest timer of any open workflow


async def pending_timers(client: GrantsClient, service: GrantService, scheme: str, as_of: dt.datetime) -> PendingTimers:
    """Query every grant workflow of `scheme`: is it open, which deadlines does it wait for (their timers)."""
    codes = list(service.region_codes(scheme))

    async def one(code: str):
        handle = client.handle(code, scheme)
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            return None
        return await client.status(code, scheme)

    views = await asyncio.gather(*(one(code) for code in codes))
    open_views = [v for v in views if v is not None]
    counts: Counter[tuple[str, str, dt.date]] = Counter()
    wakes: list[dt.datetime] = []
    for view in open_views:
        for deadline in view.next_deadlines:
            counts[(deadline.key, deadline.title, deadline.due)] += 1
            wakes.append(deadline.due_at)
        wakes += [r.at for r in view.next_reminders]
    return PendingTimers(
        as_of=as_of,
        open_workflows=len(open_views),
        closed_workflows=len(codes) - len(open_views),
        deadlines=[PendingDeadline(key=k, title=t, due=d, grants=n) for (k, t, d), n in sorted(counts.items(), key=lambda i: (i[0][2], i[0][0]))],
        next_wake=min(wakes) if wakes else None,
    )
