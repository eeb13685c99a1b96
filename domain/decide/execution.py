"""Decisions while a grant runs: progress reports, the 2024 extension, hourly rates, the final report."""

from __future__ import annotations

from typing import Any

from domain import commands as c
from domain import events as e
from domain.decide.advances import advances
from domain.decide.core import Context, Decision, Reservation, check_years, refuse, scheme_pool
from domain.decide.decisions import _decision_sent_on
from domain.money import check_cost_lines, check_hourly_rate, euro, extension_cap_cents
from domain.models import ExtensionPlan
from domain.state import GrantState


def _progress_report(state: GrantState, cmd: c.SubmitProgressReport, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    reports = reg.data.step_option("SubmitProgressReport", "reports") or {}
    key = reports.get(str(cmd.number))
    if key is None:
        raise refuse(
            "report.number",
            f"the scheme {reg.data.scheme_id} has no progress report {cmd.number} (its reports: {', '.join(sorted(reports)) or 'none'})",
            ctx.regeling("voortgangsrapportage"),
            "send a report number the scheme asks for",
            state,
        )
    term = reg.term(key, day)
    if state.progress_report(cmd.number) is not None:
        raise refuse(
            "report.once",
            f"progress report {cmd.number} was already submitted on {state.progress_report(cmd.number).submitted_on.isoformat()}",
            term.source,
            "record corrections as a note on the next report",
            state,
        )
    earlier = [int(n) for n in reports if int(n) < cmd.number]
    missing = [n for n in sorted(earlier) if state.progress_report(n) is None and reports[str(n)] not in state.missed_deadlines]
    if missing:
        raise refuse(
            "report.order",
            f"progress report {cmd.number} comes after progress report {missing[0]}",
            term.source,
            f"submit progress report {missing[0]} first",
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
        with_report = reg.data.step_option("SubmitProgressReport", "extension_plan_with_report")
        if cmd.number != with_report:
            raise refuse(
                f"extension.with_report_{with_report}",
                f"{_plan_label(ctx)} comes with progress report {with_report}" if with_report else
                f"the scheme {reg.data.scheme_id} takes no extension plan with a progress report",
                term.source,
                f"send the plan with progress report {with_report}, or on its own" if with_report else
                "send the plan on its own",
                state,
            )
        events.extend(_extension_plan_events(state, cmd.extension_plan, ctx))
    return Decision(events=events, rule=f"report.progress_{cmd.number}", legal_basis=term.source)


def _plan_term(ctx: Context) -> str:
    """The term of the extension plan, as the scheme's extension steps name it."""
    key = ctx.regulation.data.step_option("SubmitExtensionPlan", "term")
    if key is None:
        raise refuse("scheme.no_such_step", f"the scheme {ctx.regulation.data.scheme_id} has no extension plan",
                     ctx.regeling("looptijd"), "`sto schemes show` lists the steps of each scheme")
    return key


def _plan_label(ctx: Context) -> str:
    """'the 2024 plan': the extension's year as the scheme's data sets it."""
    reg, day = ctx.regulation, ctx.day
    return f"the {reg.param('extension_year', day).value} plan" if reg.has_param("extension_year", day) else "the extension plan"


def _grant_label(state: GrantState, ctx: Context) -> str:
    """'the 2020–2023 grant': the years the original grant covers."""
    years = sorted(state.granted_per_year) or [int(y) for y in ctx.regulation.param("funded_years", ctx.day).value]
    return f"the {years[0]}–{years[-1]} grant" if len(years) > 1 else f"the {years[0]} grant"


def _require_extension_regulation(state: GrantState, ctx: Context) -> None:
    reg = ctx.regulation
    if not reg.has_param("extension_cap_share", ctx.day):
        creator = next((reg.version(v.version) for p in reg.data.parameters if p.key == "extension_cap_share"
                        for v in p.values), None)
        funded = [int(y) for y in reg.param("funded_years", ctx.day).value] if reg.has_param("funded_years", ctx.day) else []
        raise refuse(
            "extension.regulation_in_force",
            f"there is no extension on {ctx.day.isoformat()}"
            + (f": {creator.title} of {creator.signed.isoformat()} creates it" if creator else ""),
            ctx.regeling(f"looptijd {funded[0]}–{funded[-1]}" if funded else "looptijd"),
            "wait for the extension regulation",
            state,
        )


def _extension_plan_events(state: GrantState, plan: ExtensionPlan, ctx: Context) -> list[tuple[type[e.GrantEvent], dict[str, Any]]]:
    """Check the 2024 plan (on its own or with progress report 2) and return its event."""
    reg, day = ctx.regulation, ctx.day
    _require_extension_regulation(state, ctx)
    term = reg.term(_plan_term(ctx), day)
    year = int(reg.param("extension_year", day).value)
    if state.extension.plan is not None:
        raise refuse(
            "extension.plan_once", f"{_plan_label(ctx)} was already submitted", term.source,
            "record changes to the plan with the final report", state,
        )
    if state.extension.forfeited or day > term.due:
        raise refuse(
            "extension.plan_deadline",
            f"{_plan_label(ctx)} was due on {term.due.isoformat()} ('{term.wording}'); it is {day.isoformat()}",
            term.source,
            f"the region gets no extension for {year}",
            state,
        )
    check_cost_lines(plan.cost_lines, reg, day, years=[year])
    cap = extension_cap_cents(state.granted_cents, reg, day)
    if plan.requested_cents > cap:
        share = reg.param("extension_cap_share", day)
        raise refuse(
            "extension.cap",
            f"{_plan_label(ctx)} asks {euro(plan.requested_cents)}; at most {share.value} of {_grant_label(state, ctx)} of "
            f"{euro(state.granted_cents)} = {euro(cap)}",
            share.source,
            f"lower the {year} request to {euro(cap)} or less",
            state,
        )
    return [(e.ExtensionPlanSubmitted, {"plan": plan.model_dump(mode="json")})]


def _extension_plan(state: GrantState, cmd: c.SubmitExtensionPlan, ctx: Context) -> Decision:
    events = _extension_plan_events(state, cmd.plan, ctx)
    return Decision(events=events, rule="extension.plan", legal_basis=ctx.regulation.term(_plan_term(ctx), ctx.day).source)


def _grant_extension(state: GrantState, cmd: c.GrantExtension, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    _require_extension_regulation(state, ctx)
    share = reg.param("extension_cap_share", day)
    year = int(reg.param("extension_year", day).value)
    if state.extension.granted_cents is not None:
        raise refuse(
            "extension.once", f"the {year} extension was already granted ({euro(state.extension.granted_cents)})",
            share.source, f"nothing to do: a region gets one {year} extension", state,
        )
    if state.extension.plan is None:
        raise refuse(
            "extension.needs_plan",
            f"the {year} extension is granted on the region's plan and budget; there is none",
            reg.term(_plan_term(ctx), day).source,
            f"record the region's {year} plan first",
            state,
        )
    cap = extension_cap_cents(state.granted_cents, reg, day)
    if cmd.amount_cents > cap:
        raise refuse(
            "extension.cap",
            f"{euro(cmd.amount_cents)} is more than {share.value} of {_grant_label(state, ctx)} of {euro(state.granted_cents)} = {euro(cap)}",
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
    return Decision(
        events=[(e.ExtensionGranted, {"amount_cents": cmd.amount_cents, "cap_cents": cap,
                                       "year": int(reg.param("extension_year", day).value),
                                       "sent_on": _decision_sent_on(cmd, ctx, state)}),
                *advances(state, {int(reg.param("extension_year", day).value): cmd.amount_cents}, ctx)],
        rule="extension.granted",
        legal_basis=share.source,
        reservations=[
            Reservation(pool=scheme_pool(ctx, f"extension:{year}"), per_year={year: cmd.amount_cents}, ceiling_param="extension_budget_cents", extension=True)
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
    key = reg.data.step_option("SubmitFinalReport", "term")
    term = reg.term(key, day) if key and reg.has_term(key, day) else None
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
