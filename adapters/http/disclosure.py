"""What a region's token sees of its own grant: everything, except where the grant stands in the global log.

The notification position (`position` of a grant view and of each history event) counts the events of every
grant: it moves when another region's grant changes, so a region reading it learns about the others. A region
token reads its grant's own `version` instead; operators and auditors keep the position (the read models'
catch-up, the audit chain).
"""

from __future__ import annotations

from typing import Any

from adapters.operators.tokens import TokenInfo
from domain.values import Role

GLOBAL_FIELDS = frozenset({"position"})


def _without_global(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key not in GLOBAL_FIELDS}


def grant_for(who: TokenInfo, view: dict[str, Any]) -> dict[str, Any]:
    """One grant's view (grant, deadlines, as-of) as `who` may see it."""
    return _without_global(view) if who.role is Role.REGION else view


def history_for(who: TokenInfo, view: dict[str, Any]) -> dict[str, Any]:
    """One grant's history as `who` may see it."""
    if who.role is not Role.REGION:
        return view
    return {**_without_global(view), "events": [_without_global(event) for event in view["events"]]}
