"""The melding and the lowering of the verlening (Awb 4:48 lid 1 a: the activities did not or will not (fully) take
place), before the vaststelling, by besluit; the vaststelling then starts from the lowered amounts."""

from __future__ import annotations

from domain import commands as c
from domain import events as e
from domain.decide.core import AWB, Context, Decision, refuse
from domain.decide.decisions import _ceiling_reservation, _decision_sent_on
from domain.money import euro
from domain.state import GrantState

SOURCE = f"{AWB} art. 4:48 lid 1 (verlaging vóór de vaststelling)"


def _melding(state: GrantState, cmd: c.RecordMelding, ctx: Context) -> Decision:
    return Decision(events=[(e.MeldingReceived, {"kind": cmd.kind.value, "activities": cmd.activities})],
                    rule="melding.received", legal_basis=ctx.regeling("meldingsplicht (activiteiten niet tijdig, niet geheel of niet)"))


def _lower(state: GrantState, cmd: c.LowerGrant, ctx: Context) -> Decision:
    granted = state.granted_per_year
    amounts = {a.year: a.amount_cents for a in cmd.granted_per_year}
    unknown = sorted(set(amounts) - set(granted))
    if unknown:
        raise refuse("lowering.years", f"the grant has no amount for {', '.join(map(str, unknown))}", SOURCE,
                     f"give amounts for the granted years ({', '.join(map(str, sorted(granted)))})", state)
    new = {year: amounts.get(year, cents) for year, cents in granted.items()}
    higher = [y for y in new if new[y] > granted[y]]
    if higher:
        raise refuse("lowering.not_higher", f"a lowering cannot raise {higher[0]} above the {euro(granted[higher[0]])} granted",
                     SOURCE, "a higher grant is a new verlening (or an upheld objection)", state)
    if new == granted:
        raise refuse("lowering.changes_nothing", "the amounts equal the grant", SOURCE, "give lower amounts", state)
    if sum(new.values()) <= 0:
        raise refuse("lowering.to_nothing", "lowering the grant to nothing is an intrekking", SOURCE,
                     "withdraw the grant instead (`sto grant withdraw`)", state)
    period = state.decision.period if state.decision is not None else 0
    return Decision(
        events=[(e.GrantLowered, {"period": period, "granted_per_year": {str(y): a for y, a in sorted(new.items())},
                                  "sent_on": _decision_sent_on(cmd, ctx, state)})],
        rule="lowering.before_determination",
        legal_basis=SOURCE + (f"; na de melding van {state.meldingen[-1].received_on.isoformat()}" if state.meldingen else ""),
        reservations=[_ceiling_reservation(state, new, ctx)],
    )
