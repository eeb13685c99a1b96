"""A scripted grant life: one method per step with sensible defaults (demo, benchmarks and tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from adapters.replay.staff import take_besluit
from adapters.replay.synthetic import SyntheticRegion, application_documents, extension_plan, synthetic_region
from domain import commands as c
from domain.models import CriterionAdvice, YearAmount
from domain.results import CommandResult
from adapters.event_store.service import GrantService
from domain.timekeeping import AMSTERDAM
from domain.values import AdviceJudgement, RegionKind, Role

OPERATOR = c.Actor(name="op.jansen", role=Role.OPERATOR)
SYSTEM = c.SYSTEM_ACTOR
PER_YEAR = {2020: 1_000_000_00, 2021: 1_000_000_00, 2022: 900_000_00, 2023: 900_000_00}


def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    """A business time in Amsterdam."""
    return dt.datetime(year, month, day, hour, tzinfo=AMSTERDAM)


def years(amounts: dict[int, int]) -> list[YearAmount]:
    return [YearAmount(year=y, amount_cents=a) for y, a in sorted(amounts.items())]


@dataclass
class GrantScript:
    """Drives one region's grant through its life, one step per method, with sensible defaults."""

    service: GrantService
    index: int = 1
    kind: RegionKind = RegionKind.TECHNIEKREGIO
    per_year: dict[int, int] = field(default_factory=lambda: dict(PER_YEAR))
    actor: c.Actor = OPERATOR
    region: SyntheticRegion = field(init=False)
    results: list[CommandResult] = field(default_factory=list)
    stages: bool = True  # False: a besluit command only drafts (tests of the stages themselves)

    def __post_init__(self) -> None:
        self.region = synthetic_region(self.index, kind=self.kind)

    @property
    def code(self) -> str:
        return self.region.code

    def send(self, command_class: type[c.Command], when: dt.datetime, **fields: Any) -> CommandResult:
        fields.setdefault("reason", f"{command_class.__name__} in test")
        fields.setdefault("actor", self.actor)
        command = command_class(region_code=self.code, effective_at=when, **fields)
        if not self.stages:
            result = self.service.execute(command)
            self.results.append(result)
            return result
        # a besluit goes through its stages, taken by synthetic staff (adapters/replay/staff.py); the last result
        results = take_besluit(self.service.execute, command, self.service.regulation(command.scheme), when=when)
        self.results.extend(results)
        return results[-1]

    def command(self, command_class: type[c.Command], when: dt.datetime, **fields: Any) -> c.Command:
        fields.setdefault("reason", f"{command_class.__name__} in test")
        fields.setdefault("actor", self.actor)
        return command_class(region_code=self.code, effective_at=when, **fields)

    def documents(self, addendum: str | None = None, **kw: Any):
        return application_documents(self.region, self.per_year, addendum=addendum, **kw)

    # --- steps ---------------------------------------------------------------------------

    def pre_register(self, when: dt.datetime = at(2018, 10, 15)) -> CommandResult:
        fields = self.region.vooraanmelding_fields()
        fields.pop("region_code")
        return self.send(c.SubmitVooraanmelding, when, **fields)

    def apply(self, period: int = 1, when: dt.datetime | None = None, **kw: Any) -> CommandResult:
        when = when or {1: at(2019, 3, 15), 2: at(2019, 9, 1), 3: at(2020, 4, 1)}[period]
        addendum = None if period == 1 else f"Addendum: verbeteringen na afwijzing in tijdvak {period - 1}"
        return self.send(c.SubmitApplication, when, period=period, documents=self.documents(addendum, **kw))

    def accept(self, when: dt.datetime = at(2019, 4, 1)) -> CommandResult:
        return self.send(c.AcceptApplication, when)

    def advise(self, when: dt.datetime = at(2019, 6, 7), positive: bool = True) -> CommandResult:
        score = 70 if self.kind is RegionKind.TECHNIEKARME_REGIO else None
        judgement = AdviceJudgement.SUFFICIENT if positive else AdviceJudgement.INSUFFICIENT
        return self.send(
            c.RecordAdvice,
            when,
            positive=positive,
            criteria=[CriterionAdvice(criterion="regiovisie", judgement=judgement, remark="")],
            ranking_score=score,
        )

    def approve(self, when: dt.datetime = at(2019, 6, 20), amounts: dict[int, int] | None = None) -> CommandResult:
        return self.send(c.ApproveGrant, when, granted_per_year=years(amounts or self.per_year))

    def reject(self, when: dt.datetime = at(2019, 6, 20)) -> CommandResult:
        return self.send(c.RejectApplication, when, reasons=["regiovisie onvoldoende uitgewerkt"])

    def to_approved(self) -> CommandResult:
        self.pre_register()
        self.apply()
        self.accept()
        self.advise()
        return self.approve()

    def to_rejected_in_period_1(self) -> CommandResult:
        self.pre_register()
        self.apply()
        self.accept()
        self.advise(positive=False)
        return self.reject()

    def consequence(self, key: str, when: dt.datetime) -> CommandResult:
        return self.send(c.ApplyDeadlineConsequence, when, deadline_key=key, actor=SYSTEM)

    def progress_report(self, number: int, when: dt.datetime, plan_cents: int | None = None) -> CommandResult:
        plan = extension_plan(self.region, plan_cents) if plan_cents else None
        return self.send(
            c.SubmitProgressReport,
            when,
            number=number,
            summary=f"voortgang {number}",
            spent_cents=1_000_000,
            cofinancing_realised_cents=100_000,
            extension_plan=plan,
        )

    def final_report(self, when: dt.datetime, realised: dict[int, int], cofinancing_cents: int) -> CommandResult:
        return self.send(
            c.SubmitFinalReport,
            when,
            summary="eindverslag",
            realised_per_year=years(realised),
            cofinancing_realised_cents=cofinancing_cents,
        )

    def pay_advances(self, until: dt.date, iban: str = "NL91ABNA0417164300") -> int:
        """Pay every instalment of the grant's advance schedule due by `until`, as DUS-I does: the account recorded
        and confirmed by two, each instalment released by two betaalfiatteurs, the payment run on its due day. The
        number of instalments paid."""
        from adapters.event_store import money
        from domain.ledger import commands as lc

        state = self.service.state(self.code, scheme=self.scheme_id)
        ledger = money.ledger_of(self.service, state.grant_id)
        assert ledger is not None, "the grant has no money ledger: approve it first"
        first = min(i.due for i in ledger.instalments.values())
        # a ledger's history runs forward: a grant paid only now (its schedule set long ago) is paid from its last event
        start = max(dt.datetime(first.year, first.month, first.day, 8, tzinfo=AMSTERDAM) - dt.timedelta(days=1),
                    ledger.last_effective_at)

        def ledger_command(cls: Any, who: str, **fields: Any) -> None:
            money.execute_ledger(self.service, cls(region_code=self.code, scheme=self.scheme_id, reason="betaling in test",
                                                   actor=c.Actor(name=who, role=Role.OPERATOR), effective_at=start, **fields))

        if ledger.account is None:
            ledger_command(lc.RecordPaymentAccount, "op.bakker", iban=iban, holder=self.region.penvoerder.name)
            ledger_command(lc.ConfirmPaymentAccount, "ic.mulder")
        due = sorted((i for i in ledger.instalments.values() if i.status == "scheduled" and i.due <= until), key=lambda i: i.due)
        for line in due:
            ledger_command(lc.ReleaseInstalment, "fi.de-boer", number=line.number)
            ledger_command(lc.ReleaseInstalment, "fi.peters", number=line.number)
        for day in sorted({line.due for line in due}):
            moment = max(dt.datetime(day.year, day.month, day.day, 9, tzinfo=AMSTERDAM), start)
            money.run_payments(self.service, day, moment)
        return len(due)

    @property
    def scheme_id(self) -> str | None:
        return None
