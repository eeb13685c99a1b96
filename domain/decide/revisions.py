"""An upheld objection against the extension, the vaststelling or the intrekking: the contested besluit is revoked
and, where needed, a new one takes its place (Awb 7:11 lid 2). The new besluit is part of the beslissing op bezwaar:
its letter is that decision's, and what is open against it is beroep at the rechtbank, not a second bezwaar (Awb 7:1
lid 1, 8:1; the scheme's data gives objection_decision the remedy beroep)."""

from __future__ import annotations


from typing import Any

from domain import commands as c
from domain.decide.core import AWB, Context, Reservation, refuse, scheme_pool
from domain.decide.core import ceiling_reservation as _ceiling_reservation
from domain.money import euro, extension_cap_cents
from domain.state import GrantState
from domain.values import DecisionKind, GrantStatus

SOURCE = f"{AWB} art. 7:11 lid 2 (herroepen en zo nodig een nieuw besluit in de plaats)"


def revision(state: GrantState, cmd: c.DecideObjection, ctx: Context) -> tuple[GrantStatus, dict[str, Any], list[Reservation]]:
    """(the state after, the revised besluit, the budget it claims) of an upheld objection against `against`."""
    objection = state.objection
    assert objection is not None
    if cmd.granted_per_year:
        raise refuse("objection.amounts", f"an objection against the {objection.against.value} revises no amounts per year",
                     SOURCE, "give revised_amount_cents where the new besluit needs an amount", state)
    if objection.against is DecisionKind.WITHDRAWAL:
        return _withdrawal_revoked(state, cmd, ctx)
    amount = cmd.revised_amount_cents
    if amount is None:
        what = "extension granted" if objection.against is DecisionKind.EXTENSION else "subsidy determined"
        raise refuse("objection.revised_amount", f"an upheld objection against the {objection.against.value} needs the "
                     f"amount of the besluit that takes its place (the {what})", SOURCE, "give revised_amount_cents", state)
    if objection.against is DecisionKind.EXTENSION:
        return _extension_revised(state, amount, ctx)
    return _determination_revised(state, amount)


def _extension_revised(state: GrantState, amount: int, ctx: Context) -> tuple[GrantStatus, dict[str, Any], list[Reservation]]:
    reg, day = ctx.regulation, ctx.day
    cap = extension_cap_cents(state.granted_cents, reg, day)
    plan = state.extension.plan
    limit = min(cap, plan.requested_cents) if plan is not None else cap
    if amount > limit:
        raise refuse("objection.revised_extension", f"the revised extension of {euro(amount)} is more than "
                     f"{euro(limit)} (the cap of {euro(cap)} and what the plan asks)",
                     reg.param("extension_cap_share", day).source, f"revise it to at most {euro(limit)}", state)
    year = int(reg.param("extension_year", day).value)
    reservation = Reservation(pool=scheme_pool(ctx, f"extension:{year}"), per_year={year: amount},
                              ceiling_param="extension_budget_cents", extension=True)
    return GrantStatus(state.objection.status_before), {"kind": DecisionKind.EXTENSION.value, "amount_cents": amount}, [reservation]


def _determination_revised(state: GrantState, amount: int) -> tuple[GrantStatus, dict[str, Any], list[Reservation]]:
    determination = state.determination
    assert determination is not None
    if amount > determination.granted_total_cents:
        raise refuse("objection.revised_determination", f"the subsidy cannot be determined above what was granted "
                     f"({euro(determination.granted_total_cents)}); asked {euro(amount)}", f"{AWB} art. 4:46 lid 1",
                     f"revise it to at most {euro(determination.granted_total_cents)}", state)
    return GrantStatus.DETERMINED, {"kind": DecisionKind.DETERMINATION.value, "amount_cents": amount}, []


def _withdrawal_revoked(state: GrantState, cmd: c.DecideObjection, ctx: Context) -> tuple[GrantStatus, dict[str, Any], list[Reservation]]:
    if cmd.revised_amount_cents is not None:
        raise refuse("objection.amounts", "revoking an intrekking restores the grant as it was; it takes no amount",
                     SOURCE, "leave revised_amount_cents out", state)
    before = state.withdrawn_from
    if before is None:
        raise refuse("objection.withdrawn_from_unknown", "the intrekking was recorded before the engine kept the state "
                     "it ended, so it cannot restore it", SOURCE, "revoke it outside the engine and record the objection "
                     "as dismissed with the reason 'herzien besluit genomen'", state)
    reservations = []
    if state.granted_per_year:
        reservations.append(_ceiling_reservation(state, state.granted_per_year, ctx))
    if state.extension.granted_cents and ctx.regulation.has_param("extension_year", ctx.day):
        year = int(ctx.regulation.param("extension_year", ctx.day).value)
        reservations.append(Reservation(pool=scheme_pool(ctx, f"extension:{year}"), per_year={year: state.extension.granted_cents},
                                        ceiling_param="extension_budget_cents", extension=True))
    return before, {"kind": DecisionKind.WITHDRAWAL.value, "amount_cents": None}, reservations



