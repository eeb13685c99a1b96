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
from adapters.read_side.paging import DEFAULT_PAGE_SIZE, GrantFilter
from adapters.read_side.tables import SORT_KEY, ViewStore
from adapters.read_side.work import WorkQuery, work_items
from adapters.read_side.work_table import work_count, WorkFilter
from domain.errors import GrantNotFound
from adapters.event_store.service import GrantService
from domain.regulation.schemes import scheme_in_force
from domain.values import GrantStatus
from projections.deadline_calendar import deadline_calendar, may_have_deadlines
from projections.ledger import budget_ledger
from projections.grant_rows import Row
from projections.overview import region_view
from projections.payloads import make_decoder
from projections.projector import FOLLOWS, QUARANTINE_HINT
from projections.timeline import entry


def key_of(row: Row) -> tuple:
    """A grant row's place in the grants list (SORT_KEY)."""
    return tuple(row[column] for column in SORT_KEY)


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
        self._counts_cache: dict[str | None, tuple[int, dict[str, int]]] = {}
        self._chain_db: audit_chain.ChainDatabase | None = None  # PostgreSQL: one connection for every read

    # --- keeping up -------------------------------------------------------------------------

    def refresh(self, progress: Progress | None = None) -> Refresh:
        """Catch the views up with the log, and chain the records stored since the chain head."""
        views = self.follower.catch_up(progress)
        return Refresh(views, self.extend_chain())

    def rebuild(self, progress: Progress | None = None, *, processes: int | None = None) -> Refresh:
        """Forget the views and project the whole log again; a long log in `processes` worker processes (default:
        sharded_rebuild.SHARDS; 1 = in this process), which then hold for this follower's later rebuilds too."""
        if processes is not None:
            self.follower.processes = processes
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
        """Chain the records stored since the chain head (every read asks first). On PostgreSQL the chain's
        connection is kept for the next read: connecting and finding the tables again cost about 5 of the 7 ms
        of a page of the grants list (benchmark P8); a SQLite connection is cheap and bound to its thread."""
        db = self._chain_db or self.chain()
        if db is None:
            return None
        try:
            added = audit_chain.extend(db)
        except BaseException:
            self._chain_db = None
            db.close()
            raise
        if db.dialect == "postgres":
            self._chain_db = db
        else:
            db.close()
        return added

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

    def regions(self, status: GrantStatus | None = None, scheme: str | None = None, *,
                wanted: GrantFilter | None = None, day: dt.date | None = None, size: int = DEFAULT_PAGE_SIZE,
                after: tuple | None = None) -> dict[str, Any]:
        """One page of the grants list, in the order of region code, scheme and grant (a keyset page: `after` is
        the key of the last row of the page before, `next_key` that of this page's last row when more follow),
        narrowed by `wanted` (or just `status` and `scheme`), with the counts per status of the scheme's grants
        (or of all) and their total. `within_days` is tested on each row's pending deadlines on `day`."""
        self.refresh()
        if wanted is None:
            wanted = GrantFilter(status=status.value if status else None, scheme=scheme)
        rows, next_key = self._grant_page(wanted, day, size, after)
        counts = self._counts(wanted.scheme)
        return {
            "status_filter": wanted.status,
            "filters": {k: v for k, v in wanted.__dict__.items() if v not in (None, "")},
            "regions": [region_view(r) for r in rows],
            "counts": counts,
            "total": sum(counts.values()),
            "next_key": list(next_key) if next_key is not None else None,
            "position": self.store.position(),
            "quarantined_records": self.store.quarantined_count(),
        }

    def _grant_page(self, wanted: GrantFilter, day: dt.date | None, size: int,
                    after: tuple | None) -> tuple[list[Row], tuple | None]:
        """Up to `size` rows after `after`, and the key to go on from when more may follow. Without `within_days`
        one query of size + 1 rows (the one more says whether a next page exists); with it, batches in order until
        the page is full, each row kept if it has a pending deadline due within the days (computed from the
        grant's state, as GET /v1/deadlines does)."""
        if wanted.within_days is None:
            found = self.store.grant_page(wanted, after, size + 1)
            rows = found[:size]
            return rows, (key_of(rows[-1]) if len(found) > size else None)
        assert day is not None, "within_days needs the day it counts from"
        rows = []
        cursor = after
        batch = max(size + 1, 200)
        while True:
            found = self.store.grant_page(wanted, cursor, batch)
            for row in found:
                if self._due_within(row, day, wanted.within_days):
                    if len(rows) == size:  # one more exists: this page ends at the last row taken
                        return rows, key_of(rows[-1])
                    rows.append(row)
            if len(found) < batch:
                return rows, None
            cursor = key_of(found[-1])

    def _due_within(self, row: Row, day: dt.date, within_days: int) -> bool:
        if not may_have_deadlines(row, day):
            return False
        state = self.service.state(row["region_code"], version=row["version"], scheme=row["scheme"])
        return bool(deadline_calendar([(row, state)], self.service.regulation, day, within_days)["deadlines"])

    def _counts(self, scheme: str | None) -> dict[str, int]:
        """Grants per status (every status, zeros too), read again only when the views have moved."""
        position = self.store.position()
        cached = self._counts_cache.get(scheme)
        if cached is None or cached[0] != position:
            found = self.store.grant_counts(scheme)
            counts = {s.value: found.get(s.value, 0) for s in GrantStatus}
            cached = self._counts_cache[scheme] = (position, counts)
            if len(self._counts_cache) > 64:
                self._counts_cache = {scheme: cached}
        return dict(cached[1])

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

    def work_items(self, query: WorkQuery, day: dt.date, size: int = DEFAULT_PAGE_SIZE,
                   after: tuple | None = None) -> dict[str, Any]:
        """One page of the work queue (adapters/read_side/work.py), with the number of open items in all."""
        self.refresh()
        view = work_items(self.db, query, day=day, size=size, after=after, regulation_of=self.service.regulation,
                          state_of=lambda item: self.service.state(item["region_code"], version=item["version"],
                                                                   scheme=item["scheme"]))
        view["total"] = work_count(self.db, WorkFilter())
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
        if self._chain_db is not None:
            self._chain_db.close()
            self._chain_db = None
        self.follower.close()
        self.db.close()
