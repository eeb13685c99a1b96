"""The grant row: one region's line in the overview and in the budget ledger, evolved from raw payloads.

One handler per grant event topic, `handler(row, payload)`, mutating a plain dict. They mirror what the
events do to `GrantState` (domain/events.py) for the fields an operator lists and the ledger sums; the
unit tests compare every row with the aggregate's own state. Money in integer cents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from eventsourcing.utils import get_topic

from domain import events as e
from domain.timekeeping import local_date
from domain.values import GrantStatus
from projections.payloads import data

Row = dict[str, Any]
Handler = Callable[[Row, dict[str, Any]], None]

COLUMNS: tuple[str, ...] = (
    "grant_id", "region_code", "region_name", "kind", "penvoerder_name", "penvoerder_bevoegd_gezag",
    "penvoerder_email", "status", "version", "position", "pre_registered_on", "last_effective_at", "period",
    "requested_cents", "regional_maximum_cents", "granted_per_year", "granted_cents", "extension_requested_cents",
    "extension_cents", "cofinancing_pledged_cents", "cofinancing_realised_cents", "spent_cents", "realised_cents",
    "determined_cents", "reclaim_cents", "missed_deadlines", "end_reason",
)
JSON_COLUMNS = frozenset({"granted_per_year"})  # {"2020": cents, ...}: stored as JSON text
INTEGER_COLUMNS = frozenset(c for c in COLUMNS if c.endswith("_cents")) | {"version", "position", "missed_deadlines"}
OPTIONAL_INTEGER_COLUMNS = frozenset({"period"})  # None until the region applies


def new_row(grant_id: str) -> Row:
    row: Row = dict.fromkeys(COLUMNS)
    row.update(dict.fromkeys(INTEGER_COLUMNS, 0))
    row["grant_id"] = grant_id
    row["granted_per_year"] = {}
    return row


def _status(status: GrantStatus) -> Handler:
    value = status.value

    def handle(row: Row, payload: dict[str, Any]) -> None:
        row["status"] = value

    return handle


def _pledged(documents: dict[str, Any]) -> int:
    return sum(int(p["amount_cents"]) for p in documents.get("cofinancing") or ())


def _granted(row: Row, per_year: dict[str, Any]) -> None:
    row["granted_per_year"] = {str(y): int(a) for y, a in sorted(per_year.items())}
    row["granted_cents"] = sum(row["granted_per_year"].values())


def vooraanmelding(row: Row, p: dict[str, Any]) -> None:
    penvoerder = p["penvoerder"]
    row.update(
        region_code=p["region_code"],
        region_name=p["region_name"],
        kind=p["kind"],
        penvoerder_name=penvoerder["name"],
        penvoerder_bevoegd_gezag=penvoerder["bevoegd_gezag"],
        penvoerder_email=penvoerder["email"],
        status=GrantStatus.PRE_REGISTERED.value,
        pre_registered_on=local_date(dt.datetime.fromisoformat(data(p["effective_at"]))).isoformat(),
    )


def application_submitted(row: Row, p: dict[str, Any]) -> None:
    row.update(
        status=GrantStatus.APPLICATION_SUBMITTED.value,
        period=p["period"],
        requested_cents=p["requested_cents"],
        regional_maximum_cents=p["regional_maximum_cents"],
        cofinancing_pledged_cents=_pledged(p["documents"]),
    )


def repair_submitted(row: Row, p: dict[str, Any]) -> None:
    row["status"] = GrantStatus.APPLICATION_SUBMITTED.value
    if p.get("documents") is not None:
        row["requested_cents"] = p["requested_cents"]
        row["regional_maximum_cents"] = p["regional_maximum_cents"]
        row["cofinancing_pledged_cents"] = _pledged(p["documents"])


def grant_approved(row: Row, p: dict[str, Any]) -> None:
    row["status"] = GrantStatus.APPROVED.value
    _granted(row, p["granted_per_year"])


def objection_decided(row: Row, p: dict[str, Any]) -> None:
    row["status"] = p["status_after"]
    if p["granted_per_year"]:
        _granted(row, p["granted_per_year"])


def progress_report(row: Row, p: dict[str, Any]) -> None:
    row["spent_cents"] = p["spent_cents"]
    row["cofinancing_realised_cents"] = p["cofinancing_realised_cents"]


def extension_plan(row: Row, p: dict[str, Any]) -> None:
    row["extension_requested_cents"] = p["plan"]["requested_cents"]


def extension_granted(row: Row, p: dict[str, Any]) -> None:
    row["extension_cents"] = p["amount_cents"]


def final_report(row: Row, p: dict[str, Any]) -> None:
    row["status"] = GrantStatus.FINAL_REPORT_SUBMITTED.value
    row["realised_cents"] = sum(int(a) for a in p["realised_per_year"].values())
    row["cofinancing_realised_cents"] = p["cofinancing_realised_cents"]


def determined(row: Row, p: dict[str, Any]) -> None:
    determination = p["determination"]
    row.update(
        status=GrantStatus.DETERMINED.value,
        determined_cents=determination["determined_cents"],
        reclaim_cents=determination["reclaim_cents"],
        end_reason="vastgesteld",
    )


def withdrawn(row: Row, p: dict[str, Any]) -> None:
    row["status"] = GrantStatus.WITHDRAWN.value
    row["end_reason"] = p["reason"]


def lapsed(row: Row, p: dict[str, Any]) -> None:
    row["status"] = GrantStatus.LAPSED.value
    row["end_reason"] = f"{p['deadline_key']} passed on {data(p['due'])} without an application"


def missed(row: Row, p: dict[str, Any]) -> None:
    row["missed_deadlines"] += 1


def unchanged(row: Row, p: dict[str, Any]) -> None:
    pass


CREATED = get_topic(e.VooraanmeldingReceived)

HANDLERS: dict[str, Handler] = {
    get_topic(cls): handler
    for cls, handler in (
        (e.VooraanmeldingReceived, vooraanmelding),
        (e.ApplicationSubmitted, application_submitted),
        (e.RepairRequested, _status(GrantStatus.REPAIR_REQUESTED)),
        (e.RepairSubmitted, repair_submitted),
        (e.ApplicationAccepted, _status(GrantStatus.UNDER_ASSESSMENT)),
        (e.AdviceRecorded, _status(GrantStatus.ADVISED)),
        (e.GrantApproved, grant_approved),
        (e.ApplicationRejected, _status(GrantStatus.REJECTED)),
        (e.ObjectionFiled, _status(GrantStatus.IN_OBJECTION)),
        (e.ObjectionDecided, objection_decided),
        (e.ProgressReportSubmitted, progress_report),
        (e.ExtensionPlanSubmitted, extension_plan),
        (e.ExtensionGranted, extension_granted),
        (e.HourlyRateChanged, unchanged),
        (e.FinalReportSubmitted, final_report),
        (e.GrantDetermined, determined),
        (e.GrantWithdrawn, withdrawn),
        (e.GrantLapsed, lapsed),
        (e.ApplicationSetAside, _status(GrantStatus.REJECTED)),
        (e.DecisionBecameFinal, unchanged),
        (e.DeadlineMissed, missed),
        (e.ExtensionForfeited, missed),
        (e.DecisionTermExceeded, unchanged),
        (e.SpendingPeriodEnded, unchanged),
    )
}
