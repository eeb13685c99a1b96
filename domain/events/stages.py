"""A besluit on its way through its procedure's stages, and who holds a grant's open work (the work queue).

A besluit command drafts (BesluitDrafted: its first stage); each further stage is passed (StagePassed) or sent back
to the first (BesluitSentBack, round + 1, to the one who drafted it); the signing stage records the mandate and
signature (BesluitSigned), and the besluit's own event follows in the same step: only then does it take effect.
"""

from __future__ import annotations

from typing import Any

from domain.events.base import GrantEvent
from domain.events.records import _record
from domain.state import CaseRecord, ClaimRecord, GrantState, StageRecord


def _stage(event: "CaseEvent", state: GrantState, outcome: str, answers: dict[str, Any]) -> StageRecord:
    return _record(StageRecord, stage=event.stage, person=event.actor, role=event.stage_role, taken_on=event.effective_on,
                   outcome=outcome, reason=event.reason, round=event.round, answers=dict(answers))


class CaseEvent(GrantEvent):
    """What every stage event says: which procedure, which stage, in which role, in which round."""

    procedure: str
    stage: str
    stage_role: str
    round: int

    def evolve(self, state: GrantState) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class BesluitDrafted(CaseEvent):
    """A besluit was drafted: its procedure's first stage, taken by whoever sent the besluit command."""

    command_type: str
    draft: dict[str, Any]
    besluit_kind: str
    amount_cents: int

    def evolve(self, state: GrantState) -> None:
        case = state.case
        if case is None or case.procedure != self.procedure:
            case = _record(CaseRecord, procedure=self.procedure, command_type=self.command_type, draft=dict(self.draft),
                           draft_reason=self.reason, besluit_kind=self.besluit_kind, amount_cents=self.amount_cents,
                           opened_on=self.effective_on, next_stage=1, round=self.round, takers={}, stages=[],
                           signature=None)
            state.case = case
        else:  # a case sent back, drafted anew
            fields = case.__dict__
            fields.update(command_type=self.command_type, draft=dict(self.draft), draft_reason=self.reason,
                          besluit_kind=self.besluit_kind, amount_cents=self.amount_cents, next_stage=1)
        case.takers[self.actor] = self.stage
        case.stages.append(_stage(self, state, "drafted", {}))
        state.claim = None


class StagePassed(CaseEvent):
    answers: dict[str, Any]

    def evolve(self, state: GrantState) -> None:
        case = state.case
        assert case is not None
        case.takers[self.actor] = self.stage
        case.stages.append(_stage(self, state, "passed", self.answers))
        case.__dict__["next_stage"] = case.next_stage + 1
        state.claim = None


class BesluitSentBack(CaseEvent):
    """A stage sent the case back to the first stage, with its reason; it goes to the one who drafted it."""

    answers: dict[str, Any]
    to_stage: str
    returned_to: str | None

    def evolve(self, state: GrantState) -> None:
        case = state.case
        assert case is not None
        case.takers[self.actor] = self.stage
        case.stages.append(_stage(self, state, "sent_back", self.answers))
        case.__dict__.update(next_stage=0, round=self.round + 1)
        state.claim = (
            _record(ClaimRecord, person=self.returned_to, procedure=self.procedure, stage=self.to_stage,
                    since=self.effective_on, assigned_by=None)
            if self.returned_to else None
        )


class BesluitSigned(CaseEvent):
    """The signing stage passed under a mandate: the signature the besluit's letter prints, ever (Awb 10:10)."""

    answers: dict[str, Any]
    signature: dict[str, Any]  # domain.authority.register.Signature

    def evolve(self, state: GrantState) -> None:
        case = state.case
        assert case is not None
        case.takers[self.actor] = self.stage
        case.stages.append(_stage(self, state, "signed", self.answers))
        case.__dict__["signature"] = dict(self.signature)
        state.claim = None


class CaseClaimed(GrantEvent):
    """Someone took the grant's open work (a stage, or the draft of a besluit due), or a coordinator gave it."""

    procedure: str
    stage: str
    person: str
    assigned_by: str | None

    def evolve(self, state: GrantState) -> None:
        state.claim = _record(ClaimRecord, person=self.person, procedure=self.procedure, stage=self.stage,
                              since=self.effective_on, assigned_by=self.assigned_by)


class CaseReleased(GrantEvent):
    procedure: str
    stage: str
    person: str  # whose claim it was

    def evolve(self, state: GrantState) -> None:
        state.claim = None
