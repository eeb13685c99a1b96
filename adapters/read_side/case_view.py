"""One grant's case as an operator works on it (`sto work show`, GET /v1/grants/{region}/case): the stages its
besluit took (who, in which role, when, the answers, the reason), the stage open now with its checklist and the
JSON Schema of its answers, who holds the work, who may take the stage (asked of the domain's rules:
adapters/read_side/work.py), and the decision term where it runs. Read from the grant's state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from adapters.read_side.work import due_view, may_take
from domain.authority.register import SHIPPED, Register
from domain.decide.core import Context
from domain.decide.stages import open_work
from domain.regulation import Regulation
from domain.regulation.procedures import Procedure, Stage
from domain.state import GrantState
from projections.work_items import ON_THE_APPLICATION


def _questions(stage: Stage, command: str | None) -> list[dict[str, Any]]:
    return [{**q.model_dump(mode="json"), "asked": command is None or q.asked_for(command)} for q in stage.questions]


def _schema(stage: Stage, command: str | None) -> dict[str, Any]:
    """The stage's answers as JSON Schema (Stage.answers_schema); for a drafted besluit only the questions its
    command is asked are required."""
    schema = stage.answers_schema()
    if command is not None:
        schema["required"] = [q.id for q in stage.questions if q.required and q.asked_for(command)]
    return schema


def _item(state: GrantState, procedure: Procedure, stage: Stage) -> dict[str, Any]:
    case = state.case
    return {
        "procedure": procedure.id, "stage": stage.id, "status": state.status.value, "drafted": int(case is not None), "takers": dict(case.takers) if case else {},
        "besluit_kind": case.besluit_kind if case else None, "amount_cents": case.amount_cents if case else 0,
        "command_type": case.command_type if case else None,
        "claimed_by": state.claim.person if state.claim else None,
    }


def _procedure_stages(procedure: Procedure) -> list[dict[str, Any]]:
    """The stages of the case's procedure, with the labels of their questions (to read the answers of stages taken)."""
    return [{"id": s.id, "title_nl": s.title_nl, "role": s.role, "signs": s.signs,
             "questions": {q.id: q.label_nl for q in s.questions}} for s in procedure.stages]


def case_view(state: GrantState, regulation: Regulation, day: dt.date, register: Register = SHIPPED) -> dict[str, Any]:
    scheme = regulation.data.scheme_id
    case = state.case
    found = open_work(state, Context(regulation, state.last_effective_at))
    view: dict[str, Any] = {
        "region_code": state.region_code, "region_name": state.region_name, "scheme": scheme,
        "status": state.status.value, "version": state.version, "as_of": day.isoformat(),
        "case": None if case is None else {
            "procedure": case.procedure, "command_type": case.command_type, "besluit_kind": case.besluit_kind,
            "amount_cents": case.amount_cents, "round": case.round, "opened_on": case.opened_on.isoformat(),
            "draft": case.draft, "draft_reason": case.draft_reason, "takers": dict(case.takers),
            "stages": [s.model_dump(mode="json") for s in case.stages],
            "procedure_stages": _procedure_stages(regulation.data.procedure(case.procedure, case.command_type)),
        },
        "claim": None if state.claim is None else state.claim.model_dump(mode="json"),
        "open": None,
    }
    if found is None:
        return view
    procedure, stage = found
    command = case.command_type if case else None
    item = {**_item(state, procedure, stage), "scheme": scheme}
    people = register.on(day)
    commands = {command} if command else set(procedure.commands)
    view["open"] = {
        "procedure": procedure.id, "procedure_title": procedure.title_nl, "procedure_source": procedure.source.label(),
        "stage": stage.id, "stage_title": stage.title_nl, "role": stage.role, "signs": stage.signs,
        "index": procedure.index(stage.id), "stages": [s.id for s in procedure.stages],
        "drafted": case is not None, "besluit_commands": sorted(commands),
        "questions": _questions(stage, command), "answers_schema": _schema(stage, command),
        "may_take": [] if people is None else [
            p.name for p in people.people if may_take(people, p.name, item, regulation, state)],
        # whom a coordinator may give the stage to: who may take it were nobody holding it
        "may_be_assigned": [] if people is None else [
            p.name for p in people.people if may_take(people, p.name, {**item, "claimed_by": None}, regulation, state)],
        "due": due_view(state, regulation, day, bool(commands & ON_THE_APPLICATION)),
    }
    return view
