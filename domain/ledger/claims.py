"""What happens to a claim (vordering) as days pass, as the Awb counts it (title 4.4); pure: the daily payment run
asks it for each open claim and records what it says.

- not paid within the term of 4:87: the debtor is in default (4:97) from the day after;
- in default: a written aanmaning, payment within two weeks counted from the day after it was sent (4:112 lid 1),
  moved on by the Atw when that ends on a weekend or holiday; the aanmaning starts the period of lapse anew
  (4:106, 4:110);
- the aanmaning's term passed unpaid: a dwangbevel may be issued (4:117; 4:57 lid 2 grants it for subsidies);
- statutory interest from the default (4:98 lid 1, BW 6:119), not due under EUR 20 (4:98 lid 2), set when the
  principal is paid (4:99: by beschikking);
- five years after the payment term, or after the last aanmaning, the claim lapses (4:104).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.finance.interest import Debtor, interest_due_after_awb_4_98_minimum, statutory_interest
from domain.ledger.aggregate import ClaimLine, Ledger
from domain.regulation.termijnen import next_atw_day

AWB = "Algemene wet bestuursrecht"
AANMANING_DAYS = 14  # Awb 4:112 lid 1: two weeks, from the day after it was sent
Step = tuple[type[Ledger.Event], dict[str, Any]]


def aanmaning_term(sent_on: dt.date) -> dt.date:
    return next_atw_day(sent_on + dt.timedelta(days=AANMANING_DAYS))[0]


def claim_steps(claim: ClaimLine, day: dt.date) -> list[Step]:
    """What `day` brings for `claim`: each step with its fields and legal basis (none when nothing is due)."""
    if claim.lapsed or claim.outstanding_cents == 0:
        return []
    if claim.lapses_on is not None and day >= claim.lapses_on:
        return [(Ledger.ClaimLapsed, {"number": claim.number, "legal_basis": f"{AWB} art. 4:104 lid 1 (verjaring)"})]
    steps: list[Step] = []
    if claim.in_default_since is None and day > claim.term_ends and claim.principal_outstanding_cents:
        steps.append((Ledger.ClaimInDefault, {"number": claim.number, "since": claim.term_ends + dt.timedelta(days=1),
                                              "legal_basis": f"{AWB} art. 4:97 (niet betaald binnen de termijn)"}))
        steps.append((Ledger.AanmaningSent, {"number": claim.number, "sent_on": day, "term_ends": aanmaning_term(day),
                                             "legal_basis": f"{AWB} art. 4:112 lid 1 en 3; stuit de verjaring (4:106, 4:110)"}))
    elif (claim.aanmaning_term_ends is not None and claim.dwangbevel_due_on is None and day > claim.aanmaning_term_ends
          and claim.principal_outstanding_cents):
        steps.append((Ledger.DwangbevelDue, {"number": claim.number,
                                             "legal_basis": f"{AWB} art. 4:117 en 4:57 lid 2 (invordering bij dwangbevel)"}))
    return steps


def interest_on_payment(claim: ClaimLine, paid_on: dt.date) -> Step | None:
    """Once the principal is paid after the default began: the interest owed, set by beschikking (4:99)."""
    if claim.in_default_since is None or claim.interest_cents or claim.principal_outstanding_cents:
        return None
    computed = statutory_interest(claim.amount_cents, claim.in_default_since, paid_on)
    due = interest_due_after_awb_4_98_minimum(computed.interest_cents, Debtor.RECIPIENT)
    basis = f"{AWB} art. 4:98 en 4:99; {computed.law}"
    if computed.unconfirmed:
        basis += " (rate unconfirmed: " + "; ".join(computed.unconfirmed) + ")"
    return (Ledger.InterestSet, {"number": claim.number, "interest_cents": due, "until": paid_on, "legal_basis": basis})


def reclaim_window_ends(determined_on: dt.date) -> dt.date:
    """Awb 4:57 lid 4: no reclaim once five years have passed since the day of the vaststelling."""
    try:
        return determined_on.replace(year=determined_on.year + 5)
    except ValueError:
        return determined_on.replace(year=determined_on.year + 5, day=28)
