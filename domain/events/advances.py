"""The advance schedule a verlening (or the 2024 extension) sets, recorded with the besluit (Aanwijzingen voor
subsidieverstrekking, aanwijzing 18 c: the advance is decided together with the verlening)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.events.base import GrantEvent
from domain.events.records import _record
from domain.state import GrantState, InstalmentRecord


class AdvancesScheduled(GrantEvent):
    """The instalments (number, year, due, amount_cents) of the besluit just taken, and the rule they follow."""

    instalments: list[dict[str, Any]]
    schedule_source: str

    def evolve(self, state: GrantState) -> None:
        besluit = len(state.besluiten)
        for item in self.instalments:
            state.advance_schedule.append(_record(
                InstalmentRecord, number=int(item["number"]), year=int(item["year"]),
                due=item["due"] if isinstance(item["due"], dt.date) else dt.date.fromisoformat(item["due"]),
                amount_cents=int(item["amount_cents"]), besluit=besluit))
