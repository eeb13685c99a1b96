"""Run the programme script through the real workflows on Temporal's time-skipping test server.

Virtual time advances day by day to the next scripted action; on the way every timer fires
(reminders, consequences, re-plans). Each operator action is a workflow update; the 2024 extension
round is a programme workflow. A besluit (verlening, afwijzing, extension, vaststelling, beslissing op bezwaar) is
drafted by the scripted beoordelaar and taken through the further stages of its procedure by synthetic staff of the
organisation register (adapters/replay/staff.py), each stage its own update, all at the scripted moment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from adapters.engine.grants_client import GrantBusy, GrantsClient
from adapters.replay.scenario import Action, Programme, Step
from adapters.replay.settlement import Settlement
from adapters.replay.staff import pass_stages_async, take_besluit_async
from adapters.replay.virtual_time import RECOVERABLE, VirtualClock
from adapters.replay.synthetic import application_documents, detailed_plan, extension_plan
from domain import commands as c
from domain.decide.stages import BESLUIT_KIND, besluit_amount
from domain.models import CriterionAdvice, YearAmount
from domain.results import CommandResult
from adapters.event_store.service import GrantService
from adapters.logging import get_logger
from domain.regulation import Regulation
from domain.regulation.schemes import legacy_scheme_id
from domain.values import AdviceJudgement, ObjectionOutcome, RegionKind, Role
from workflows import TASK_QUEUE
from workflows.models import ExtensionRoundInput, ExtensionRoundResult
from workflows.programme import ExtensionRoundWorkflow

# the beoordelaars of the organisation register (domain/regulation/data/organisation/register.toml) who draft the
# scripted besluiten and record what comes in; the further stages are taken by the register's other synthetic staff
# (adapters/replay/staff.py): interne controle, and a coordinator who signs under the smallest mandate that covers it
OPERATORS = [c.Actor(name=n, role=Role.OPERATOR) for n in ("op.jansen", "op.bakker", "op.visser")]
SEND_ATTEMPTS = 5  # a scripted command the engine could not take (busy, or the call broke) is sent this often
log = get_logger(__name__)
LEGACY = legacy_scheme_id()  # the 2024 extension round is the legacy scheme's
CRITERIA = ["regiovisie", "activiteitenplan", "begroting", "samenwerking bedrijfsleven", "doorlopende leerlijn"]


async def take_round_drafts(handle: WorkflowHandle, send: Callable[[c.Command], Awaitable[CommandResult]],
                            regulation: Regulation, *, drafter: c.Actor, when: dt.datetime, poll: float = 0.05) -> None:
    """Synthetic staff pass the further stages of every extension the running 2024 round (`handle`) drafts, as its
    drafts come in (the round's `progress` query); back when the round has drafted them all and each is taken.
    Polled, not awaited: waiting for the round would let virtual time skip ahead meanwhile."""
    scheme = regulation.data.scheme_id
    passing: dict[str, asyncio.Task] = {}
    try:
        while True:
            progress = await handle.query(ExtensionRoundWorkflow.progress)
            for region, amount in progress["drafted"].items():
                if region not in passing:
                    drafted = c.GrantExtension(region_code=region, scheme=scheme, actor=drafter, amount_cents=amount,
                                               reason="verlenging 2024")  # its stages dated by the engine
                    passing[region] = asyncio.create_task(pass_stages_async(
                        send, drafted, regulation, drafter_name=drafter.name, when=when, amount_cents=amount))
            if not progress["drafting"] or (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                break
            await asyncio.sleep(poll)
        await asyncio.gather(*passing.values())
    finally:
        for task in passing.values():
            task.cancel()


def _years(amounts: dict[int, int]) -> list[YearAmount]:
    return [YearAmount(year=y, amount_cents=a) for y, a in sorted(amounts.items())]


def _share(amount: int, share: str) -> int:
    return int((Decimal(amount) * Decimal(share)).to_integral_value(rounding=ROUND_FLOOR))


@dataclass
class ReplayRunner:
    """Runs the scripts of one or more schemes on one timeline (their grants live side by side), each with
    its own client (a scheme's grants may start with other reminder offsets)."""

    env: WorkflowEnvironment
    clients: dict[str, GrantsClient]  # per scheme
    service: GrantService
    programmes: dict[str, Programme]  # per scheme
    offset: dt.timedelta
    on_progress: Callable[[dt.datetime], None] = lambda _: None
    settlement: Settlement | None = None  # the money after the vaststelling (2020–2024), with its days
    money_actions: list[Action] = field(default_factory=list)
    extension: ExtensionRoundResult | None = None
    clock: VirtualClock = field(init=False)
    _round: WorkflowHandle | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.clock = VirtualClock(self.env.client.test_service)

    @property
    def start(self) -> dt.datetime:
        return min(p.start for p in self.programmes.values())

    @property
    def end(self) -> dt.datetime:
        return max(p.end for p in self.programmes.values())

    async def business_now(self) -> dt.datetime:
        return await self.clock.now() + self.offset

    async def advance_to(self, moment: dt.datetime) -> None:
        """Virtual time on to `moment` (business time), in bounded steps (adapters/replay/virtual_time.py)."""
        await self.clock.advance_to(moment - self.offset, on_step=lambda now: self.on_progress(now + self.offset))
        self.on_progress(moment)

    async def run(self) -> None:
        """Every scripted action on its day; then on to the end (today, for a scheme still running), and no
        further: the timers of later deadlines stay pending in the open workflows."""
        merged = heapq.merge(*(p.actions for p in self.programmes.values()), self.money_actions, key=lambda a: a.at)
        for _, day_actions in itertools.groupby(merged, key=lambda a: a.at.date()):
            actions = list(day_actions)
            await self.advance_to(actions[0].at)
            money = [a for a in actions if a.step is Step.MONEY and self.settlement is not None]
            for action in money:  # the day's money in the morning, before the scripted actions of the day
                if action.data["part"] == "morning":
                    self.settlement.run(action.data["money"], "morning")
            per_grant: dict[tuple[str, str | None], list[Action]] = {}
            for action in actions:
                if action.step is not Step.MONEY:
                    per_grant.setdefault((action.scheme, action.region), []).append(action)
            await asyncio.gather(*(self._run_region(acts) for acts in per_grant.values()))
            for action in money:  # and in the evening, after them: the bank's statement of the day
                if action.data["part"] == "evening":
                    self.settlement.run(action.data["money"], "evening")
        await self.advance_to(self.end)
        await self.finish()

    def _ranked(self, scheme: str, kind: RegionKind) -> bool:
        """Whether the scheme has the committee rank regions of this kind (a score with the advice)."""
        return any(k.kind == kind.value and k.ranked for k in self.service.regulation(scheme).data.region_kinds)

    async def _run_region(self, actions: list[Action]) -> None:
        for action in actions:
            if action.step is Step.EXTENSION_ROUND:
                await self._extension_round(action)
                continue
            await self._send(action.scheme, self._command(action))

    async def _send(self, scheme: str, command: c.Command) -> None:
        """One scripted command; a besluit is drafted and taken through its stages by synthetic staff."""
        if command.name not in BESLUIT_KIND:
            await self._send_one(scheme, command)
            return
        await take_besluit_async(lambda one: self._send_one(scheme, one), command, self.service.regulation(scheme),
                                 when=command.effective_at or await self.business_now(),
                                 amount_cents=self._amount(scheme, command))

    def _amount(self, scheme: str, command: c.Command) -> int:
        """What the besluit is about, as the domain counts it for the mandate's limit (so the first signer asked
        holds a mandate that covers it)."""
        if isinstance(command, c.GrantExtension):
            return command.amount_cents
        if isinstance(command, c.ApproveGrant):
            return sum(a.amount_cents for a in command.granted_per_year)
        return besluit_amount(self.service.state(command.region_code, scheme=scheme), command)

    async def _send_one(self, scheme: str, command: c.Command) -> CommandResult:
        """One command; sent again, the same command (its id too), when the engine answered that it had too many
        under way or the call broke: the grant answers a repeat from its receipt, so it counts once."""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                return await self.clients[scheme].transition(command)
            except (GrantBusy, RPCError) as error:
                transient = isinstance(error, GrantBusy) or error.status in RECOVERABLE
                if not transient or attempt == SEND_ATTEMPTS:
                    raise
                log.warning("replay.command_sent_again", region=command.region_code, command=type(command).__name__,
                            command_id=str(command.command_id), attempt=attempt, error=str(error))
                await asyncio.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    async def _extension_round(self, action: Action) -> None:
        """Start the 2024 round: it drafts each grant's extension (as OPERATORS[0], a beoordelaar) and then waits for
        the further stages; the synthetic staff pass them as each draft comes in. The round notices the next day and
        ends (its result is read when the replay ends); the script goes on meanwhile."""
        self._round = await self.env.client.start_workflow(
            ExtensionRoundWorkflow.run,
            ExtensionRoundInput(actor_name=OPERATORS[0].name, clock_offset_seconds=self.offset.total_seconds()),
            id=f"extension-round-{action.at.year + 1}",
            task_queue=TASK_QUEUE,
        )
        await take_round_drafts(self._round, lambda one: self._send_one(LEGACY, one), self.service.regulation(LEGACY),
                                drafter=OPERATORS[0], when=action.at)

    async def finish(self) -> None:
        """The 2024 round's result, once it has seen its extensions taken (before the patch it ended at once)."""
        if self._round is not None and (await self._round.describe()).status != WorkflowExecutionStatus.RUNNING:
            # read without unlocking time skipping: unlocked, the server would skip ahead to the next timer at once
            with self.env.auto_time_skipping_disabled():
                self.extension = await self._round.result()

    def _command(self, action: Action) -> c.Command:
        programme = self.programmes[action.scheme]
        plan = programme.plan(action.region or "")
        region = plan.region
        actor = OPERATORS[region.index % len(OPERATORS)]
        base = {"region_code": region.code, "actor": actor, "effective_at": action.at, "scheme": action.scheme}
        step = action.step
        if step is Step.PRE_REGISTER:
            return c.SubmitVooraanmelding(reason="vooraanmelding met intentieverklaring ontvangen", **{**base, **region.vooraanmelding_fields()})
        if step is Step.APPLY:
            period = action.data["period"]
            addendum = None if period == 1 else f"Addendum: aanpassingen na afwijzing in tijdvak {period - 1}"
            tag = str(period) if action.scheme == legacy_scheme_id() else f"{action.scheme}:{period}"
            documents = application_documents(region, plan.per_year, addendum=addendum, seed=programme.seed, tag=tag)
            return c.SubmitApplication(reason=f"aanvraag tijdvak {period} ontvangen via eLoket", period=period, documents=documents, **base)
        if step is Step.REQUEST_REPAIR:
            return c.RequestRepair(reason="aanvraag onvolledig", missing=["onderbouwing begroting"], **base)
        if step is Step.SUBMIT_REPAIR:
            return c.SubmitRepair(reason="ontbrekende stukken ontvangen", **base)
        if step is Step.ACCEPT:
            return c.AcceptApplication(reason="aanvraag compleet, naar de beoordelingscommissie", **base)
        if step is Step.ADVISE:
            positive = action.data["positive"]
            judgement = AdviceJudgement.SUFFICIENT if positive else AdviceJudgement.INSUFFICIENT
            score = 50 + region.index % 50 if self._ranked(action.scheme, region.kind) else None
            return c.RecordAdvice(
                reason="advies beoordelingscommissie",
                positive=positive,
                criteria=[CriterionAdvice(criterion=k, judgement=judgement if i == 0 else AdviceJudgement.SUFFICIENT) for i, k in enumerate(CRITERIA)],
                ranking_score=score,
                **base,
            )
        if step is Step.APPROVE:
            return c.ApproveGrant(reason="positief advies; subsidie verleend", granted_per_year=_years(plan.per_year), **base)
        if step is Step.REJECT:
            return c.RejectApplication(reason="negatief advies", reasons=["het plan voldoet nog niet aan het beoordelingskader"], **base)
        if step is Step.OBJECT:
            return c.FileObjection(reason="bezwaarschrift ontvangen", grounds="de regio is het niet eens met de afwijzing", **base)
        if step is Step.DECIDE_OBJECTION:
            return c.DecideObjection(reason="bezwaar ongegrond na heroverweging", outcome=ObjectionOutcome.DISMISSED, **base)
        if step is Step.HOURLY_RATE:
            return c.RecordHourlyRateChange(reason="GPL vo gestegen", rate_cents=5500, **base)
        granted = sum(plan.per_year.values())
        if step is Step.PROGRESS_REPORT:
            number = action.data["number"]
            extra = {}
            if number == 2:
                extra["extension_plan"] = extension_plan(region, _share(granted, action.data["plan_share"]))
            return c.SubmitProgressReport(
                reason=f"voortgangsrapportage {number} ontvangen", number=number, summary="activiteiten lopen volgens plan",
                spent_cents=_share(granted, "0.45" if number == 1 else "0.9"),
                cofinancing_realised_cents=_share(granted, "0.05" if number == 1 else "0.09"), **extra, **base,
            )
        if step is Step.DETAILED_PLAN:
            key = action.data["plan_key"]
            first, last = (int(y) for y in key.split("-"))
            per_year = {y: _share(a, action.data["share"]) for y, a in plan.per_year.items() if first <= y <= last}
            return c.SubmitDetailedPlan(reason=f"uitgewerkt plan {key} ontvangen", plan_key=key,
                                        plan=detailed_plan(region, key, per_year), **base)
        if step is Step.FINAL_REPORT:
            state = self.service.state(region.code, scheme=action.scheme)
            realised = {y: _share(a, action.data["realised"]) for y, a in state.granted_per_year.items()}
            if state.extension.granted_cents:
                realised[2024] = _share(state.extension.granted_cents, action.data["realised"])
            total = sum(realised.values())
            return c.SubmitFinalReport(
                reason="eindverslag ontvangen", summary="alle activiteiten uitgevoerd", realised_per_year=_years(realised),
                cofinancing_realised_cents=_share(total, action.data["cofinancing"]), **base,
            )
        if step is Step.DETERMINE:
            return c.DetermineGrant(reason="vaststelling op basis van het eindverslag", **base)
        raise ValueError(f"no command for {step}")
