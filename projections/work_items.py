"""The work queue: one item per grant with open work, made from its grant row. Pure, no I/O.

What is open is the domain's to say (`domain.decide.stages.open_work`): the stage the grant's besluit waits in, or
the first stage (the draft) of a besluit its status makes due. It reads only the grant's status and its case's
procedure, command and next stage, all of which the row holds (projections/cases.py); so it is asked with a state
made of just those, once per combination (cached), and the unit tests compare every item with `open_work` on the
aggregate's own state. The item says who may be concerned: the stage's role, who drafted the besluit and who
took which stage (the four-eyes hint), and who holds the work (the claim).

The decision term's due date is not here: it follows from the grant's state and the regulation on the day it is
read (adapters/read_side/work.py). `decision_term` marks the items it applies to: a besluit on the application.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from domain.decide.core import Context
from domain.decide.stages import open_work
from domain.regulation.procedures import Procedure, Stage
from domain.regulation.schemes import UnknownScheme, scheme
from domain.state import CaseRecord, GrantState
from domain.timekeeping import local_date
from domain.values import GrantStatus
from projections.intake import Row

WORK_ITEM_COLUMNS: tuple[str, ...] = (
    "grant_id", "scheme", "region_code", "region_name", "status", "version", "procedure", "procedure_title",
    "stage", "stage_title", "stage_role", "stage_index", "stage_count", "signs", "drafted", "command_type",
    "besluit_kind", "amount_cents", "drafted_by", "takers", "round", "claimed_by", "claimed_since", "assigned_by",
    "opened_on", "waiting_since", "decision_term",
)
WORK_JSON_COLUMNS = frozenset({"takers"})
WORK_INTEGER_COLUMNS = frozenset({"version", "stage_index", "stage_count", "signs", "drafted", "amount_cents",
                                  "decision_term"})
WORK_OPTIONAL_INTEGER_COLUMNS = frozenset({"round"})
# the besluiten on the application: the decision term (domain/deadlines.py decision_deadline) runs for them
ON_THE_APPLICATION = frozenset({"ApproveGrant", "RejectApplication"})
_ANY_MOMENT = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)  # open_work does not look at the time


@lru_cache(maxsize=4096)
def open_stage(scheme_id: str, status: str, procedure: str | None, command: str | None,
               next_stage: int | None) -> tuple[Procedure, Stage] | None:
    """`open_work` for a grant of `scheme_id` in `status` with (or without) a case at `next_stage`."""
    try:
        regulation = scheme(scheme_id)
    except UnknownScheme:
        return None
    case = None if procedure is None else CaseRecord.model_construct(
        procedure=procedure, command_type=command, next_stage=next_stage)
    state = GrantState.model_construct(status=GrantStatus(status), case=case)
    try:
        return open_work(state, Context(regulation, _ANY_MOMENT))
    except IndexError:  # a stage the procedure no longer has: nothing the queue can offer
        return None


def _local_day(moment: str | None) -> str | None:
    return None if moment is None else local_date(dt.datetime.fromisoformat(moment)).isoformat()


def work_item(row: Row) -> dict[str, Any] | None:
    """The grant's open work as a row of the work queue (WORK_ITEM_COLUMNS), or None when nothing is open."""
    if row["status"] is None or row["scheme"] is None:
        return None
    drafted = row["case_procedure"] is not None
    found = open_stage(row["scheme"], row["status"], row["case_procedure"], row["case_command"],
                       row["case_next_stage"] if drafted else None)
    if found is None:
        return None
    procedure, stage = found
    commands = {row["case_command"]} if drafted else set(procedure.commands)
    since = _local_day(row["status_since"])
    return {
        "grant_id": row["grant_id"], "scheme": row["scheme"], "region_code": row["region_code"],
        "region_name": row["region_name"], "status": row["status"], "version": row["version"],
        "procedure": procedure.id, "procedure_title": procedure.title_nl, "stage": stage.id,
        "stage_title": stage.title_nl, "stage_role": stage.role, "stage_index": procedure.index(stage.id),
        "stage_count": len(procedure.stages), "signs": int(stage.signs), "drafted": int(drafted),
        "command_type": row["case_command"], "besluit_kind": row["case_kind"],
        "amount_cents": row["case_amount_cents"] if drafted else 0, "drafted_by": row["case_drafted_by"],
        "takers": dict(row["case_takers"]) if drafted else {}, "round": row["case_round"],
        "claimed_by": row["claim_person"], "claimed_since": row["claim_since"],
        "assigned_by": row["claim_assigned_by"],
        "opened_on": (row["case_opened_on"] if drafted else since) or since or "",
        "waiting_since": (row["case_stage_since"] if drafted else since) or since or "",
        "decision_term": int(bool(commands & ON_THE_APPLICATION)),
    }
