"""Where the store's gauges come from, in a process that has the API's context (`sto serve`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.observability.metrics import StoreGauges

if TYPE_CHECKING:
    from adapters.http.context import ApiContext

DAYS_AHEAD = 7  # deadlines due per day, today and the week after


def api_gauges(api: "ApiContext") -> StoreGauges:
    def views() -> dict[str, Any]:
        reads = api.reads
        with reads._lock:  # the read models share one connection with the API's reads
            models = reads.models
            position, last = models.store.position(), models.follower.source.last()
            return {"lag": max(last - position, 0), "quarantined_records": models.store.quarantined_count()}

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
        owed = sum(len(service.state(code, scheme=scheme).besluiten_without_letter())
                   for scheme, code in service.grant_keys())
        return {"owed": owed}

    return StoreGauges({"views": views, "webhooks": webhooks, "deadlines": deadlines, "letters": letters})
