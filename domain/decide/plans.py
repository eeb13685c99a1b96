"""Detailed plans (uitgewerkte plannen) of a multi-year grant: the scheme says which plans, their years and terms."""

from __future__ import annotations

from typing import Any

from domain import commands as c
from domain import events as e
from domain.decide.core import Context, Decision, refuse
from domain.money import check_cost_lines, euro
from domain.state import GrantState


def _plans(ctx: Context) -> dict[str, dict[str, Any]]:
    return ctx.regulation.data.step_option("SubmitDetailedPlan", "plans") or {}


def _detailed_plan(state: GrantState, cmd: c.SubmitDetailedPlan, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    plans = _plans(ctx)
    spec = plans.get(cmd.plan_key)
    if spec is None:
        raise refuse(
            "plan.key",
            f"the scheme {reg.data.scheme_id} asks for no detailed plan {cmd.plan_key!r}",
            ctx.regeling("uitgewerkt activiteitenplan en begroting"),
            f"send one of the scheme's plans: {', '.join(sorted(plans)) or 'none'}",
            state,
        )
    term = reg.term(spec["term"], day)
    done = state.detailed_plans.get(cmd.plan_key)
    if done is not None:
        raise refuse(
            "plan.once",
            f"the detailed plan {cmd.plan_key} was already submitted on {done.submitted_on.isoformat()}",
            term.source,
            "record changes to the plan with the next plan or the final report",
            state,
        )
    years = [int(y) for y in spec["years"]]
    check_cost_lines(cmd.plan.cost_lines, reg, day, years=years)
    granted = sum(state.granted_per_year.get(y, 0) for y in years)
    if cmd.plan.requested_cents > granted:
        raise refuse(
            "plan.within_grant",
            f"the detailed plan {cmd.plan_key} asks {euro(cmd.plan.requested_cents)}; the grant for "
            f"{', '.join(map(str, years))} is {euro(granted)}",
            term.source,
            f"lower the plan's budget to {euro(granted)} or less",
            state,
        )
    return Decision(
        events=[(e.DetailedPlanSubmitted, {"plan_key": cmd.plan_key, "plan": cmd.plan.model_dump(mode="json"),
                                           "years": years, "late": day > term.due})],
        rule="plan.detailed",
        legal_basis=term.source,
    )
