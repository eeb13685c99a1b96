"""Programme operations as workflows, not shell loops: publish an amendment, open an application
period for a set of regions, run the 2024 extension round over all approved grants."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import commands as c
    from domain.clock import BusinessClock
    from domain.timekeeping import local_date, start_of_day
    from workflows import grant_workflow_id
    from workflows.clock import workflow_clock
    from domain.regulation import Amendment, Regulation
    from workflows.grant_lifecycle import regulation_for
    from workflows.models import (
        ExtensionCandidate,
        ExtensionRoundInput,
        ExtensionRoundResult,
        OpenPeriodInput,
        OpenPeriodResult,
        PeriodNotice,
        PublishRequest,
        SendTransition,
        TransitionOutcome,
    )

SHORT = dict(start_to_close_timeout=dt.timedelta(seconds=60), retry_policy=RetryPolicy(maximum_interval=dt.timedelta(seconds=30)))

# 2026-12: the programme workflows read the regulation as published in the store (amendments included), and
# the period workflow looks again at least daily while it waits, so an amendment published meanwhile counts
PATCH_PUBLISHED_REGULATION = "programme-reads-the-published-regulation"
RECHECK = dt.timedelta(days=1)
# 2026-12: a besluit goes through its stages (issue 23). The round drafts each extension and waits, looking daily
# (RECHECK), for its stages to be passed, at most as long as the Awb gives a besluit without a term of its own
# (art. 4:13 lid 2: eight weeks)
PATCH_ROUND_DRAFTS = "extension-round-drafts-and-waits-for-the-stages"
STAGES_WAIT = dt.timedelta(weeks=8)
DRAFTS_AT_ONCE = 16  # each a grant workflow's update; the grants are independent of one another


async def published_regulation() -> Regulation:
    """The shipped regulation with every amendment published in the store (before the patch: shipped only)."""
    if not workflow.patched(PATCH_PUBLISHED_REGULATION):
        return regulation_for(None, [], [])
    amendments: list[Amendment] = await workflow.execute_activity(
        "published_amendments", result_type=list[Amendment], **SHORT
    )
    return regulation_for(None, [], amendments)


@workflow.defn(name="PublishAmendment")
class PublishAmendmentWorkflow:
    """Store the amendment, then tell every running grant so it re-plans its timers."""

    @workflow.run
    async def run(self, request: PublishRequest) -> list[str]:
        await workflow.execute_activity("publish_amendment", request, result_type=bool, **SHORT)
        regions: list[str] = await workflow.execute_activity("region_codes", result_type=list[str], **SHORT)
        told = []
        for region in regions:
            handle = workflow.get_external_workflow_handle(grant_workflow_id(region, request.amendment.scheme))
            try:
                await handle.signal("amendment_published", request.amendment)
                told.append(region)
            except ApplicationError:
                pass  # that grant's workflow has ended: nothing left to re-plan
            except Exception as error:  # noqa: BLE001 - an ended or unknown workflow
                workflow.logger.info("not signalled %s: %s", region, error)
        return told


@workflow.defn(name="ExtensionRound")
class ExtensionRoundWorkflow:
    """The 2024 round: each approved grant with a plan gets what it asks, within its 25 % cap and,
    pro rata when the requests together exceed it, within the EUR 100 million budget.

    Since the stages (PATCH_ROUND_DRAFTS): the round drafts each extension (its actor holds the first stage's role)
    and then waits, looking daily, while people pass the further stages; an extension counts as granted once its
    signing stage has taken it. The workflow decides when, the people whether. What is still in its stages when
    the wait ends is reported as not granted (it may still be taken; `sto work` shows it)."""

    def __init__(self) -> None:
        self._drafting = True
        self._drafted: dict[str, int] = {}

    @workflow.query
    def progress(self) -> dict[str, Any]:
        """The extensions drafted so far, and whether the round still drafts ({"drafting": bool, "drafted": {...}})."""
        return {"drafting": self._drafting, "drafted": dict(self._drafted)}

    @workflow.run
    async def run(self, inp: ExtensionRoundInput) -> ExtensionRoundResult:
        clock = workflow_clock(inp.clock_offset_seconds)
        regulation = await published_regulation()
        day = local_date(clock.now())
        budget = int(regulation.param("extension_budget_cents", day).value)
        candidates: list[ExtensionCandidate] = await workflow.execute_activity(
            "extension_candidates", result_type=list[ExtensionCandidate], **SHORT
        )
        wanted = {x.region_code: min(x.requested_cents, x.cap_cents) for x in candidates}
        total = sum(wanted.values())
        scale = Decimal(1) if total <= budget or total == 0 else Decimal(budget) / Decimal(total)
        stages = workflow.patched(PATCH_ROUND_DRAFTS)
        granted: dict[str, int] = {}
        refused: dict[str, str] = {}
        commands: list[c.GrantExtension] = []
        for region, amount in sorted(wanted.items()):
            amount = int((Decimal(amount) * scale).to_integral_value(rounding=ROUND_FLOOR))
            if amount <= 0:
                continue
            command = c.GrantExtension(
                command_id=workflow.uuid4(),
                region_code=region,
                actor=c.Actor(name=inp.actor_name, role=c.Role.OPERATOR),
                reason=inp.reason,
                effective_at=clock.now(),
                amount_cents=amount,
            )
            if stages:
                commands.append(command)
                continue
            outcome: TransitionOutcome = await workflow.execute_activity(
                "send_transition", SendTransition(command=command), result_type=TransitionOutcome, **SHORT
            )
            if outcome.result is not None:
                granted[region] = amount
            else:
                refused[region] = (outcome.refused or {}).get("message", "refused")
        for first in range(0, len(commands), DRAFTS_AT_ONCE):  # since the patch: drafts a few at a time
            batch = commands[first:first + DRAFTS_AT_ONCE]
            outcomes: list[TransitionOutcome] = await asyncio.gather(*(workflow.execute_activity(
                "send_transition", SendTransition(command=command), result_type=TransitionOutcome, **SHORT
            ) for command in batch))
            for command, outcome in zip(batch, outcomes):
                if outcome.result is None:
                    refused[command.region_code] = (outcome.refused or {}).get("message", "refused")
                elif "BesluitDrafted" in outcome.result.events:
                    self._drafted[command.region_code] = command.amount_cents
                else:  # a grant whose scheme's extension takes no stages
                    granted[command.region_code] = command.amount_cents
        self._drafting = False
        if stages:
            refused.update(await self._wait_for_stages(clock, granted))
        return ExtensionRoundResult(
            budget_cents=budget,
            requested_cents=total,
            granted_cents=sum(granted.values()),
            scale=str(scale.quantize(Decimal("0.000001"))),
            granted=dict(sorted(granted.items())),
            refused=refused,
        )

    async def _wait_for_stages(self, clock: BusinessClock, granted: dict[str, int]) -> dict[str, str]:
        """Look daily until every drafted extension has been taken (its grant no longer a candidate of the round:
        it has its extension) or the wait ends; into `granted` go those taken; returned: those still waiting."""
        waiting = dict(self._drafted)
        until = clock.now() + STAGES_WAIT
        while waiting and clock.until(until) > dt.timedelta(0):
            await workflow.sleep(min(RECHECK, clock.until(until)))
            candidates: list[ExtensionCandidate] = await workflow.execute_activity(
                "extension_candidates", result_type=list[ExtensionCandidate], **SHORT
            )
            still = {x.region_code for x in candidates}
            for region in [r for r in waiting if r not in still]:
                granted[region] = waiting.pop(region)
        on = local_date(clock.now()).isoformat()
        return {region: f"drafted, still in its stages on {on}: taken when its signing stage is passed (sto work)"
                for region in waiting}


@workflow.defn(name="OpenApplicationPeriod")
class OpenApplicationPeriodWorkflow:
    """Open an application period for a set of regions: tell each when it opens, and report at its end."""

    @workflow.run
    async def run(self, inp: OpenPeriodInput) -> OpenPeriodResult:
        clock = workflow_clock(inp.clock_offset_seconds)
        regulation = await published_regulation()
        application_round = regulation.data.application_round(inp.period)
        if application_round is None:
            raise ApplicationError(f"the scheme {regulation.data.scheme_id} has no application period {inp.period}",
                                   type="invalid_input", non_retryable=True)
        term = regulation.term(application_round.window, local_date(clock.now()))
        if term.start is not None:
            await workflow.sleep(clock.until(start_of_day(term.start)))
        notified = []
        for region in inp.region_codes:
            notice = PeriodNotice(region_code=region, period=inp.period, today=local_date(clock.now()))
            if await workflow.execute_activity("send_period_notice", notice, result_type=bool, **SHORT):
                notified.append(region)
        if workflow.patched(PATCH_PUBLISHED_REGULATION):
            # the period ends when the regulation in force says so, also if an amendment moves it meanwhile
            while clock.until(term.due_at) > dt.timedelta(0):
                await workflow.sleep(min(clock.until(term.due_at), RECHECK))
                term = (await published_regulation()).term(application_round.window, local_date(clock.now() - dt.timedelta(seconds=1)))
        else:
            await workflow.sleep(clock.until(term.due_at))
        applied: list[str] = await workflow.execute_activity("regions_that_applied", inp, result_type=list[str], **SHORT)
        return OpenPeriodResult(
            period=inp.period,
            notified=notified,
            applied=applied,
            not_applied=[r for r in inp.region_codes if r not in applied],
        )
