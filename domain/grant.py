"""The Grant aggregate: one region's STO grant, from vooraanmelding to vaststelling.

The aggregate is a thin shell: `decide` (pure) says whether a command is allowed and what happens;
the aggregate records those events, and the events evolve its `GrantState`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from domain import commands as c
from domain.decide import Context, Decision, decide
from domain.idempotency import fingerprint as command_fingerprint
from domain.state import GrantState
from domain.regulation.schemes import grant_id


def _event_fields(command: c.Command, decision: Decision, ctx: Context, fingerprint: str | None) -> dict[str, Any]:
    return {
        "actor": command.actor.name,
        "role": command.actor.role.value,
        "reason": command.reason,
        "rule": decision.rule,
        "legal_basis": decision.legal_basis,
        "effective_at": ctx.effective_at,
        "command_id": command.command_id,
        "command_type": command.name,
        "command_fingerprint": fingerprint or command_fingerprint(command),
    }


class Grant(Aggregate):
    """One region's grant. Its id is derived from the region code.

    Its only attribute besides id and version is `state` (a GrantState), set by its events.
    """

    if TYPE_CHECKING:  # a hint only: a runtime annotation would make eventsourcing expect it in __init__
        state: GrantState

    @classmethod
    def pre_register(cls, command: c.SubmitVooraanmelding, ctx: Context, fingerprint: str | None = None) -> tuple["Grant", Decision]:
        decision = decide(None, command, ctx)
        ((event_class, fields),) = decision.events
        grant = cls._create(
            event_class,  # type: ignore[arg-type]
            id=grant_id(command.region_code, fields.get("scheme")),
            **_event_fields(command, decision, ctx, fingerprint),
            **fields,
        )
        return grant, decision

    def handle(self, command: c.Command, ctx: Context, fingerprint: str | None = None) -> Decision:
        """Record what `command` causes, or raise TransitionRefused and record nothing.

        `fingerprint`: of the command as its sender sent it (before a business time was stamped on it)."""
        decision = decide(self.state, command, ctx)
        common = _event_fields(command, decision, ctx, fingerprint)
        for event_class, fields in decision.events:
            self.trigger_event(event_class, **{**common, **fields})  # an event may name its own reason, rule, basis
        return decision
