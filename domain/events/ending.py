"""Events that end a grant's life, and the consequences of deadlines that passed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.events.base import GrantEvent, _besluit
from domain.events.records import _record
from domain.state import DecisionRecord, DeterminationRecord, GrantState
from domain.values import DecisionKind, GrantStatus


class GrantDetermined(GrantEvent):
    """Version 3 (2026-12): the vaststelling is a besluit, with the day it was sent."""

    class_version = 3

    determination: dict[str, Any]
    sent_on: dt.date | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["sent_on"] = None

    def evolve(self, state: GrantState) -> None:
        state.determination = DeterminationRecord.model_validate(
            {**self.determination, "determined_on": self.effective_on}
        )
        state.status = GrantStatus.DETERMINED
        state.end_reason = "vastgesteld"
        _besluit(state, DecisionKind.DETERMINATION, self.effective_on, self.sent_on, event=self)


class GrantWithdrawn(GrantEvent):
    """Version 3 (2026-12): the intrekking is a besluit, with the day it was sent."""

    class_version = 3

    status_before: str
    sent_on: dt.date | None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["sent_on"] = None

    def evolve(self, state: GrantState) -> None:
        state.withdrawn_from = GrantStatus(self.status_before)
        state.status = GrantStatus.WITHDRAWN
        state.end_reason = self.reason
        _besluit(state, DecisionKind.WITHDRAWAL, self.effective_on, self.sent_on, event=self)


# --- consequences of a deadline that passed ---------------------------------------------------


class DeadlineConsequence(GrantEvent):
    deadline_key: str
    due: dt.date

    def evolve(self, state: GrantState) -> None:
        state.consequences_applied.append(self.deadline_key)
        self.follow(state)

    def follow(self, state: GrantState) -> None:
        pass


class GrantLapsed(DeadlineConsequence):
    """An application period passed without the application the region needed to make."""

    def follow(self, state: GrantState) -> None:
        state.status = GrantStatus.LAPSED
        state.end_reason = f"{self.deadline_key} passed on {self.due.isoformat()} without an application"


class ApplicationSetAside(DeadlineConsequence):
    """The repair period passed without the missing documents (Awb 4:5)."""

    period: int

    def follow(self, state: GrantState) -> None:
        state.decisions.append(
            _record(
                DecisionRecord,
                kind=DecisionKind.SET_ASIDE,
                period=self.period,
                decided_on=self.effective_on,
                sent_on=self.effective_on,
                reasons=[self.reason],
            )
        )
        state.status = GrantStatus.REJECTED
        self.note_besluit(state, DecisionKind.SET_ASIDE.value, self.period, self.effective_on, self.effective_on,
                          reasons=[self.reason])


class DecisionBecameFinal(DeadlineConsequence):
    """The objection period passed without an objection: the decision is final."""

    def follow(self, state: GrantState) -> None:
        if state.decision is not None:
            state.decision.final = True


class DeadlineMissed(DeadlineConsequence):
    """A report was not in on time: recorded as overdue (verzuim)."""

    def follow(self, state: GrantState) -> None:
        state.missed_deadlines.append(self.deadline_key)


class ExtensionForfeited(DeadlineConsequence):
    """No 2024 plan by its deadline: no extension for this region."""

    def follow(self, state: GrantState) -> None:
        state.extension.forfeited = True
        state.missed_deadlines.append(self.deadline_key)


class DecisionTermExceeded(DeadlineConsequence):
    """DUS-I did not decide within the decision term (Awb 4:13/4:14)."""


class SpendingPeriodEnded(DeadlineConsequence):
    """Costs after this day are no longer eligible."""
