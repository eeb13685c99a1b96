"""The money the replay leaves, per scheme, and what the settlement's parts came to: read from the ledgers.

Every figure is the money summary's (adapters/read_side/money_view.money_summary: the sum of the ledgers' totals of
domain/ledger/totals.py, as of the replay's last day), never added up again here; the parts (final payments, the
late claim, the set-off) are read from the ledgers of the regions the script cast (adapters/replay/settlement_script.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from adapters.event_store import money
from adapters.event_store.service import GrantService
from adapters.read_side.money_view import money_summary
from adapters.replay.settlement_script import Cast

LEGACY, NEW = "sto-2020-2024", "sto-2025-2028"


class SchemeMoney(BaseModel):
    scheme: str
    grants: int
    ledgers: int
    committed_cents: int
    paid_cents: int  # confirmed by the bank's statement
    handed_over_cents: int  # handed to the finance system, not (yet) on a statement
    set_off_in_cents: int  # advances paid by setting a claim of the other scheme off against them
    cancelled_cents: int  # instalments not paid (a returned transfer the vaststelling settled instead)
    reclaimed_cents: int  # claims (vorderingen) established
    interest_cents: int
    received_cents: int
    claims_set_off_cents: int
    outstanding_cents: int


class Settled(BaseModel):
    """What the settlement after the vaststelling came to, region by region."""

    final_payments: dict[str, int] = Field(default_factory=dict)  # region -> the final payment paid (cents)
    claims_paid_on_time: int = 0
    late: dict[str, Any] | None = None  # the claim paid after the aanmaning: its days and interest
    set_off: dict[str, Any] | None = None  # the claim set off, and the advance of 2025–2028 it was set off against
    statements: int = 0  # camt.053 statements read
    unmatched: list[str] = Field(default_factory=list)


class MoneySummary(BaseModel):
    as_of: dt.date
    schemes: dict[str, SchemeMoney]
    settled: Settled


def scheme_money(row: dict[str, Any]) -> SchemeMoney:
    t = row["totals"]
    return SchemeMoney(
        scheme=row["scheme"], grants=row["grants"], ledgers=row["ledgers"], committed_cents=t["committed_cents"],
        paid_cents=t["paid_cents"], handed_over_cents=t["instructed_cents"], set_off_in_cents=t["set_off_in_cents"],
        cancelled_cents=t["cancelled_cents"], reclaimed_cents=t["claimed_cents"], interest_cents=t["interest_cents"],
        received_cents=t["received_cents"],
        claims_set_off_cents=t["claims_set_off_cents"], outstanding_cents=t["outstanding_cents"])


def summarise_money(service: GrantService, schemes: list[str], day: dt.date, cast: Cast | None,
                    facts: dict[str, Any]) -> MoneySummary:
    grants = [(code, scheme) for scheme in schemes for code in service.region_codes(scheme)]
    view = money_summary(service, grants, day, as_of_day=True)
    settled = Settled(statements=facts.get("statements", 0), unmatched=list(facts.get("unmatched", [])))
    if cast is not None and LEGACY in schemes:
        _parts(service, cast, settled)
    return MoneySummary(as_of=day, schemes={row["scheme"]: scheme_money(row) for row in view["schemes"]}, settled=settled)


def _ledger(service: GrantService, code: str, scheme: str):
    return money.ledger_of(service, service.state(code, scheme=scheme).grant_id)


def _parts(service: GrantService, cast: Cast, settled: Settled) -> None:
    for code in cast.final_payment:
        ledger = _ledger(service, code, LEGACY)
        settled.final_payments[code] = sum(i.amount_cents for i in ledger.instalments.values() if i.final and i.status == "paid")
    for code in cast.on_time:
        claims = _ledger(service, code, LEGACY).claims.values()
        settled.claims_paid_on_time += sum(1 for claim in claims if claim.received_cents and claim.in_default_since is None)
    if cast.late is not None:
        claim = next(iter(_ledger(service, cast.late, LEGACY).claims.values()), None)
        if claim is not None:
            settled.late = {
                "region": cast.late, "claim": claim.number, "amount_cents": claim.amount_cents,
                "term_ends": claim.term_ends.isoformat(), "in_default_since": _iso(claim.in_default_since),
                "aanmaning_sent_on": _iso(claim.aanmaning_sent_on), "aanmaning_term_ends": _iso(claim.aanmaning_term_ends),
                "interest_cents": claim.interest_cents, "received_cents": claim.received_cents,
                "outstanding_cents": claim.outstanding_cents}
    if cast.set_off is not None:
        mine = _ledger(service, cast.set_off, LEGACY)
        theirs = _ledger(service, cast.set_off, NEW)
        claim = next((claim for claim in mine.claims.values() if claim.set_off_cents), None)
        line = next((line for line in theirs.instalments.values() if line.set_off_cents), None) if theirs else None
        if claim is not None and line is not None:
            settled.set_off = {
                "region": cast.set_off, "claim": claim.number, "claim_cents": claim.amount_cents,
                "set_off_cents": claim.set_off_cents, "against": f"{NEW} termijn {line.number} ({line.due.isoformat()})",
                "instalment_set_off_cents": line.set_off_cents, "instalment_left_cents": line.amount_cents,
                "claim_outstanding_cents": claim.outstanding_cents}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None
