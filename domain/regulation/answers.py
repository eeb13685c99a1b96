"""The regulation's answers: a deadline that explains itself, a parameter in force, all rules in force on a day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.regulation.model import Addressee, RegulationVersion, RollForward, TermKind


class UnknownRule(LookupError):
    """A term or parameter that the regulation does not hold (or not yet on that date)."""


class DeadlineInfo(BaseModel):
    """A deadline, window or milestone as in force on a date, with its explanation."""

    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    title_nl: str
    kind: TermKind
    start: date | None = None
    original: date  # the date the instrument gives, before any roll-forward
    due: date  # the last day after roll-forward (inclusive)
    due_at: datetime  # the instant it passes: end of `due`, Europe/Amsterdam
    wording: str
    source: str
    version: str
    roll_forward: RollForward
    moved_by_atw: bool
    atw_alternative: date | None = None  # where the Atw would have moved it, had it applied
    amended: bool  # a later instrument replaced an earlier date
    explanation: list[str]
    addressee: Addressee | None = None
    required_step: str | None = None
    consequence: str | None = None
    confirmed: bool = True
    note: str | None = None


class ParameterInForce(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    unit: str
    value: Any
    version: str
    source: str
    period_start: date | None = None
    period_end: date | None = None
    roll_forward: RollForward | None = None
    roll_forward_reason: str | None = None
    note: str | None = None


class RegulationInForce(BaseModel):
    """Everything in force on one day: the answer to "which rules applied on D"."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    name: str
    versions: list[RegulationVersion]
    terms: list[DeadlineInfo]
    parameters: list[ParameterInForce]

    @property
    def latest_version(self) -> RegulationVersion | None:
        return self.versions[-1] if self.versions else None
