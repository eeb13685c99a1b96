"""What a region's token sees of its own grant: everything, except where the grant stands in the global log, and
DUS-I's own handling of its case.

The notification position (`position` of a grant view and of each history event) counts the events of every
grant: it moves when another region's grant changes, so a region reading it learns about the others. A region
token reads its grant's own `version` instead; operators and auditors keep the position (the read models'
catch-up, the audit chain).

The handling of a besluit inside DUS-I is not the region's: the drafts, the stages with their checklists and
internal notes, who holds the case (the work queue). A region reads the besluit once it is taken (its event, its
letter and the signature it carries), not the events of its stages and claims, nor the state's `case` and
`claim`, nor a besluit's `stages`.
"""

from __future__ import annotations

from typing import Any

from adapters.operators.tokens import TokenInfo
from domain.values import Role

GLOBAL_FIELDS = frozenset({"position"})
INTERNAL_EVENTS = frozenset({"BesluitDrafted", "StagePassed", "BesluitSentBack", "BesluitSigned", "CaseClaimed",
                             "CaseReleased"})
INTERNAL_COMMANDS = frozenset({"PassStage", "SendBackStage", "ClaimCase", "ReleaseCase", "AssignCase"})


def _without_global(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key not in GLOBAL_FIELDS}


def _without_case(state: dict[str, Any]) -> dict[str, Any]:
    """A grant's state (as `sto grant show` dumps it) without DUS-I's handling of its case."""
    seen = {key: value for key, value in state.items() if key not in ("case", "claim", "waiting", "work_transitions")}
    if "besluiten" in seen:
        seen["besluiten"] = [{k: v for k, v in b.items() if k != "stages"} for b in seen["besluiten"]]
    if "allowed_commands" in seen:
        seen["allowed_commands"] = [name for name in seen["allowed_commands"] if name not in INTERNAL_COMMANDS]
    return seen


def grant_for(who: TokenInfo, view: dict[str, Any]) -> dict[str, Any]:
    """One grant's view (grant, deadlines, as-of) as `who` may see it."""
    if who.role is not Role.REGION:
        return view
    seen = _without_case(_without_global(view))
    if isinstance(seen.get("grant"), dict):  # as-of: the state at the end of the day
        seen["grant"] = _without_case(seen["grant"])
    for key in ("last_event", "next_event"):
        if isinstance(seen.get(key), dict) and seen[key].get("event") in INTERNAL_EVENTS:
            seen[key] = {**seen[key], "payload": None}
    return seen


def history_for(who: TokenInfo, view: dict[str, Any]) -> dict[str, Any]:
    """One grant's history as `who` may see it."""
    if who.role is not Role.REGION:
        return view
    return {**_without_global(view),
            "events": [_without_global(event) for event in view["events"] if event["event"] not in INTERNAL_EVENTS]}
