"""The deadline calendar: every deadline still pending for a grant, per region, earliest first.

Computed when read, from each grant's state and the regulation in force that day (the pending deadlines
depend on the day itself, so a stored calendar would go stale overnight); the states come at the version
the read models have reached, so the calendar agrees with the overview next to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable

from domain.deadlines import overdue_decision, pending_deadlines
from domain.regulation import Regulation
from domain.state import GrantState
from domain.values import GrantStatus
from projections.grant_rows import Row


# The longest an ended grant can still have a deadline: the objection term of its last besluit (six weeks from
# the day after it was sent, rolled forward by the Atw), with room to spare.
ENDED_GRANT_HORIZON = dt.timedelta(days=120)


def may_have_deadlines(row: Row, day: dt.date | None = None) -> bool:
    """Whether the grant may still have a deadline on `day`: it runs, or it ended recently (its last besluit,
    a vaststelling or an intrekking, may still be objected to)."""
    if not GrantStatus(row["status"]).is_terminal:
        return True
    if day is None or not row.get("last_effective_at"):
        return False
    ended = dt.datetime.fromisoformat(str(row["last_effective_at"])).date()
    return ended <= day <= ended + ENDED_GRANT_HORIZON


def deadline_calendar(
    grants: Iterable[tuple[Row, GrantState]],
    regulation: Regulation | Callable[[str | None], Regulation],
    day: dt.date,
    within_days: int | None = None,
) -> dict[str, Any]:
    """Pending deadlines due up to `within_days` after `day` (all if None); passed, unhandled ones included.
    `regulation`: one scheme for every grant, or a function from a grant's scheme to its scheme."""
    horizon = day + dt.timedelta(days=within_days) if within_days is not None else None
    scheme_of = regulation if callable(regulation) and not isinstance(regulation, Regulation) else None
    entries = []
    for row, state in grants:
        if scheme_of is not None:
            regulation = scheme_of(state.scheme)
        overdue = overdue_decision(state, regulation, day)
        infos = pending_deadlines(state, regulation, day)
        if overdue is not None and all(i.key != overdue.key for i in infos):
            infos.append(overdue)  # DUS-I's own term has passed and the decision is still to be taken
        for info in infos:
            if horizon is not None and info.due > horizon:
                continue
            entries.append({
                "region_code": row["region_code"],
                "scheme": row.get("scheme"),
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
                "days_late": max(0, (day - info.due).days),
                "addressee": info.addressee.value if info.addressee else None,
                "required_step": info.required_step,
                "consequence": info.consequence,
                "source": info.source,
                "version": info.version,
                "explanation": list(info.explanation),
                # from the grant's last good state: a later record of it is quarantined
                "quarantined": row["quarantined_from"] is not None,
            })
    entries.sort(key=lambda d: (d["due"], d["region_code"], d["key"]))
    return {
        "as_of": day.isoformat(),
        "within_days": within_days,
        "until": horizon.isoformat() if horizon else None,
        "deadlines": entries,
    }
