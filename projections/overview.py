"""The regions overview: every region's grant in one line (the grants list pages and counts in the views: adapters/read_side)."""

from __future__ import annotations

from typing import Any

from projections.grant_rows import Row


def money_view(row: Row) -> dict[str, Any]:
    return {
        "requested_cents": row["requested_cents"],
        "regional_maximum_cents": row["regional_maximum_cents"],
        "granted_per_year_cents": dict(row["granted_per_year"]),
        "granted_cents": row["granted_cents"],
        "extension_requested_cents": row["extension_requested_cents"],
        "extension_cents": row["extension_cents"],
        "granted_total_cents": row["granted_cents"] + row["extension_cents"],
        "cofinancing_pledged_cents": row["cofinancing_pledged_cents"],
        "cofinancing_realised_cents": row["cofinancing_realised_cents"],
        "determined_cents": row["determined_cents"],
        "reclaim_cents": row["reclaim_cents"],
    }


def region_view(row: Row) -> dict[str, Any]:
    return {
        "region_code": row["region_code"],
        "scheme": row.get("scheme"),
        "region_name": row["region_name"],
        "kind": row["kind"],
        "status": row["status"],
        "penvoerder": {
            "name": row["penvoerder_name"],
            "bevoegd_gezag": row["penvoerder_bevoegd_gezag"],
            "email": row["penvoerder_email"],
        },
        "version": row["version"],
        "pre_registered_on": row["pre_registered_on"],
        "last_effective_at": row["last_effective_at"],
        "application_period": row["period"],
        "missed_deadlines": row["missed_deadlines"],
        "end_reason": row["end_reason"],
        "money": money_view(row),
        # a record of this grant could not be projected: this is its last good state (`sto projections status`)
        "quarantined": row["quarantined_from"] is not None,
        "quarantined_from": row["quarantined_from"],
    }

