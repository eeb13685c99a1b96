"""The FastAPI app: the API under /v1 (OpenAPI at /v1/openapi.json, Swagger UI at /docs and ReDoc at /redoc, both
without a CDN), the page at /, health at /v1/health (and /healthz, outside the API, for process supervisors).

The API Design Rules (version 2) shape it: the major version in the path, `API-Version` on every answer, errors as
Problem Details, 400 for invalid input, 404 for a path with a trailing slash (never a redirect), 405 with `Allow`
(adapters.http.errors, adapters.http.openapi, adapters.http.versioning; docs/api-changelog.md).

Outside all of it (even outside the handler of unexpected errors): the security headers, then the limit on the
size of a request body (adapters.http.headers, adapters.http.limits).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import APIRouter, FastAPI, Request
from starlette.types import ASGIApp

from adapters.http import (audit_routes, calendar_routes, design_system, docs, errors, openapi, page, read_routes,
                          letter_routes, metrics_routes, money_routes, subscription_routes, transitions, work_routes)
from adapters.http.access import Access, GuardedRoute, access
from adapters.http.context import ApiContext, ApiSettings
from adapters.http.headers import SecurityHeaders
from adapters.http.limits import BodyLimit
from adapters.observability.tracing import configure_tracing
from adapters.http.versioning import API_VERSION, OPENAPI_URL, PREFIX
from adapters.event_store.store import describe

DESCRIPTION = """Operators send every transition of a grant's lifecycle (through the grant's Temporal workflow);
auditors read everything, with the history, as-of and verify; a region reads its own grant, deadlines, history
and as-of.

Authenticate with `Authorization: Bearer <token>`; tokens come from `sto token create`. Every error is
`application/problem+json` (RFC 9457: `type`, `title`, `status`, `detail`, `instance`) with `code` (the kind of
error) and `hint` (what to do next); a refused transition (409) also names its `rule` and legal `source`, invalid
input (400) every failing field in `invalidParams`. Every answer carries `API-Version`.
Nothing is written when a request fails. By default a body over 1 MiB is 413, and an address with 20 failed tokens
within 60 s gets 429 (with `Retry-After`), valid token or not, until the oldest of them is 60 s old."""


def health_router() -> APIRouter:
    routes = APIRouter(route_class=GuardedRoute, tags=["health"])

    def health(request: Request) -> dict[str, Any]:
        api: ApiContext = request.app.state.api
        return {"ok": True, "store": describe(api.settings.database_url), "temporal": api.settings.temporal.address,
                "business_today": api.clock.today().isoformat()}

    routes.add_api_route(PREFIX + "/health", health, methods=["GET"], openapi_extra=access(Access.PUBLIC),
                         summary="The API is up (no token needed)")
    routes.add_api_route("/healthz", health, methods=["GET"], openapi_extra=access(Access.PUBLIC), include_in_schema=False)
    return routes


class StoApp(FastAPI):
    """FastAPI with the security headers and the body limit around its whole middleware stack."""

    def build_middleware_stack(self) -> ASGIApp:
        api: ApiContext = self.state.api
        return SecurityHeaders(BodyLimit(super().build_middleware_stack(), api.settings.max_body_bytes))


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    configure_tracing("sto-engine")  # with STO_TRACE_FILE: FastAPI opens a server span per request (its route)
    api = ApiContext(settings or ApiSettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics_routes.install(app)
        try:
            yield
        finally:
            metrics_routes.uninstall(app)
            api.close()

    app = StoApp(title="STO grant engine", version=API_VERSION, description=DESCRIPTION, lifespan=lifespan,
                 docs_url=None, redoc_url=None, openapi_url=OPENAPI_URL, redirect_slashes=False,
                 generate_unique_id_function=openapi.operation_id)
    app.state.api = api
    openapi.install(app)
    docs.install(app)
    errors.install(app)
    for module in (transitions, read_routes, audit_routes, work_routes, money_routes):
        app.include_router(module.router())
    app.include_router(health_router())
    app.include_router(metrics_routes.router())
    app.include_router(calendar_routes.router())
    app.include_router(subscription_routes.router())
    app.include_router(letter_routes.router())
    app.include_router(page.router())
    app.include_router(design_system.router())
    app.mount("/static", page.static_files(), name="static")
    return app
