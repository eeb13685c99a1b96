"""GET /v1/work-items, /v1/grants/{region}/case and /v1/mandates: the work queue, one case, and the organisation
register, for operators and auditors. The work on a case (pass, send-back, claim, release, assign) is POSTed as
every other transition (adapters/http/transitions.py), as the token's holder.

A region's token sees none of this (403): not the queue, not who holds or took which stage of its case. `mine`
and `myRoles` are about the token's holder; whether someone may take a stage is asked of the domain's rules
(adapters/read_side/work.py), never decided here.
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types from the signatures.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from adapters.http.access import Access, GuardedRoute, access, bearer, principal
from adapters.http.errors import ERROR_RESPONSES
from adapters.http.paging import Cursor, PageSize, after, paged, paged_list
from adapters.http.read_routes import GRANT_RESPONSES, AsOf, SchemeQuery, _day, known
from adapters.http.transitions import SCHEMED, RegionPath, SchemePath
from adapters.http.versioning import PREFIX
from adapters.operators.tokens import TokenInfo
from adapters.read_side.mandates import mandates_view
from adapters.read_side.paging import DEFAULT_PAGE_SIZE
from adapters.read_side.work import WORK_KEY_SHAPE, WorkQuery
from domain.errors import InvalidInput

StageQuery = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,40}$",
                                         description="only work waiting in this stage, e.g. interne_controle")]


def router() -> APIRouter:
    routes = APIRouter(prefix=PREFIX, tags=["work"], route_class=GuardedRoute, dependencies=[Depends(bearer)])

    @routes.get("/work-items", responses=ERROR_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="The open work, oldest first, a page at a time: per grant the stage its besluit waits in (or "
                        "the besluit due, not yet drafted), its role, who drafted it and took which stage, who holds "
                        "it, and the decision term")
    def work_items(
        request: Request, response: Response,
        mine: Annotated[bool, Query(description="only the work the token's holder holds (claimed or assigned)")] = False,
        my_roles: Annotated[bool, Query(alias="myRoles", description="only the stages the token's holder may take: "
                                        "a role they hold for the scheme, four eyes, not held by another")] = False,
        unassigned: Annotated[bool, Query(description="only the work nobody holds")] = False,
        scheme: SchemeQuery = None, stage: StageQuery = None,
        due_within: Annotated[int | None, Query(alias="dueWithin", ge=0, le=3650, description="only work whose "
                                                "decision term ends within DAYS of the business day (passed ones count)")] = None,
        as_of: AsOf = None, page_size: PageSize = DEFAULT_PAGE_SIZE, cursor: Cursor = None,
        who: TokenInfo = Depends(principal),
    ) -> dict[str, Any]:
        if mine and unassigned:
            raise InvalidInput("mine and unassigned exclude each other", field="query.unassigned",
                               hint="ask for one of them")
        query = WorkQuery(person=who.name, mine=mine, my_roles=my_roles, unassigned=unassigned, scheme=known(scheme),
                          stage=stage, due_within=due_within)
        view = request.app.state.api.reads.work_items(query, _day(request, as_of), page_size,
                                                      after(cursor, WORK_KEY_SHAPE))
        return paged(request, response, view, view.pop("next_key"), page_size)

    def case(request: Request, region: str, scheme: str | None, as_of: Any) -> dict[str, Any]:
        return request.app.state.api.reads.case(region.upper(), _day(request, as_of), known(scheme))

    @routes.get("/grants/{region}/case", responses=GRANT_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="One grant's case: the stages its besluit took (who, role, when, answers, reason), the stage "
                        "open now with its checklist and the JSON Schema of its answers, who holds it, who may take it")
    def grant_case(request: Request, region: RegionPath, as_of: AsOf = None) -> dict[str, Any]:
        return case(request, region, None, as_of)

    @routes.get(SCHEMED + "/grants/{region}/case", responses=GRANT_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="The case of the region's grant in this scheme: stages taken, the open stage, who may take it")
    def grant_case_in_scheme(request: Request, scheme: SchemePath, region: RegionPath, as_of: AsOf = None) -> dict[str, Any]:
        return case(request, region, scheme, as_of)

    @routes.get("/mandates", responses=ERROR_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="The organisation register: its versions (valid from, source), and as in force on a day the "
                        "people with their roles per scheme and the mandates (limits, on whose behalf, chain, signature)")
    def mandates(request: Request, response: Response, as_of: AsOf = None, page_size: PageSize = DEFAULT_PAGE_SIZE,
                 cursor: Cursor = None) -> dict[str, Any]:
        view = mandates_view(_day(request, as_of))  # the mandates in pages (by id); versions and people whole
        return paged_list(request, response, view, "mandates", view["mandates"], lambda m: (m["id"],), (str,),
                          page_size, cursor)

    return routes
