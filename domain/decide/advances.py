"""The advance schedule that goes with a besluit granting money: the scheme's rhythm applied to what it grants,
from the day it is taken (domain/regulation/advances.py)."""

from __future__ import annotations

from typing import Any

from domain import events as e
from domain.decide.core import Context
from domain.regulation.advances import schedule
from domain.state import GrantState


def advances(state: GrantState, per_year: dict[int, int], ctx: Context) -> list[tuple[type[e.GrantEvent], dict[str, Any]]]:
    """The AdvancesScheduled event of a grant of `per_year`, or none when the scheme declares no rhythm."""
    rule = ctx.regulation.data.advances
    if rule is None or not per_year:
        return []
    first = max((i.number for i in state.advance_schedule), default=0) + 1
    instalments = schedule(per_year, ctx.day, rule, first_number=first)
    return [(e.AdvancesScheduled, {
        "instalments": [{"number": i.number, "year": i.year, "due": i.due.isoformat(), "amount_cents": i.amount_cents}
                        for i in instalments],
        "schedule_source": rule.source.label(),
    })]
