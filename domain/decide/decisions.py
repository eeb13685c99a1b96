"""The besluiten on an application: verlening and afwijzing (with DUS-I's own decision term), and objections."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain import commands as c
from domain import events as e
from domain.decide.core import AWB, Context, Decision, Reservation, S, check_years, refuse
from domain.decide.core import ceiling_reservation as _ceiling_reservation
from domain.decide.advances import advances
from domain.decide.revisions import revision
from domain.deadlines import days_late, decision_deadline, find_pending
from domain.money import euro
from domain.state import GrantState
from domain.values import DecisionKind, ObjectionOutcome


def _check_granted(state: GrantState, amounts: dict[int, int], ctx: Context) -> None:
    reg, day = ctx.regulation, ctx.day
    application = state.application
    assert application is not None
    check_years(state, amounts, ctx, with_extension=False, what="a grant",
                hint="grant amounts only for the years the subsidy covers")
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


def _decision_sent_on(cmd: Any, ctx: Context, state: GrantState) -> dt.date:
    """The day the besluit was (or will be) sent: its objection term starts the day after (Awb 6:8)."""
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


def _late_noted(source: str, state: GrantState, ctx: Context) -> str:
    """A decision after DUS-I's own term is taken all the same (the law does not void it), and says so."""
    late = days_late(state, ctx.regulation, ctx.day)
    if not late:
        return source
    term = decision_deadline(state, ctx.regulation, ctx.day, passed_too=True)
    assert term is not None
    return (f"{source}; taken {late} days after the decision term of {term.due.isoformat()} "
            f"({term.source}; {AWB} art. 4:13, 4:17 dwangsom bij niet tijdig beslissen)")


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
                    "late_days": days_late(state, ctx.regulation, ctx.day),
                },
            ),
            *advances(state, amounts, ctx),
        ],
        rule=f"decision.approve_period_{application.period}",
        legal_basis=_late_noted(source, state, ctx),
        reservations=[_ceiling_reservation(state, amounts, ctx)],
    )


def _reject(state: GrantState, cmd: c.RejectApplication, ctx: Context) -> Decision:
    sent_on = _decision_sent_on(cmd, ctx, state)
    application = state.application
    assert application is not None
    return Decision(
        events=[(e.ApplicationRejected, {"period": application.period, "reasons": list(cmd.reasons), "sent_on": sent_on,
                                          "late_days": days_late(state, ctx.regulation, ctx.day)})],
        rule=f"decision.reject_period_{application.period}",
        legal_basis=_late_noted(ctx.regeling("afwijzing (beoordelingskader)"), state, ctx),
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
    revised = None
    if cmd.revised_amount_cents is not None and (cmd.outcome is ObjectionOutcome.DISMISSED or objection.against not in (
            DecisionKind.EXTENSION, DecisionKind.DETERMINATION)):
        raise refuse("objection.amounts", "a revised amount belongs to an upheld objection against the extension or the "
                     "vaststelling", source, "leave revised_amount_cents out", state)
    if cmd.outcome is ObjectionOutcome.DISMISSED:
        if amounts:
            raise refuse("objection.amounts", "a dismissed objection changes no amounts", source, "leave the amounts out", state)
        after = objection.status_before
    elif objection.against in (DecisionKind.EXTENSION, DecisionKind.DETERMINATION, DecisionKind.WITHDRAWAL):
        after, revised, reservations = revision(state, cmd, ctx)
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
        reservations.append(_ceiling_reservation(state, amounts, ctx))
    return Decision(
        events=[
            (
                e.ObjectionDecided,
                {
                    "outcome": cmd.outcome.value,
                    "granted_per_year": {str(y): a for y, a in sorted(amounts.items())},
                    "status_after": after.value,
                    "revised": revised,
                },
            ),
            *(advances(state, amounts, ctx) if amounts and not state.advance_schedule else []),
        ],
        rule=f"objection.{cmd.outcome.value}",
        legal_basis=source,
        reservations=reservations,
    )
