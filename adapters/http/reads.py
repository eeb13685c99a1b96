"""The API's reads: the read models of its store (catch up, then read), one caller at a time.

The facade (adapters.read_side.read_models.ReadModels) holds one connection to the views; requests run in a thread
pool, so every read takes the lock. One grant is read from its row in the views, with its pending deadlines
computed by the projections' deadline calendar from the grant's state at the row's version.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from adapters.audit import chain as audit_chain
from adapters.read_side.as_of import as_of_view
from adapters.read_side.paging import GrantFilter
from adapters.read_side.case_view import case_view
from adapters.read_side.read_models import ReadModels
from adapters.read_side.work import WorkQuery
from adapters.operators.transitions import allowed_transitions, waiting, work_transitions
from domain.errors import DomainError, GrantNotFound
from adapters.event_store.service import GrantService
from projections.deadline_calendar import deadline_calendar
from projections.overview import region_view


class NoChain(DomainError):
    code = "no_audit_chain"

    def __init__(self) -> None:
        super().__init__("the in-memory store keeps no hash chain", hint="verify a SQLite or PostgreSQL store")


class ReadGateway:
    def __init__(self, service: GrantService, url: str | None):
        self.service = service
        self.models = ReadModels(service, url)
        self._lock = threading.Lock()

    def regions(self, wanted: GrantFilter, day: dt.date, size: int, after: tuple | None) -> dict[str, Any]:
        """One page of the grants list (ReadModels.regions)."""
        with self._lock:
            return self.models.regions(wanted=wanted, day=day, size=size, after=after)

    def work_items(self, query: WorkQuery, day: dt.date, size: int, after: tuple | None) -> dict[str, Any]:
        """One page of the work queue (ReadModels.work_items)."""
        with self._lock:
            return self.models.work_items(query, day, size, after)

    def case(self, region_code: str, day: dt.date, scheme: str | None = None) -> dict[str, Any]:
        """One grant's case (adapters/read_side/case_view.py), from its state."""
        state = self.service.state(region_code, scheme=scheme)
        return case_view(state, self.service.regulation(state.scheme), day)

    def lag(self) -> dict[str, int]:
        """How far the views are behind the store, and what they quarantined, without catching up (for /metrics)."""
        with self._lock:
            store = self.models.store
            position, last = store.position(), self.models.follower.source.last()
            return {"lag": max(last - position, 0), "quarantined_records": store.quarantined_count()}

    def deadlines(self, day: dt.date, within_days: int | None, scheme: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self.models.deadlines(day, within_days, scheme)

    def budget(self, day: dt.date, scheme: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self.models.budget(day, scheme)

    def history(self, region_code: str, scheme: str | None = None) -> dict[str, Any]:
        with self._lock:
            events = self.models.history(region_code, facts=True, scheme=scheme)
        return {"region_code": region_code, "scheme": scheme, "events": events}

    def grant(self, region_code: str, day: dt.date, scheme: str | None = None) -> dict[str, Any]:
        """One grant as the overview shows it, with its pending deadlines on `day` and the transitions its scheme
        allows now (`scheme` None: the region's only grant, or its newest)."""
        with self._lock:
            self.models.refresh()
            row = self.models.store.grant_row(region_code, scheme)
            position = self.models.store.position()
        if row is None:
            raise GrantNotFound(region_code)
        state = self.service.state(region_code, version=row["version"], scheme=row["scheme"])
        regulation = self.service.regulation(row["scheme"])
        view = region_view(row)
        view["deadlines"] = deadline_calendar([(row, state)], regulation, day)["deadlines"]
        view["allowed_transitions"] = allowed_transitions(row["status"], regulation)
        view["work_transitions"] = work_transitions(state, regulation)  # the stage to pass, the work to claim, ...
        view["waiting"] = waiting(state, regulation)
        view["as_of"] = day.isoformat()
        view["position"] = position
        return view

    def grants(self, region_code: str, day: dt.date) -> list[dict[str, Any]]:
        """Every grant of the region, one per scheme (a region's calendar holds the deadlines of all of them)."""
        with self._lock:
            self.models.refresh()
            schemes = [row["scheme"] for row in self.models.store.region_rows(region_code)]
        return [self.grant(region_code, day, scheme) for scheme in schemes]

    def as_of(self, region_code: str, day: dt.date, scheme: str | None = None) -> dict[str, Any]:
        return as_of_view(self.service, region_code, day, scheme)

    def verify(self, extend: bool, anchor: str | None) -> dict[str, Any]:
        db = self.models.chain()
        if db is None:
            raise NoChain()
        try:
            return audit_chain.verify(db, extend_chain=extend, anchor=anchor).to_dict()
        finally:
            db.close()

    def close(self) -> None:
        with self._lock:
            self.models.close()
