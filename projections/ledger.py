"""The budget ledger: requested, granted per year, the 2024 extension and co-financing, per region and in
total, against the ceilings of the regulation in force on a day (money in cents)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.budget import ceilings_from
from domain.regulation import Regulation
from domain.values import GrantStatus, RegionKind
from projections.grant_rows import Row

EXTENSION_BUDGET = "extension_budget_cents"
EXTENSION_YEAR = "extension_year"
SUMMED = ("requested_cents", "granted_cents", "extension_cents", "cofinancing_pledged_cents",
          "cofinancing_realised_cents")


def ceiling_param(kind: RegionKind | str, regulation: Regulation | None = None) -> str:
    """The parameter that caps what all regions of a kind are granted per year: as the scheme's
    `[[region_kinds]]` names it (domain/decide reserves against the same)."""
    value = RegionKind(kind).value
    declared = regulation.data.region_kind(value) if regulation is not None else None
    return declared.ceiling if declared is not None else f"ceiling_{value}"


def _per_year(rows: list[Row]) -> dict[str, int]:
    years: dict[str, int] = {}
    for row in rows:
        for year, cents in row["granted_per_year"].items():
            years[year] = years.get(year, 0) + cents
    return dict(sorted(years.items()))


def ledger_line(row: Row) -> dict[str, Any]:
    return {
        "region_code": row["region_code"],
        "scheme": row.get("scheme"),
        "region_name": row["region_name"],
        "kind": row["kind"],
        "status": row["status"],
        "requested_cents": row["requested_cents"],
        "granted_per_year_cents": dict(row["granted_per_year"]),
        "granted_cents": row["granted_cents"],
        "extension_cents": row["extension_cents"],
        "granted_total_cents": row["granted_cents"] + row["extension_cents"],
        "cofinancing_pledged_cents": row["cofinancing_pledged_cents"],
        "cofinancing_realised_cents": row["cofinancing_realised_cents"],
        "quarantined": row["quarantined_from"] is not None,  # its last good state (`sto projections status`)
    }


def totals(rows: list[Row]) -> dict[str, Any]:
    sums = {key: sum(r[key] for r in rows) for key in SUMMED}
    return {
        "regions": len(rows),
        "requested_cents": sums["requested_cents"],
        "granted_per_year_cents": _per_year(rows),
        "granted_cents": sums["granted_cents"],
        "extension_cents": sums["extension_cents"],
        "granted_total_cents": sums["granted_cents"] + sums["extension_cents"],
        "cofinancing_pledged_cents": sums["cofinancing_pledged_cents"],
        "cofinancing_realised_cents": sums["cofinancing_realised_cents"],
    }


def _against(param: str, regulation: Regulation, day: dt.date, used: dict[int, int], year: int | None) -> dict[str, Any]:
    if not regulation.has_param(param, day):
        return {"param": param, "in_force": False, "source": None, "years": [
            {"year": y, "ceiling_cents": None, "granted_cents": c, "remaining_cents": None} for y, c in sorted(used.items())
        ]}
    value = regulation.param(param, day)
    ceilings = ceilings_from(value.value, year)
    years = sorted(set(ceilings) | set(used))
    return {
        "param": param,
        "in_force": True,
        "source": value.source,
        "years": [
            {
                "year": y,
                "ceiling_cents": ceilings.get(y),
                "granted_cents": used.get(y, 0),
                "remaining_cents": ceilings[y] - used.get(y, 0) if y in ceilings else None,
            }
            for y in years
        ],
    }


def ceilings(rows: list[Row], regulation: Regulation, day: dt.date) -> list[dict[str, Any]]:
    """Each ceiling in force on `day`, with what was granted against it, per year.

    A withdrawn grant keeps its line in the ledger but no longer counts against a ceiling: its claim went
    back to the budget pool (domain/budget.py, BudgetPool.Released).
    """
    rows = [r for r in rows if r["status"] != GrantStatus.WITHDRAWN.value]
    found = []
    kinds = [RegionKind(k.kind) for k in regulation.data.region_kinds] or list(RegionKind)
    for kind in kinds:
        used = {int(y): c for y, c in _per_year([r for r in rows if r["kind"] == kind.value]).items()}
        found.append({"pool": kind.value, **_against(ceiling_param(kind, regulation), regulation, day, used, None)})
    year = int(regulation.param(EXTENSION_YEAR, day).value) if regulation.has_param(EXTENSION_YEAR, day) else None
    extension = sum(r["extension_cents"] for r in rows)
    used = {year: extension} if year is not None else {}
    found.append({"pool": "extension", **_against(EXTENSION_BUDGET, regulation, day, used, year)})
    return found


def budget_ledger(rows: list[Row], regulation: Regulation, day: dt.date) -> dict[str, Any]:
    return {
        "as_of": day.isoformat(),
        "regions": [ledger_line(r) for r in rows],
        "totals": totals(rows),
        "ceilings": ceilings(rows, regulation, day),
    }
