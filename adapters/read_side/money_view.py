"""The money of one grant, and of all grants per scheme and budget year, as `sto money` and the API show them.

Read from the grants' ledgers (adapters/event_store/money.py); every figure is one of domain/ledger/totals.py's
(totals, by_year, unsettled_advances, open_claims) or a sum of them, never counted again here. As of a day: the
ledger's events that took effect by then, replayed (totals.as_of); without a day: the ledger as it stands, with
ages (advances older than a year, days past a claim's term) counted on the business day.

What a region sees of its own grant's money (`for_region`): the amounts, due days, status, end-to-end ids, the
suspension, the settlement and the claims with their terms; not who released a payment or recorded and confirmed
the bank data (DUS-I's staff), not the batch an instalment went in, and the account only masked (as everyone).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Callable, Iterable

from adapters.event_store import money
from adapters.finance.iban import mask_iban
from domain.ledger.aggregate import Ledger, ledger_id
from domain.ledger.totals import Totals, YearFigures, as_of, by_year, open_claims, totals, unsettled_advances

if TYPE_CHECKING:
    from adapters.event_store.service import GrantService

STAFF_ONLY_INSTALMENT = ("releasers", "batch")
STAFF_ONLY_ACCOUNT = ("recorded_by", "confirmed_by")
Page = Callable[[tuple | None], dict[str, Any]]  # one page of the grants list after a key (ReadModels.regions)


def ledger_on(service: "GrantService", grant_id: uuid.UUID, day: dt.date | None) -> Ledger | None:
    """The grant's ledger as it stands (day None), or as it stood at the end of `day`; None: it has none (yet)."""
    if day is None:
        return money.ledger_of(service, grant_id)
    return as_of(service.events.get(ledger_id(grant_id)), day)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _years(figures: dict[int, YearFigures]) -> list[dict[str, int]]:
    return [{"year": year, **asdict(f)} for year, f in sorted(figures.items())]


def ledger_view(ledger: Ledger | None, day: dt.date) -> dict[str, Any]:
    """The figures and lines of one ledger (None: the grant has no money ledger: nothing granted since it exists)."""
    if ledger is None:
        return {"has_ledger": False, "totals": Totals().as_dict(), "years": [], "instalments": [], "account": None,
                "suspension": None, "settlement": None, "claims": [], "unsettled_advances_cents": 0}
    account = ledger.account
    return {
        "has_ledger": True,
        "totals": totals(ledger).as_dict(),
        "years": _years(by_year(ledger)),
        "instalments": [{
            "number": i.number, "year": i.year, "due": _iso(i.due), "amount_cents": i.amount_cents, "status": i.status,
            "final": i.final, "besluit": i.besluit, "releasers": list(i.releasers), "batch": i.batch,
            "end_to_end_id": i.end_to_end_id, "paid_on": _iso(i.paid_on), "set_off_cents": i.set_off_cents,
        } for i in sorted(ledger.instalments.values(), key=lambda i: i.number)],
        "account": None if account is None else {
            "iban": mask_iban(account["iban"]), "holder": account["holder"], "recorded_by": account["recorded_by"],
            "confirmed_by": account["confirmed_by"], "confirmed": account["confirmed_by"] is not None},
        "suspension": None if ledger.suspension is None else {
            "notice_on": _iso(ledger.suspension["notice_on"]), "ends_at_latest": _iso(ledger.suspension["ends_at_latest"]),
            "in_force": ledger.suspended_on(day)},
        "settlement": None if ledger.settlement is None else {
            "besluit": ledger.settlement["besluit"], "on": _iso(ledger.settlement["on"]),
            "determined_cents": ledger.settlement["determined_cents"], "paid_cents": ledger.settlement["paid_cents"],
            "difference_cents": ledger.settlement["determined_cents"] - ledger.settlement["paid_cents"]},
        "claims": [{
            "number": c.number, "amount_cents": c.amount_cents, "established_on": _iso(c.established_on),
            "term_ends": _iso(c.term_ends), "basis": c.basis, "in_default_since": _iso(c.in_default_since),
            "aanmaning_sent_on": _iso(c.aanmaning_sent_on), "aanmaning_term_ends": _iso(c.aanmaning_term_ends),
            "interest_cents": c.interest_cents, "dwangbevel_due_on": _iso(c.dwangbevel_due_on),
            "lapses_on": _iso(c.lapses_on), "lapsed": c.lapsed, "received_cents": c.received_cents,
            "set_off_cents": c.set_off_cents, "outstanding_cents": c.outstanding_cents,
            "days_past_term": max(0, (day - c.term_ends).days) if c.outstanding_cents else 0,
        } for c in sorted(ledger.claims.values(), key=lambda c: c.number)],
        "unsettled_advances_cents": unsettled_advances(ledger, day),
    }


def for_region(view: dict[str, Any]) -> dict[str, Any]:
    """A grant's money view as its region's token may read it."""
    seen = dict(view)
    seen["instalments"] = [{k: v for k, v in i.items() if k not in STAFF_ONLY_INSTALMENT} for i in view["instalments"]]
    if view["account"] is not None:
        seen["account"] = {k: v for k, v in view["account"].items() if k not in STAFF_ONLY_ACCOUNT}
    return seen


def grant_money(service: "GrantService", region_code: str, scheme: str | None, day: dt.date, *,
                as_of_day: bool = False) -> dict[str, Any]:
    """The money of the region's grant (in `scheme`, else its only grant or the one in force); GrantNotFound when
    the region has none. `as_of_day`: as it stood at the end of `day`, else as it stands now."""
    resolved = service.scheme_of(region_code, scheme)
    state = service.state(region_code, scheme=resolved)
    ledger = ledger_on(service, state.grant_id, day if as_of_day else None)
    return {"region_code": state.region_code, "scheme": state.scheme or resolved, "grant_id": str(state.grant_id),
            "as_of": day.isoformat(), **ledger_view(ledger, day)}


# --- over all grants ---------------------------------------------------------------------------------------------

def listed_grants(page: Page) -> list[tuple[str, str]]:
    """Every grant of the grants list (the views, as `sto regions` pages them): (region code, scheme)."""
    found, after = [], None
    while True:
        view = page(after)
        found += [(r["region_code"], r["scheme"]) for r in view["regions"]]
        if view["next_key"] is None:
            return found
        after = tuple(view["next_key"])


def money_summary(service: "GrantService", grants: Iterable[tuple[str, str]], day: dt.date, *,
                  as_of_day: bool = False) -> dict[str, Any]:
    """Per scheme: the sum of its ledgers' totals, and per budget year the sum of their by_year figures with the
    advances paid or handed over on grants not yet settled ("to be settled"); the advances paid more than a year
    before `day` on grants not yet settled; and every claim outstanding with its age."""
    from domain.regulation.schemes import grant_id

    schemes: dict[str, dict[str, Any]] = {}
    claims: list[dict[str, Any]] = []
    unsettled: list[dict[str, Any]] = []
    for region_code, scheme in grants:
        entry = schemes.setdefault(scheme, {"scheme": scheme, "grants": 0, "ledgers": 0, "totals": Totals(),
                                            "years": {}, "to_be_settled": {}, "unsettled_advances_cents": 0})
        entry["grants"] += 1
        ledger = ledger_on(service, grant_id(region_code, scheme), day if as_of_day else None)
        if ledger is None:
            continue
        entry["ledgers"] += 1
        entry["totals"] += totals(ledger)
        for year, figures in by_year(ledger).items():
            entry["years"][year] = entry["years"].get(year, YearFigures()) + figures
            if ledger.settlement is None:
                entry["to_be_settled"][year] = entry["to_be_settled"].get(year, 0) + figures.instructed_cents + figures.paid_cents
        old = unsettled_advances(ledger, day)
        entry["unsettled_advances_cents"] += old
        if old:
            unsettled.append({"region_code": region_code, "scheme": scheme, "cents": old})
        claims += [{**asdict(c), "term_ends": c.term_ends.isoformat(), "region_code": region_code, "scheme": scheme}
                   for c in open_claims(ledger, day)]
    rows = [_scheme_row(entry) for _, entry in sorted(schemes.items())]
    overall = sum((e["totals"] for e in schemes.values()), Totals())
    return {
        "as_of": day.isoformat(),
        "schemes": rows,
        "totals": overall.as_dict(),
        "unsettled_advances_cents": sum(e["unsettled_advances_cents"] for e in schemes.values()),
        "unsettled_advances": unsettled,
        "open_claims": sorted(claims, key=lambda c: (-c["days_past_term"], c["number"])),
    }


def _scheme_row(entry: dict[str, Any]) -> dict[str, Any]:
    years = [{**y, "to_be_settled_cents": entry["to_be_settled"].get(y["year"], 0)} for y in _years(entry["years"])]
    return {"scheme": entry["scheme"], "grants": entry["grants"], "ledgers": entry["ledgers"],
            "totals": entry["totals"].as_dict(), "to_be_settled_cents": sum(entry["to_be_settled"].values()),
            "unsettled_advances_cents": entry["unsettled_advances_cents"], "years": years}


def batches_view(service: "GrantService") -> list[dict[str, Any]]:
    """Every payment batch (oldest first): its day, how many instructions, their total, and the files it was handed
    over in (format, file name, SHA-256). No account numbers: those stay in the batch and its files."""
    return [{
        "number": b.number, "execution_date": b.execution_date.isoformat(), "instructions": len(b.instructions),
        "total_cents": b.total_cents, "created_by": b.created_by, "created_at": b.effective_at.isoformat(),
        "grants": sorted({i["grant_code"] for i in b.instructions}),
        "files": [{"format": f, **info} for f, info in sorted(b.files.items())],
    } for b in money.batches(service)]
