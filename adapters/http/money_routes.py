"""The money of the grants: GET /v1/grants/{region}/money (and per scheme), GET /v1/money/summary, GET
/v1/payment-batches, and the commands on a grant's ledger as POST /v1/grants/{region}/money/... (and per scheme).

Reads: operators and auditors read every grant's money, the summary and the batches; a region's token reads its
own grant's money only (adapters/read_side/money_view.py `for_region`: amounts, due days, status, end-to-end ids,
suspension, settlement and claims; not who released a payment or recorded and confirmed the bank data, not the
batch), never another's, never the summary or the batches. The account is shown masked to everyone.

Commands: operators only; the token's holder is the acting person, and the domain decides whether they may (four
eyes on bank data and payments, a payment volmacht, Awb 4:56, set-off under mandate): a refusal is 409 with its
`rule` and `source`. They run on the ledger directly, not through the grant's workflow (adapters/operators/
money_commands.py); the answer names the events recorded and the grant's money as it stands now.
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types from the signatures.

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, create_model

from adapters.engine.business_clock import future_margin_from_env
from adapters.http.access import Access, GuardedRoute, access, bearer, principal
from adapters.http.errors import ERROR_RESPONSES, GRANT_NOT_FOUND, documented
from adapters.http.paging import Cursor, PageSize, paged_list
from adapters.http.read_routes import AsOf, SchemeQuery, _day, known
from adapters.http.transitions import SCHEMED, RegionPath, SchemePath
from adapters.http.versioning import PREFIX
from adapters.operators.money_commands import ACTIONS, LedgerAction, execute
from adapters.operators.tokens import TokenInfo
from adapters.read_side.money_view import batches_view, for_region, grant_money, listed_grants, money_summary
from adapters.read_side.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, GrantFilter
from domain.commands import Actor
from domain.values import Role

NumberPath = Annotated[int, Path(ge=1, le=10_000, description="the instalment's number (`GET .../money` lists them)")]
ClaimPath = Annotated[str, Path(pattern=r"^VORD-[A-Za-z0-9-]{3,40}$", description="the claim's number (vorderingsnummer), "
                                "e.g. VORD-STO-R001-2020-05", examples=["VORD-STO-R001-2020-05"])]
READ_RESPONSES: dict[int | str, dict[str, Any]] = {**ERROR_RESPONSES, 404: GRANT_NOT_FOUND}
COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    404: documented("no grant for this region, or its grant holds no money ledger (nothing granted since it exists)"),
    409: documented("refused by a rule (`rule`, `source`, `hint`: four eyes on bank data or payments, a role or "
                    "payment volmacht not held, payments suspended already, ...), or a conflict with another writer"),
    413: documented("the body is larger than the limit (1 MiB unless configured otherwise)"),
}
PATHS = {"account": "account", "confirm-account": "confirm-account", "release": "instalments/{number}/release",
         "suspend": "suspend", "resume": "resume", "set-off": "claims/{claim}/set-off"}
BATCH_KEY_SHAPE = (int,)


class SetOffAgainst(BaseModel):
    """The region's other grant, whose advance the claim was set off against."""

    scheme: str | None
    instalment: int
    events: list[str]
    ledger_version: int


class LedgerResult(BaseModel):
    """What the command recorded on the grant's ledger (and, for a set-off, on the other grant's), and the grant's
    money as it stands now."""

    region_code: str
    scheme: str
    command_type: str
    command_id: str
    effective_at: str | None
    events: list[str]
    ledger_version: int
    against: SetOffAgainst | None = None
    money: dict[str, Any]


def body_model(action: LedgerAction) -> type[BaseModel]:
    """The request body: the command's own fields (not those in the path), reason, command_id and effective_at;
    unknown fields are refused."""
    fields = {name: (info.annotation, info) for name, info in action.body_fields().items()}
    return create_model(f"{action.command_type}Body",
                        __config__=ConfigDict(extra="forbid", title=f"{action.command_type}Body"),
                        __doc__=f"{action.title} `reason` is required.", **fields)


def _run(request: Request, action: LedgerAction, region: str, scheme: str | None, body: BaseModel, who: TokenInfo,
         path: dict[str, Any]) -> LedgerResult:
    api = request.app.state.api
    command = action.build(region.upper(), Actor(name=who.name, role=who.role),
                           {**body.model_dump(exclude_unset=True), **path}, known(scheme))
    answer = execute(api.service, command, api.clock, future_margin_from_env())
    view = grant_money(api.service, answer["region_code"], answer["scheme"], api.clock.today())
    return LedgerResult(**answer, money=view)


def _endpoint(action: LedgerAction, scoped: bool):
    """The route's function: its path parameters are the scheme (when scoped), the region and the action's own."""
    Model = body_model(action)
    name = action.command_type[:1].lower() + action.command_type[1:] + ("InScheme" if scoped else "")

    if action.name == "release":
        def send(request: Request, region: RegionPath, number: NumberPath, body: Annotated[Model, Body()],  # type: ignore[valid-type]
                 who: TokenInfo = Depends(principal)) -> LedgerResult:
            return _run(request, action, region, None, body, who, {"number": number})

        def send_scoped(request: Request, scheme: SchemePath, region: RegionPath, number: NumberPath,
                        body: Annotated[Model, Body()], who: TokenInfo = Depends(principal)) -> LedgerResult:  # type: ignore[valid-type]
            return _run(request, action, region, scheme, body, who, {"number": number})
    elif action.name == "set-off":
        def send(request: Request, region: RegionPath, claim: ClaimPath, body: Annotated[Model, Body()],  # type: ignore[valid-type,misc]
                 who: TokenInfo = Depends(principal)) -> LedgerResult:
            return _run(request, action, region, None, body, who, {"claim": claim})

        send_scoped = send  # type: ignore[assignment]  # the claim's number names its grant: no scheme path
    else:
        def send(request: Request, region: RegionPath, body: Annotated[Model, Body()],  # type: ignore[valid-type,misc]
                 who: TokenInfo = Depends(principal)) -> LedgerResult:
            return _run(request, action, region, None, body, who, {})

        def send_scoped(request: Request, scheme: SchemePath, region: RegionPath,  # type: ignore[misc]
                        body: Annotated[Model, Body()], who: TokenInfo = Depends(principal)) -> LedgerResult:  # type: ignore[valid-type]
            return _run(request, action, region, scheme, body, who, {})

    chosen = send_scoped if scoped else send
    chosen.__name__ = name
    return chosen


def router() -> APIRouter:
    routes = APIRouter(prefix=PREFIX, tags=["money"], route_class=GuardedRoute, dependencies=[Depends(bearer)])

    def money_of(request: Request, region: str, scheme: str | None, as_of: Any, who: TokenInfo) -> dict[str, Any]:
        api = request.app.state.api
        view = grant_money(api.service, region.upper(), known(scheme), _day(request, as_of), as_of_day=as_of is not None)
        return for_region(view) if who.role is Role.REGION else view

    @routes.get("/grants/{region}/money", responses=READ_RESPONSES, openapi_extra=access(Access.GRANT), operation_id="grantMoney",
                summary="One grant's money: commitments per budget year, the instalments (due day, amount, status, "
                        "end-to-end id), the account (masked), a suspension, the settlement and the claims with their "
                        "terms, default, aanmaning, interest and what is outstanding; asOf: as it stood that day")
    def grant_money_view(request: Request, region: RegionPath, as_of: AsOf = None,
                         who: TokenInfo = Depends(principal)) -> dict[str, Any]:
        return money_of(request, region, None, as_of, who)

    @routes.get(SCHEMED + "/grants/{region}/money", responses=READ_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="The money of the region's grant in this scheme")
    def grant_money_in_scheme(request: Request, scheme: SchemePath, region: RegionPath, as_of: AsOf = None,
                              who: TokenInfo = Depends(principal)) -> dict[str, Any]:
        return money_of(request, region, scheme, as_of, who)

    @routes.get("/money/summary", responses=ERROR_RESPONSES, openapi_extra=access(Access.STAFF), operation_id="moneySummary",
                summary="The money of every grant per scheme and budget year (committed, handed over, paid, to be "
                        "settled), per scheme reclaimed, received and outstanding; the advances paid more than a year "
                        "ago on grants not settled; the claims outstanding and their age")
    def money_summary_view(request: Request, as_of: AsOf = None, scheme: SchemeQuery = None) -> dict[str, Any]:
        api = request.app.state.api
        day, wanted = _day(request, as_of), GrantFilter(scheme=known(scheme))
        grants = listed_grants(lambda after: api.reads.regions(wanted, day, MAX_PAGE_SIZE, after))
        return money_summary(api.service, grants, day, as_of_day=as_of is not None)

    @routes.get("/payment-batches", responses=ERROR_RESPONSES, openapi_extra=access(Access.STAFF),
                summary="The payment batches, oldest first, a page at a time: their day, the number and total of their "
                        "instructions, the grants in them and the files they were handed over in (no account numbers)")
    def payment_batches(request: Request, response: Response, page_size: PageSize = DEFAULT_PAGE_SIZE,
                        cursor: Cursor = None) -> dict[str, Any]:
        found = batches_view(request.app.state.api.service)
        return paged_list(request, response, {"total": len(found)}, "batches", found, lambda b: (b["number"],),
                          BATCH_KEY_SHAPE, page_size, cursor)

    for scoped in (False, True):
        for action in ACTIONS.values():
            if scoped and action.name == "set-off":
                continue
            endpoint = _endpoint(action, scoped)
            routes.add_api_route(
                (SCHEMED if scoped else "") + "/grants/{region}/money/" + PATHS[action.name], endpoint,
                methods=["POST"], response_model=LedgerResult, responses=COMMAND_RESPONSES,
                summary=f"{action.name}: {action.title}" + (" (the grant of this scheme)" if scoped else ""),
                description=f"{action.title}\n\nRuns `{action.command_type}` on the grant's money ledger (not through "
                            "the grant's workflow); the token's holder acts, and the domain decides whether they may. "
                            f"{Access.OPERATOR.description}",
                operation_id=endpoint.__name__, openapi_extra=access(Access.OPERATOR))
    return routes
