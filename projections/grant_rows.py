"""The grant row: one region's line in the overview and in the budget ledger, evolved from raw payloads.

One handler per grant event topic, `handler(row, payload)`, mutating a plain dict. They mirror what the
events do to `GrantState` (domain/events/) for the fields an operator lists and the ledger sums; the
unit tests compare every row with the aggregate's own state. Money in integer cents.

Every number a handler takes from a payload goes through an intake check (`integers`, `cents`): an integer
that the views' BIGINT columns hold; and so do the two texts every read depends on (`text` for the region code,
`status` for a status taken from a payload). A record whose values fail it raises UnstorableValue, and the
projector quarantines it with its grant (projections/projector.py) instead of writing a row that no views
database could store, or that would break every read of the overview. The check is per record, so whether a
record is quarantined never depends on how the log is cut into batches. What else a database refuses (a NUL
character in a text: PostgreSQL does, SQLite does not) it says itself, and the follower quarantines that record.

A handler sets a nested value (`granted_per_year`) by replacing it, never by changing it in place: the
projector keeps a grant's last good row as a shallow copy of the row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from eventsourcing.utils import get_topic

from domain import events as e
from domain.regulation.schemes import legacy_scheme_id
from domain.timekeeping import local_date
from domain.values import GrantStatus
from projections import cases
from projections.intake import (MAX_INTEGER, MIN_INTEGER, STATUSES, Handler, Row, UnstorableValue, cents, integers,
                                status, text)
from projections.payloads import data

__all__ = ["MAX_INTEGER", "MIN_INTEGER", "STATUSES", "UnstorableValue", "cents", "integers", "status", "text"]

COLUMNS: tuple[str, ...] = (
    "grant_id", "scheme", "region_code", "region_name", "kind", "penvoerder_name", "penvoerder_bevoegd_gezag",
    "penvoerder_email", "status", "version", "position", "pre_registered_on", "last_effective_at", "period",
    "requested_cents", "regional_maximum_cents", "granted_per_year", "granted_cents", "extension_requested_cents",
    "extension_cents", "cofinancing_pledged_cents", "cofinancing_realised_cents", "spent_cents", "realised_cents",
    "determined_cents", "reclaim_cents", "missed_deadlines", "end_reason", "quarantined_from",
    *cases.WORK_COLUMNS,  # the besluit in its stages and the claim on the open work (projections/cases.py)
)
# {"2020": cents, ...} and {person: stage}: stored as JSON text
JSON_COLUMNS = frozenset({"granted_per_year"}) | cases.JSON_COLUMNS
INTEGER_COLUMNS = frozenset(c for c in COLUMNS if c.endswith("_cents")) | {"version", "position", "missed_deadlines"}
# period: None until the region applies; quarantined_from: None, or the log position of the first record of
# this grant the read models could not project (the row stays at its last good state; projections/projector.py)
OPTIONAL_INTEGER_COLUMNS = frozenset({"period", "quarantined_from"}) | cases.OPTIONAL_INTEGERS


def new_row(grant_id: str) -> Row:
    row: Row = dict.fromkeys(COLUMNS)
    row.update(dict.fromkeys(INTEGER_COLUMNS, 0))
    row.update(cases.new_work_fields())
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


def _granted(row: Row, amounts: dict[str, Any]) -> None:
    granted = {str(y): int(a) for y, a in sorted(amounts.items())}
    total = sum(granted.values())
    integers("granted_per_year (per year and in total)", (*granted.values(), total))
    row["granted_per_year"] = granted
    row["granted_cents"] = total


def vooraanmelding(row: Row, p: dict[str, Any]) -> None:
    penvoerder = p["penvoerder"]
    row.update(
        scheme=p.get("scheme") or legacy_scheme_id(),  # a grant of before schemes: the legacy scheme's
        region_code=text(p["region_code"], "region_code"),  # the key of every read: sorted, looked up
        region_name=p["region_name"],
        kind=p["kind"],
        penvoerder_name=penvoerder["name"],
        penvoerder_bevoegd_gezag=penvoerder["bevoegd_gezag"],
        penvoerder_email=penvoerder["email"],
        status=GrantStatus.PRE_REGISTERED.value,
        pre_registered_on=local_date(dt.datetime.fromisoformat(data(p["effective_at"]))).isoformat(),
    )


_APPLICATION_INTEGERS = ("period", "requested_cents", "regional_maximum_cents", "cofinancing_pledged_cents")


def application_submitted(row: Row, p: dict[str, Any]) -> None:
    period, requested, maximum, pledged = integers(_APPLICATION_INTEGERS, (
        p["period"], p["requested_cents"], p["regional_maximum_cents"], _pledged(p["documents"]),
    ))
    row.update(
        status=GrantStatus.APPLICATION_SUBMITTED.value,
        period=period,
        requested_cents=requested,
        regional_maximum_cents=maximum,
        cofinancing_pledged_cents=pledged,
    )


def repair_submitted(row: Row, p: dict[str, Any]) -> None:
    if p.get("documents") is not None:
        requested, maximum, pledged = integers(_APPLICATION_INTEGERS[1:], (
            p["requested_cents"], p["regional_maximum_cents"], _pledged(p["documents"]),
        ))
        row["requested_cents"] = requested
        row["regional_maximum_cents"] = maximum
        row["cofinancing_pledged_cents"] = pledged
    row["status"] = GrantStatus.APPLICATION_SUBMITTED.value


def grant_approved(row: Row, p: dict[str, Any]) -> None:
    _granted(row, p["granted_per_year"])
    row["status"] = GrantStatus.APPROVED.value


def grant_lowered(row: Row, p: dict[str, Any]) -> None:
    _granted(row, p["granted_per_year"])  # the verlening lowered (Awb 4:48 lid 1); the status stays


def objection_decided(row: Row, p: dict[str, Any]) -> None:
    after = status(p["status_after"])
    if p["granted_per_year"]:
        _granted(row, p["granted_per_year"])
    row["status"] = after


_REPORT_INTEGERS = ("spent_cents", "cofinancing_realised_cents")


def progress_report(row: Row, p: dict[str, Any]) -> None:
    row["spent_cents"], row["cofinancing_realised_cents"] = integers(
        _REPORT_INTEGERS, (p["spent_cents"], p["cofinancing_realised_cents"])
    )


def extension_plan(row: Row, p: dict[str, Any]) -> None:
    row["extension_requested_cents"] = cents(p["plan"]["requested_cents"], "extension_requested_cents")


def extension_granted(row: Row, p: dict[str, Any]) -> None:
    row["extension_cents"] = cents(p["amount_cents"], "extension_cents")


_FINAL_INTEGERS = ("realised_cents", "cofinancing_realised_cents")


def final_report(row: Row, p: dict[str, Any]) -> None:
    realised = sum(int(a) for a in p["realised_per_year"].values())
    row["realised_cents"], row["cofinancing_realised_cents"] = integers(
        _FINAL_INTEGERS, (realised, p["cofinancing_realised_cents"])
    )
    row["status"] = GrantStatus.FINAL_REPORT_SUBMITTED.value


_DETERMINED_INTEGERS = ("determined_cents", "reclaim_cents")


def determined(row: Row, p: dict[str, Any]) -> None:
    determination = p["determination"]
    determined_cents, reclaim = integers(
        _DETERMINED_INTEGERS, (determination["determined_cents"], determination["reclaim_cents"])
    )
    row.update(
        status=GrantStatus.DETERMINED.value,
        determined_cents=determined_cents,
        reclaim_cents=reclaim,
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
        (e.GrantApproved, cases.noting_besluit(grant_approved)),
        (e.ApplicationRejected, cases.noting_besluit(_status(GrantStatus.REJECTED))),
        (e.ObjectionFiled, _status(GrantStatus.IN_OBJECTION)),
        (e.ObjectionDecided, cases.noting_besluit(objection_decided)),
        (e.ProgressReportSubmitted, progress_report),
        (e.ExtensionPlanSubmitted, extension_plan),
        (e.DetailedPlanSubmitted, unchanged),
        (e.ExtensionGranted, cases.taking_besluit(extension_granted)),
        (e.HourlyRateChanged, unchanged),
        (e.FinalReportSubmitted, final_report),
        (e.GrantDetermined, cases.taking_besluit(determined)),
        (e.GrantWithdrawn, cases.taking_besluit(withdrawn)),
        (e.GrantLapsed, lapsed),
        (e.ApplicationSetAside, cases.noting_besluit(_status(GrantStatus.REJECTED))),
        (e.DecisionBecameFinal, unchanged),
        (e.DeadlineMissed, missed),
        (e.ExtensionForfeited, missed),
        (e.DecisionTermExceeded, unchanged),
        (e.SpendingPeriodEnded, unchanged),
        (e.DecisionLetterIssued, unchanged),  # the letters are read from the grant (sto grant letters)
        (e.AdvancesScheduled, unchanged),  # the instalments are read from the grant's state
        (e.MeldingReceived, unchanged),  # the meldingen are read from the grant's state
        (e.GrantLowered, cases.noting_besluit(grant_lowered)),
        (e.BesluitDrafted, cases.besluit_drafted),
        (e.StagePassed, cases.stage_passed),
        (e.BesluitSentBack, cases.besluit_sent_back),
        (e.BesluitSigned, cases.besluit_signed),
        (e.CaseClaimed, cases.case_claimed),
        (e.CaseReleased, cases.case_released),
    )
}
