"""Webhook subscriptions and their deliveries, in tables beside the events (adapters/operators/side_tables.py).

A subscription: a callback URL, one region or every region (`*`, for DUS-I's own systems), the event types it
wants (or all), and the secret its deliveries are signed with (kept as is: signing needs it; shown once when
added). Each subscription follows the event log from its own position: a new one starts at the log's end.

A delivery: one grant event for one subscription, with the CloudEvent's body fixed when it is queued (every retry
and redelivery sends the same bytes and id). Its state is `pending` (to be sent, perhaps after a failed attempt),
`delivered` (the receiver answered 2xx), `dead` (the retries ran out: a dead letter, waiting for `redeliver`) or
`cancelled` (its subscription was removed). A grant's later event waits while an earlier one of the same grant
is pending or dead, so a receiver gets each grant's events in order.
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from adapters.notify.addresses import NOTHING_ALLOWED, AllowedNetworks, Resolver, check
from adapters.notify.cloudevents import TYPE_PREFIX, new_secret
from adapters.operators.side_tables import SideTables, utc_now
from domain.errors import DomainError
from domain.values import RegionCode

SUBSCRIPTIONS, DELIVERIES, LEASE = "webhook_subscriptions", "webhook_deliveries", "webhook_lease"
ALL = "*"  # every region (for DUS-I's own systems), or every event type
ALL_REGIONS = ALL
STATES = ("pending", "delivered", "dead", "cancelled")
_REGION = TypeAdapter(RegionCode)
_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SUBSCRIPTIONS} (subscription_id TEXT PRIMARY KEY, callback_url TEXT NOT NULL, "
    "region_code TEXT NOT NULL, event_types TEXT NOT NULL, secret TEXT NOT NULL, position BIGINT NOT NULL, "
    "created_at TEXT NOT NULL, created_by TEXT NOT NULL, removed_at TEXT, removed_by TEXT)",
    f"CREATE TABLE IF NOT EXISTS {DELIVERIES} (subscription_id TEXT NOT NULL, position BIGINT NOT NULL, "
    "event_id TEXT NOT NULL, grant_id TEXT NOT NULL, region_code TEXT NOT NULL, event_type TEXT NOT NULL, "
    "body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, "
    "last_error TEXT, queued_at TEXT NOT NULL, delivered_at TEXT, dead_at TEXT, "
    "PRIMARY KEY (subscription_id, position))",
    f"CREATE INDEX IF NOT EXISTS {DELIVERIES}_due ON {DELIVERIES} (state, next_attempt_at)",
    f"CREATE INDEX IF NOT EXISTS {DELIVERIES}_stream ON {DELIVERIES} (subscription_id, grant_id, position)",
    f"CREATE TABLE IF NOT EXISTS {LEASE} (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until TEXT NOT NULL)",
)
_SUB_COLUMNS = "subscription_id, callback_url, region_code, event_types, position, created_at, created_by, removed_at, removed_by"
DELIVERY_COLUMNS = ("subscription_id, position, event_id, grant_id, region_code, event_type, state, attempts, "
                    "next_attempt_at, last_error, queued_at, delivered_at, dead_at")


class UnknownSubscription(DomainError):
    code = "unknown_subscription"

    def __init__(self, subscription_id: str):
        super().__init__(f"no active subscription with id {subscription_id}",
                         hint="list them with `sto subscriptions list`")


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    callback_url: str
    region_code: str  # a region code, or ALL_REGIONS
    event_types: str  # comma-separated types, or ALL (every type)
    position: int  # the log position this subscription has been queued up to
    created_at: str
    created_by: str
    removed_at: str | None = None
    removed_by: str | None = None

    @property
    def types(self) -> frozenset[str] | None:
        return None if self.event_types == ALL else frozenset(self.event_types.split(","))

    def wants(self, region_code: str, event_type: str) -> bool:
        types = self.types
        return (self.region_code in (ALL_REGIONS, region_code)) and (types is None or event_type in types)

    def to_dict(self) -> dict[str, Any]:
        return {"subscription_id": self.subscription_id, "callback_url": self.callback_url,
                "region_code": self.region_code, "event_types": sorted(self.types) if self.types else ALL,
                "position": self.position, "created_at": self.created_at, "created_by": self.created_by,
                "removed_at": self.removed_at, "removed_by": self.removed_by, "active": self.removed_at is None}


def validate(callback_url: str, region: str, event_types: Iterable[str], allowed: AllowedNetworks = NOTHING_ALLOWED,
             resolver: Resolver = socket.getaddrinfo) -> tuple[str, str, str]:
    """URL, region and types as stored; raises ValueError saying what to change, or ForbiddenAddress (an InvalidInput)
    when the URL's host is, or resolves to, an address webhooks may not go to (adapters/notify/addresses.py)."""
    url = (callback_url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise ValueError("the callback URL must be an absolute http(s) URL of at most 2000 characters "
                         "(https in production; http only for a receiver on this machine or in tests)")
    given = (region or "").strip()
    if given == ALL_REGIONS:
        region_code = ALL_REGIONS
    else:
        try:
            region_code = _REGION.validate_python(given.upper())
        except ValidationError as error:
            message = error.errors()[0]["msg"].removeprefix("Value error, ")
            raise ValueError(f"{message}; or `*` for every region (DUS-I's own systems)") from None
    types = sorted({t.strip() for t in event_types if t.strip()})
    for t in types:
        if not t.startswith(TYPE_PREFIX) or not t[len(TYPE_PREFIX):].replace("-", "").isalpha():
            raise ValueError(f"event type {t!r} is not one of ours: they read {TYPE_PREFIX}<event>, "
                             f"e.g. {TYPE_PREFIX}grant-approved")
    check(url, allowed, resolver)
    return url, region_code, ",".join(types) if types else ALL


class SubscriptionStore:
    """The subscriptions and deliveries of one store URL (STO_DATABASE_URL when None). `allowed`: what a new
    subscription's URL may reach although it is not public (STO_WEBHOOK_ALLOWED_NETWORKS, read by the caller)."""

    def __init__(self, url: str | None = None, *, allowed: AllowedNetworks = NOTHING_ALLOWED,
                 resolver: Resolver = socket.getaddrinfo):
        self.tables = SideTables(url, _DDL)
        self.allowed, self.resolver = allowed, resolver

    # --- subscriptions ---------------------------------------------------------------------------------------

    def add(self, callback_url: str, region: str, event_types: Iterable[str], *, created_by: str,
            from_position: int) -> tuple[Subscription, str]:
        """A new subscription, queued from `from_position` on; its signing secret is returned (shown once)."""
        url, region_code, types = validate(callback_url, region, event_types, self.allowed, self.resolver)
        subscription_id, secret, now = secrets.token_hex(4), new_secret(), utc_now()
        self.tables.run(
            f"INSERT INTO {SUBSCRIPTIONS} (subscription_id, callback_url, region_code, event_types, secret, position, "
            "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (subscription_id, url, region_code, types, secret, from_position, now, created_by),
        )
        return Subscription(subscription_id, url, region_code, types, from_position, now, created_by), secret

    def remove(self, subscription_id: str, *, removed_by: str) -> Subscription:
        """End a subscription: nothing more is queued for it, and what was pending is cancelled."""
        found = self.get(subscription_id)
        now = utc_now()
        with self.tables.transaction() as conn:
            self.tables.execute(conn, f"UPDATE {SUBSCRIPTIONS} SET removed_at = ?, removed_by = ? WHERE subscription_id = ?",
                                (now, removed_by, found.subscription_id))
            self.tables.execute(conn, f"UPDATE {DELIVERIES} SET state = 'cancelled' WHERE subscription_id = ? "
                                "AND state IN ('pending', 'dead')", (found.subscription_id,))
        return self.get(found.subscription_id, include_removed=True)

    def get(self, subscription_id: str, *, include_removed: bool = False) -> Subscription:
        found = [s for s in self.list(include_removed=include_removed) if s.subscription_id == subscription_id.strip()]
        if not found:
            raise UnknownSubscription(subscription_id)
        return found[0]

    def list(self, *, include_removed: bool = False) -> list[Subscription]:
        where = "" if include_removed else " WHERE removed_at IS NULL"
        rows = self.tables.rows(f"SELECT {_SUB_COLUMNS} FROM {SUBSCRIPTIONS}{where} ORDER BY created_at, subscription_id")
        return [Subscription(**row) for row in rows]

    def secret(self, subscription_id: str) -> str:
        rows = self.tables.rows(f"SELECT secret FROM {SUBSCRIPTIONS} WHERE subscription_id = ?", (subscription_id,))
        if not rows:
            raise UnknownSubscription(subscription_id)
        return rows[0]["secret"]

    # --- deliveries ------------------------------------------------------------------------------------------

    def queue(self, positions: dict[str, int], deliveries: list[tuple], now: str | None = None) -> None:
        """Queue deliveries (subscription_id, position, event_id, grant_id, region_code, event_type, body) and move
        each subscription's position, in one transaction: a crash queues the batch again or not at all."""
        now = now or utc_now()
        with self.tables.transaction() as conn:
            for row in deliveries:
                exists = self.tables.execute(conn, f"SELECT 1 FROM {DELIVERIES} WHERE subscription_id = ? AND position = ?",
                                             row[:2]).fetchone()
                if exists is None:
                    self.tables.execute(
                        conn,
                        f"INSERT INTO {DELIVERIES} (subscription_id, position, event_id, grant_id, region_code, event_type, "
                        "body, state, attempts, next_attempt_at, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                        (*row, now, now),
                    )
            for subscription_id, position in positions.items():
                self.tables.execute(conn, f"UPDATE {SUBSCRIPTIONS} SET position = ? WHERE subscription_id = ? AND position < ?",
                                    (position, subscription_id, position))

    def due(self, now: str, limit: int = 100) -> list[dict[str, Any]]:
        """The first pending delivery of each (subscription, grant) whose attempt is due: nothing of a grant is sent
        while an earlier event of it is pending or dead."""
        return self.tables.rows(
            f"SELECT d.subscription_id, d.position, d.event_id, d.region_code, d.event_type, d.body, d.attempts, s.callback_url, s.secret "
            f"FROM {DELIVERIES} d JOIN {SUBSCRIPTIONS} s ON s.subscription_id = d.subscription_id "
            f"WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND s.removed_at IS NULL AND NOT EXISTS ("
            f"SELECT 1 FROM {DELIVERIES} e WHERE e.subscription_id = d.subscription_id AND e.grant_id = d.grant_id "
            "AND e.position < d.position AND e.state IN ('pending', 'dead')) ORDER BY d.position LIMIT ?",
            (now, limit),
        )

    def delivered(self, subscription_id: str, position: int, attempts: int) -> None:
        self.tables.run(f"UPDATE {DELIVERIES} SET state = 'delivered', attempts = ?, delivered_at = ?, last_error = NULL "
                        "WHERE subscription_id = ? AND position = ? AND state = 'pending'",
                        (attempts, utc_now(), subscription_id, position))

    def failed(self, subscription_id: str, position: int, attempts: int, error: str, retry_at: str | None) -> None:
        """A failed attempt: tried again at `retry_at`, or (None) a dead letter."""
        if retry_at is None:
            self.tables.run(f"UPDATE {DELIVERIES} SET state = 'dead', attempts = ?, last_error = ?, dead_at = ? "
                            "WHERE subscription_id = ? AND position = ? AND state = 'pending'",
                            (attempts, error[:500], utc_now(), subscription_id, position))
        else:
            self.tables.run(f"UPDATE {DELIVERIES} SET attempts = ?, last_error = ?, next_attempt_at = ? "
                            "WHERE subscription_id = ? AND position = ? AND state = 'pending'",
                            (attempts, error[:500], retry_at, subscription_id, position))

    def redeliver(self, subscription_id: str, event_id: str | None = None) -> int:
        """Send the subscription's dead letters again (or one event, dead or delivered), from a fresh count of
        attempts; the grant's events that waited behind them follow in order. The number put back."""
        found = self.get(subscription_id)
        where, params = "state = 'dead'", [found.subscription_id]
        if event_id:
            where, params = "state IN ('dead', 'delivered') AND event_id = ?", [found.subscription_id, event_id.strip()]
        return self.tables.run(f"UPDATE {DELIVERIES} SET state = 'pending', attempts = 0, next_attempt_at = ?, "
                               f"dead_at = NULL WHERE subscription_id = ? AND {where}", (utc_now(), *params))

    def deliveries(self, subscription_id: str | None = None, state: str | None = None,
                   limit: int = 1000, after_position: int | None = None) -> list[dict[str, Any]]:
        """Deliveries in log order (a subscription's: after `after_position`, for its pages)."""
        if state is not None and state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        clauses, params = [], []
        if after_position is not None:
            clauses.append("position > ?")
            params.append(after_position)
        if subscription_id:
            clauses.append("subscription_id = ?")
            params.append(self.get(subscription_id, include_removed=True).subscription_id)
        if state:
            clauses.append("state = ?")
            params.append(state)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return self.tables.rows(f"SELECT {DELIVERY_COLUMNS} FROM {DELIVERIES}{where} ORDER BY position, subscription_id "
                                "LIMIT ?", (*params, limit))

    def counts(self) -> dict[str, dict[str, int]]:
        """Per subscription: how many deliveries are in each state."""
        rows = self.tables.rows(f"SELECT subscription_id, state, COUNT(*) AS n FROM {DELIVERIES} GROUP BY subscription_id, state")
        found: dict[str, dict[str, int]] = {}
        for row in rows:
            found.setdefault(row["subscription_id"], dict.fromkeys(STATES, 0))[row["state"]] = row["n"]
        return found

    # --- one deliverer per store -----------------------------------------------------------------------------

    def lease(self, holder: str, now: str, until: str) -> str | None:
        """Take or renew the deliverer's lease until `until`: None when `holder` has it, else who has it."""
        with self.tables.transaction() as conn:
            row = self.tables.execute(conn, f"SELECT holder, until FROM {LEASE} WHERE name = 'deliverer'").fetchone()
            if row is None:
                self.tables.execute(conn, f"INSERT INTO {LEASE} (name, holder, until) VALUES ('deliverer', ?, ?)", (holder, until))
                return None
            if row[0] != holder and row[1] > now:
                return row[0]
            self.tables.execute(conn, f"UPDATE {LEASE} SET holder = ?, until = ? WHERE name = 'deliverer'", (holder, until))
            return None

    def release(self, holder: str) -> None:
        self.tables.run(f"DELETE FROM {LEASE} WHERE name = 'deliverer' AND holder = ?", (holder,))

    def close(self) -> None:
        self.tables.close()
