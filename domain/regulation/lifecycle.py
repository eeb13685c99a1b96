"""What a scheme (regeling) says about a grant's life, as data: its steps, rounds, deadlines, region kinds.

A scheme file declares, beside its dated terms and parameters (`model.py`):
- `[scheme]`: its id, titles, the version that is the regeling itself, its dates and source;
- `[[steps]]`: which command kinds of the step library (`domain/commands.py`) the scheme has, from which
  states each is allowed, and the terms and options the step's rules read;
- `[[application_rounds]]`: the application periods, who may apply in each, and DUS-I's decision term;
- `[[deadlines]]`: the dated terms a grant must meet in a state, until which step is done, and the
  consequence when one passes (a name from `ConsequenceKind`);
- `[[region_kinds]]`: the kinds of region, their budget ceiling and whether their applications are ranked.

Names in the data (states, consequences, conditions) are checked when the file loads; what a name does
lives in the domain's small libraries (`domain/deadlines.py`, `domain/decide/`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import Field

from domain.regulation.source import LegalSource, _Frozen
from domain.values import GrantStatus


class ConsequenceKind(StrEnum):
    """What happens when a dated term of the scheme passes without the required step."""

    LAPSE = "lapse"  # the grant lapses (vervallen): no application in time
    DEADLINE_MISSED = "deadline_missed"  # recorded as overdue (verzuim); DUS-I follows up
    EXTENSION_FORFEITED = "extension_forfeited"  # the extension is not granted to this region
    SPENDING_ENDED = "spending_ended"  # costs after the term are not eligible


class SchemeInfo(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")
    title: str
    title_nl: str
    regeling: str  # the version id of the regeling itself: the default source of its rules
    in_force: dt.date
    lapses: dt.date | None = None
    source: LegalSource
    # the scheme of every grant recorded before grants named their scheme: its grant ids, workflow ids and
    # budget pools carry no scheme id (they were made before there was a second scheme)
    recorded_before_schemes: bool = False
    # schemes whose grants fund the same activities of a region for another period: a claim on one may be set off
    # against a subsidy of the other (Awb 4:57 lid 3, 4:93 lid 1), with the source that says they are the same
    same_activities_as: list[str] = Field(default_factory=list)
    same_activities_source: LegalSource | None = None


class Step(_Frozen):
    """One step of a grant's life: a command kind of the step library, allowed from these states."""

    command: str
    allowed_from: list[GrantStatus] = Field(default_factory=list)  # empty: the step starts a grant
    title_nl: str
    options: dict[str, Any] = Field(default_factory=dict)  # what the step's rules read (term keys, numbers)
    source: LegalSource | None = None


class ApplicationRound(_Frozen):
    """An application period: open to pre-registered regions, or to those rejected in an earlier round."""

    number: int = Field(ge=1, le=9)
    window: str  # term key of the window
    decision: str  # term key of DUS-I's decision term on its applications
    after_rejection_in: int | None = None  # None: open to pre-registered regions
    needs_addendum: bool = False  # a new application must describe its changes to the rejected plan


class DeadlineRule(_Frozen):
    """A dated term that applies to a grant in given states until a step is done."""

    term: str
    applies_in: list[GrantStatus] = Field(min_length=1)
    until: str | None = Field(default=None, pattern=r"^[a-z_]+(:[A-Za-z0-9_-]+)?$")  # a condition of domain/deadlines.py
    consequence: ConsequenceKind


class RegionKindRule(_Frozen):
    kind: str  # domain.values.RegionKind
    title_nl: str
    ceiling: str  # parameter key of the ceiling (per year, or per period)
    ranked: bool = False  # applications are ranked because the ceiling can be exceeded
    source: LegalSource | None = None
