"""Whether a command is allowed, and which events it causes: pure functions of state and regulation.

`decide(state, command, ctx)` either raises `TransitionRefused` (rule + legal source + what to do) or
returns the events to record. The aggregate calls it before it records anything; the Temporal
update validator calls the very same function on the workflow's copy of the state, so "whether" is
written once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from domain import commands as c
from domain import events as e
from domain.deadlines import (
    APPLICATION_TERMS,
    find_pending,
    next_application_period,
    pending_deadlines,
)
from domain.errors import TransitionRefused
from domain.money import (
    check_application_money,
    check_cost_lines,
    check_hourly_rate,
    determine,
    euro,
    extension_cap_cents,
)
from domain.models import ExtensionPlan
from domain.regulation import Regulation, UnknownRule
from domain.state import GrantState
from domain.timekeeping import local_date
from domain.values import TERMINAL_STATUSES, DecisionKind, GrantStatus, ObjectionOutcome, RegionKind

AWB = "Algemene wet bestuursrecht"
S = GrantStatus

# From which states each command may be sent: the lifecycle, in one table.
ALLOWED_FROM: dict[type[c.Command], frozenset[GrantStatus]] = {
    c.SubmitApplication: frozenset({S.PRE_REGISTERED, S.REJECTED}),
    c.RequestRepair: frozenset({S.APPLICATION_SUBMITTED}),
    c.SubmitRepair: frozenset({S.REPAIR_REQUESTED}),
    c.AcceptApplication: frozenset({S.APPLICATION_SUBMITTED}),
    c.RecordAdvice: frozenset({S.UNDER_ASSESSMENT}),
    c.ApproveGrant: frozenset({S.ADVISED}),
    c.RejectApplication: frozenset({S.APPLICATION_SUBMITTED, S.UNDER_ASSESSMENT, S.ADVISED}),
    c.FileObjection: frozenset({S.REJECTED, S.APPROVED}),
    c.DecideObjection: frozenset({S.IN_OBJECTION}),
    c.SubmitProgressReport: frozenset({S.APPROVED}),
    c.SubmitExtensionPlan: frozenset({S.APPROVED}),
    c.GrantExtension: frozenset({S.APPROVED}),
    c.RecordHourlyRateChange: frozenset({S.APPROVED}),
    c.SubmitFinalReport: frozenset({S.APPROVED}),
    c.DetermineGrant: frozenset({S.FINAL_REPORT_SUBMITTED}),
    c.WithdrawGrant: frozenset(set(GrantStatus) - TERMINAL_STATUSES),
    c.ApplyDeadlineConsequence: frozenset(set(GrantStatus) - TERMINAL_STATUSES),
}


@dataclass(frozen=True)
class Context:
    """What a decision may look at besides the grant: the regulation, and the business time."""

    regulation: Regulation
    effective_at: dt.datetime

    @property
    def day(self) -> dt.date:
        return local_date(self.effective_at)

    def regeling(self, provision: str) -> str:
        """The regulation itself as the source, with the provision the rule rests on."""
        source = self.regulation.version("regeling-2018").source
        return source.model_copy(update={"provision": provision, "citation": None}).label()


@dataclass(frozen=True)
class Decision:
    """The events a command causes: (event class, its specific fields), plus budget reservations."""

    events: list[tuple[type[e.GrantEvent], dict[str, Any]]]
    rule: str
    legal_basis: str
    reservations: list["Reservation"] = field(default_factory=list)


@dataclass(frozen=True)
class Reservation:
    """A claim on a programme-wide budget pool (ceiling per region kind, or the 2024 budget)."""

    pool: str
    per_year: dict[int, int]
    ceiling_param: str
    extension: bool = False
    release: bool = False  # give the region's claim on the pool back instead of claiming


def refuse(rule: str, message: str, source: str, hint: str | None = None, state: GrantState | None = None) -> TransitionRefused:
    return TransitionRefused(rule, message, source, hint=hint, status=state.status.value if state else None)


def decide(state: GrantState | None, command: c.Command, ctx: Context) -> Decision:
    """Check every rule for `command` on `state`; return what to record, or raise TransitionRefused.

    A rule the regulation does not hold on the command's business date (before the regulation, or before
    the amendment that brought the rule) is a refusal too, never a crash: nothing can be decided by it."""
    try:
        return _decide(state, command, ctx)
    except UnknownRule as missing:
        raise refuse(
            "regulation.not_in_force",
            f"{command.name} on {ctx.day.isoformat()}: {missing}",
            ctx.regeling("inwerkingtreding en looptijd"),
            "give an effective date on which the rule is in force (`sto calendar --as-of DATE` lists them)",
            state,
        ) from None


def _decide(state: GrantState | None, command: c.Command, ctx: Context) -> Decision:
    _check_role(command)
    if isinstance(command, c.SubmitVooraanmelding):
        if state is not None:
            raise refuse(
                "lifecycle.one_grant_per_region",
                f"region {state.region_code} already has a grant (status {state.status.value})",
                ctx.regeling("vooraanmelding"),
                "look the grant up with `sto grant show`; a region pre-registers once",
                state,
            )
        return _vooraanmelding(command, ctx)
    if state is None:
        raise refuse(
            "lifecycle.needs_vooraanmelding",
            f"region {command.region_code} has no grant: {command.name} needs a vooraanmelding first",
            ctx.regeling("vooraanmelding"),
            "record the region's vooraanmelding first",
        )
    if ctx.effective_at < state.last_effective_at:
        raise refuse(
            "time.business_order",
            f"{command.name} takes effect on {ctx.effective_at.isoformat()}, before the grant's last event "
            f"({state.last_effective_at.isoformat()})",
            "audit integrity: a grant's history runs forward in business time",
            "give an effective time at or after the last event",
            state,
        )
    allowed = ALLOWED_FROM[type(command)]
    if state.status not in allowed:
        raise refuse(
            "lifecycle.transition",
            f"{command.name} is not possible while the grant of {state.region_code} is {state.status.value}",
            _lifecycle_source(command, ctx),
            f"{command.name} is possible when the grant is "
            + ", ".join(sorted(s.value for s in allowed)),
            state,
        )
    return _HANDLERS[type(command)](state, command, ctx)


def allowed_commands(state: GrantState) -> list[str]:
    """The command types whose lifecycle state allows them now (rules with data may still refuse)."""
    return [cls.__name__ for cls, states in ALLOWED_FROM.items() if state.status in states]


# --- handlers ------------------------------------------------------------------------------


def _check_role(command: c.Command) -> None:
    if command.actor.role not in command.allowed_roles:
        raise refuse(
            "access.role",
            f"{command.name} may be sent by {', '.join(sorted(r.value for r in command.allowed_roles))}, "
            f"not by role {command.actor.role.value}",
            "STO engine access policy: DUS-I operators trigger transitions",
            "ask a DUS-I operator to send it",
        )


def _lifecycle_source(command: c.Command, ctx: Context) -> str:
    if isinstance(command, (c.FileObjection, c.DecideObjection)):
        return f"{AWB} art. 6:4, 6:7 en 7:11"
    if isinstance(command, (c.RequestRepair, c.SubmitRepair)):
        return f"{AWB} art. 4:5 en 4:15"
    return ctx.regeling("procedure van aanvraag tot vaststelling")


def _vooraanmelding(cmd: c.SubmitVooraanmelding, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    term = reg.term("vooraanmelding", day)
    if day > term.due:
        raise refuse(
            "vooraanmelding.deadline",
            f"the vooraanmelding closed on {term.due.isoformat()} ('{term.wording}'); it is {day.isoformat()}",
            term.source,
            "a region that did not pre-register cannot apply under this regulation",
        )
    for key, items, what in (
        ("region_min_vmbo_schools", set(cmd.vmbo_schools), "vmbo schools (6-character BRIN)"),
        ("region_min_mbo_institutions", set(cmd.mbo_institutions), "mbo institutions"),
        ("region_min_partners", {p.name for p in cmd.partners}, "companies and/or municipalities"),
    ):
        minimum = reg.param(key, day)
        if len(items) < int(minimum.value):
            raise refuse(
                "region.composition",
                f"a region needs at least {minimum.value} distinct {what}; this one has {len(items)}",
                minimum.source,
                f"add {what} to the vooraanmelding",
            )
    return Decision(
        events=[
            (
                e.VooraanmeldingReceived,
                {
                    "region_code": cmd.region_code,
                    "region_name": cmd.region_name,
                    "kind": cmd.kind.value,
                    "penvoerder": cmd.penvoerder.model_dump(mode="json"),
                    "vmbo_schools": list(dict.fromkeys(cmd.vmbo_schools)),
                    "mbo_institutions": list(dict.fromkeys(cmd.mbo_institutions)),
                    "partners": [p.model_dump(mode="json") for p in cmd.partners],
                },
            )
        ],
        rule="lifecycle.vooraanmelding",
        legal_basis=term.source,
    )


def _application(state: GrantState, cmd: c.SubmitApplication, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    eligible = next_application_period(state)
    key = APPLICATION_TERMS[cmd.period]
    if cmd.period == 3 and not reg.has_term(key, day):
        creator = next(
            (reg.version(v.version) for t in reg.data.terms if t.key == key for v in t.values), None
        )
        raise refuse(
            "application.period_3_exists",
            f"application period 3 does not exist on {day.isoformat()}"
            + (f": it was added by {creator.title} of {creator.signed.isoformat()}" if creator else ""),
            creator.source.label() if creator else ctx.regeling("aanvraagtijdvakken"),
            "wait for the amendment that opens period 3",
            state,
        )
    if eligible != cmd.period:
        if cmd.period == 1:
            why = "period 1 is for pre-registered regions that have not yet applied"
        else:
            why = f"period {cmd.period} is only for regions whose application in period {cmd.period - 1} was rejected"
        raise refuse(
            "application.period_eligibility",
            f"{state.region_code} cannot apply in period {cmd.period}: {why}"
            + (f"; it may apply in period {eligible}" if eligible else ""),
            reg.term(key, day).source if reg.has_term(key, day) else ctx.regeling("aanvraagtijdvakken"),
            f"apply in period {eligible}" if eligible else "no application period is open to this region",
            state,
        )
    if not reg.has_term(key, day):
        raise refuse(
            "application.period_window",
            f"application period {cmd.period} is not in force on {day.isoformat()}",
            ctx.regeling("aanvraagtijdvakken"),
            "`sto calendar` lists the application periods in force",
            state,
        )
    window = reg.term(key, day)
    if window.start and day < window.start:
        raise refuse(
            "application.period_window",
            f"application period {cmd.period} opens on {window.start.isoformat()} ('{window.wording}')",
            window.source,
            f"submit from {window.start.isoformat()} on",
            state,
        )
    if day > window.due:
        raise refuse(
            "application.period_window",
            f"application period {cmd.period} closed on {window.due.isoformat()} ('{window.wording}'); "
            f"it is {day.isoformat()}",
            window.source,
            "a late application cannot be taken into consideration",
            state,
        )
    if cmd.period > 1 and not (cmd.documents.addendum and cmd.documents.addendum.strip()):
        raise refuse(
            "application.addendum",
            f"an application in period {cmd.period} needs an addendum describing the changes to the rejected plan",
            window.source,
            "add the addendum of changes",
            state,
        )
    maximum = check_application_money(cmd.documents, state.vmbo_schools, reg, day)
    return Decision(
        events=[
            (
                e.ApplicationSubmitted,
                {
                    "period": cmd.period,
                    "documents": cmd.documents.model_dump(mode="json"),
                    "requested_cents": cmd.documents.requested_cents,
                    "regional_maximum_cents": maximum,
                },
            )
        ],
        rule=f"application.period_{cmd.period}",
        legal_basis=window.source,
    )


def _request_repair(state: GrantState, cmd: c.RequestRepair, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    param = reg.param("repair_period_days", day)
    days = cmd.repair_days or int(param.value)
    due = reg.relative_deadline(
        "repair", "repair", "repair_period_days", day, day, days=days, counted_from_label="the repair request of"
    ).due
    return Decision(
        events=[(e.RepairRequested, {"missing": list(cmd.missing), "days": days, "due": due})],
        rule="application.repair_request",
        legal_basis=f"{AWB} art. 4:5 (repair period), 4:15 (decision term suspended)",
    )


def _submit_repair(state: GrantState, cmd: c.SubmitRepair, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    repair = state.repair
    assert repair is not None
    pending = find_pending(state, reg, day, f"repair_period:{len(state.applications)}")
    due = pending.due if pending else repair.due
    if day > due:
        raise refuse(
            "application.repair_period",
            f"the repair period ended on {due.isoformat()}; it is {day.isoformat()}",
            f"{AWB} art. 4:5",
            "the application will be set aside; the region may object to that decision",
            state,
        )
    application = state.application
    assert application is not None
    requested, maximum = application.requested_cents, application.regional_maximum_cents
    documents = None
    if cmd.documents is not None:
        maximum = check_application_money(cmd.documents, state.vmbo_schools, reg, day)
        requested = cmd.documents.requested_cents
        documents = cmd.documents.model_dump(mode="json")
    # Awb 4:15: suspended from the day after the request until the day the application is completed.
    suspended = state.suspended_days + (day - repair.requested_on).days
    return Decision(
        events=[
            (
                e.RepairSubmitted,
                {
                    "documents": documents,
                    "requested_cents": requested,
                    "regional_maximum_cents": maximum,
                    "suspended_days": suspended,
                },
            )
        ],
        rule="application.repair_submitted",
        legal_basis=f"{AWB} art. 4:5, 4:15",
    )


def _accept(state: GrantState, cmd: c.AcceptApplication, ctx: Context) -> Decision:
    return Decision(
        events=[(e.ApplicationAccepted, {})],
        rule="application.complete",
        legal_basis=ctx.regeling("beoordelingskader: volledige aanvraag naar de beoordelingscommissie"),
    )


def _advice(state: GrantState, cmd: c.RecordAdvice, ctx: Context) -> Decision:
    source = ctx.regeling("beoordelingskader (bijlage); rangschikking alleen voor techniekarme regio's")
    if state.kind is RegionKind.TECHNIEKARME_REGIO and cmd.ranking_score is None:
        raise refuse(
            "advice.ranking_techniekarme",
            "the advice on a techniekarme regio needs a ranking score: their ceiling can be exceeded, so they are ranked",
            source,
            "add the committee's ranking score (0-100)",
            state,
        )
    if state.kind is RegionKind.TECHNIEKREGIO and cmd.ranking_score is not None:
        raise refuse(
            "advice.ranking_techniekarme",
            "only techniekarme regio's are ranked; a techniekregio gets no ranking score",
            source,
            "leave the ranking score out",
            state,
        )
    criteria = [a.criterion for a in cmd.criteria]
    if len(set(criteria)) != len(criteria):
        raise refuse("advice.criteria", "each criterion may be judged once", source, "merge the duplicates", state)
    return Decision(
        events=[
            (
                e.AdviceRecorded,
                {
                    "positive": cmd.positive,
                    "criteria": [a.model_dump(mode="json") for a in cmd.criteria],
                    "ranking_score": cmd.ranking_score,
                },
            )
        ],
        rule="advice.recorded",
        legal_basis=source,
    )


def _check_granted(state: GrantState, amounts: dict[int, int], ctx: Context) -> None:
    reg, day = ctx.regulation, ctx.day
    application = state.application
    assert application is not None
    years = [int(y) for y in reg.param("funded_years", day).value]
    outside = sorted(set(amounts) - set(years))
    if outside:
        raise refuse(
            "money.year_outside_period",
            f"a grant covers {years[0]}–{years[-1]}; not {', '.join(map(str, outside))}",
            reg.param("funded_years", day).source,
            "grant amounts only for the years the subsidy covers",
            state,
        )
    total = sum(amounts.values())
    if total <= 0:
        raise refuse("money.positive_grant", "an approval grants a positive amount", ctx.regeling("verlening"), "reject instead", state)
    requested = application.requested_cents
    if total > requested:
        raise refuse(
            "money.grant_within_request",
            f"the grant of {euro(total)} is more than the {euro(requested)} requested",
            ctx.regeling("verlening"),
            "grant at most what the begroting asks",
            state,
        )
    if total > application.regional_maximum_cents:
        raise refuse(
            "money.regional_maximum",
            f"the grant of {euro(total)} is above the regional maximum of {euro(application.regional_maximum_cents)}",
            reg.param("pupil_rate_cents", day).source,
            "lower the grant to the regional maximum",
            state,
        )


def _ceiling_reservation(state: GrantState, amounts: dict[int, int]) -> Reservation:
    pool = f"ceiling:{state.kind.value}"
    return Reservation(pool=pool, per_year=amounts, ceiling_param=f"ceiling_{state.kind.value}")


def _decision_sent_on(cmd: c.ApproveGrant | c.RejectApplication, ctx: Context, state: GrantState) -> dt.date:
    sent_on = cmd.sent_on or ctx.day
    if sent_on < ctx.day:
        raise refuse(
            "decision.sent_after_decided",
            f"a decision taken on {ctx.day.isoformat()} cannot have been sent on {sent_on.isoformat()}",
            f"{AWB} art. 6:8 (the objection period starts the day after the decision is sent)",
            "give the day the decision letter was (or will be) sent",
            state,
        )
    return sent_on


def _approve(state: GrantState, cmd: c.ApproveGrant, ctx: Context) -> Decision:
    advice = state.advice
    source = ctx.regeling("verlening na advies van de beoordelingscommissie")
    if advice is None or not advice.positive:
        raise refuse(
            "decision.follows_advice",
            "the beoordelingscommissie advised negatively; an approval needs a positive advice",
            source,
            "reject the application, or record a new (positive) advice after a new assessment",
            state,
        )
    amounts = {a.year: a.amount_cents for a in cmd.granted_per_year}
    _check_granted(state, amounts, ctx)
    sent_on = _decision_sent_on(cmd, ctx, state)
    application = state.application
    assert application is not None
    return Decision(
        events=[
            (
                e.GrantApproved,
                {
                    "period": application.period,
                    "granted_per_year": {str(y): a for y, a in sorted(amounts.items())},
                    "sent_on": sent_on,
                },
            )
        ],
        rule=f"decision.approve_period_{application.period}",
        legal_basis=source,
        reservations=[_ceiling_reservation(state, amounts)],
    )


def _reject(state: GrantState, cmd: c.RejectApplication, ctx: Context) -> Decision:
    sent_on = _decision_sent_on(cmd, ctx, state)
    application = state.application
    assert application is not None
    return Decision(
        events=[(e.ApplicationRejected, {"period": application.period, "reasons": list(cmd.reasons), "sent_on": sent_on})],
        rule=f"decision.reject_period_{application.period}",
        legal_basis=ctx.regeling("afwijzing (beoordelingskader)"),
    )


def _objection(state: GrantState, cmd: c.FileObjection, ctx: Context) -> Decision:
    decision = state.decision
    source = f"{AWB} art. 6:7 en 6:8"
    if decision is None or decision.final:
        raise refuse(
            "objection.final_decision",
            "there is no decision open to objection: the last decision is final",
            source,
            "the objection period has passed; only a new decision can be objected to",
            state,
        )
    pending = find_pending(state, ctx.regulation, ctx.day, f"objection_period:{len(state.decisions)}")
    if pending is None or ctx.day > pending.due:
        due = pending.due.isoformat() if pending else "earlier"
        raise refuse(
            "objection.period",
            f"the objection period ended on {due}; it is {ctx.day.isoformat()}",
            source,
            "a late objection is inadmissible unless the delay is excusable (Awb 6:11): record it with a reason",
            state,
        )
    return Decision(
        events=[(e.ObjectionFiled, {"grounds": cmd.grounds, "against": decision.kind.value, "status_before": state.status.value})],
        rule="objection.filed",
        legal_basis=f"{AWB} art. 6:4, 6:7 en 6:8",
    )


def _decide_objection(state: GrantState, cmd: c.DecideObjection, ctx: Context) -> Decision:
    objection = state.objection
    assert objection is not None
    amounts = {a.year: a.amount_cents for a in cmd.granted_per_year}
    source = f"{AWB} art. 7:11 (heroverweging)"
    reservations: list[Reservation] = []
    if cmd.outcome is ObjectionOutcome.DISMISSED:
        if amounts:
            raise refuse("objection.amounts", "a dismissed objection changes no amounts", source, "leave the amounts out", state)
        after = objection.status_before
    elif objection.against is DecisionKind.SET_ASIDE:
        if amounts:
            raise refuse("objection.amounts", "an upheld objection against setting aside reopens the assessment; it grants nothing yet", source, "leave the amounts out", state)
        after = S.UNDER_ASSESSMENT
    else:
        if not amounts:
            raise refuse(
                "objection.amounts",
                "an upheld objection against a rejection or an approval needs the (new) amounts per year",
                source,
                "give granted_per_year",
                state,
            )
        _check_granted(state, amounts, ctx)
        after = S.APPROVED
        reservations.append(_ceiling_reservation(state, amounts))
    return Decision(
        events=[
            (
                e.ObjectionDecided,
                {
                    "outcome": cmd.outcome.value,
                    "granted_per_year": {str(y): a for y, a in sorted(amounts.items())},
                    "status_after": after.value,
                },
            )
        ],
        rule=f"objection.{cmd.outcome.value}",
        legal_basis=source,
        reservations=reservations,
    )


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
        events=[(e.ExtensionGranted, {"amount_cents": cmd.amount_cents, "cap_cents": cap})],
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
    years = [int(y) for y in reg.param("funded_years", day).value]
    if reg.has_param("extension_year", day):
        years.append(int(reg.param("extension_year", day).value))
    amounts = {a.year: a.amount_cents for a in cmd.realised_per_year}
    outside = sorted(set(amounts) - set(years))
    if outside:
        raise refuse(
            "money.year_outside_period",
            f"realised costs can only be for {', '.join(map(str, years))}; not {', '.join(map(str, outside))}",
            reg.param("funded_years", day).source,
            "report costs per subsidy year",
            state,
        )
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


def _determine(state: GrantState, cmd: c.DetermineGrant, ctx: Context) -> Decision:
    report = state.final_report
    assert report is not None
    # Advances (voorschotten) are taken to be paid in full; the advance rules are unconfirmed.
    outcome = determine(
        granted_total_cents=state.granted_total_cents,
        realised_costs_cents=sum(report.realised_per_year.values()),
        cofinancing_realised_cents=report.cofinancing_realised_cents,
        paid_cents=state.granted_total_cents,
        regulation=ctx.regulation,
        day=ctx.day,
    )
    return Decision(
        events=[
            (
                e.GrantDetermined,
                {
                    "determination": {
                        "granted_total_cents": outcome.granted_total_cents,
                        "realised_costs_cents": outcome.realised_costs_cents,
                        "eligible_cents": outcome.eligible_cents,
                        "threshold": str(outcome.threshold),
                        "threshold_source": outcome.threshold_source,
                        "cofinancing_required_cents": outcome.cofinancing_required_cents,
                        "cofinancing_realised_cents": outcome.cofinancing_realised_cents,
                        "determined_cents": outcome.determined_cents,
                        "paid_cents": outcome.paid_cents,
                        "reclaim_cents": outcome.reclaim_cents,
                        "explanation": outcome.explanation,
                    }
                },
            )
        ],
        rule="determination.cofinancing_threshold",
        legal_basis=f"{outcome.threshold_source}; Kaderregeling subsidies OCW, SZW en VWS (vaststelling); {AWB} art. 4:46",
    )


def _withdraw(state: GrantState, cmd: c.WithdrawGrant, ctx: Context) -> Decision:
    """Withdrawal ends the grant; what it had been granted goes back to the budget it was claimed from."""
    releases: list[Reservation] = []
    if state.granted_per_year and state.kind is not None:
        releases.append(replace(_ceiling_reservation(state, {}), release=True))
    if state.extension.granted_cents and ctx.regulation.has_param("extension_year", ctx.day):
        year = int(ctx.regulation.param("extension_year", ctx.day).value)
        releases.append(Reservation(pool=f"extension:{year}", per_year={}, ceiling_param="extension_budget_cents",
                                    extension=True, release=True))
    return Decision(
        events=[(e.GrantWithdrawn, {"status_before": state.status.value})],
        rule="lifecycle.withdraw",
        legal_basis=f"{AWB} art. 4:48 (intrekking vóór vaststelling), or the applicant's withdrawal of the application",
        reservations=releases,
    )


_CONSEQUENCES: list[tuple[Callable[[str], bool], type[e.DeadlineConsequence]]] = [
    (lambda k: k.startswith("application_period_"), e.GrantLapsed),
    (lambda k: k.startswith("repair_period:"), e.ApplicationSetAside),
    (lambda k: k.startswith("decision_period_"), e.DecisionTermExceeded),
    (lambda k: k.startswith("objection_period:"), e.DecisionBecameFinal),
    (lambda k: k.startswith("progress_report_") or k == "final_report", e.DeadlineMissed),
    (lambda k: k == "extension_plan_2024", e.ExtensionForfeited),
    (lambda k: k == "spending_end", e.SpendingPeriodEnded),
]


def consequence_event(deadline_key: str) -> type[e.DeadlineConsequence]:
    for matches, event_class in _CONSEQUENCES:
        if matches(deadline_key):
            return event_class
    raise KeyError(deadline_key)


def _consequence(state: GrantState, cmd: c.ApplyDeadlineConsequence, ctx: Context) -> Decision:
    pending = find_pending(state, ctx.regulation, ctx.day, cmd.deadline_key)
    if pending is None:
        keys = ", ".join(d.key for d in pending_deadlines(state, ctx.regulation, ctx.day)) or "none"
        raise refuse(
            "deadline.not_pending",
            f"deadline {cmd.deadline_key} does not apply to the grant now (pending: {keys})",
            "the step was taken, or its consequence was applied already",
            "nothing to do",
            state,
        )
    if ctx.day <= pending.due:
        raise refuse(
            "deadline.not_passed",
            f"deadline {cmd.deadline_key} runs until the end of {pending.due.isoformat()}; it is {ctx.day.isoformat()}",
            pending.source,
            f"wait until after {pending.due.isoformat()}",
            state,
        )
    event_class = consequence_event(cmd.deadline_key)
    fields: dict[str, Any] = {"deadline_key": cmd.deadline_key, "due": pending.due}
    if event_class is e.ApplicationSetAside:
        assert state.application is not None
        fields["period"] = state.application.period
    return Decision(events=[(event_class, fields)], rule=f"deadline.{cmd.deadline_key.split(':')[0]}", legal_basis=pending.source)


_HANDLERS: dict[type[c.Command], Callable[[GrantState, Any, Context], Decision]] = {
    c.SubmitApplication: _application,
    c.RequestRepair: _request_repair,
    c.SubmitRepair: _submit_repair,
    c.AcceptApplication: _accept,
    c.RecordAdvice: _advice,
    c.ApproveGrant: _approve,
    c.RejectApplication: _reject,
    c.FileObjection: _objection,
    c.DecideObjection: _decide_objection,
    c.SubmitProgressReport: _progress_report,
    c.SubmitExtensionPlan: _extension_plan,
    c.GrantExtension: _grant_extension,
    c.RecordHourlyRateChange: _hourly_rate,
    c.SubmitFinalReport: _final_report,
    c.DetermineGrant: _determine,
    c.WithdrawGrant: _withdraw,
    c.ApplyDeadlineConsequence: _consequence,
}
