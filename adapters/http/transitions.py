"""POST /v1/grants/{region}/{transition}: every operator transition, through the grant's workflow.

One route per transition (adapters.operators.transitions), its body the command's own fields plus reason, command_id,
effective_at and expected_version. The token's name and role become the command's actor.
"""

# No `from __future__ import annotations` here: FastAPI reads the generated body types from the signatures.

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, create_model

from adapters.http.access import Access, GuardedRoute, access, bearer, principal
from adapters.http.errors import ERROR_RESPONSES, GRANT_NOT_FOUND, documented
from adapters.http.problems import camel
from adapters.http.versioning import PREFIX
from adapters.engine.sender import result_view
from adapters.operators.tokens import TokenInfo
from adapters.operators.transitions import TRANSITIONS, Transition, work_now
from domain import commands as c
from domain.values import GrantStatus

REGION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{1,31}$"
RegionPath = Annotated[
    str, Path(pattern=REGION_PATTERN, description="region code, e.g. STO-R001 (case does not matter)", examples=["STO-R001"])
]
SCHEME_PATTERN = r"^[a-z0-9][a-z0-9-]{1,40}$"
SchemePath = Annotated[
    str, Path(pattern=SCHEME_PATTERN, description="the scheme (regeling), e.g. sto-2025-2028 (`GET /v1/schemes`)",
              examples=["sto-2025-2028"])
]
# A grant is addressed by its region (its only grant, or its grant in the scheme in force) or, beside that, by
# scheme and region: /v1/grants/{region}/... and /v1/schemes/{scheme}/grants/{region}/...
SCHEMED = "/schemes/{scheme}"


class Waiting(BaseModel):
    """The grant's open work after the transition: the besluit in its stages (or due, not yet drafted), the stage
    that waits next, its role, and who holds the work."""

    procedure: str
    stage: str
    stage_title: str
    role: str
    signs: bool
    drafted: bool
    round: int | None
    besluit_kind: str | None
    claimed_by: str | None


class TransitionResult(BaseModel):
    """What the transition recorded, and what is possible next. A besluit's command only drafts it (event
    BesluitDrafted): `waiting` names the stage that waits next; it takes effect when its signing stage passes."""

    region_code: str
    scheme: str
    transition: str | None
    command_type: str
    command_id: str
    status: GrantStatus
    version: int
    events: list[str]
    duplicate: bool
    allowed_transitions: list[str]
    work_transitions: list[str] = []
    waiting: Waiting | None = None


RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    404: GRANT_NOT_FOUND,
    409: documented("refused by a rule (`rule`, `source`, `hint`: four eyes, a role not granted, a mandate's limit, "
                    "a case another holds, ...), or a conflict with another writer"),
    413: documented("the body is larger than the limit (1 MiB unless configured otherwise)"),
    503: documented("the workflow engine cannot be reached: nothing was sent; retry"),
    504: documented("outcome unknown: sent, but no answer in time (the API already sent it again with the same command_id); "
                 "send it again with the same command_id: the answer says `duplicate` if it was applied"),
}


def body_model(transition: Transition) -> type[BaseModel]:
    """The request body: the command's fields without region_code, actor and type; unknown fields are refused."""
    fields = {name: (info.annotation, info) for name, info in transition.fields().items()}
    model = create_model(
        f"{transition.command_type}Body",
        __config__=ConfigDict(extra="forbid", title=f"{transition.command_type}Body"),
        __doc__=f"{transition.title} `reason` is required; `command_id` makes retries safe.",
        **fields,
    )
    return model


def _endpoint(transition: Transition, scoped: bool):
    Model = body_model(transition)

    async def send_to(request: Request, region: str, scheme: str | None, body: Any, who: TokenInfo) -> TransitionResult:
        actor = c.Actor(name=who.name, role=who.role)
        command = transition.build(region, actor, body.model_dump(), scheme)
        sender = await request.app.state.api.sender()
        view = result_view(await sender.send(command))
        view.update(await asyncio.to_thread(work_now, request.app.state.api.service, view["region_code"], view["scheme"]))
        return TransitionResult(**view)

    if scoped:
        async def send(
            request: Request, scheme: SchemePath, region: RegionPath, body: Annotated[Model, Body()],  # type: ignore[valid-type]
            who: TokenInfo = Depends(principal),
        ) -> TransitionResult:
            return await send_to(request, region, scheme, body, who)
    else:
        async def send(  # type: ignore[misc]
            request: Request, region: RegionPath, body: Annotated[Model, Body()],  # type: ignore[valid-type]
            who: TokenInfo = Depends(principal),
        ) -> TransitionResult:
            return await send_to(request, region, None, body, who)

    send.__name__ = transition.name.replace("-", "_") + ("_in_scheme" if scoped else "")
    return send


def router() -> APIRouter:
    routes = APIRouter(prefix=PREFIX, tags=["transitions"], route_class=GuardedRoute, dependencies=[Depends(bearer)])
    for scoped in (False, True):
        for transition in TRANSITIONS.values():
            routes.add_api_route(
                (SCHEMED if scoped else "") + "/grants/{region}/" + transition.name,
                _endpoint(transition, scoped),
                methods=["POST"],
                response_model=TransitionResult,
                responses=RESPONSES,
                summary=f"{transition.name}: {transition.title}" + (" (the grant of this scheme)" if scoped else ""),
                description=f"{transition.title}\n\nSends `{transition.command_type}` through the grant's workflow"
                + (" of the region's grant in this scheme" if scoped else
                   " (the region's only grant, or for a vooraanmelding the scheme in force; name one with "
                   "`/v1/schemes/{scheme}/grants/...`)")
                + f". {Access.OPERATOR.description}",
                operation_id=camel(transition.name.replace('-', '_') + ("_in_scheme" if scoped else "")),
                openapi_extra=access(Access.OPERATOR),
            )
    return routes
