"""Delivering grant events to subscribers' systems: queue from the event log, post signed CloudEvents, retry, and
keep what cannot be delivered as a dead letter that operators see and can send again.

One loop (`sto serve` runs it; one per store) does two things each tick:
1. queue: follow the event store's notification log (as the read models do, adapters/read_side/follower.py) from
   each subscription's own position, and queue one delivery per grant event the subscription wants (and per event
   of a grant's money ledger that concerns its region), with the CloudEvent's body fixed then
   (adapters/notify/cloudevents.py); the deliveries and the new positions are written in one transaction, so a
   crash queues a batch again or not at all, never twice;
2. deliver: post each due delivery that heads its grant's queue (a grant's later event waits while an earlier one
   is pending or dead: order per grant), signed with the subscription's secret, to the address its URL resolves to
   now, checked again (adapters/notify/addresses.py: public, or allowed by STO_WEBHOOK_ALLOWED_NETWORKS) and
   connected to as checked (no second lookup; Host and TLS server name stay the URL's). 2xx: delivered. Anything
   else (an address that is not public, a refused connection, a timeout, 3xx (redirects are never followed), 4xx,
   5xx): tried again after 5 s, 10 s, 20 s ... (at most an hour
   apart); after `max_attempts` the delivery is a dead letter: an error line `webhooks.dead_letter` and a mail to
   DUS-I's operators say so, `sto subscriptions list` counts it, and `sto subscriptions redeliver` sends it again.

One deliverer per store: a tick first takes a lease (two minutes, renewed every tick) in the store; another
process that finds it held does nothing (`sto subscriptions deliver` while `sto serve` runs), and a deliverer that
died without releasing it is replaced once it runs out.

Exactly once in effect: a delivery is marked delivered only after the receiver's 2xx, so a crash in between
sends it again with the same `webhook-id` (the CloudEvent's id), on which receivers dedupe.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import os
import socket
import ssl
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from adapters.event_store.service import GrantService
from adapters.logging import get_logger
from adapters.notify.addresses import NOTHING_ALLOWED, AllowedNetworks, ForbiddenAddress, Resolver, Target, resolve
from adapters.notify.cloudevents import (body_of, cloud_event, event_id, event_type, ledger_cloud_event,
                                         region_ledger_event, signed_headers)
from adapters.notify.subscriptions import SubscriptionStore
from adapters.read_side.notification_sources import NotificationSource, notification_source
from projections.payloads import make_decoder
from projections.projector import is_grant_event
from projections.timeline import event_name

log = get_logger(__name__)

Alert = Callable[[dict[str, Any]], None]
Clock = Callable[[], dt.datetime]
PUBLIC_URL_SETTING = "STO_PUBLIC_URL"
OPERATORS_ADDRESS = "dus-i@sto.example"  # where dead letters are reported: DUS-I's operators, as the reminders have it
LEASE = dt.timedelta(minutes=2)
REDELIVER_HINT = "fix the receiver (or the subscription's URL), then `sto subscriptions redeliver {subscription_id}`"


@dataclass(frozen=True)
class WebhookSettings:
    max_attempts: int = 10  # at the defaults, about 42 minutes of trying before a dead letter
    backoff_seconds: float = 5.0  # after the first failure; doubled after each next one
    backoff_cap_seconds: float = 3600.0
    timeout_seconds: float = 10.0
    poll_seconds: float = 1.0
    batch_size: int = 500
    public_url: str = "http://127.0.0.1:8000"  # where a receiver reads the whole event (the CloudEvent's dataref)
    allowed: AllowedNetworks = NOTHING_ALLOWED  # what may be reached although not public (STO_WEBHOOK_ALLOWED_NETWORKS)

    @classmethod
    def from_env(cls) -> "WebhookSettings":
        return cls(public_url=os.environ.get(PUBLIC_URL_SETTING, "").strip() or cls.public_url,
                   allowed=AllowedNetworks.from_env())

    def retry_delay(self, attempts: int) -> dt.timedelta:
        return dt.timedelta(seconds=min(self.backoff_cap_seconds, self.backoff_seconds * 2 ** max(attempts - 1, 0)))


class Answered(Exception):
    """The receiver answered, but not 2xx: it has not received (a 3xx too: redirects are not followed)."""

    def __init__(self, status: int, reason: str):
        super().__init__(f"HTTP {status} {reason}" + (" (redirects are not followed)" if 300 <= status < 400 else ""))
        self.status = status


class _Pinned(http.client.HTTPConnection):
    """A connection to the address that was checked; the Host header stays the URL's host."""

    def __init__(self, target: Target, address: str, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTls(http.client.HTTPSConnection):
    """As _Pinned, over TLS with the URL's host as server name (SNI) and as the name the certificate must hold."""

    def __init__(self, target: Target, address: str, timeout: float, context: ssl.SSLContext):
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self.address, self.tls = address, context

    def connect(self) -> None:
        plain = socket.create_connection((self.address, self.port), self.timeout)
        try:
            self.sock = self.tls.wrap_socket(plain, server_hostname=self.host)
        except BaseException:
            plain.close()
            raise


_TLS = ssl.create_default_context()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, allowed: AllowedNetworks = NOTHING_ALLOWED,
         resolver: Resolver = socket.getaddrinfo, tls: ssl.SSLContext | None = None) -> int:
    """POST to the addresses `url` resolves to now, each checked (raises ForbiddenAddress), in turn until one
    connects; the status of a 2xx answer, else raises (Answered, OSError). `tls`: the certificates trusted (default:
    the system's)."""
    target = resolve(url, allowed, resolver)
    failure: OSError | None = None
    for address in target.addresses:
        connection = (_PinnedTls(target, address, timeout, tls or _TLS) if target.scheme == "https"
                      else _Pinned(target, address, timeout))
        try:
            try:
                connection.connect()
            except OSError as error:
                failure = error
                continue
            connection.request("POST", target.path, body=body,
                               headers={**headers, "user-agent": "sto-grant-engine-webhooks"})
            answer = connection.getresponse()
            answer.read(65536)
            if not 200 <= answer.status < 300:
                raise Answered(answer.status, answer.reason)
            return answer.status
        finally:
            connection.close()
    raise failure or OSError(f"no address of {target.host} to connect to")


def _said(error: BaseException) -> str:
    if isinstance(error, (Answered, ForbiddenAddress)):
        return str(error)
    return f"{type(error).__name__}: {error}"


class WebhookDispatcher:
    def __init__(self, service: GrantService, store: SubscriptionStore, settings: WebhookSettings | None = None, *,
                 alert: Alert | None = None, clock: Clock | None = None, source: NotificationSource | None = None,
                 resolver: Resolver = socket.getaddrinfo, tls: ssl.SSLContext | None = None):
        self.service = service
        self.store = store
        self.settings = settings or WebhookSettings.from_env()
        self.alert = alert
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.resolver, self.tls = resolver, tls  # the system's resolver and trusted certificates; a test's own
        self.source = source or notification_source(service)
        self.decode = make_decoder(service.mapper)
        self._regions: dict[str, str] = {}
        self._ledgers: dict[str, dict[str, Any]] = {}
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def last_position(self) -> int:
        """Where the log ends now: a new subscription starts here."""
        return self.source.last()

    def tick(self) -> dict[str, int]:
        """Queue the new events and post what is due; nothing when another process holds the deliverer's lease
        (`busy` 1)."""
        now = self.clock()
        holder = self.store.lease(self.holder, now.isoformat(timespec="microseconds"),
                                  (now + LEASE).isoformat(timespec="microseconds"))
        if holder is not None:
            log.debug("webhooks.lease_held", by=holder)
            return {"queued": 0, "delivered": 0, "failed": 0, "dead": 0, "busy": 1}
        queued = self.queue()
        sent = self.deliver()
        return {"queued": queued, **sent, "busy": 0}

    # --- queue -----------------------------------------------------------------------------------------------

    def queue(self) -> int:
        queued = 0
        while True:
            subscriptions = self.store.list()
            if not subscriptions:
                return queued
            start = min(s.position for s in subscriptions)
            batch = self.source.after(start, self.settings.batch_size)
            if not batch:
                return queued
            rows = []
            for position, originator_id, version, topic, state in batch:
                ledger_event = None if is_grant_event(topic) else region_ledger_event(topic)
                if ledger_event is None and not is_grant_event(topic):
                    continue
                stream = str(uuid.UUID(str(originator_id)))  # a grant, or a grant's ledger: delivered in order each
                payload = self.decode(state)
                if ledger_event is None:
                    region, kind = self._region(stream, payload), event_type(event_name(topic))
                else:
                    opened = self._opened(stream, payload)
                    region, kind = opened["grant_code"], event_type(ledger_event)
                wanting = [s for s in subscriptions if position > s.position and s.wants(region, kind)]
                if not wanting:
                    continue
                event = (cloud_event(stream, version, topic, payload, region, self.settings.public_url)
                         if ledger_event is None else
                         ledger_cloud_event(stream, version, ledger_event, payload, opened, self.settings.public_url))
                body, ident = body_of(event).decode(), event_id(stream, version)
                rows.extend((s.subscription_id, position, ident, stream, region, kind, body) for s in wanting)
            last = batch[-1][0]
            self.store.queue({s.subscription_id: last for s in subscriptions if s.position < last}, rows,
                             self.clock().isoformat(timespec="microseconds"))
            queued += len(rows)

    def _region(self, grant_id: str, payload: dict[str, Any]) -> str:
        region = self._regions.get(grant_id)
        if region is None:
            region = payload.get("region_code")
            if region is None:  # a later event: its grant's first event names the region
                first = self.service.recorder.select_events(uuid.UUID(grant_id), lte=1)
                region = self.decode(first[0].state)["region_code"]
            self._regions[grant_id] = region
        return region

    def _opened(self, ledger_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The first event of a ledger (its grant's id, region code and scheme), read once per ledger."""
        opened = self._ledgers.get(ledger_id)
        if opened is None:
            if "grant_code" in payload:
                opened = payload
            else:
                first = self.service.recorder.select_events(uuid.UUID(ledger_id), lte=1)
                opened = self.decode(first[0].state)
            opened = self._ledgers[ledger_id] = {k: opened.get(k) for k in ("grant_code", "scheme", "grant_id")}
        return opened

    # --- deliver ---------------------------------------------------------------------------------------------

    def deliver(self) -> dict[str, int]:
        counts = {"delivered": 0, "failed": 0, "dead": 0}
        for _ in range(10_000):  # each pass settles every head it sends (delivered, later, or dead): this ends
            now = self.clock()
            due = self.store.due(now.isoformat(timespec="microseconds"))
            if not due:
                break
            for row in due:
                counts[self._attempt(row, now)] += 1
        return counts

    def _attempt(self, row: dict[str, Any], now: dt.datetime) -> str:
        body = row["body"].encode()
        headers = signed_headers(row["secret"], row["event_id"], int(now.timestamp()), body)
        attempts = row["attempts"] + 1
        sub, position = row["subscription_id"], row["position"]
        try:
            post(row["callback_url"], body, headers, self.settings.timeout_seconds, self.settings.allowed, self.resolver,
                 self.tls)
        except Exception as error:  # noqa: BLE001 - whatever went wrong, the receiver has not received it
            said = _said(error)
            if attempts < self.settings.max_attempts:
                retry_at = now + self.settings.retry_delay(attempts)
                self.store.failed(sub, position, attempts, said, retry_at.isoformat(timespec="microseconds"))
                log.warning("webhooks.attempt_failed", subscription_id=sub, event_id=row["event_id"], attempts=attempts,
                            error=said, retry_at=retry_at.isoformat(timespec="seconds"))
                return "failed"
            self.store.failed(sub, position, attempts, said, None)
            dead = {"subscription_id": sub, "event_id": row["event_id"], "event_type": row["event_type"],
                    "region_code": row["region_code"], "callback_url": row["callback_url"], "attempts": attempts,
                    "error": said}
            log.error("webhooks.dead_letter", **dead, action=REDELIVER_HINT.format(subscription_id=sub))
            if self.alert is not None:
                try:
                    self.alert(dead)
                except Exception as failure:  # noqa: BLE001 - the dead letter is stored and logged: that stands
                    log.error("webhooks.alert_failed", subscription_id=sub, error=_said(failure))
            return "dead"
        self.store.delivered(sub, position, attempts)
        return "delivered"

    # --- the loop --------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop` is set; an error of one tick (the store unreachable) is logged and the loop goes on."""
        log.info("webhooks.started", poll_seconds=self.settings.poll_seconds)
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.tick)
            except Exception as error:  # noqa: BLE001 - the next tick tries again
                log.error("webhooks.tick_failed", error=_said(error), action="retrying at the next tick")
            try:
                await asyncio.wait_for(stop.wait(), self.settings.poll_seconds)
            except asyncio.TimeoutError:
                pass
        log.info("webhooks.stopped")

    def close(self) -> None:
        self.store.release(self.holder)
        self.source.close()


def mail_alert(notifier: Any, to: str, today: Callable[[], dt.date]) -> Alert:
    """An alert that mails DUS-I's operators about a dead letter, through the reminders' notifier (SMTP or the
    file outbox); one message per dead letter (its Message-ID is derived from the subscription and the event)."""
    from domain.notifications import Notification

    def alert(dead: dict[str, Any]) -> None:
        key = f"webhook-dead|{dead['subscription_id']}|{dead['event_id']}"
        notifier.send(Notification(
            key=key, message_id=f"<{uuid.uuid5(uuid.NAMESPACE_URL, key)}@sto.dus-i.example>",
            region_code=dead["region_code"], deadline_key="webhook", due=today(), offset_days=0, to=to,
            subject=f"STO: gebeurtenis niet afgeleverd aan abonnement {dead['subscription_id']} ({dead['region_code']})",
            body=(
                f"Een gebeurtenis van de subsidie van {dead['region_code']} ({dead['event_type']}, id {dead['event_id']}) "
                f"kon na {dead['attempts']} pogingen niet worden afgeleverd bij {dead['callback_url']}.\n"
                f"Laatste fout: {dead['error']}\n\n"
                "Latere gebeurtenissen van deze subsidie wachten voor dit abonnement tot deze is afgeleverd.\n"
                f"Wat te doen: herstel de ontvanger (of het adres van het abonnement) en geef dan "
                f"`sto subscriptions redeliver {dead['subscription_id']}`.\n"
            ),
        ))

    return alert
