"""GET /v1/...: who am I, the regulation calendar, the regions overview, deadlines, budget, and one grant.

Reads come from the read models, caught up before every answer. `asOf` is a business day; without it the
API's business day (STO_BUSINESS_EPOCH moves it into the past, see adapters.engine.business_clock).
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types from the signatures.

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from adapters.http.access import Access, GuardedRoute, access, bearer, principal
from adapters.http.disclosure import grant_for
from adapters.http.errors import ERROR_RESPONSES, GRANT_NOT_FOUND
from adapters.http.versioning import PREFIX
from adapters.http.transitions import RegionPath
from adapters.operators.tokens import TokenInfo
from adapters.read_side.presenters import calendar_view
from domain.values import GrantStatus

# Business days the regulation speaks about; outside them a read has nothing to say.
FIRST_DAY, LAST_DAY = dt.date(2018, 1, 1), dt.date(2100, 12, 31)
AsOf = Annotated[
    dt.date | None,
    Query(alias="asOf", description="business day to read as of (YYYY-MM-DD); default: the API's business day", ge=FIRST_DAY, le=LAST_DAY),
]
GRANT_RESPONSES: dict[int | str, dict[str, Any]] = {**ERROR_RESPONSES, 404: GRANT_NOT_FOUND}


class Me(BaseModel):
    name: str
    role: str
    region_code: str | None
    token_id: str
    business_today: dt.date


def _day(request: Request, as_of: dt.date | None) -> dt.date:
    return as_of or request.app.state.api.clock.today()


def router() -> APIRouter:
    routes = APIRouter(prefix=PREFIX, tags=["reads"], route_class=GuardedRoute, dependencies=[Depends(bearer)])

    @routes.get("/me", response_model=Me, responses=ERROR_RESPONSES, openapi_extra=access(Access.ANYONE),
                summary="The token's holder: name (the actor of what it causes), role and region")
    def me(request: Request, who: TokenInfo = Depends(principal)) -> Me:
        return Me(name=who.name, role=who.role.value, region_code=who.region_code, token_id=who.token_id,
                  business_today=request.app.state.api.clock.today())

    @routes.get("/calendar", responses=ERROR_RESPONSES, openapi_extra=access(Access.ANYONE),
                summary="Every deadline of the regulation in force on a day, with its legal source")
    def calendar(request: Request, as_of: AsOf = None) -> dict[str, Any]:
        return calendar_view(request.app.state.api.service.regulation(), _day(request, as_of))

    @routes.get("/regions", responses=ERROR_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="Every region's grant in one line, with the number of grants per status")
    def regions(request: Request, status: Annotated[GrantStatus | None, Query(description="only grants in this status")] = None) -> dict[str, Any]:
        return request.app.state.api.reads.regions(status)

    @routes.get("/deadlines", responses=ERROR_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="Every pending deadline of every grant, earliest first")
    def deadlines(
        request: Request, as_of: AsOf = None,
        within: Annotated[int | None, Query(ge=0, le=3650, description="only deadlines due within DAYS (passed ones always)")] = None,
    ) -> dict[str, Any]:
        return request.app.state.api.reads.deadlines(_day(request, as_of), within)

    @routes.get("/budget", responses=ERROR_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="The budget ledger per region and in total, against the ceilings in force")
    def budget(request: Request, as_of: AsOf = None) -> dict[str, Any]:
        return request.app.state.api.reads.budget(_day(request, as_of))

    @routes.get("/grants/{region}", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="One grant: status, money, pending deadlines and the transitions possible now")
    def grant(request: Request, region: RegionPath, as_of: AsOf = None, who: TokenInfo = Depends(principal)) -> dict[str, Any]:
        return grant_for(who, request.app.state.api.reads.grant(region.upper(), _day(request, as_of)))

    @routes.get("/grants/{region}/deadlines", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="One grant's pending deadlines, earliest first, each with its legal source")
    def grant_deadlines(request: Request, region: RegionPath, as_of: AsOf = None) -> dict[str, Any]:
        view = request.app.state.api.reads.grant(region.upper(), _day(request, as_of))
        return {"region_code": view["region_code"], "status": view["status"], "as_of": view["as_of"], "deadlines": view["deadlines"]}

    return routes
