"""Synthetic staff: a besluit taken through every stage of its procedure by people of the organisation register,
as the demo's replay, the benchmarks and the tests need it. The domain decides whether each of them may; this only
picks who asks: the drafter (the command's own actor when they hold the first stage's role), then for each further
stage someone holding its role who took no stage of the case yet, and for the signing stage the holder of the
smallest mandate that covers the besluit (whom the domain refuses, for a limit or Awb 10:3 lid 3, is passed over).
"""

from __future__ import annotations

import datetime as dt
from typing import Awaitable, Callable, TypeVar

from domain import commands as c
from domain.authority.register import SHIPPED, Person, Register, RegisterView
from domain.decide.stages import BESLUIT_KIND
from domain.errors import TransitionRefused
from domain.regulation import Regulation
from domain.regulation.procedures import Procedure, Stage
from domain.timekeeping import local_date
from domain.values import Role

T = TypeVar("T")
PASSED_OVER = ("authority.", "mandate.", "four_eyes.")  # refusals that mean: someone else should take it


def default_answers(stage: Stage, command_type: str) -> dict[str, bool | str]:
    """Every question of the checklist answered as a stage that passes answers it."""
    answers: dict[str, bool | str] = {}
    for question in stage.questions:
        if not question.asked_for(command_type) or not question.required:
            continue
        answers[question.id] = True if question.kind == "bool" else (
            question.options[0] if question.kind == "choice" else "akkoord")
    return answers


def _view(register: Register, when: dt.datetime) -> RegisterView:
    view = register.on(local_date(when))
    if view is None:
        raise ValueError(f"the organisation register has no version in force on {when.date()}")
    return view


def candidates(view: RegisterView, procedure: Procedure, stage: Stage, scheme: str, taken: set[str], kind: str,
               amount_cents: int | None) -> list[Person]:
    people = [p for p in view.holders_of(stage.role, scheme) if p.name not in taken or stage.same_person_allowed]
    if not stage.signs:
        return people

    def limit(person: Person) -> float:
        limits = [m.max_cents if m.max_cents is not None else float("inf")
                  for m in view.mandates_of(person.name, scheme) if kind in m.besluiten]
        return max(limits, default=-1.0)

    able = [p for p in people if limit(p) >= (amount_cents or 0)]
    return sorted(able, key=limit)


def drafter(command: c.Command, procedure: Procedure, view: RegisterView, scheme: str) -> c.Command:
    role = procedure.stages[0].role
    if role in view.roles_of(command.actor.name, scheme):
        return command
    holders = view.holders_of(role, scheme)
    if not holders:
        raise ValueError(f"nobody in the register holds the role {role} for {scheme}")
    return command.model_copy(update={"actor": c.Actor(name=holders[0].name, role=Role.OPERATOR)})


def drafted(result: object) -> bool:
    """Whether a besluit command's result drafted a besluit (a region's own withdrawal, say, takes no stages)."""
    events = getattr(result, "events", None)
    return events is None or "BesluitDrafted" in events


def _stage_command(command: c.Command, stage: Stage, person: Person) -> c.PassStage:
    return c.PassStage(region_code=command.region_code, scheme=command.scheme, effective_at=command.effective_at,
                       actor=c.Actor(name=person.name, role=Role.OPERATOR), reason=f"{stage.title_nl}: akkoord",
                       stage=stage.id, answers=default_answers(stage, command.name))


def _plan(command: c.Command, regulation: Regulation, register: Register, when: dt.datetime):
    procedure = regulation.data.procedure_for(command.name)
    view = _view(register, when)
    return procedure, view, drafter(command, procedure, view, regulation.data.scheme_id)


def _people(command: c.Command, regulation: Regulation, register: Register, when: dt.datetime, taken: set[str],
            amount_cents: int | None):
    """For each stage after the draft: the stage and who may take it, in the order to ask them. `taken` is the
    set of those who took a stage of this case; the caller adds whoever passed one."""
    procedure = regulation.data.procedure_for(command.name)
    view = _view(register, when)
    scheme = regulation.data.scheme_id
    for stage in procedure.stages[1:]:
        yield stage, candidates(view, procedure, stage, scheme, taken, BESLUIT_KIND[command.name], amount_cents)


def _passed_over(refused: TransitionRefused) -> bool:
    return refused.rule.startswith(PASSED_OVER)


def take_besluit(send: Callable[[c.Command], T], command: c.Command, regulation: Regulation, *,
                 when: dt.datetime, register: Register = SHIPPED, amount_cents: int | None = None) -> list[T]:
    """Send a besluit command and pass every further stage of its procedure; the results in order."""
    if command.name not in BESLUIT_KIND:
        return [send(command)]
    _, _, first = _plan(command, regulation, register, when)
    results = [send(first)]
    if not drafted(results[0]):
        return results
    return results + pass_stages(send, command, regulation, drafter_name=first.actor.name, when=when,
                                 register=register, amount_cents=amount_cents)


def pass_stages(send: Callable[[c.Command], T], command: c.Command, regulation: Regulation, *, drafter_name: str,
                when: dt.datetime, register: Register = SHIPPED, amount_cents: int | None = None) -> list[T]:
    """Pass every stage after the draft of a besluit `drafter_name` drafted with `command` (its type, grant and
    business time; a command without effective_at has its stages dated by the engine when they arrive)."""
    taken, results = {drafter_name}, []
    for stage, people in _people(command, regulation, register, when, taken, amount_cents):
        for person in people:
            try:
                results.append(send(_stage_command(command, stage, person)))
            except TransitionRefused as refused:
                if _passed_over(refused):
                    continue
                raise
            taken.add(person.name)
            break
        else:
            raise ValueError(f"nobody in the register may take the stage {stage.id} of {command.name}")
    return results


async def take_besluit_async(send: Callable[[c.Command], Awaitable[T]], command: c.Command, regulation: Regulation, *,
                             when: dt.datetime, register: Register = SHIPPED, amount_cents: int | None = None) -> list[T]:
    """take_besluit, for a sender that is a coroutine (the replay, the workflow clients)."""
    if command.name not in BESLUIT_KIND:
        return [await send(command)]
    _, _, first = _plan(command, regulation, register, when)
    results = [await send(first)]
    if not drafted(results[0]):
        return results
    return results + await pass_stages_async(send, command, regulation, drafter_name=first.actor.name, when=when,
                                             register=register, amount_cents=amount_cents)


async def pass_stages_async(send: Callable[[c.Command], Awaitable[T]], command: c.Command, regulation: Regulation, *,
                            drafter_name: str, when: dt.datetime, register: Register = SHIPPED,
                            amount_cents: int | None = None) -> list[T]:
    """pass_stages, for a sender that is a coroutine: the replay passes the stages of the extensions the 2024
    round drafted this way."""
    taken, results = {drafter_name}, []
    for stage, people in _people(command, regulation, register, when, taken, amount_cents):
        for person in people:
            try:
                results.append(await send(_stage_command(command, stage, person)))
            except TransitionRefused as refused:
                if _passed_over(refused):
                    continue
                raise
            taken.add(person.name)
            break
        else:
            raise ValueError(f"nobody in the register may take the stage {stage.id} of {command.name}")
    return results
