"""Property: whatever happens to a grant's money, its ledger's figures as of any day equal the sums of its events that
took effect by that day, counted straight from the stored events (not through the ledger's own code)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.event_store import money
from adapters.event_store.store import open_service
from domain import commands as c
from domain.errors import TransitionRefused
from domain.ledger import commands as lc
from domain.ledger.totals import as_of, totals
from domain.timekeeping import local_date
from domain.values import Role
from tests.support.scripted import GrantScript, at

DAYS = [dt.date(2020, 1, 15), dt.date(2020, 7, 15), dt.date(2021, 1, 15), dt.date(2021, 7, 15), dt.date(2022, 1, 17)]
OPS = st.lists(st.tuples(st.sampled_from(["release", "run", "suspend", "resume"]), st.integers(1, 8), st.integers(0, 4)),
               max_size=25)


def person(name: str) -> c.Actor:
    return c.Actor(name=name, role=Role.OPERATOR)


def folded(events, day: dt.date) -> dict[str, int]:
    """The figures counted from the events themselves, by their fields."""
    amount: dict[int, int] = {}
    status: dict[int, str] = {}
    committed = 0
    for event in events:
        if local_date(event.effective_at) > day:
            continue
        kind = type(event).__name__
        if kind == "CommitmentRecorded":
            committed += sum(event.per_year.values())
        elif kind == "InstalmentScheduled":
            amount[event.number], status[event.number] = event.amount_cents, "scheduled"
        elif kind == "InstalmentInstructed":
            status[event.number] = "instructed"
        elif kind == "InstalmentPaid":
            status[event.number] = "paid"
        elif kind == "InstalmentsCancelled":
            for number in event.numbers:
                status[number] = "cancelled"
    by = defaultdict(int)
    for number, cents in amount.items():
        by[status[number]] += cents
    return {"committed_cents": committed, "scheduled_cents": sum(amount.values()) - by["cancelled"],
            "instructed_cents": by["instructed"], "paid_cents": by["paid"], "cancelled_cents": by["cancelled"]}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS, st.sampled_from(DAYS + [dt.date(2019, 12, 31), dt.date(2023, 1, 1)]))
def test_the_ledgers_figures_as_of_any_day_equal_the_sums_of_its_events(ops, asked):
    svc = open_service("memory:")
    grant = GrantScript(svc)
    grant.to_approved()
    send = lambda cls, who, when, **kw: money.execute_ledger(svc, cls(region_code=grant.code, actor=person(who),
                                                                       reason="test", effective_at=when, **kw))
    send(lc.RecordPaymentAccount, "op.bakker", at(2020, 1, 2), iban="NL91ABNA0417164300", holder="Stichting")
    send(lc.ConfirmPaymentAccount, "ic.smit", at(2020, 1, 2))
    clock = at(2020, 1, 3)
    for op, number, day_index in ops:
        day = DAYS[day_index]
        when = max(clock, at(day.year, day.month, day.day))
        try:
            if op == "release":
                send(lc.ReleaseInstalment, "fi.de-boer", when, number=number)
                send(lc.ReleaseInstalment, "fi.peters", when, number=number)
            elif op == "run":
                money.run_payments(svc, local_date(when), when)
            elif op == "suspend":
                send(lc.SuspendPayments, "co.de-vries", when, notice_on=local_date(when))
            else:
                send(lc.ResumePayments, "co.de-vries", when)
        except TransitionRefused:
            pass  # a refusal writes nothing: the property must hold all the same
        clock = when
    events = list(svc.events.get(money.ledger_of(svc, svc.state(grant.code).grant_id).id))
    ledger = as_of(events, asked)
    figures = totals(ledger).as_dict() if ledger is not None else {}
    expected = folded(events, asked)
    if ledger is None:
        assert expected["committed_cents"] == 0
    else:
        assert {k: figures[k] for k in expected} == expected
