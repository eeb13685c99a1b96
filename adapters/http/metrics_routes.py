"""`/metrics`: the engine's metrics as Prometheus text (adapters/observability), outside the versioned API like
`/healthz`: for the operators' monitoring, no token; it holds counts, never a name, an amount or a region."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from adapters.http.access import Access, GuardedRoute, access
from adapters.http.context import ApiContext
from adapters.observability.metrics import REGISTRY, StoreGauges


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


DAYS_AHEAD = 7  # deadlines due per day, today and the week after


def api_gauges(api: ApiContext) -> StoreGauges:
    """The store's gauges, read through this API's store, views and subscriptions."""

    def webhooks() -> dict[str, int]:
        totals: dict[str, int] = {}
        for per_state in api.subscriptions.counts().values():
            for state, count in per_state.items():
                totals[state] = totals.get(state, 0) + count
        return totals

    def deadlines() -> dict[str, int]:
        calendar = api.reads.deadlines(api.clock.today(), DAYS_AHEAD)
        due = {str(days): 0 for days in range(DAYS_AHEAD + 1)} | {"overdue": 0}
        for entry in calendar["deadlines"]:
            key = "overdue" if entry["overdue"] else str(entry["days_left"])
            due[key] = due.get(key, 0) + 1
        return due

    def letters() -> dict[str, int]:
        service = api.service
        since = service.installation.letters_owed_from
        owed = sum(len(service.state(code, scheme=scheme).besluiten_without_letter(since))
                   for scheme, code in service.grant_keys())
        return {"owed": owed}

    return StoreGauges({"views": api.reads.lag, "webhooks": webhooks, "deadlines": deadlines, "letters": letters})
