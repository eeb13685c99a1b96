"""The operator's transitions: one short name per command type, shared by the CLI, the HTTP API and the page.

Every command of domain/commands.py except ApplyDeadlineConsequence (the engine's own) is a transition.
A transition's fields are its command's fields without the three that the sender does not choose:
`region_code` (from the path or argument), `actor` (from the token or --actor) and `type`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic.fields import FieldInfo

from domain import commands as c
from domain.decide import allowed_from
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
    )
}
BY_COMMAND_TYPE: dict[str, Transition] = {t.command_type: t for t in TRANSITIONS.values()}


def allowed_transitions(status: GrantStatus | str | None, regulation: Regulation | None = None) -> list[str]:
    """The transitions the grant's scheme allows from its state now (a rule with data may still refuse them)."""
    if status is None:
        return []
    status = GrantStatus(status)
    regulation = regulation or default_regulation()
    found = []
    for transition in TRANSITIONS.values():
        states = allowed_from(transition.command, regulation)
        if states is not None and status in states:
            found.append(transition.name)
    return found
