"""GET /v1/grants/{region}/history, /v1/grants/{region}/as-of/{day}, /v1/audit/verify: the auditor's tools.

A region's token reads its own grant's history and as-of too (its own file; adapters.http.disclosure says what
it does not see); verify covers every grant's records and stays with operators and auditors.
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types from the signatures.

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from adapters.http.access import Access, GuardedRoute, access, bearer, principal
from adapters.http.disclosure import grant_for, history_for
from adapters.http.errors import ERROR_RESPONSES, documented
from adapters.http.paging import Cursor, PageSize, paged_list
from adapters.read_side.paging import DEFAULT_PAGE_SIZE
from adapters.http.versioning import PREFIX
from adapters.http.read_routes import FIRST_DAY, GRANT_RESPONSES, LAST_DAY, known
from adapters.http.transitions import SCHEMED, RegionPath, SchemePath
from adapters.operators.tokens import TokenInfo

VERSION_KEY_SHAPE = (int,)  # an event's version in its grant


def history_page(request: Request, response: Response, view: dict[str, Any], page_size: int,
                 cursor: str | None) -> dict[str, Any]:
    """A grant's history a page at a time, oldest event first (the key: the event's version)."""
    return paged_list(request, response, view, "events", view["events"], lambda e: (e["version"],), VERSION_KEY_SHAPE,
                      page_size, cursor)


VERIFY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES, 409: documented("this store keeps no hash chain (in memory)"),
}


def router() -> APIRouter:
    routes = APIRouter(prefix=PREFIX, tags=["audit"], route_class=GuardedRoute, dependencies=[Depends(bearer)])

    Day = Annotated[dt.date, Path(description="YYYY-MM-DD", ge=FIRST_DAY, le=LAST_DAY)]

    @routes.get("/grants/{region}/history", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="Every event of the grant: both times, actor and role, reason, rule, legal basis and its facts")
    def history(request: Request, response: Response, region: RegionPath, who: TokenInfo = Depends(principal),
                page_size: PageSize = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> dict[str, Any]:
        view = history_for(who, request.app.state.api.reads.history(region.upper()))
        return history_page(request, response, view, page_size, cursor)

    @routes.get(SCHEMED + "/grants/{region}/history", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="Every event of the region's grant in this scheme, with both times, who, why, rule and legal basis")
    def history_in_scheme(request: Request, response: Response, scheme: SchemePath, region: RegionPath,
                          who: TokenInfo = Depends(principal), page_size: PageSize = DEFAULT_PAGE_SIZE,
                          cursor: Cursor = None) -> dict[str, Any]:
        view = history_for(who, request.app.state.api.reads.history(region.upper(), known(scheme)))
        return history_page(request, response, view, page_size, cursor)

    @routes.get("/grants/{region}/as-of/{day}", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="The grant as it stood at the end of DAY (business time), with the regulation then in force")
    def as_of(request: Request, region: RegionPath, day: Day, who: TokenInfo = Depends(principal)) -> dict[str, Any]:
        return grant_for(who, request.app.state.api.reads.as_of(region.upper(), day))

    @routes.get(SCHEMED + "/grants/{region}/as-of/{day}", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="The region's grant in this scheme as it stood at the end of DAY, with the scheme's rules then in force")
    def as_of_in_scheme(request: Request, scheme: SchemePath, region: RegionPath, day: Day,
                        who: TokenInfo = Depends(principal)) -> dict[str, Any]:
        return grant_for(who, request.app.state.api.reads.as_of(region.upper(), day, known(scheme)))

    @routes.get("/audit/verify", responses=VERIFY_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="Check the hash chain over every stored event (and chain the new ones); `ok` false names the first bad record")
    def verify(
        request: Request,
        extend: Annotated[bool, Query(description="also chain the records stored since the head")] = True,
        anchor: Annotated[str | None, Query(pattern="^[0-9a-f]{64}$", description="a chain head hash recorded earlier that must still be in the chain")] = None,
    ) -> dict[str, Any]:
        return request.app.state.api.reads.verify(extend, anchor)

    return routes
