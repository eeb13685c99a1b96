"""The work queue and one case, as the CLI, the API and the page show them.

The queue is read from the views (adapters/read_side/work_table.py), a keyset page at a time. Whether a person
may take a stage is the domain's to say: `--my-roles` and "who may take it" ask the rules of
domain/authority/rules.py (role for the scheme, four eyes, the claim; for the signing stage the mandate and Awb
10:3 lid 3) and show what they answer; nothing here allows or refuses a command. The decision term's due date of
an item is worked out on the day of the read from the grant's state at the item's version (domain/deadlines.py
decision_deadline, as the deadlines list does), for the items it applies to only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from adapters.read_side.work_table import WORK_KEY_SHAPE, WorkFilter, work_key, work_page
from domain.authority import rules
from domain.authority.register import SHIPPED, Register, RegisterView
from domain.deadlines import decision_deadline
from domain.errors import TransitionRefused
from domain.regulation import Regulation
from domain.regulation.procedures import Stage
from domain.regulation.schemes import scheme_ids
from domain.state import CaseRecord, GrantState
from domain.values import GrantStatus

__all__ = ["WORK_KEY_SHAPE", "WorkQuery", "due_view", "may_take", "work_items"]
StateOf = Callable[[dict[str, Any]], GrantState]


@dataclass(frozen=True)
class WorkQuery:
    """What the queue is narrowed to, as an operator asks it (`sto work`, GET /v1/work-items)."""

    person: str | None = None  # the acting person: whose claims (`mine`), whose roles (`my_roles`)
    mine: bool = False
    my_roles: bool = False
    unassigned: bool = False
    scheme: str | None = None
    stage: str | None = None
    due_within: int | None = None  # only work whose decision term ends within DAYS (passed ones count)

    def filters(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False) and k != "person"}


def register_on(day: dt.date, register: Register = SHIPPED) -> RegisterView | None:
    return register.on(day)


def _stage_of(regulation: Regulation, item: dict[str, Any]) -> Stage | None:
    procedure = regulation.data.procedure(item["procedure"], item["command_type"] or "ApproveGrant")
    return procedure.stage(item["stage"])


def may_take(view: RegisterView | None, person: str, item: dict[str, Any], regulation: Regulation,
             state: GrantState | None = None) -> bool:
    """Whether the domain's rules let `person` take the item's stage now (role, four eyes, the claim, and for a
    signing stage the mandate and Awb 10:3 lid 3): asked of the rules, never decided here."""
    stage = _stage_of(regulation, item)
    if view is None or stage is None:
        return False
    if state is None:
        case = CaseRecord.model_construct(takers=dict(item["takers"]), besluit_kind=item["besluit_kind"])
        state = GrantState.model_construct(status=GrantStatus(item["status"]), case=case if item["drafted"] else None,
                                           claim=None)
    try:
        rules.check_role(view, person, stage.role, item["scheme"], state, f"the stage {stage.id}")
        rules.check_four_eyes(state.case if item["drafted"] else None, person, stage, state)
        if item["claimed_by"] not in (None, person):
            return False
        if stage.signs and item["drafted"]:
            signer = rules.person_in(view, person, state)
            rules.signing_mandate(view, signer, item["besluit_kind"], item["scheme"], item["amount_cents"], state)
            if item["besluit_kind"] == "objection_decision" and state.__dict__.get("objection") is not None:
                rules.check_objection_signer(state, person)
    except TransitionRefused:
        return False
    return True


def due_view(state: GrantState, regulation: Regulation, day: dt.date, applies: bool) -> dict[str, Any] | None:
    """The decision term of the work (when it applies), and how many days it is overdue on `day`."""
    if not applies:
        return None
    info = decision_deadline(state, regulation, day, passed_too=True)
    if info is None:
        return None
    late = (day - info.due).days
    return {"due": info.due.isoformat(), "title": info.title, "source": info.source, "days_left": -late,
            "overdue_days": max(late, 0), "overdue": late > 0,
            "text": f"overdue {late} day{'s' if late != 1 else ''}" if late > 0 else f"due in {-late} day{'s' if late != -1 else ''}" if late < 0 else "due today"}


def work_items(db: Any, query: WorkQuery, *, day: dt.date, size: int, after: tuple | None, state_of: StateOf,
               regulation_of: Callable[[str], Regulation], register: Register = SHIPPED) -> dict[str, Any]:
    """One page of the work queue (oldest open work first), each item with its decision term on `day`."""
    view = register.on(day)
    roles = None
    if query.my_roles:
        held = set() if view is None or query.person is None else {
            r for s in scheme_ids() for r in view.roles_of(query.person, s)}
        roles = tuple(sorted(held))
    wanted = WorkFilter(claimed_by=query.person if query.mine else None, unclaimed=query.unassigned,
                        scheme=query.scheme, stage=query.stage, roles=roles,
                        decision_term=query.due_within is not None)
    dues: dict[str, dict[str, Any] | None] = {}

    def due_of(item: dict[str, Any]) -> dict[str, Any] | None:
        if item["grant_id"] not in dues:
            dues[item["grant_id"]] = due_view(state_of(item), regulation_of(item["scheme"]), day,
                                              bool(item["decision_term"])) if item["decision_term"] else None
        return dues[item["grant_id"]]

    def keep(item: dict[str, Any]) -> bool:
        if query.my_roles and not may_take(view, query.person or "", item, regulation_of(item["scheme"])):
            return False
        if query.due_within is not None:
            due = due_of(item)
            return due is not None and due["days_left"] <= query.due_within
        return True

    items: list[dict[str, Any]] = []
    next_key = None
    cursor = after
    post = query.my_roles or query.due_within is not None
    batch = size + 1 if not post else max(size + 1, 200)
    while True:
        found = work_page(db, wanted, cursor, batch)
        full = False
        for item in found:
            if not post or keep(item):
                if len(items) == size:
                    next_key, full = work_key(items[-1]), True
                    break
                items.append(item)
        if full or len(found) < batch:
            break
        cursor = work_key(found[-1])
    for item in items:
        item["due"] = due_of(item)
    return {"filters": query.filters(), "as_of": day.isoformat(), "work_items": items,
            "next_key": list(next_key) if next_key is not None else None}
