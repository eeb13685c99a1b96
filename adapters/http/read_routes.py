"""GET /v1/...: who am I, the regulation calendar, the regions overview, deadlines, budget, and one grant.

Reads come from the read models, caught up before every answer. `asOf` is a business day; without it the
API's business day (STO_BUSINESS_EPOCH moves it into the past, see adapters.engine.business_clock).
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types from the signatures.

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from adapters.http.access import Access, GuardedRoute, access, bearer, principal
from adapters.http.disclosure import grant_for
from adapters.http.errors import ERROR_RESPONSES, GRANT_NOT_FOUND
from adapters.http.paging import Cursor, PageSize, after, paged, paged_list
from adapters.read_side.paging import (DEADLINE_KEY_SHAPE, DEFAULT_PAGE_SIZE, GRANT_KEY_SHAPE, MAX_SEARCH_LENGTH, STAGES,
                                       GrantFilter, deadline_key)
from adapters.http.versioning import PREFIX
from adapters.http.transitions import SCHEME_PATTERN, SCHEMED, RegionPath, SchemePath
from domain.errors import InvalidInput
from domain.regulation.schemes import UnknownScheme, scheme_ids, scheme_in_force
from domain.regulation.schemes import scheme as shipped_scheme
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
SchemeQuery = Annotated[
    str | None, Query(pattern=SCHEME_PATTERN, description="only grants of this scheme (regeling), e.g. sto-2025-2028")
]


RegionKind = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="only grants of regions of this kind (e.g. regular)")]
Stage = Annotated[str | None, Query(pattern="^(" + "|".join(STAGES) + ")$",
                                    description="only grants in this stage of their life: " + "; ".join(
                                        f"{stage} ({', '.join(statuses)})" for stage, statuses in STAGES.items()))]
Search = Annotated[str | None, Query(alias="q", max_length=MAX_SEARCH_LENGTH,
                                     description="only grants whose region code, region name or penvoerder's name holds this text (any case)")]
Within = Annotated[int | None, Query(ge=0, le=3650, description="only grants with a pending deadline due within DAYS of the business day (passed ones count)")]
SCHEME_KEY_SHAPE = (str,)


def known(scheme: str | None) -> str | None:
    """The scheme named in a path or query, if the engine knows it; else invalid input (400) naming the known ones."""
    if scheme is not None and scheme not in scheme_ids():
        raise InvalidInput(f"no scheme {scheme!r}; the engine knows {', '.join(scheme_ids())}", field="scheme",
                           hint="`GET /v1/schemes` lists the schemes")
    return scheme


def scheme_view(scheme_id: str, day: dt.date) -> dict[str, Any]:
    data = shipped_scheme(scheme_id).data
    assert data.scheme is not None
    return {
        **data.scheme.model_dump(mode="json"),
        "in_force_today": scheme_in_force(day) == scheme_id,
        "steps": [{**s.model_dump(mode="json", exclude={"source"}), "source": s.source.label() if s.source else None}
                  for s in data.steps],
        "application_rounds": [r.model_dump(mode="json") for r in data.application_rounds],
        "deadlines": [d.model_dump(mode="json") for d in data.deadlines],
        "region_kinds": [k.model_dump(mode="json", exclude={"source"}) for k in data.region_kinds],
    }


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

    @routes.get("/schemes", responses=ERROR_RESPONSES, openapi_extra=access(Access.ANYONE),
                summary="The schemes (regelingen) the engine runs, and which is in force on the business day")
    def schemes(request: Request, response: Response, page_size: PageSize = DEFAULT_PAGE_SIZE,
                cursor: Cursor = None) -> dict[str, Any]:
        day = _day(request, None)
        return paged_list(request, response, {"as_of": day.isoformat(), "in_force": scheme_in_force(day)}, "schemes",
                          [scheme_view(s, day) for s in scheme_ids()], lambda s: (s["id"],), SCHEME_KEY_SHAPE,
                          page_size, cursor)

    @routes.get("/schemes/{scheme}", responses=ERROR_RESPONSES, openapi_extra=access(Access.ANYONE),
                summary="One scheme: its steps and the states they are allowed from, rounds, deadlines and region kinds")
    def one_scheme(request: Request, scheme: SchemePath) -> dict[str, Any]:
        return scheme_view(known(scheme) or scheme, _day(request, None))

    @routes.get("/calendar", responses=ERROR_RESPONSES, openapi_extra=access(Access.ANYONE),
                summary="Every deadline of a scheme in force on a day, with its legal source (default: the scheme in force)")
    def calendar(request: Request, as_of: AsOf = None, scheme: SchemeQuery = None) -> dict[str, Any]:
        day = _day(request, as_of)
        try:
            regulation = request.app.state.api.service.regulation(known(scheme) or scheme_in_force(day))
        except UnknownScheme as error:
            raise InvalidInput(str(error), field="scheme", hint="`GET /v1/schemes` lists the schemes") from None
        return calendar_view(regulation, day)

    @routes.get("/regions", responses=ERROR_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="The grants, a page at a time in the order of region code and scheme (a region has one per scheme), "
                        "narrowed by status, stage, scheme, kind, a text and a deadline; with the number of grants per status")
    def regions(request: Request, response: Response,
                status: Annotated[GrantStatus | None, Query(description="only grants in this status")] = None,
                scheme: SchemeQuery = None, kind: RegionKind = None, stage: Stage = None, q: Search = None,
                within: Within = None, page_size: PageSize = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> dict[str, Any]:
        wanted = GrantFilter(status=status.value if status else None, scheme=known(scheme), kind=kind, stage=stage,
                             q=q.strip() if q and q.strip() else None, within_days=within)
        view = request.app.state.api.reads.regions(wanted, _day(request, None), page_size,
                                                   after(cursor, GRANT_KEY_SHAPE))
        return paged(request, response, view, view.pop("next_key"), page_size)

    @routes.get("/deadlines", responses=ERROR_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="Every pending deadline of every grant, earliest first, a page at a time")
    def deadlines(
        request: Request, response: Response, as_of: AsOf = None,
        within: Annotated[int | None, Query(ge=0, le=3650, description="only deadlines due within DAYS (passed ones always)")] = None,
        scheme: SchemeQuery = None, page_size: PageSize = DEFAULT_PAGE_SIZE, cursor: Cursor = None,
    ) -> dict[str, Any]:
        view = request.app.state.api.reads.deadlines(_day(request, as_of), within, known(scheme))
        return paged_list(request, response, view, "deadlines", view["deadlines"], deadline_key, DEADLINE_KEY_SHAPE,
                          page_size, cursor)

    @routes.get("/budget", responses=ERROR_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="The budget ledger of one scheme per region and in total, against its ceilings in force")
    def budget(request: Request, as_of: AsOf = None, scheme: SchemeQuery = None) -> dict[str, Any]:
        return request.app.state.api.reads.budget(_day(request, as_of), known(scheme))

    def grant_view(request: Request, region: str, scheme: str | None, as_of: dt.date | None, who: TokenInfo) -> dict[str, Any]:
        return grant_for(who, request.app.state.api.reads.grant(region.upper(), _day(request, as_of), known(scheme)))

    def deadlines_view(request: Request, response: Response, region: str, scheme: str | None, as_of: dt.date | None,
                       page_size: int, cursor: str | None) -> dict[str, Any]:
        view = request.app.state.api.reads.grant(region.upper(), _day(request, as_of), known(scheme))
        body = {"region_code": view["region_code"], "scheme": view["scheme"], "status": view["status"],
                "as_of": view["as_of"]}
        return paged_list(request, response, body, "deadlines", view["deadlines"], deadline_key, DEADLINE_KEY_SHAPE,
                          page_size, cursor)

    @routes.get("/grants/{region}", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="One grant: status, money, pending deadlines and the transitions its scheme allows now")
    def grant(request: Request, region: RegionPath, as_of: AsOf = None, who: TokenInfo = Depends(principal)) -> dict[str, Any]:
        return grant_view(request, region, None, as_of, who)

    @routes.get(SCHEMED + "/grants/{region}", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="The region's grant in this scheme: status, money, pending deadlines and the transitions possible now")
    def grant_in_scheme(request: Request, scheme: SchemePath, region: RegionPath, as_of: AsOf = None,
                        who: TokenInfo = Depends(principal)) -> dict[str, Any]:
        return grant_view(request, region, scheme, as_of, who)

    @routes.get("/grants/{region}/deadlines", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="One grant's pending deadlines, earliest first, each with its legal source")
    def grant_deadlines(request: Request, response: Response, region: RegionPath, as_of: AsOf = None,
                        page_size: PageSize = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> dict[str, Any]:
        return deadlines_view(request, response, region, None, as_of, page_size, cursor)

    @routes.get(SCHEMED + "/grants/{region}/deadlines", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="The pending deadlines of the region's grant in this scheme, each with its legal source")
    def grant_deadlines_in_scheme(request: Request, response: Response, scheme: SchemePath, region: RegionPath,
                                  as_of: AsOf = None, page_size: PageSize = DEFAULT_PAGE_SIZE,
                                  cursor: Cursor = None) -> dict[str, Any]:
        return deadlines_view(request, response, region, scheme, as_of, page_size, cursor)

    return routes
