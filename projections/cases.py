"""A grant row's case and claim: a besluit on its way through its stages, and who holds the grant's open work.

One handler per event of domain/events/stages.py, mirroring what each does to `GrantState.case` and
`GrantState.claim` for the fields the work queue lists (adapters/read_side/work_table.py): the procedure, the
besluit's command and kind, its amount, the index of the stage it waits in, the round, who drafted it, who took
which stage (`case_takers`: person -> stage, the four-eyes hint), and the claim. A besluit's own event ends the
case as `note_besluit` / `_besluit` do (domain/events/base.py): `ending` wraps the handlers of those events.

As every handler here, nested values are replaced, never changed in place (projections/projector.py keeps a
grant's last good row as a shallow copy).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from domain.timekeeping import local_date
from projections.intake import Handler, Row, cents, integers, text
from projections.payloads import data

CASE_COLUMNS: tuple[str, ...] = (
    "case_procedure", "case_command", "case_kind", "case_amount_cents", "case_next_stage", "case_round",
    "case_opened_on", "case_stage_since", "case_drafted_by", "case_takers",
)
CLAIM_COLUMNS: tuple[str, ...] = ("claim_person", "claim_stage", "claim_since", "claim_assigned_by")
# status_since: the business time (ISO) of the record that set the grant's status (the projector keeps it): when
# a besluit due but not yet drafted became due
WORK_COLUMNS: tuple[str, ...] = ("status_since", *CASE_COLUMNS, *CLAIM_COLUMNS)
OPTIONAL_INTEGERS = frozenset({"case_next_stage", "case_round"})
JSON_COLUMNS = frozenset({"case_takers"})


def _day(p: dict[str, Any]) -> str:
    return _local_day(data(p["effective_at"]))


@lru_cache(maxsize=4096)
def _local_day(moment: str) -> str:
    """ISO instant -> its Amsterdam date, ISO: a grant's stage events share their moments with their neighbours'
    (a scheme's step for thousands of grants), and parsing and converting each was 7 % of a rebuild's projection."""
    return local_date(dt.datetime.fromisoformat(moment)).isoformat()


_NO_CASE = dict.fromkeys(CASE_COLUMNS)  # made once: `update` copies the values (None), and these are read only
_NO_CLAIM = dict.fromkeys(CLAIM_COLUMNS)


def _clear_case(row: Row) -> None:
    row.update(_NO_CASE)
    row["case_amount_cents"] = 0
    row["case_takers"] = {}


def _clear_claim(row: Row) -> None:
    row.update(_NO_CLAIM)


def _took(row: Row, p: dict[str, Any]) -> None:
    """The actor took the record's stage (CaseEvent): four eyes remember it across rounds."""
    row["case_takers"] = {**row["case_takers"], text(p["actor"], "case_takers"): text(p["stage"], "case_takers")}
    row["case_stage_since"] = _day(p)


def besluit_drafted(row: Row, p: dict[str, Any]) -> None:
    procedure = text(p["procedure"], "case_procedure")
    (round_,) = integers(("case_round",), (p["round"],))
    if row["case_procedure"] is None or row["case_procedure"] != procedure:
        _clear_case(row)
        row.update(case_procedure=procedure, case_round=round_, case_opened_on=_day(p))
    row.update(case_command=text(p["command_type"], "case_command"), case_kind=text(p["besluit_kind"], "case_kind"),
               case_amount_cents=cents(p["amount_cents"], "case_amount_cents"), case_next_stage=1,
               case_drafted_by=text(p["actor"], "case_drafted_by"))
    _took(row, p)
    _clear_claim(row)


def stage_passed(row: Row, p: dict[str, Any]) -> None:
    _took(row, p)
    (row["case_next_stage"],) = integers(("case_next_stage",), ((row["case_next_stage"] or 0) + 1,))
    _clear_claim(row)


def besluit_sent_back(row: Row, p: dict[str, Any]) -> None:
    _took(row, p)
    (round_,) = integers(("case_round",), (p["round"],))
    row["case_next_stage"] = 0
    row["case_round"] = round_ + 1
    returned_to = p.get("returned_to")
    _clear_claim(row)
    if returned_to:
        row.update(claim_person=text(returned_to, "claim_person"), claim_stage=text(p["to_stage"], "claim_stage"),
                   claim_since=_day(p))


def besluit_signed(row: Row, p: dict[str, Any]) -> None:
    _took(row, p)  # the besluit's own event follows in the same step and ends the case
    _clear_claim(row)


def case_claimed(row: Row, p: dict[str, Any]) -> None:
    assigned_by = p.get("assigned_by")
    row.update(claim_person=text(p["person"], "claim_person"), claim_stage=text(p["stage"], "claim_stage"),
               claim_since=_day(p), claim_assigned_by=None if assigned_by is None else text(assigned_by, "claim_assigned_by"))


def case_released(row: Row, p: dict[str, Any]) -> None:
    _clear_claim(row)


def noting_besluit(handler: Handler) -> Handler:
    """A besluit's event recorded with `note_besluit`: it ends a case when there is one, and any claim."""

    def handle(row: Row, p: dict[str, Any]) -> None:
        handler(row, p)
        if row["case_procedure"] is not None:
            _clear_case(row)
        _clear_claim(row)  # any claim: on the case, or on the draft of a besluit that was due

    return handle


def taking_besluit(handler: Handler) -> Handler:
    """A besluit's event recorded with `_besluit` (a vaststelling, an intrekking, the 2024 extension): without a
    day sent (a region's own withdrawal, or an event of before besluiten were sent) it ends any case and claim;
    with one, as `note_besluit`."""
    noted = noting_besluit(handler)

    def handle(row: Row, p: dict[str, Any]) -> None:
        if p.get("sent_on") is None:
            handler(row, p)
            _clear_case(row)
            _clear_claim(row)
        else:
            noted(row, p)

    return handle


def new_work_fields() -> Row:
    """The case and claim fields of a new row: nothing open, nobody holding it."""
    row: Row = dict.fromkeys(WORK_COLUMNS)
    row["case_amount_cents"] = 0
    row["case_takers"] = {}
    return row
