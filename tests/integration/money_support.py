"""What the payment-run tests share: grants with released instalments, the paying account, and reading the finance
outbox back (which end-to-end ids are in which file)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import time
from collections import Counter
from pathlib import Path

from adapters.event_store import money
from adapters.finance import xsd
from adapters.finance.instructions import DebtorAccount
from adapters.replay.virtual_time import VirtualClock
from domain import commands as c
from domain.ledger import commands as lc
from domain.values import Role
from tests.integration.conftest import busy_workflows
from tests.support.scripted import PER_YEAR, GrantScript, at

DEBTOR = DebtorAccount("DUS-I, Ministerie van OCW", "NL20INGB0001234567", "INGBNL2A")
DEBTOR_ENV = {"STO_FINANCE_DEBTOR_NAME": DEBTOR.name, "STO_FINANCE_DEBTOR_IBAN": DEBTOR.iban,
              "STO_FINANCE_DEBTOR_BIC": DEBTOR.bic or ""}
RELEASERS = ("fi.de-boer", "fi.peters")  # two betaalfiatteurs with a payment volmacht, outside the besluit
NS = {"p": xsd.namespace(xsd.PAIN_001_001_09)}


def person(name: str) -> c.Actor:
    return c.Actor(name=name, role=Role.OPERATOR)


def ledger_command(service, code: str, command_class, who: str, when: dt.datetime = at(2020, 1, 2), **fields):
    return money.execute_ledger(service, command_class(region_code=code, actor=person(who), reason="in test",
                                                      effective_at=when, **fields))


def approved_with_account(service, index: int, holder: str = "Stichting Penvoerder") -> GrantScript:
    """A grant approved in 2019 (instalments due from 15 January 2020) with its account recorded and confirmed."""
    grant = GrantScript(service, index=index)
    grant.to_approved()
    ledger_command(service, grant.code, lc.RecordPaymentAccount, "op.bakker", iban="NL91ABNA0417164300", holder=holder)
    ledger_command(service, grant.code, lc.ConfirmPaymentAccount, "ic.smit")
    return grant


def release(service, code: str, number: int, by: tuple[str, ...] = RELEASERS, when: dt.datetime = at(2020, 1, 2)) -> None:
    for who in by:
        ledger_command(service, code, lc.ReleaseInstalment, who, when, number=number)


def end_to_end_ids_in_batches(service) -> Counter:
    return Counter(i["end_to_end_id"] for batch in money.batches(service) for i in batch.instructions)


def end_to_end_ids_in_pain(document: bytes) -> list[str]:
    return [e.text for e in xsd.parse(document).iterfind(".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId", NS)]


def end_to_end_ids_in_csv(document: bytes) -> list[str]:
    return [row["end_to_end_id"] for row in csv.DictReader(io.StringIO(document.decode("utf-8")), delimiter=";")]


def files_in(*directories: Path) -> dict[str, list[Path]]:
    """The batch files (by kind) in the directories, dot-files (partials, marks) left out."""
    found: dict[str, list[Path]] = {"pain": [], "csv": []}
    for directory in directories:
        if not directory.exists():
            continue
        for path in sorted(directory.iterdir()):
            if path.name.endswith(".pain001.xml") and not path.name.startswith("."):
                found["pain"].append(path)
            elif path.name.endswith(".fdc.csv") and not path.name.startswith("."):
                found["csv"].append(path)
    return found


def end_to_end_ids_in_files(*directories: Path) -> tuple[Counter, Counter]:
    """How often each end-to-end id appears over every pain.001 file, and over every CSV file, in the directories."""
    files = files_in(*directories)
    pain = Counter(e for path in files["pain"] for e in end_to_end_ids_in_pain(path.read_bytes()))
    fdc = Counter(e for path in files["csv"] for e in end_to_end_ids_in_csv(path.read_bytes()))
    return pain, fdc


async def business_now(env, offset: dt.timedelta) -> dt.datetime:
    return (await env.get_current_time()) + offset


async def settled(env, seconds: float = 120.0) -> None:
    """Until no workflow has a workflow task or an activity in flight, nor a timer that is due."""
    end = time.monotonic() + seconds
    while busy := await busy_workflows(env.client, await env.get_current_time()):
        if time.monotonic() > end:
            raise AssertionError(f"still busy after {seconds:g} s: {busy}")
        await asyncio.sleep(0.05)


async def advance_to(env, offset: dt.timedelta, moment: dt.datetime) -> None:
    """Virtual time on until business time `moment` (every timer on the way fires), then until the worker is done."""
    clock = VirtualClock(env.client.test_service)
    if moment > await business_now(env, offset):
        await clock.advance_to(moment - offset)
    await settled(env)


PAY_DAYS = [dt.date(2020, 1, 15), dt.date(2020, 7, 15), dt.date(2021, 1, 15), dt.date(2021, 7, 15),
            dt.date(2022, 1, 17), dt.date(2022, 7, 15), dt.date(2023, 1, 16), dt.date(2023, 7, 17)]


def paid_out_and_determined(service, index: int = 1) -> GrantScript:
    """Every advance paid (the runs made without the workflow: their batches not handed over), then a vaststelling
    that lowers the subsidy (half the co-financing was realised): a claim with the term of Awb 4:87, ending on
    Monday 14 April 2025 (six weeks after 3 March)."""
    grant = approved_with_account(service, index)
    for number in range(1, 9):
        release(service, grant.code, number)
    for day in PAY_DAYS:
        money.run_payments(service, day, at(day.year, day.month, day.day))
    total = sum(PER_YEAR.values())
    grant.progress_report(1, at(2021, 10, 1))
    grant.progress_report(2, at(2023, 9, 1))
    grant.final_report(at(2025, 1, 15), PER_YEAR, cofinancing_cents=total * 5 // 100)
    grant.send(c.DetermineGrant, at(2025, 3, 3))
    return grant
