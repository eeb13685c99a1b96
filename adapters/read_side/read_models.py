"""The read models of one store, ready to answer: catch up first, then read (one object per process).

Composes the views database, the follower and the audit chain for a store URL; every read catches up
incrementally before it answers, so operators and auditors never read a stale line.

A record the read models cannot project is quarantined (projections/projector.py): the reads go on, a
quarantined grant reads as its last good row with `quarantined` set, and `quarantine()` / `status()` name every
such record for operators, with what to do next.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from adapters.audit import chain as audit_chain
from adapters.read_side.follower import CatchUpReport, Progress, ProjectionFollower
from adapters.event_store.store import database_url, postgres_conninfo, store_env
from adapters.read_side.database import open_view_database
from adapters.read_side.tables import ViewStore
from domain.errors import GrantNotFound
from adapters.event_store.service import GrantService
from domain.regulation.schemes import scheme_in_force
from domain.values import GrantStatus
from projections.deadline_calendar import deadline_calendar, may_have_deadlines
from projections.ledger import budget_ledger
from projections.overview import overview
from projections.payloads import make_decoder
from projections.projector import FOLLOWS, QUARANTINE_HINT
from projections.timeline import entry


@dataclass(frozen=True)
class Refresh:
    views: CatchUpReport
    newly_chained: int | None  # None: this store keeps no chain (in memory)


class ReadModels:
    def __init__(self, service: GrantService, url: str | None = None, *, batch_size: int | None = None):
        self.service = service
        self.url = database_url(url)
        self.db = open_view_database(self.url)
        self.store = ViewStore(self.db)
        extra = {"batch_size": batch_size} if batch_size else {}
        self.follower = ProjectionFollower(service, self.store, **extra)

    # --- keeping up -------------------------------------------------------------------------

    def refresh(self, progress: Progress | None = None) -> Refresh:
        """Catch the views up with the log, and chain the records stored since the chain head."""
        views = self.follower.catch_up(progress)
        return Refresh(views, self.extend_chain())

    def rebuild(self, progress: Progress | None = None) -> Refresh:
        views = self.follower.rebuild(progress)
        return Refresh(views, self.extend_chain())

    def chain(self) -> audit_chain.ChainDatabase | None:
        """The store's own database, where the audit chain lives (None for the in-memory store)."""
        env = store_env(self.url)
        module = env["PERSISTENCE_MODULE"]
        if module.endswith("sqlite"):
            return audit_chain.open_sqlite(env["SQLITE_DBNAME"], self.service.recorder.events_table_name)
        if module.endswith("postgres"):
            schema = env.get("POSTGRES_SCHEMA", "public")
            return audit_chain.open_postgres(postgres_conninfo(env), schema, self.service.recorder.events_table_name)
        return None

    def extend_chain(self) -> int | None:
        db = self.chain()
        if db is None:
            return None
        try:
            return audit_chain.extend(db)
        finally:
            db.close()

    # --- reads ------------------------------------------------------------------------------

    def quarantine(self) -> list[dict[str, Any]]:
        """Every quarantined record, in log order, as plain JSON values: position, grant_id, region_code,
        version, topic, event, error_type, error, first_position (the grant's first quarantined record: equal to
        position for the record that failed, earlier for the grant's later records, error_type
        FollowsQuarantinedRecord), quarantined_at (UTC, ISO), hint (what to do next)."""
        self.refresh()
        return self._quarantine()

    def status(self) -> dict[str, Any]:
        """Where the read models stand: their position, the store's last, the lag, and the quarantine."""
        self.refresh()
        position = self.store.position()
        last = self.follower.source.last()
        entries = self._quarantine()
        failed = [e for e in entries if e["error_type"] != FOLLOWS]
        return {
            "ok": not entries,
            "position": position,
            "store_position": last,
            "lag": max(last - position, 0),
            "quarantined_records": len(entries),
            "quarantined_grants": len({e["grant_id"] for e in entries}),
            "failed_records": len(failed),
            "quarantined": entries,
            "hint": QUARANTINE_HINT if entries else None,
            "views": self.db.where,
        }

    def _quarantine(self) -> list[dict[str, Any]]:
        entries = self.store.quarantine()
        for found in entries:
            found["hint"] = QUARANTINE_HINT
        return entries

    def regions(self, status: GrantStatus | None = None, scheme: str | None = None) -> dict[str, Any]:
        self.refresh()
        view = overview(self.store.grant_rows(scheme=scheme), status)
        view["position"] = self.store.position()
        view["quarantined_records"] = self.store.quarantined_count()
        return view

    def deadlines(self, day: dt.date, within_days: int | None = None, scheme: str | None = None) -> dict[str, Any]:
        self.refresh()
        grants = [
            (row, self.service.state(row["region_code"], version=row["version"], scheme=row["scheme"]))
            for row in self.store.grant_rows(scheme=scheme)
            if may_have_deadlines(row, day)
        ]
        view = deadline_calendar(grants, self.service.regulation, day, within_days)
        view["position"] = self.store.position()
        view["quarantined_records"] = self.store.quarantined_count()
        return view

    def budget(self, day: dt.date, scheme: str | None = None) -> dict[str, Any]:
        """The ledger of one scheme's money (default: the scheme of the grants, or the one in force on `day`)."""
        self.refresh()
        if scheme is None:
            present = sorted({row["scheme"] for row in self.store.grant_rows()})
            current = scheme_in_force(day)
            if not present:
                scheme = self.service.base_regulation.data.scheme_id
            else:
                scheme = present[0] if len(present) == 1 else current if current in present else present[-1]
        view = budget_ledger(self.store.grant_rows(scheme=scheme), self.service.regulation(scheme), day)
        view["scheme"] = scheme
        view["position"] = self.store.position()
        view["quarantined_records"] = self.store.quarantined_count()
        return view

    def history(self, region_code: str, *, facts: bool = False, scheme: str | None = None) -> list[dict[str, Any]]:
        """The audit timeline of one grant; with `facts`, each event's own fields from the event store."""
        self.refresh()
        row = self.store.grant_row(region_code, scheme)
        if row is None:
            raise GrantNotFound(region_code)
        lines = self.store.timeline(row["grant_id"])
        payloads: dict[int, dict[str, Any]] = {}
        if facts:
            decode = make_decoder(self.service.mapper)
            for stored in self.service.recorder.select_events(uuid.UUID(row["grant_id"])):
                payloads[stored.originator_version] = decode(stored.state)
        return [entry(line, payloads.get(line["version"]) if facts else None) for line in lines]

    def close(self) -> None:
        self.follower.close()
        self.db.close()
