"""`/metrics`: the engine's metrics as Prometheus text (adapters/observability), outside the versioned API like
`/healthz`: for the operators' monitoring, no token; it holds counts, never a name, an amount or a region."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from adapters.http.access import Access, GuardedRoute, access
from adapters.observability.metrics import REGISTRY
from adapters.observability.sources import api_gauges


def install(app) -> None:
    """Register the gauges of this app's store once, in the process's registry."""
    gauges = api_gauges(app.state.api)
    app.state.metrics_gauges = gauges
    REGISTRY.register(gauges)


def uninstall(app) -> None:
    gauges = getattr(app.state, "metrics_gauges", None)
    if gauges is not None:
        REGISTRY.unregister(gauges)
        app.state.metrics_gauges = None


def router() -> APIRouter:
    routes = APIRouter(route_class=GuardedRoute, tags=["health"])

    def metrics(request: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    routes.add_api_route("/metrics", metrics, methods=["GET"], openapi_extra=access(Access.PUBLIC), include_in_schema=False)
    return routes
