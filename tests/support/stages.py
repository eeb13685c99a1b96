"""Tests that take a besluit's stages by hand: people of the organisation register by name, the answers a stage
that passes gives, a besluit taken through its stages by the people a test names, and a sender that keeps the
commands it sent (to retry one of them).

The domain decides whether each of them may; these helpers only say who asks. Synthetic staff who pick the people
themselves are adapters/replay/staff.py (take_besluit), as GrantScript uses them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Sequence, TypeVar

from adapters.replay.staff import default_answers
from domain import commands as c
from domain.regulation import Regulation
from domain.regulation.procedures import Procedure
from domain.values import Role

T = TypeVar("T")


def person(name: str) -> c.Actor:
    """An operator acting under their own name, as the organisation register knows it (or not)."""
    return c.Actor(name=name, role=Role.OPERATOR)


def procedure_of(regulation: Regulation, command_type: str) -> Procedure:
    return regulation.data.procedure_for(command_type)


def passing_answers(regulation: Regulation, command_type: str, stage_id: str) -> dict[str, bool | str]:
    """The checklist of a stage answered as a stage that passes answers it (every must-be-true question: yes)."""
    stage = procedure_of(regulation, command_type).stage(stage_id)
    assert stage is not None, f"{command_type} has no stage {stage_id}"
    return default_answers(stage, command_type)


def stage_command(command: c.Command, regulation: Regulation, stage_id: str, name: str, *,
                  when: dt.datetime | None = None, answers: dict[str, Any] | None = None,
                  send_back: bool = False, reason: str | None = None) -> c.PassStage | c.SendBackStage:
    """The command by which `name` passes (or sends back) the stage `stage_id` of the besluit `command` drafted."""
    kind = c.SendBackStage if send_back else c.PassStage
    return kind(
        region_code=command.region_code, scheme=command.scheme, effective_at=when or command.effective_at,
        actor=person(name), reason=reason or f"{stage_id}: {'terug' if send_back else 'akkoord'}", stage=stage_id,
        answers=passing_answers(regulation, command.name, stage_id) if answers is None else answers,
    )


def take_stages(send: Callable[[c.Command], T], command: c.Command, regulation: Regulation,
                people: Sequence[str], *, when: dt.datetime | None = None) -> list[T]:
    """Draft the besluit with `command` (its own actor drafts), then pass each further stage of its procedure by
    the person named for it, in order (one name per stage after the draft); the results in order."""
    procedure = procedure_of(regulation, command.name)
    later = procedure.stages[1:]
    assert len(people) == len(later), f"{command.name} has {len(later)} stages after the draft: {[s.id for s in later]}"
    results = [send(command)]
    for stage, name in zip(later, people):
        results.append(send(stage_command(command, regulation, stage.id, name, when=when)))
    return results


@dataclass
class Recorder(Generic[T]):
    """A sender that keeps each command it sent (a retry of one of them sends the same command again)."""

    send_to: Callable[[c.Command], T]
    sent: list[c.Command] = field(default_factory=list)

    def __call__(self, command: c.Command) -> T:
        self.sent.append(command)
        return self.send_to(command)
