"""The regulation as data: versions, dated terms and dated parameters, each with its legal source.

Nothing here is a hard-coded fact: the facts live in `data/sto.toml`; this module only says what a
fact looks like. A *version* is one legal instrument (the regulation, an amendment, a minister's
letter). A *term* (deadline, window, milestone) and a *parameter* (threshold, rate, ceiling) have
one or more dated values, each set by a version.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from domain.regulation.lifecycle import ApplicationRound, DeadlineRule, RegionKindRule, SchemeInfo, Step
from domain.regulation.advances import AdvanceRule
from domain.regulation.procedures import Procedure, default_procedure
from domain.regulation.source import LegalSource, _Frozen


class VersionKind(StrEnum):
    REGELING = "regeling"  # ministeriële regeling
    WIJZIGINGSREGELING = "wijzigingsregeling"  # amending regulation
    BRIEF = "brief"  # minister's letter to the penvoerders
    KAMERBRIEF = "kamerbrief"  # letter to parliament
    WET = "wet"  # statute (Awb, Atw)


class RollForward(StrEnum):
    """Whether the Algemene termijnenwet moves a term that ends on a weekend or public holiday."""

    ATW = "atw"  # Algemene termijnenwet art. 1 applies
    NONE = "none"  # does not move (reason is recorded with the value)


class TermKind(StrEnum):
    DEADLINE = "deadline"  # something must be submitted by this date
    WINDOW = "window"  # a period with a first and a last day
    DECISION = "decision"  # the minister must decide by this date
    MILESTONE = "milestone"  # a dated fact of the programme, no obligation


class Addressee(StrEnum):
    REGION = "region"  # the penvoerder must act
    OPERATOR = "operator"  # DUS-I must act


class RegulationVersion(_Frozen):
    id: str
    kind: VersionKind
    title: str
    signed: dt.date
    effective: dt.date  # from this date the version's values are in force
    source: LegalSource
    summary: str


class TermValue(_Frozen):
    """One dated value of a term, as set by one version."""

    version: str
    start: dt.date | None = None  # first day, for windows
    date: dt.date  # last day (inclusive) or the day of the milestone
    wording: str  # the wording of the source, Dutch
    source: LegalSource
    roll_forward: RollForward
    roll_forward_reason: str
    applies_to_running: bool = True  # amendments move deadlines of grants already running
    note: str | None = None


class Term(_Frozen):
    key: str
    kind: TermKind
    title: str
    title_nl: str
    addressee: Addressee | None = None
    required_step: str | None = None  # what must be submitted, Dutch (used in notifications)
    consequence: str | None = None  # what happens when it passes
    values: list[TermValue] = Field(min_length=1)


class ParameterValue(_Frozen):
    version: str
    value: Any
    source: LegalSource
    period_start: dt.date | None = None  # the period the value covers, where it is limited
    period_end: dt.date | None = None
    roll_forward: RollForward | None = None  # for relative terms (a number of days or weeks)
    roll_forward_reason: str | None = None
    note: str | None = None

    def decimal(self) -> Decimal:
        return Decimal(str(self.value))


class Parameter(_Frozen):
    key: str
    title: str
    unit: str
    values: list[ParameterValue] = Field(min_length=1)


class Amendment(_Frozen):
    """A version together with the term and parameter values it sets: what gets *published*."""

    version: RegulationVersion
    scheme: str | None = None  # the scheme it amends; None: the legacy scheme (published before there were two)
    terms: dict[str, TermValue] = Field(default_factory=dict)  # new values of existing terms
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)
    new_terms: list[Term] = Field(default_factory=list)  # terms the amendment creates
    new_parameters: list[Parameter] = Field(default_factory=list)

    @model_validator(mode="after")
    def _values_belong_to_version(self) -> "Amendment":
        values = [*self.terms.items(), *self.parameters.items()]
        values += [(t.key, v) for t in self.new_terms for v in t.values]
        values += [(p.key, v) for p in self.new_parameters for v in p.values]
        for key, value in values:
            if value.version != self.version.id:
                raise ValueError(f"value for {key!r} names version {value.version!r}, not {self.version.id!r}")
        return self


class Besluit(_Frozen):
    """A decision of the scheme that is a besluit (Awb 1:3): open to objection within its term."""

    kind: str  # domain.values.DecisionKind
    title: str
    title_nl: str
    objection_term: str  # the parameter with the term's length in days, counted from the day after sending
    remedy: str = "bezwaar"  # bezwaar (Awb 6:4) at DUS-I; beroep at the rechtbank for a decision on objection
    source: LegalSource


class RegulationData(_Frozen):
    """Everything the regulation says, as loaded from data and published amendments: one scheme's file."""

    name: str
    scheme: SchemeInfo | None = None
    versions: list[RegulationVersion]
    terms: list[Term]
    parameters: list[Parameter]
    besluiten: list[Besluit] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    application_rounds: list[ApplicationRound] = Field(default_factory=list)
    deadlines: list[DeadlineRule] = Field(default_factory=list)
    region_kinds: list[RegionKindRule] = Field(default_factory=list)
    procedures: list[Procedure] = Field(default_factory=list)  # how each kind of besluit is taken (procedures.py)
    advances: AdvanceRule | None = None  # the default advance rhythm (advances.py); None: paid at once on verlening

    # --- the grant's life as the scheme declares it (lifecycle.py) ----------------------------------

    @property
    def scheme_id(self) -> str:
        return self.scheme.id if self.scheme else "unnamed"

    def procedure_for(self, command: str) -> Procedure:
        """The stages a besluit command goes through: the scheme's, else the engine's own (four eyes, always)."""
        found = next((p for p in self.procedures if command in p.commands), None)
        return found if found is not None else default_procedure(command)

    def procedure(self, procedure_id: str, command: str) -> Procedure:
        found = next((p for p in self.procedures if p.id == procedure_id), None)
        return found if found is not None else default_procedure(command)

    def step(self, command: str) -> Step | None:
        return next((s for s in self.steps if s.command == command), None)

    def step_option(self, command: str, option: str) -> Any:
        step = self.step(command)
        return None if step is None else step.options.get(option)

    def application_round(self, number: int) -> ApplicationRound | None:
        return next((r for r in self.application_rounds if r.number == number), None)

    def round_after_rejection_in(self, number: int) -> ApplicationRound | None:
        return next((r for r in self.application_rounds if r.after_rejection_in == number), None)

    def first_round(self) -> ApplicationRound | None:
        return next((r for r in self.application_rounds if r.after_rejection_in is None), None)

    def deadline_rule(self, term: str) -> DeadlineRule | None:
        return next((d for d in self.deadlines if d.term == term), None)

    def region_kind(self, kind: str) -> RegionKindRule | None:
        return next((k for k in self.region_kinds if k.kind == kind), None)

    @model_validator(mode="after")
    def _references_resolve(self) -> "RegulationData":
        ids = [v.id for v in self.versions]
        if len(set(ids)) != len(ids):
            raise ValueError("regulation version ids must be unique")
        known = set(ids)
        for term in self.terms:
            for value in term.values:
                if value.version not in known:
                    raise ValueError(f"term {term.key!r} names unknown version {value.version!r}")
                if term.kind is TermKind.WINDOW and value.start is None:
                    raise ValueError(f"window {term.key!r} needs a start date")
                if value.start and value.start > value.date:
                    raise ValueError(f"term {term.key!r} starts after it ends")
        for param in self.parameters:
            for value in param.values:
                if value.version not in known:
                    raise ValueError(f"parameter {param.key!r} names unknown version {value.version!r}")
        keys = [t.key for t in self.terms] + [p.key for p in self.parameters]
        if len(set(keys)) != len(keys):
            raise ValueError("term and parameter keys must be unique")
        params = {p.key for p in self.parameters}
        for besluit in self.besluiten:
            if besluit.objection_term not in params:
                raise ValueError(f"besluit {besluit.kind!r} names unknown objection term {besluit.objection_term!r}")
        kinds = [b.kind for b in self.besluiten]
        if len(set(kinds)) != len(kinds):
            raise ValueError("each kind of besluit is declared once")
        return self
