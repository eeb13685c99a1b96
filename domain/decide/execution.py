"""Decisions while a grant runs: progress reports, the 2024 extension, hourly rates, the final report."""

from __future__ import annotations

from typing import Any

from domain import commands as c
from domain import events as e
from domain.decide.core import Context, Decision, Reservation, check_years, refuse
from domain.decide.decisions import _decision_sent_on
from domain.money import check_cost_lines, check_hourly_rate, euro, extension_cap_cents
from domain.models import ExtensionPlan
from domain.state import GrantState


def _progress_report(state: GrantState, cmd: c.SubmitProgressReport, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    key = f"progress_report_{cmd.number}"
    term = reg.term(key, day)
    if state.progress_report(cmd.number) is not None:
        raise refuse(
            "report.once",
            f"progress report {cmd.number} was already submitted on {state.progress_report(cmd.number).submitted_on.isoformat()}",
            term.source,
            "record corrections as a note on the next report",
            state,
        )
    if cmd.number == 2 and state.progress_report(1) is None and key not in state.missed_deadlines:
        raise refuse(
            "report.order",
            "progress report 2 comes after progress report 1",
            term.source,
            "submit progress report 1 first",
            state,
        )
    events: list[tuple[type[e.GrantEvent], dict[str, Any]]] = [
        (
            e.ProgressReportSubmitted,
            {
                "number": cmd.number,
                "summary": cmd.summary,
                "spent_cents": cmd.spent_cents,
                "cofinancing_realised_cents": cmd.cofinancing_realised_cents,
                "late": day > term.due,
            },
        )
    ]
    if cmd.extension_plan is not None:
        if cmd.number != 2:
            raise refuse(
                "extension.with_report_2",
                "the 2024 plan comes with progress report 2",
                term.source,
                "send the plan with progress report 2, or on its own",
                state,
            )
        events.extend(_extension_plan_events(state, cmd.extension_plan, ctx))
    return Decision(events=events, rule=f"report.progress_{cmd.number}", legal_basis=term.source)


def _require_extension_regulation(state: GrantState, ctx: Context) -> None:
    if not ctx.regulation.has_param("extension_cap_share", ctx.day):
        raise refuse(
            "extension.regulation_in_force",
            f"there is no 2024 extension on {ctx.day.isoformat()}: the amending regulation of 19 July 2023 creates it",
            ctx.regeling("looptijd 2020–2023"),
            "wait for the extension regulation",
            state,
        )


def _extension_plan_events(state: GrantState, plan: ExtensionPlan, ctx: Context) -> list[tuple[type[e.GrantEvent], dict[str, Any]]]:
    """Check the 2024 plan (on its own or with progress report 2) and return its event."""
    reg, day = ctx.regulation, ctx.day
    _require_extension_regulation(state, ctx)
    term = reg.term("extension_plan_2024", day)
    if state.extension.plan is not None:
        raise refuse(
            "extension.plan_once", "the 2024 plan was already submitted", term.source,
            "record changes to the plan with the final report", state,
        )
    if state.extension.forfeited or day > term.due:
        raise refuse(
            "extension.plan_deadline",
            f"the 2024 plan was due on {term.due.isoformat()} ('{term.wording}'); it is {day.isoformat()}",
            term.source,
            "the region gets no 2024 extension",
            state,
        )
    year = int(reg.param("extension_year", day).value)
    check_cost_lines(plan.cost_lines, reg, day, years=[year])
    cap = extension_cap_cents(state.granted_cents, reg, day)
    if plan.requested_cents > cap:
        share = reg.param("extension_cap_share", day)
        raise refuse(
            "extension.cap",
            f"the 2024 plan asks {euro(plan.requested_cents)}; at most {share.value} of the 2020–2023 grant of "
            f"{euro(state.granted_cents)} = {euro(cap)}",
            share.source,
            f"lower the 2024 request to {euro(cap)} or less",
            state,
        )
    return [(e.ExtensionPlanSubmitted, {"plan": plan.model_dump(mode="json")})]


def _extension_plan(state: GrantState, cmd: c.SubmitExtensionPlan, ctx: Context) -> Decision:
    events = _extension_plan_events(state, cmd.plan, ctx)
    return Decision(events=events, rule="extension.plan", legal_basis=ctx.regulation.term("extension_plan_2024", ctx.day).source)


def _grant_extension(state: GrantState, cmd: c.GrantExtension, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    _require_extension_regulation(state, ctx)
    share = reg.param("extension_cap_share", day)
    if state.extension.granted_cents is not None:
        raise refuse(
            "extension.once", f"the 2024 extension was already granted ({euro(state.extension.granted_cents)})",
            share.source, "nothing to do: a region gets one 2024 extension", state,
        )
    if state.extension.plan is None:
        raise refuse(
            "extension.needs_plan",
            "the 2024 extension is granted on the region's plan and budget; there is none",
            reg.term("extension_plan_2024", day).source,
            "record the region's 2024 plan first",
            state,
        )
    cap = extension_cap_cents(state.granted_cents, reg, day)
    if cmd.amount_cents > cap:
        raise refuse(
            "extension.cap",
            f"{euro(cmd.amount_cents)} is more than {share.value} of the 2020–2023 grant of {euro(state.granted_cents)} = {euro(cap)}",
            share.source,
            f"grant at most {euro(cap)}",
            state,
        )
    if cmd.amount_cents > state.extension.plan.requested_cents:
        raise refuse(
            "extension.within_plan",
            f"{euro(cmd.amount_cents)} is more than the {euro(state.extension.plan.requested_cents)} the plan asks",
            share.source,
            "grant at most what the plan asks",
            state,
        )
    year = int(reg.param("extension_year", day).value)
    return Decision(
        events=[(e.ExtensionGranted, {"amount_cents": cmd.amount_cents, "cap_cents": cap,
                                       "year": int(reg.param("extension_year", day).value),
                                       "sent_on": _decision_sent_on(cmd, ctx, state)})],
        rule="extension.granted",
        legal_basis=share.source,
        reservations=[
            Reservation(pool=f"extension:{year}", per_year={year: cmd.amount_cents}, ceiling_param="extension_budget_cents", extension=True)
        ],
    )


def _hourly_rate(state: GrantState, cmd: c.RecordHourlyRateChange, ctx: Context) -> Decision:
    check_hourly_rate(cmd.rate_cents, cmd.motivation, ctx.regulation, ctx.day, what="the new hourly rate")
    source = ctx.regulation.param("hourly_rate_allowed_cents", ctx.day).source
    return Decision(
        events=[
            (
                e.HourlyRateChanged,
                {"rate_cents": cmd.rate_cents, "motivation": cmd.motivation, "granted_cents": state.granted_total_cents},
            )
        ],
        rule="money.hourly_rate_never_changes_grant",
        legal_basis=source,
    )


def _final_report(state: GrantState, cmd: c.SubmitFinalReport, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    amounts = {a.year: a.amount_cents for a in cmd.realised_per_year}
    check_years(state, amounts, ctx, with_extension=True, what="realised costs", hint="report costs per subsidy year")
    term = reg.term("final_report", day) if reg.has_term("final_report", day) else None
    return Decision(
        events=[
            (
                e.FinalReportSubmitted,
                {
                    "summary": cmd.summary,
                    "realised_per_year": {str(y): a for y, a in sorted(amounts.items())},
                    "cofinancing_realised_cents": cmd.cofinancing_realised_cents,
                    "late": bool(term and day > term.due),
                },
            )
        ],
        rule="report.final",
        legal_basis=term.source if term else ctx.regeling("eindverslag"),
    )
