"""What the money ledger records when the grant takes a besluit: the money follows the decision, in the same
transaction (the service saves both), never the other way round.

- a verlening or the 2024 extension: the commitment (verplichting) per budget year, and the instalments its
  advance schedule set (AdvancesScheduled);
- a vaststelling: determined less paid (Awb 4:95 lid 4, 4:52): a final payment (an instalment, due within the
  scheme's days) or a claim (vordering, Awb 4:57 lid 1, 4:86) whose term is six weeks from the day the besluit was
  made known (4:87 lid 1), moved on by the Algemene termijnenwet when it ends on a weekend or holiday (Atw art. 1);
- an intrekking of a granted subsidy: the instalments not yet handed to the finance system are cancelled.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable

from domain.ledger.aggregate import Ledger, scheme_tag
from domain.regulation.termijnen import next_atw_day
from domain.state import GrantState

AWB = "Algemene wet bestuursrecht"
PAYMENT_TERM_WEEKS = 6  # Awb 4:87 lid 1
FINAL_PAYMENT_DAYS = 14


def claim_number(grant_code: str, scheme: str | None, besluit: int) -> str:
    """The vorderingsnummer: with the subsidy number the key on which a repayment is matched."""
    return f"VORD-{grant_code}-{scheme_tag(scheme)}-{besluit:02d}"


def claim_named_in(text: str, numbers: Iterable[str]) -> str | None:
    """The one claim a remittance text names, as a whole number: VORD-...-10 is not named by "VORD-...-100", and a text
    naming two claims names none (the payment is then booked by hand, not guessed)."""
    named = {n for n in numbers if re.search(rf"(?<![0-9A-Za-z-]){re.escape(n)}(?![0-9A-Za-z])", text, re.IGNORECASE)}
    return named.pop() if len(named) == 1 else None


def payment_term(sent_on: dt.date) -> tuple[dt.date, str]:
    """The last day to pay a claim (Awb 4:87 lid 1), and the words that count it."""
    plain = sent_on + dt.timedelta(weeks=PAYMENT_TERM_WEEKS)
    moved, skipped = next_atw_day(plain)
    words = f"{AWB} art. 4:87 lid 1: zes weken na bekendmaking op {sent_on.isoformat()}"
    if skipped:
        words += f"; verlengd tot {moved.isoformat()} (Algemene termijnenwet art. 1: {skipped[0][1]})"
    return moved, words


def follow(ledger: Ledger, state: GrantState, event_names: list[str], common: dict[str, Any], paid_cents: int | None) -> None:
    """Record on `ledger` what the grant's new events (by class name, in order) mean for the money. `state` is the
    grant after them; `common` the actor, reason and business time of the command; `paid_cents` what the ledger held
    as paid before a vaststelling (None: it held nothing, the grant predates the ledger)."""
    if not state.besluiten:
        return
    besluit = state.besluiten[-1]
    if "GrantApproved" in event_names or ("ObjectionDecided" in event_names and besluit.granted_per_year):
        per_year = {str(y): a for y, a in besluit.granted_per_year.items()}
        ledger.trigger_event(Ledger.CommitmentRecorded, besluit=besluit.number, per_year=per_year,
                             legal_basis=f"verplichting bij de verlening ({besluit.legal_basis})", **common)
    if "ExtensionGranted" in event_names and state.extension.granted_cents:
        year = max(i.year for i in state.advance_schedule) if state.advance_schedule else besluit.decided_on.year
        ledger.trigger_event(Ledger.CommitmentRecorded, besluit=besluit.number, per_year={str(year): state.extension.granted_cents},
                             legal_basis=f"verplichting bij de verlenging ({besluit.legal_basis})", **common)
    if "AdvancesScheduled" in event_names:
        for item in state.advance_schedule:
            if item.besluit == besluit.number and item.number not in ledger.instalments:
                ledger.trigger_event(Ledger.InstalmentScheduled, number=item.number, year=item.year, due=item.due,
                                     amount_cents=item.amount_cents, besluit=besluit.number, final=False,
                                     legal_basis="Aanwijzingen voor subsidieverstrekking, aanwijzing 18; Awb art. 4:95", **common)
    if "GrantLowered" in event_names:
        _lower(ledger, besluit.granted_per_year, common)
    if "GrantDetermined" in event_names and state.determination is not None:
        _settle(ledger, state, common)
    if "GrantWithdrawn" in event_names:
        open_numbers = [n for n, i in ledger.instalments.items() if i.status in ("scheduled", "released", "returned")]
        if open_numbers:
            ledger.trigger_event(Ledger.InstalmentsCancelled, numbers=open_numbers,
                                 legal_basis=f"{AWB} art. 4:48 (intrekking): wat nog niet betaald is, wordt niet betaald", **common)


def _settle(ledger: Ledger, state: GrantState, common: dict[str, Any]) -> None:
    determination = state.determination
    assert determination is not None
    besluit = state.besluiten[-1]
    still_open = [n for n, i in ledger.instalments.items() if i.status in ("scheduled", "released", "returned")]
    if still_open:  # settled now: what was not yet handed to the finance system is paid, if at all, as the final payment
        ledger.trigger_event(Ledger.InstalmentsCancelled, numbers=still_open,
                             legal_basis=f"{AWB} art. 4:95 lid 4 (voorschotten verrekend bij de vaststelling)", **common)
    paid = determination.paid_cents
    ledger.trigger_event(Ledger.SettlementDetermined, besluit=besluit.number, determined_cents=determination.determined_cents,
                         paid_cents=paid, legal_basis=f"{AWB} art. 4:52 lid 1 en 4:95 lid 4", **common)
    difference = determination.determined_cents - paid
    if difference > 0:
        ledger.trigger_event(Ledger.InstalmentScheduled, number=ledger.next_number(), year=besluit.decided_on.year,
                             due=besluit.sent_on + dt.timedelta(days=FINAL_PAYMENT_DAYS), amount_cents=difference,
                             besluit=besluit.number, final=True,
                             legal_basis=f"{AWB} art. 4:52 lid 1 (betaling overeenkomstig de vaststelling)", **common)
    elif difference < 0:
        term_ends, words = payment_term(besluit.sent_on)
        ledger.trigger_event(Ledger.ClaimEstablished, number=claim_number(state.region_code, state.scheme, besluit.number),
                             amount_cents=-difference, term_ends=term_ends,
                             legal_basis=f"{AWB} art. 4:57 lid 1, 4:95 lid 4 en 4:86; {words}", **common)


def _lower(ledger: Ledger, new: dict[int, int], common: dict[str, Any]) -> None:
    """Awb 4:48: the commitment follows the lowered verlening, and the advances not yet handed over shrink, the
    latest first; what was paid above the new amount is settled at the vaststelling."""
    basis = f"{AWB} art. 4:48 lid 1 (verlaging): de verplichting en de nog te betalen voorschotten volgen"
    delta = {str(y): new.get(y, 0) - ledger.committed.get(y, 0) for y in ledger.committed if new.get(y, 0) != ledger.committed.get(y, 0)}
    if delta:
        ledger.trigger_event(Ledger.CommitmentRecorded, besluit=max((i.besluit for i in ledger.instalments.values()), default=0),
                             per_year=delta, legal_basis=basis, **common)
    for year, change in delta.items():
        cut = -change
        open_lines = sorted((i for i in ledger.instalments.values() if i.year == int(year) and not i.final
                             and i.status in ("scheduled", "released", "returned")), key=lambda i: i.due, reverse=True)
        for line in open_lines:
            if cut <= 0:
                break
            taken = min(cut, line.amount_cents)
            cut -= taken
            if taken == line.amount_cents:
                ledger.trigger_event(Ledger.InstalmentsCancelled, numbers=[line.number], legal_basis=basis, **common)
            else:
                ledger.trigger_event(Ledger.InstalmentLowered, number=line.number, amount_cents=line.amount_cents - taken,
                                     legal_basis=basis, **common)
