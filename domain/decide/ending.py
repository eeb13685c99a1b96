"""Decisions that end a grant's life, and the consequences of deadlines that passed."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from domain import commands as c
from domain import events as e
from domain.decide.core import AWB, Context, Decision, Reservation, refuse, scheme_pool
from domain.decide.decisions import _ceiling_reservation, _decision_sent_on
from domain.deadlines import find_pending, pending_deadlines
from domain.money import determine
from domain.regulation import Regulation
from domain.regulation.lifecycle import ConsequenceKind
from domain.state import GrantState


def _determine(state: GrantState, cmd: c.DetermineGrant, ctx: Context) -> Decision:
    report = state.final_report
    assert report is not None
    # what the money ledger paid (and handed to the finance system); without a ledger, every advance as paid
    outcome = determine(
        granted_total_cents=state.granted_total_cents,
        realised_costs_cents=sum(report.realised_per_year.values()),
        cofinancing_realised_cents=report.cofinancing_realised_cents,
        paid_cents=ctx.paid_cents if ctx.paid_cents is not None else state.granted_total_cents,
        regulation=ctx.regulation,
        day=ctx.day,
    )
    return Decision(
        events=[
            (
                e.GrantDetermined,
                {
                    # the outcome as stored (DeterminationRecord reads it back): its fields, the threshold as text
                    "determination": {**asdict(outcome), "threshold": str(outcome.threshold)},
                    "sent_on": _decision_sent_on(cmd, ctx, state),
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
        releases.append(replace(_ceiling_reservation(state, {}, ctx), release=True))
    if state.extension.granted_cents and ctx.regulation.has_param("extension_year", ctx.day):
        year = int(ctx.regulation.param("extension_year", ctx.day).value)
        releases.append(Reservation(pool=scheme_pool(ctx, f"extension:{year}"), per_year={}, ceiling_param="extension_budget_cents",
                                    extension=True, release=True))
    return Decision(
        # an intrekking of a granted subsidy is a besluit (Awb 4:48), open to objection; a region that withdraws
        # its vooraanmelding or application before any grant takes no besluit of DUS-I
        events=[(e.GrantWithdrawn, {"status_before": state.status.value,
                                    "sent_on": _decision_sent_on(cmd, ctx, state) if state.granted_per_year else None})],
        rule="lifecycle.withdraw",
        legal_basis=f"{AWB} art. 4:48 (intrekking vóór vaststelling), or the applicant's withdrawal of the application",
        reservations=releases,
    )


# A passed term's consequence: the engine's own terms (Awb) by their key, the scheme's dated terms by the
# consequence its data names.
_BY_CONSEQUENCE: dict[ConsequenceKind, type[e.DeadlineConsequence]] = {
    ConsequenceKind.LAPSE: e.GrantLapsed,
    ConsequenceKind.DEADLINE_MISSED: e.DeadlineMissed,
    ConsequenceKind.EXTENSION_FORFEITED: e.ExtensionForfeited,
    ConsequenceKind.SPENDING_ENDED: e.SpendingPeriodEnded,
}


def consequence_event(deadline_key: str, regulation: Regulation) -> type[e.DeadlineConsequence]:
    if deadline_key.startswith("repair_period:"):
        return e.ApplicationSetAside
    if deadline_key.startswith("objection_period:"):
        return e.DecisionBecameFinal
    data = regulation.data
    if any(r.window == deadline_key for r in data.application_rounds):
        return e.GrantLapsed
    if any(r.decision == deadline_key for r in data.application_rounds):
        return e.DecisionTermExceeded
    rule = data.deadline_rule(deadline_key)
    if rule is None:
        raise KeyError(deadline_key)
    return _BY_CONSEQUENCE[rule.consequence]


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
    event_class = consequence_event(cmd.deadline_key, ctx.regulation)
    fields: dict[str, Any] = {"deadline_key": cmd.deadline_key, "due": pending.due}
    if event_class is e.ApplicationSetAside:
        assert state.application is not None
        fields["period"] = state.application.period
    return Decision(events=[(event_class, fields)], rule=f"deadline.{cmd.deadline_key.split(':')[0]}", legal_basis=pending.source)
