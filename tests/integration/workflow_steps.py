"""Small helpers to drive grants through their workflows in tests."""

from __future__ import annotations

import datetime as dt

from adapters.replay.staff import take_besluit_async
from tests.support.scripted import PER_YEAR, GrantScript, years
from domain import commands as c
from domain.models import CriterionAdvice
from domain.results import CommandResult
from domain.timekeeping import AMSTERDAM


def at(y: int, m: int, d: int, h: int = 12) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=AMSTERDAM)


def command(script: GrantScript, cls: type[c.Command], **fields) -> c.Command:
    fields.setdefault("reason", f"{cls.__name__} by the operator")
    return cls(region_code=script.code, actor=script.actor, **fields)


def vooraanmelding(script: GrantScript) -> c.SubmitVooraanmelding:
    return c.SubmitVooraanmelding(actor=script.actor, reason="vooraanmelding ontvangen", **script.region.vooraanmelding_fields())


def advice(script: GrantScript, positive: bool = True) -> c.Command:
    return command(
        script, c.RecordAdvice, positive=positive,
        criteria=[CriterionAdvice(criterion="regiovisie", judgement="sufficient" if positive else "insufficient")],
    )


async def take(engine, besluit: c.Command) -> list[CommandResult]:
    """A besluit through its stages, each sent through the grant's workflow as the besluit command is: the command
    drafts it, people of the organisation register holding each further stage's role pass it (synthetic staff,
    adapters/replay/staff.py), the signing stage takes it. The results in order: the last is the besluit's."""
    regulation = engine.service.regulation(besluit.scheme)
    return await take_besluit_async(engine.client.transition, besluit, regulation, when=await engine.business_now())


async def decide(engine, besluit: c.Command) -> CommandResult:
    """take(), the result of the step by which the besluit took effect."""
    return (await take(engine, besluit))[-1]


async def approve_in_period_1(engine, *scripts: GrantScript) -> None:
    """Vooraanmelding now, application on 15 March 2019, approval on 20 June 2019 (engine must be before March 2019)."""
    send = engine.client.transition
    for script in scripts:
        await engine.client.pre_register(vooraanmelding(script))
    await engine.advance_to(at(2019, 3, 15))
    for script in scripts:
        await send(command(script, c.SubmitApplication, period=1, documents=script.documents()))
        await send(command(script, c.AcceptApplication))
    await engine.advance_to(at(2019, 6, 10))
    for script in scripts:
        await send(advice(script))
    await engine.advance_to(at(2019, 6, 20))
    for script in scripts:
        await decide(engine, command(script, c.ApproveGrant, granted_per_year=years(script.per_year or PER_YEAR)))


def report(script: GrantScript, number: int, **fields) -> c.Command:
    return command(
        script, c.SubmitProgressReport, number=number, summary=f"voortgang {number}",
        spent_cents=1_000_000, cofinancing_realised_cents=100_000, **fields,
    )


def reminded(keys: list[str]) -> list[tuple[str, str, str, str]]:
    """(region, deadline, due, offset) for every deadline a reminder covered (one message may cover several)."""
    found = []
    for key in keys:
        region, deadlines, due, offset = key.split("|")
        found.extend((region, deadline, due, offset) for deadline in deadlines.split("+"))
    return found
