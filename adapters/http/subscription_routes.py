"""/v1/subscriptions: operators manage the webhooks of other systems, see their deliveries and dead letters, and
send dead letters again (the same as `sto subscriptions`; adapters/notify/subscriptions.py)."""

# No `from __future__ import annotations`: FastAPI reads the parameter types from the signatures.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.access import Access, GuardedRoute, access, bearer, principal
from adapters.http.errors import ERROR_RESPONSES, ApiError, documented
from adapters.http.paging import Cursor, PageSize, after, paged_list  # paging: adapters/http/paging.py (issue 25)
from adapters.read_side.paging import DEFAULT_PAGE_SIZE
from adapters.notify.subscriptions import STATES, SubscriptionStore
from adapters.operators.tokens import TokenInfo
from adapters.read_side.notification_sources import notification_source

SubscriptionId = Annotated[str, Path(alias="subscriptionId", description="the subscription's id", pattern=r"^[0-9a-f]{8}$")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {**ERROR_RESPONSES, 404: documented("no such subscription")}


class NewSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    callback_url: str = Field(max_length=2000, description="where the events are POSTed (https in production)")
    region_code: str = Field(max_length=32, description="the region whose grant's events are sent, or `*` for every region")
    event_types: list[str] = Field(default_factory=list, max_length=50,
                                   description="only these types (e.g. nl.sterktechniekonderwijs.grant.grant-approved); empty: all")
    from_start: bool = Field(False, description="send the whole history too (default: only what happens from now on)")


class Redelivery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str | None = Field(None, max_length=64, description="only this event (dead or delivered); default: every dead letter")


def _store(request: Request) -> SubscriptionStore:
    return request.app.state.api.subscriptions


def _refused(error: ValueError) -> ApiError:
    return ApiError("invalid_input", str(error), "correct the subscription and send it again; nothing was stored")


def router() -> APIRouter:
    routes = APIRouter(prefix="/v1", tags=["subscriptions"], route_class=GuardedRoute, dependencies=[Depends(bearer)])

    @routes.get("/subscriptions", responses=ERROR_RESPONSES, openapi_extra=access(Access.OPERATOR),
                summary="The webhook subscriptions (never their secrets), each with its deliveries per state (dead letters too)")
    def list_subscriptions(request: Request, response: Response, page_size: PageSize = DEFAULT_PAGE_SIZE,
                           cursor: Cursor = None) -> dict[str, Any]:
        store = _store(request)
        counts, empty = store.counts(), dict.fromkeys(STATES, 0)
        found = [{**s.to_dict(), "deliveries": counts.get(s.subscription_id, empty)} for s in store.list()]
        body = {"dead_letters": sum(s["deliveries"]["dead"] for s in found)}  # over every subscription, not the page's
        return paged_list(request, response, body, "subscriptions", found,
                          lambda s: (s["created_at"], s["subscription_id"]), (str, str), page_size, cursor)

    @routes.post("/subscriptions", status_code=201, responses=ERROR_RESPONSES, openapi_extra=access(Access.OPERATOR),
                 summary="Subscribe a system; the answer holds its signing secret, shown only this once")
    def add(request: Request, body: NewSubscription, who: TokenInfo = Depends(principal)) -> dict[str, Any]:
        start = 0
        if not body.from_start:
            source = notification_source(request.app.state.api.service)
            try:
                start = source.last()
            finally:
                source.close()
        try:
            subscription, secret = _store(request).add(body.callback_url, body.region_code, body.event_types,
                                                       created_by=who.name, from_position=start)
        except ValueError as error:
            raise _refused(error) from None
        return {**subscription.to_dict(), "secret": secret}

    @routes.delete("/subscriptions/{subscriptionId}", responses=NOT_FOUND, openapi_extra=access(Access.OPERATOR),
                   summary="End a subscription: nothing more is sent, what was still to be sent is cancelled")
    def remove(request: Request, subscription_id: SubscriptionId, who: TokenInfo = Depends(principal)) -> dict[str, Any]:
        return _store(request).remove(subscription_id, removed_by=who.name).to_dict()

    @routes.get("/subscriptions/{subscriptionId}/deliveries", responses=NOT_FOUND, openapi_extra=access(Access.OPERATOR),
                summary="A subscription's deliveries: event id, type, region, state, attempts, last error")
    def deliveries(request: Request, response: Response, subscription_id: SubscriptionId,
                   state: Annotated[str | None, Query(description=f"only this state: {', '.join(STATES)}", pattern="^(" + "|".join(STATES) + ")$")] = None,
                   page_size: PageSize = DEFAULT_PAGE_SIZE, cursor: Cursor = None,
                   ) -> dict[str, Any]:
        # keyset on the delivery's log position (unique within a subscription): the store reads one page and one more
        start = after(cursor, (int,))
        rows = _store(request).deliveries(subscription_id, state, limit=page_size + 1,
                                          after_position=start[0] if start else None)
        return paged_list(request, response, {"subscription_id": subscription_id}, "deliveries", rows,
                          lambda d: (d["position"],), (int,), page_size, cursor)

    @routes.post("/subscriptions/{subscriptionId}/redeliveries", responses=NOT_FOUND, openapi_extra=access(Access.OPERATOR),
                 summary="Send the dead letters again (or one event); the grant's later events follow in order")
    def redeliver(request: Request, subscription_id: SubscriptionId, body: Redelivery) -> dict[str, Any]:
        return {"subscription_id": subscription_id, "requeued": _store(request).redeliver(subscription_id, body.event_id)}

    return routes
