"""JSON-shaped views of grants, histories and the calendar: one shape for the CLI, the API and the page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from domain.decide import allowed_commands
from domain.deadlines import overdue_decision, pending_deadlines
from domain.events import GrantEvent
from domain.money import euro
from domain.regulation import DeadlineInfo, Regulation
from domain.state import GrantState
from domain.timekeeping import local_date

COMMON_FIELDS = {
    "originator_id", "originator_version", "timestamp", "actor", "role", "reason", "rule", "legal_basis",
    "effective_at", "command_id", "command_type", "originator_topic",
}


def jsonable(value: Any) -> Any:
    """Plain JSON types: dates as ISO strings, UUIDs as strings, Decimals as strings."""
    return json.loads(json.dumps(value, default=str))


def deadline_view(info: DeadlineInfo) -> dict[str, Any]:
    return info.model_dump(mode="json")


def calendar_view(regulation: Regulation, as_of: dt.date) -> dict[str, Any]:
    in_force = regulation.in_force(as_of)
    return {
        "scheme": regulation.data.scheme_id,
        "regulation": in_force.name,
        "as_of": as_of.isoformat(),
        "versions_in_force": [v.model_dump(mode="json") for v in in_force.versions],
        "terms": [deadline_view(t) for t in in_force.terms],
        "parameters": [p.model_dump(mode="json") for p in in_force.parameters],
    }


def grant_view(state: GrantState, regulation: Regulation, today: dt.date) -> dict[str, Any]:
    """The grant as an operator (or its region) sees it: facts, money, next deadlines, what is possible now."""
    deadlines = pending_deadlines(state, regulation, today)
    overdue = overdue_decision(state, regulation, today)
    if overdue is not None and all(d.key != overdue.key for d in deadlines):
        deadlines.append(overdue)  # DUS-I's own decision term passed: still shown until the decision is taken
    view = state.model_dump(mode="json", exclude={"commands"})
    view["money"] = {
        "requested_cents": state.application.requested_cents if state.application else 0,
        "regional_maximum_cents": state.application.regional_maximum_cents if state.application else 0,
        "granted_per_year_cents": {str(y): a for y, a in sorted(state.granted_per_year.items())},
        "granted_cents": state.granted_cents,
        "extension_cents": state.extension.granted_cents or 0,
        "granted_total_cents": state.granted_total_cents,
        "cofinancing_pledged_cents": state.cofinancing_pledged_cents,
    }
    view["next_deadlines"] = [deadline_view(d) for d in deadlines]
    view["allowed_commands"] = allowed_commands(state, regulation)
    view["as_of"] = today.isoformat()
    return view


def event_row(event: GrantEvent) -> dict[str, Any]:
    """One line of a grant's history: what, when (business and recorded), who, why, under which rule."""
    payload = {k: v for k, v in vars(event).items() if k not in COMMON_FIELDS}
    return {
        "version": event.originator_version,
        "effective_at": event.effective_at.isoformat(),
        "effective_on": local_date(event.effective_at).isoformat(),
        "recorded_at": event.timestamp.isoformat(),
        "event": type(event).__name__,
        "actor": event.actor,
        "role": event.role,
        "reason": event.reason,
        "rule": event.rule,
        "legal_basis": event.legal_basis,
        "command_id": str(event.command_id),
        "command_type": event.command_type,
        "payload": jsonable(payload),
    }


def money(cents: int | None) -> str:
    return euro(cents or 0)
