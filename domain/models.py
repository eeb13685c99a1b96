"""The documents a region hands in, as validated value objects (pydantic).

They travel inside commands, are stored inside events (as JSON) and make up the grant's state.
Money is always in euro cents (int); quantities that may be fractional (hours) are Decimal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.regulation.schemes import year_span
from domain.values import (
    AdviceJudgement,
    Brin6,
    LongText,
    Name,
    CostKind,
    NonBlank,
    OptionalText,
    PartnerKind,
    Sector,
    TechProfile,
    Track,
    WholeNumber,
)

# A ceiling no subsidy amount comes near (EUR 1 billion; the whole STO programme is under half of it) that
# keeps every sum of amounts far inside what the store, the read models and JSON numbers hold (2^53).
MAX_CENTS = 100_000_000_000
Cents = Annotated[WholeNumber, Field(ge=0, le=MAX_CENTS, description="euro cents (at most EUR 1 billion)")]
PositiveCents = Annotated[WholeNumber, Field(gt=0, le=MAX_CENTS, description="euro cents (at most EUR 1 billion)")]
# How many items one document may list: far above any real region, far below what a reader chokes on.
MANY = 500
LOTS = 5_000
YEARS_MAX = 20  # amounts per year in one decision or report
_FIRST_YEAR, _LAST_YEAR = year_span()
Year = Annotated[WholeNumber, Field(ge=_FIRST_YEAR, le=_LAST_YEAR)]  # the years the shipped schemes speak of


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Penvoerder(Value):
    """The school board (bevoegd gezag) of one vmbo school that applies for the whole region."""

    name: Name
    bevoegd_gezag: Annotated[str, Field(pattern=r"^[0-9]{5}$", description="5-digit bevoegd-gezagnummer")]
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


class Partner(Value):
    name: Name
    kind: PartnerKind


class PupilCount(Value):
    """Pupils of one school in one technical profile and track on the count date."""

    brin: Brin6
    profile: TechProfile
    track: Track
    pupils: Annotated[WholeNumber, Field(ge=0, le=10_000)]


class CostLine(Value):
    """One line of the begroting: price x quantity, for one sector and year."""

    description: Name
    sector: Sector
    year: Year
    kind: CostKind
    unit_price_cents: PositiveCents  # the hourly rate for personnel
    quantity: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
    asset_id: Name | None = None  # identifies a machine/tool, to prevent double funding
    funded_by_nieuwe_leerweg: bool = False  # the same asset also paid from the pilot nieuwe leerweg
    rate_motivation: NonBlank | None = None  # required for personnel at another rate than advised/allowed

    @model_validator(mode="after")
    def _amount_within_bounds(self) -> "CostLine":
        if self.amount_cents > MAX_CENTS:
            raise ValueError(f"price x quantity is more than EUR {MAX_CENTS // 100:,} for one line; check the price and the quantity")
        return self

    @property
    def amount_cents(self) -> int:
        return int((self.unit_price_cents * self.quantity).to_integral_value(rounding=ROUND_HALF_UP))


class CofinancingPledge(Value):
    """Business co-financing (money or in kind) pledged by a partner."""

    partner: Name
    amount_cents: PositiveCents
    in_kind: bool = False


class Activity(Value):
    title: Name
    programme_line: Name = "algemeen"


class CriterionAdvice(Value):
    """The beoordelingscommissie's judgement on one criterion of the beoordelingskader."""

    criterion: Name
    judgement: AdviceJudgement
    remark: OptionalText = ""


class ExtensionPlan(Value):
    """A plan and budget for some years: the extension year, or a detailed plan of a multi-year grant."""

    summary: LongText
    requested_cents: PositiveCents
    cost_lines: Annotated[list[CostLine], Field(max_length=LOTS)] = Field(default_factory=list)


class YearAmount(Value):
    year: Year
    amount_cents: Cents


def per_year(amounts: dict[int, int]) -> list[YearAmount]:
    return [YearAmount(year=y, amount_cents=a) for y, a in sorted(amounts.items())]


class ApplicationDocuments(Value):
    """What an application holds: regiovisie, activiteitenplan and begroting with co-financing."""

    regiovisie: LongText
    activiteitenplan: Annotated[list[Activity], Field(min_length=1, max_length=MANY)]
    begroting: Annotated[list[CostLine], Field(min_length=1, max_length=LOTS)]
    cofinancing: Annotated[list[CofinancingPledge], Field(max_length=MANY)] = Field(default_factory=list)
    pupil_counts: Annotated[list[PupilCount], Field(min_length=1, max_length=LOTS)]
    addendum: LongText | None = None  # the changes compared with a rejected earlier application

    @field_validator("pupil_counts")
    @classmethod
    def _one_count_per_school_profile_track(cls, counts: list[PupilCount]) -> list[PupilCount]:
        seen = set()
        for c in counts:
            key = (c.brin, c.profile, c.track)
            if key in seen:
                raise ValueError(f"pupils of {c.brin} in {c.profile}/{c.track} are counted twice")
            seen.add(key)
        return counts

    @property
    def requested_cents(self) -> int:
        return sum(line.amount_cents for line in self.begroting)

    def requested_per_year(self) -> dict[int, int]:
        totals: dict[int, int] = {}
        for line in self.begroting:
            totals[line.year] = totals.get(line.year, 0) + line.amount_cents
        return totals

    @property
    def cofinancing_cents(self) -> int:
        return sum(p.amount_cents for p in self.cofinancing)
