"""Programme-wide budget pools: the ceilings per region kind and the 2024 budget.

A pool is its own small aggregate, saved in the same transaction as the grant that claims from it,
so two approvals can never together pass a ceiling: the second writer meets a version conflict,
reloads, and is refused if the money is gone. A withdrawn grant gives its claim back (Released).
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import TransitionRefused
from domain.money import euro

POOL_NAMESPACE = uuid.UUID("0b7e1f3c-5a2d-4e8b-9c61-2f4a8d9e1b37")


def pool_id(key: str) -> uuid.UUID:
    return uuid.uuid5(POOL_NAMESPACE, key)


class BudgetPool(Aggregate):
    """What each region has been granted from one ceiling, per year."""

    class Opened(Aggregate.Created):
        key: str

    class Reserved(Aggregate.Event):
        region_code: str
        per_year: dict[str, int]
        command_id: uuid.UUID

        def apply(self, pool: "BudgetPool") -> None:
            pool.reservations[self.region_code] = {str(y): int(a) for y, a in self.per_year.items()}

    class Released(Aggregate.Event):
        """A region's claim given back to the pool (the grant was withdrawn before vaststelling)."""

        region_code: str
        per_year: dict[str, int]
        command_id: uuid.UUID

        def apply(self, pool: "BudgetPool") -> None:
            pool.reservations.pop(self.region_code, None)

    def __init__(self, key: str):
        self.key = key
        self.reservations: dict[str, dict[str, int]] = {}

    @classmethod
    def open(cls, key: str) -> "BudgetPool":
        return cls._create(cls.Opened, id=pool_id(key), key=key)

    def used(self, year: int, *, excluding: str | None = None) -> int:
        return sum(r.get(str(year), 0) for region, r in self.reservations.items() if region != excluding)

    def reserve(
        self,
        region_code: str,
        per_year: dict[int, int],
        ceilings: dict[int, int],
        source: str,
        command_id: uuid.UUID,
    ) -> None:
        """Claim `per_year` for the region (replacing its earlier claim); refuse above a ceiling."""
        for year, amount in sorted(per_year.items()):
            ceiling = ceilings.get(year)
            if ceiling is None:
                raise TransitionRefused(
                    "budget.ceiling",
                    f"there is no budget for {year} in {self.key}",
                    source,
                    hint="grant amounts only for years with a budget",
                )
            used = self.used(year, excluding=region_code)
            if used + amount > ceiling:
                raise TransitionRefused(
                    "budget.ceiling",
                    f"{euro(amount)} for {year} would bring {self.key} to {euro(used + amount)}, above its "
                    f"ceiling of {euro(ceiling)} ({euro(ceiling - used)} left)",
                    source,
                    hint="lower the amount, or (techniekarme regio's) decide in the order of the ranking",
                )
        self.trigger_event(
            self.Reserved,
            region_code=region_code,
            per_year={str(y): a for y, a in per_year.items()},
            command_id=command_id,
        )

    def release(self, region_code: str, command_id: uuid.UUID) -> bool:
        """Give the region's claim back; False (and no event) when it holds none."""
        claim = self.reservations.get(region_code)
        if not claim:
            return False
        self.trigger_event(self.Released, region_code=region_code, per_year=dict(claim), command_id=command_id)
        return True

    def totals(self) -> dict[int, int]:
        years: dict[int, int] = {}
        for claim in self.reservations.values():
            for year, amount in claim.items():
                years[int(year)] = years.get(int(year), 0) + amount
        return years


def ceilings_from(value: Any, year: int | None = None) -> dict[int, int]:
    """A ceiling parameter as {year: cents}: either a per-year table or one amount for `year`."""
    if isinstance(value, dict):
        return {int(y): int(a) for y, a in value.items()}
    assert year is not None
    return {year: int(value)}
