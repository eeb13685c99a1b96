"""GET /v1/calendar-feeds/{secret}: a region's deadlines, or DUS-I's own decision terms, as a calendar feed.

A calendar program sends no bearer token, so the URL's secret is the key (adapters/operators/calendar_secrets.py:
one per region and one for the back office, issued and revoked with `sto token calendar`). A secret that is
unknown, malformed or revoked gets 404, the same answer as a feed that never existed, and counts as a failed
authentication of the client's address (adapters/http/limits.py). The feed is as of the API's business day.
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types from the signatures.

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from adapters.http.access import Access, GuardedRoute, access, too_many_failures
from adapters.http.errors import ERROR_RESPONSES, ApiError, documented
from adapters.http.limits import client_key
from adapters.operators.calendar_secrets import BACK_OFFICE, CalendarSecrets
from adapters.read_side.calendar_feed import MEDIA_TYPE, back_office_entries, build_feed, money_entries

Secret = Annotated[str, Path(description="the feed's secret, from `sto token calendar REGION` (or `back-office`)",
                             min_length=1, max_length=100)]
RESPONSES = {
    200: {"content": {"text/calendar": {}}, "description": "an RFC 5545 calendar"},
    404: documented("no feed at this address (its secret is unknown, replaced or revoked)"),
    **{status: body for status, body in ERROR_RESPONSES.items() if status in (422, 429)},
}


def _not_found() -> ApiError:
    return ApiError("not_found", "no calendar feed at this address",
                    "the feed's secret may have been revoked or replaced: ask DUS-I for the current address "
                    "(operators issue it with `sto token calendar REGION`)")


def router() -> APIRouter:
    routes = APIRouter(tags=["calendar"], route_class=GuardedRoute)

    @routes.get("/v1/calendar-feeds/{secret}", openapi_extra=access(Access.PUBLIC),
                responses=RESPONSES,
                summary="A region's deadlines (or DUS-I's decision terms) as a calendar feed; the secret in the URL is the key")
    def feed(request: Request, secret: Secret) -> Response:
        api = request.app.state.api
        address = client_key(request.client.host if request.client else None)
        wait = api.auth_failures.retry_after(address)
        if wait is not None:
            raise too_many_failures(wait)
        secrets: CalendarSecrets = api.calendar_secrets
        scope = secrets.scope(secret)
        if scope is None:
            api.auth_failures.failed(address)
            raise _not_found()
        day = api.clock.today()
        if scope == BACK_OFFICE:
            entries = back_office_entries(api.reads.deadlines(day, None)["deadlines"])
        else:
            # every grant of the region, one per scheme; none yet (not pre-registered): an empty calendar, not an error
            views = api.reads.grants(scope, day)
            entries = [d for view in views for d in view["deadlines"]]
            entries += money_entries(api.service, scope, [view["scheme"] for view in views])  # payment days, claim terms
        body = build_feed(scope, entries, secrets)
        return Response(body, media_type=MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"})

    return routes
