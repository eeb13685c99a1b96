"""Setting a claim off against an advance of the same region's grant in another scheme, by besluit: "Het
bestuursorgaan kan ... verrekenen met een aan dezelfde subsidie-ontvanger voor dezelfde activiteiten verstrekte
subsidie voor een ander tijdvak" (Awb 4:57 lid 3); only where a statute allows it (4:93 lid 1), naming the claim and
the amount (4:93 lid 2); no reclaim five years after the vaststelling (4:57 lid 4); a lapsed claim is not set off
(4:104 lid 2). Both ledgers record it, in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.authority import rules
from domain.authority.register import Register
from domain.errors import TransitionRefused
from domain.ledger import commands as lc
from domain.ledger.aggregate import Ledger
from domain.ledger.claims import reclaim_window_ends
from domain.regulation import Regulation
from domain.state import GrantState
from domain.timekeeping import local_date

AWB = "Algemene wet bestuursrecht"
SOURCE = f"{AWB} art. 4:57 lid 3 en 4:93"


def _refuse(rule: str, message: str, source: str, hint: str) -> TransitionRefused:
    return TransitionRefused(rule, message, source, hint=hint)


def decide_set_off(claim_ledger: Ledger, claim_state: GrantState, other: Ledger, other_state: GrantState,
                   other_regulation: Regulation, command: lc.SetOffClaim, register: Register,
                   effective_at: dt.datetime) -> tuple[list[tuple[type[Ledger.Event], dict[str, Any]]],
                                                        list[tuple[type[Ledger.Event], dict[str, Any]]]]:
    """(events on the claim's ledger, events on the other ledger); TransitionRefused names the rule."""
    day = local_date(effective_at)
    claim = claim_ledger.claims.get(command.claim)
    if claim is None:
        raise _refuse("money.no_such_claim", f"the grant of {claim_state.region_code} has no claim {command.claim}",
                      SOURCE, "`sto money show REGION` lists its claims")
    view = rules.register_on(register.on(day), claim_state, day.isoformat())
    signer = rules.check_role(view, command.actor.name, rules.COORDINATOR, claim_state.scheme or "sto-2020-2024",
                              claim_state, "a besluit tot verrekening")
    rules.signing_mandate(view, signer, "claim", claim_state.scheme or "sto-2020-2024", claim.outstanding_cents, claim_state)
    if other_state.region_code != claim_state.region_code or other.id == claim_ledger.id:
        raise _refuse("setoff.same_recipient", "set-off only against a subsidy to the same recipient", SOURCE,
                      "name the same region's grant in the other scheme")
    info = other_regulation.data.scheme
    if info is None or (claim_state.scheme or "sto-2020-2024") not in info.same_activities_as:
        raise _refuse("setoff.same_activities", f"the scheme {other_state.scheme} does not fund the same activities as "
                      f"{claim_state.scheme} for another period", SOURCE, "set-off is possible only where the law allows it")
    if claim.lapsed or claim.outstanding_cents == 0:
        raise _refuse("setoff.nothing_outstanding", f"claim {claim.number} has nothing outstanding"
                      + (" (lapsed: Awb 4:104 lid 2)" if claim.lapsed else ""), f"{AWB} art. 4:104", "nothing to set off")
    if day >= reclaim_window_ends(claim.established_on):
        raise _refuse("setoff.five_years", f"five years have passed since the vaststelling of {claim.established_on.isoformat()}",
                      f"{AWB} art. 4:57 lid 4", "the claim can no longer be reclaimed")
    line = other.instalments.get(command.against_instalment)
    if line is None or line.status not in ("scheduled", "released"):
        raise _refuse("setoff.instalment", f"instalment {command.against_instalment} of {other_state.scheme} is "
                      f"{line.status if line else 'unknown'}; only an advance not yet handed to the finance system is set off",
                      SOURCE, "name an instalment still to be paid")
    amount = min(claim.outstanding_cents, line.amount_cents)
    basis = f"{SOURCE}; {info.same_activities_source.label() if info.same_activities_source else info.source.label()}"
    return (
        [(Ledger.ClaimSetOff, {"number": claim.number, "amount_cents": amount,
                               "against": f"{other_state.scheme}/{other_state.region_code}/T{line.number}", "legal_basis": basis})],
        [(Ledger.InstalmentSetOff, {"number": line.number, "amount_cents": amount, "claim": claim.number, "legal_basis": basis})],
    )
