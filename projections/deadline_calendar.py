"""The deadline calendar: every deadline still pending for a grant, per region, earliest first.

Computed when read, from each grant's state and the regulation in force that day (the pending deadlines
depend on the day itself, so a stored calendar would go stale overnight); the states come at the version
the read models have reached, so the calendar agrees with the overview next to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from domain.deadlines import pending_deadlines
from domain.regulation import Regulation
from domain.state import GrantState
from domain.values import GrantStatus
from projections.grant_rows import Row


def may_have_deadlines(row: Row) -> bool:
    return not GrantStatus(row["status"]).is_terminal


def deadline_calendar(
    grants: Iterable[tuple[Row, GrantState]],
    regulation: Regulation,
    day: dt.date,
    within_days: int | None = None,
) -> dict[str, Any]:
    """Pending deadlines due up to `within_days` after `day` (all if None); passed, unhandled ones included."""
    horizon = day + dt.timedelta(days=within_days) if within_days is not None else None
    entries = []
    for row, state in grants:
        for info in pending_deadlines(state, regulation, day):
            if horizon is not None and info.due > horizon:
                continue
            entries.append({
                "region_code": row["region_code"],
                "region_name": row["region_name"],
                "status": row["status"],
                "key": info.key,
                "title": info.title,
                "title_nl": info.title_nl,
                "kind": info.kind.value,
                "due": info.due.isoformat(),
                "due_at": info.due_at.isoformat(),
                "days_left": (info.due - day).days,
                "overdue": info.due < day,
                "addressee": info.addressee.value if info.addressee else None,
                "required_step": info.required_step,
                "consequence": info.consequence,
                "source": info.source,
                "version": info.version,
                "explanation": list(info.explanation),
            })
    entries.sort(key=lambda d: (d["due"], d["region_code"], d["key"]))
    return {
        "as_of": day.isoformat(),
        "within_days": within_days,
        "until": horizon.isoformat() if horizon else None,
        "deadlines": entries,
    }
