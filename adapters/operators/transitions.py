"""The operator's transitions: one short name per command type, shared by the CLI, the HTTP API and the page.

Every command of domain/commands.py except the engine's own (a deadline's consequence, a besluit's letter) is a
transition: the lifecycle's steps, and the work on a besluit in its stages (pass, send-back; claim, release,
assign: domain/decide/stages.py), which `sto work` sends and the API takes as the others.
A transition's fields are its command's fields without the three that the sender does not choose:
`region_code` (from the path or argument), `actor` (from the token or --actor) and `type`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic.fields import FieldInfo

from domain import commands as c
from domain.decide import allowed_commands, allowed_from
from domain.decide.core import Context
from domain.decide.stages import open_work
from domain.state import GrantState
from domain.regulation import Regulation, default_regulation
from domain.values import GrantStatus

SENDER_CHOSEN = ("region_code", "actor", "type", "scheme")  # the scheme comes from the path or --scheme
META_FIELDS = ("reason", "command_id", "effective_at", "expected_version")


@dataclass(frozen=True)
class Transition:
    name: str
    command: type[c.Command]

    @property
    def command_type(self) -> str:
        return self.command.__name__

    @property
    def title(self) -> str:
        """The first line of the command's docstring: what it does, in the domain's words."""
        return (self.command.__doc__ or self.command_type).strip().splitlines()[0]

    def fields(self) -> dict[str, FieldInfo]:
        """The command's own fields and the meta fields (reason, command id, effective time, expected version)."""
        return {name: info for name, info in self.command.model_fields.items() if name not in SENDER_CHOSEN}

    def own_fields(self) -> dict[str, FieldInfo]:
        """Only what this command is about (no meta fields)."""
        return {name: info for name, info in self.fields().items() if name not in META_FIELDS}

    def build(self, region_code: str, actor: c.Actor, fields: dict[str, Any], scheme: str | None = None) -> c.Command:
        """The command, validated; raises pydantic.ValidationError naming the wrong fields."""
        chosen = {"region_code": region_code, "actor": actor, **({"scheme": scheme} if scheme else {})}
        return self.command.model_validate({**fields, **chosen})


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("pre-register", c.SubmitVooraanmelding),
        Transition("apply", c.SubmitApplication),
        Transition("request-repair", c.RequestRepair),
        Transition("submit-repair", c.SubmitRepair),
        Transition("accept", c.AcceptApplication),
        Transition("advise", c.RecordAdvice),
        Transition("approve", c.ApproveGrant),
        Transition("reject", c.RejectApplication),
        Transition("object", c.FileObjection),
        Transition("decide-objection", c.DecideObjection),
        Transition("report", c.SubmitProgressReport),
        Transition("extension-plan", c.SubmitExtensionPlan),
        Transition("detailed-plan", c.SubmitDetailedPlan),
        Transition("grant-extension", c.GrantExtension),
        Transition("hourly-rate", c.RecordHourlyRateChange),
        Transition("final-report", c.SubmitFinalReport),
        Transition("determine", c.DetermineGrant),
        Transition("withdraw", c.WithdrawGrant),
        Transition("melding", c.RecordMelding),
        Transition("lower", c.LowerGrant),
        Transition("pass", c.PassStage),
        Transition("send-back", c.SendBackStage),
        Transition("claim", c.ClaimCase),
        Transition("release", c.ReleaseCase),
        Transition("assign", c.AssignCase),
    )
}
WORK_TRANSITIONS = frozenset(t.name for t in TRANSITIONS.values() if t.command in c.CASE_COMMANDS)
BY_COMMAND_TYPE: dict[str, Transition] = {t.command_type: t for t in TRANSITIONS.values()}


def allowed_transitions(status: GrantStatus | str | None, regulation: Regulation | None = None) -> list[str]:
    """The steps the grant's scheme allows from its state now (a rule with data may still refuse them). The work
    on a besluit in its stages depends on more than the status: `work_transitions` says which applies."""
    if status is None:
        return []
    status = GrantStatus(status)
    regulation = regulation or default_regulation()
    found = []
    for transition in TRANSITIONS.values():
        if transition.name in WORK_TRANSITIONS:
            continue
        states = allowed_from(transition.command, regulation)
        if states is not None and status in states:
            found.append(transition.name)
    return found


def work_transitions(state: GrantState, regulation: Regulation) -> list[str]:
    """The work transitions that can apply to the grant now (the domain's `allowed_commands`): a stage to pass or
    send back, work to claim or assign, a claim to release."""
    possible = set(allowed_commands(state, regulation))
    return [t.name for t in TRANSITIONS.values() if t.name in WORK_TRANSITIONS and t.command_type in possible]


def waiting(state: GrantState, regulation: Regulation) -> dict[str, Any] | None:
    """Where the grant's open work stands: the besluit in its stages (or due), the stage that waits next, its role
    and who holds it (`open_work` of the domain); None when nothing is open."""
    found = open_work(state, Context(regulation, state.last_effective_at))
    if found is None:
        return None
    procedure, stage = found
    case = state.case
    return {
        "procedure": procedure.id, "stage": stage.id, "stage_title": stage.title_nl, "role": stage.role,
        "signs": stage.signs, "drafted": case is not None, "round": case.round if case else None,
        "besluit_kind": case.besluit_kind if case else None,
        "claimed_by": state.claim.person if state.claim else None,
    }


def work_now(service: Any, region: str, scheme: str | None) -> dict[str, Any]:
    """Where the grant's open work stands after a command, read from the store (`waiting`, `work_transitions`)."""
    from domain.errors import DomainError

    try:
        state = service.state(region, scheme=scheme)
        regulation = service.regulation(state.scheme)
    except (DomainError, ValueError):
        return {"waiting": None, "work_transitions": []}
    return {"waiting": waiting(state, regulation), "work_transitions": work_transitions(state, regulation)}
