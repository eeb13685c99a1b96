"""The besluiten on an application: verlening and afwijzing, and objections against them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.events.base import GrantEvent
from domain.events.records import _record, _years
from domain.state import DecisionRecord, GrantState, ObjectionRecord
from domain.values import DecisionKind, GrantStatus, ObjectionOutcome


class GrantApproved(GrantEvent):
    """Version 3 (2026-12): `late_days`, how many days after DUS-I's decision term it was taken (None before)."""

    class_version = 3

    period: int
    granted_per_year: dict[str, int]
    sent_on: dt.date
    late_days: int | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["late_days"] = None

    def evolve(self, state: GrantState) -> None:
        state.decisions.append(
            _record(
                DecisionRecord,
                kind=DecisionKind.APPROVAL,
                period=self.period,
                decided_on=self.effective_on,
                sent_on=self.sent_on,
                granted_per_year=_years(self.granted_per_year),
                late_days=self.late_days or 0,
            )
        )
        state.status = GrantStatus.APPROVED
        self.note_besluit(state, DecisionKind.APPROVAL.value, self.period, self.effective_on, self.sent_on,
                          granted_per_year=_years(self.granted_per_year))


class ApplicationRejected(GrantEvent):
    """Version 3 (2026-12): `late_days`, how many days after DUS-I's decision term it was taken (None before)."""

    class_version = 3

    period: int
    reasons: list[str]
    sent_on: dt.date
    late_days: int | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["late_days"] = None

    def evolve(self, state: GrantState) -> None:
        state.decisions.append(
            _record(
                DecisionRecord,
                kind=DecisionKind.REJECTION,
                period=self.period,
                decided_on=self.effective_on,
                sent_on=self.sent_on,
                reasons=list(self.reasons),
                late_days=self.late_days or 0,
            )
        )
        state.status = GrantStatus.REJECTED
        self.note_besluit(state, DecisionKind.REJECTION.value, self.period, self.effective_on, self.sent_on,
                          reasons=list(self.reasons))


class ObjectionFiled(GrantEvent):
    grounds: str
    against: str
    status_before: str

    def evolve(self, state: GrantState) -> None:
        state.objection = _record(
            ObjectionRecord,
            filed_on=self.effective_on,
            grounds=self.grounds,
            against=DecisionKind(self.against),
            status_before=GrantStatus(self.status_before),
        )
        state.status = GrantStatus.IN_OBJECTION


class ObjectionDecided(GrantEvent):
    """Version 3 (2026-12): `revised`, the besluit that takes the place of a contested extension, vaststelling or
    intrekking when the objection is upheld (Awb 7:11 lid 2): {"kind": ..., "amount_cents": ...}; None before.
    (Version 2 is GrantEvent's: the command fingerprint; its upcaster still runs first.)"""

    class_version = 3

    outcome: str
    granted_per_year: dict[str, int]
    status_after: str
    revised: dict[str, Any] | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["revised"] = None

    def evolve(self, state: GrantState) -> None:
        assert state.objection is not None and state.decision is not None
        state.objection.outcome = ObjectionOutcome(self.outcome)
        state.objection.decided_on = self.effective_on
        previous = state.decision
        previous.final = True
        reasons = [self.reason]
        if self.revised is not None:
            reasons.append(_revise(state, self.revised, self.effective_on))
        if self.granted_per_year:
            state.decisions.append(
                _record(
                    DecisionRecord,
                    kind=DecisionKind.APPROVAL,
                    period=previous.period,
                    decided_on=self.effective_on,
                    sent_on=self.effective_on,
                    granted_per_year=_years(self.granted_per_year),
                    final=True,
                )
            )
        state.status = GrantStatus(self.status_after)
        self.note_besluit(state, "objection_decision", previous.period, self.effective_on, self.effective_on,
                          granted_per_year=_years(self.granted_per_year), reasons=reasons,
                          outcome=self.outcome, against=state.objection.against.value)


def _euro(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"€ {whole:,}".replace(",", ".") + f",{rest:02d}"


def _revise(state: GrantState, revised: dict[str, Any], day: dt.date) -> str:
    """Herroepen en vervangen (Awb 7:11 lid 2): the contested besluit's effect undone and the new one's put in its
    place; the sentence the letter gives for it."""
    kind, amount = revised["kind"], revised.get("amount_cents")
    if kind == DecisionKind.EXTENSION.value:
        state.extension.granted_cents = amount
        return f"Wij herroepen het bestreden besluit en verlenen de verlenging opnieuw, voor {_euro(amount)} (Awb art. 7:11 lid 2)."
    if kind == DecisionKind.DETERMINATION.value:
        old = state.determination
        assert old is not None
        state.determination = old.model_copy(update={
            "determined_on": day, "determined_cents": amount, "reclaim_cents": max(0, old.paid_cents - amount),
            "explanation": [*old.explanation, f"herzien na bezwaar op {day.isoformat()}: vastgesteld op {_euro(amount)} (Awb art. 7:11 lid 2)"],
        })
        return f"Wij herroepen het bestreden besluit en stellen de subsidie opnieuw vast op {_euro(amount)} (Awb art. 7:11 lid 2)."
    assert kind == DecisionKind.WITHDRAWAL.value
    state.end_reason = None
    state.withdrawn_from = None
    return "Wij herroepen de intrekking: de subsidie blijft verleend zoals voor de intrekking (Awb art. 7:11 lid 2)."
