"""The grants service: load -> one aggregate call -> save, idempotent and safe under concurrency.

An eventsourcing `Application`; which store it writes to (SQLite file, PostgreSQL, or in memory for
unit tests) is configured from outside through its environment (see adapters/event_store/store.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent, Repository
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, Recording, Transcoder
from eventsourcing.utils import strtobool

from domain import commands as c
from domain.budget import BudgetPool, ceilings_from, pool_id
from adapters.event_store import money
from adapters.event_store.installation_facts import InstallationFacts
from adapters.event_store.codec import LeanJSONTranscoder, LeanMapper, LeanRepository, project
from adapters.event_store.transcodings import DateAsISO, GrantStateAsJSON
from domain.decide import Context, Decision, Reservation
from domain.errors import ConcurrencyConflict, GrantNotFound, InvalidInput, StaleVersion
from domain.events import GrantEvent
from domain.grant import Grant
from domain.notifications import Notification
from domain.outbox import OutboxMessage, outbox_id
from domain.ports import Notifier
from domain.clock import BusinessClock
from domain.idempotency import check_retry
from domain.idempotency import fingerprint as command_fingerprint
from domain.results import CommandResult
from domain.publication import PUBLICATIONS_ID, Publications
from domain.regulation import Amendment, Regulation, default_regulation
from domain.state import GrantState, snapshot_is_complete
from domain.regulation.schemes import grant_id, legacy_scheme_id, scheme_ids, scheme_in_force
from domain.regulation.schemes import scheme as shipped_scheme
from domain.timekeeping import local_date

Clock = Callable[[], dt.datetime]


system_clock = BusinessClock().now  # the service's default: business time = real time


class GrantService(Application):
    """Executes commands against grants, and answers questions about them."""

    name = "sto"
    snapshotting_intervals = {Grant: 100, money.PaymentBook: 100}  # the book: every release and run reads it whole
    snapshotting_projectors = {Grant: project}
    pool_retries = 20

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        base_regulation: Regulation | None = None,
        clock: Clock = system_clock,
    ):
        super().__init__(env)
        self.base_regulation = base_regulation or default_regulation()
        self.clock = clock
        self._amended: dict[str, Regulation] = {}  # per scheme: its base with the amendments published for it
        self._publications_version = 0
        self.installation = InstallationFacts(self)  # the store's facts of this installation (installation_facts.py)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(GrantStateAsJSON())

    # --- the lean store path (adapters/event_store/codec.py): same stored format, fewer objects and checks ------------

    def construct_transcoder(self) -> Transcoder:
        """orjson with JSONTranscoder's format, unless TRANSCODER_TOPIC names another transcoder."""
        if self.env.get(self.factory.TRANSCODER_TOPIC):
            return super().construct_transcoder()
        transcoder = LeanJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_mapper(self) -> Mapper:
        if self.env.get("MAPPER_TOPIC"):
            return super().construct_mapper()
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=LeanMapper)

    def construct_repository(self) -> Repository:
        """The library's repository, whose default projector skips the per-event protocol check."""
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return LeanRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
            snapshot_probe=max(self.snapshotting_intervals.values(), default=0),
            snapshot_usable=_snapshot_usable,
        )

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording]:
        """Application.save, with aggregates recognised by class instead of by two runtime-checkable
        Protocols (`isinstance` against a Protocol walks its members on every call)."""
        processing_event: ProcessingEvent = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            elif obj is not None:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # deprecated hook, still called as the library does
        return recordings

    # --- commands ------------------------------------------------------------------------

    def execute(self, command: c.Command, fingerprint: str | None = None) -> CommandResult:
        """Run one command. Raises TransitionRefused, ConcurrencyConflict, GrantNotFound or CommandIdReused;
        writes nothing then. `fingerprint`: of the command as sent, when a business time was stamped on it
        since (the workflow does); else the command's own."""
        fingerprint = fingerprint or command_fingerprint(command)
        day = local_date(command.effective_at or self.clock())
        scheme = self.scheme_of(command.region_code, command.scheme, day=day,
                                starting=isinstance(command, c.SubmitVooraanmelding))
        for _ in range(self.pool_retries):
            grant = self._find(command.region_code, scheme)
            loaded_version = grant.version if grant else 0
            if grant is not None:
                repeated = self._repeated(grant, command, fingerprint)
                if repeated is not None:
                    return repeated
            if command.expected_version is not None and command.expected_version != loaded_version:
                raise StaleVersion(command.region_code, command.expected_version, loaded_version)
            ledger = money.ledger_of(self, grant.id) if grant is not None else None
            ctx = Context(self.regulation(scheme), command.effective_at or self.clock(), paid_cents=money.paid_for(ledger))
            if grant is None:
                if not isinstance(command, c.SubmitVooraanmelding):
                    raise GrantNotFound(command.region_code)
                grant, decision = Grant.pre_register(command, ctx, fingerprint)
            else:
                decision = grant.handle(command, ctx, fingerprint)
            pools = self._reserve(command, decision, ctx)
            moved = money.follow_decision(self, grant, ledger, decision, ctx, {
                "actor": command.actor.name, "reason": command.reason, "effective_at": ctx.effective_at})
            try:
                self.save(grant, *pools, *moved)
            except IntegrityError:
                fresh = self._find(command.region_code, scheme)
                if fresh is not None:
                    repeated = self._repeated(fresh, command, fingerprint)
                    if repeated is not None:
                        return repeated
                fresh_version = fresh.version if fresh else 0
                if fresh_version != loaded_version:
                    raise ConcurrencyConflict(command.region_code, loaded_version, fresh_version) from None
                continue  # only a budget pool moved under us: try again on fresh pools
            receipt = grant.state.commands[command.command_id.hex]
            return CommandResult.from_receipt(grant.state, command.command_id, receipt, duplicate=False, with_state=True)
        raise ConcurrencyConflict(command.region_code, None, None)

    def _repeated(self, grant: Grant, command: c.Command, fingerprint: str) -> CommandResult | None:
        receipt = grant.state.commands.get(command.command_id.hex)
        if receipt is None:
            return None
        check_retry(receipt, command, fingerprint)
        return CommandResult.from_receipt(grant.state, command.command_id, receipt, duplicate=True, with_state=True)

    def _reserve(self, command: c.Command, decision: Decision, ctx: Context) -> list[BudgetPool]:
        pools = []
        for reservation in decision.reservations:
            if reservation.release:
                pool = self._release(command, reservation)
                if pool is not None:
                    pools.append(pool)
            elif reservation.check_only:
                self._claim(command, reservation, ctx)  # refuses above the ceiling; the pool is not saved
            else:
                pools.append(self._claim(command, reservation, ctx))
        return pools

    def _release(self, command: c.Command, reservation: Reservation) -> BudgetPool | None:
        try:
            pool: BudgetPool = self.repository.get(pool_id(reservation.pool))
        except AggregateNotFoundError:
            return None
        return pool if pool.release(command.region_code, command.command_id) else None

    def _claim(self, command: c.Command, reservation: Reservation, ctx: Context) -> BudgetPool:
        try:
            pool: BudgetPool = self.repository.get(pool_id(reservation.pool))
        except AggregateNotFoundError:
            pool = BudgetPool.open(reservation.pool)
        param = ctx.regulation.param(reservation.ceiling_param, ctx.day)
        year = next(iter(reservation.per_year)) if reservation.extension else None
        pool.reserve(command.region_code, reservation.per_year, ceilings_from(param.value, year), param.source, command.command_id)
        return pool

    # --- the outbox ---------------------------------------------------------------------------

    def deliver_notification(self, notification: Notification, notifier: Notifier) -> tuple[str, bool]:
        """Queue (once) and deliver (once) a notification; returns (reference, newly delivered).

        Raises what the notifier raised when delivery failed: the caller retries later.
        """
        message = self._outbox_message(notification)
        if message.delivered:
            return message.reference or "", False
        try:
            reference = notifier.send(message.message())
        except Exception as error:
            message.mark_failed(f"{type(error).__name__}: {error}")
            try:
                self.save(message)
            except IntegrityError:
                pass  # another attempt recorded its own outcome
            raise
        message.mark_delivered(reference)
        try:
            self.save(message)
        except IntegrityError:
            fresh: OutboxMessage = self.repository.get(message.id)
            return fresh.reference or reference, False
        return reference, True

    def _outbox_message(self, notification: Notification) -> OutboxMessage:
        try:
            return self.repository.get(outbox_id(notification.key))
        except AggregateNotFoundError:
            pass
        message = OutboxMessage.queue(notification)
        try:
            self.save(message)
        except IntegrityError:
            return self.repository.get(outbox_id(notification.key))
        return message

    def outbox(self, key: str) -> OutboxMessage | None:
        try:
            return self.repository.get(outbox_id(key))
        except AggregateNotFoundError:
            return None

    # --- the regulation ---------------------------------------------------------------------

    def base(self, scheme: str | None = None) -> Regulation:
        """A scheme as shipped: the service's base regulation for its own scheme, the registry's for the others."""
        if scheme is None or scheme == self.base_regulation.data.scheme_id:
            return self.base_regulation
        return shipped_scheme(scheme)

    def regulation(self, scheme: str | None = None) -> Regulation:
        """The shipped scheme (default: the service's base, the legacy scheme) plus every amendment published
        for it in this store."""
        scheme = scheme or self.base_regulation.data.scheme_id
        newer = list(self.events.get(PUBLICATIONS_ID, gt=self._publications_version))
        if newer:
            self._amended.clear()
            self._publications_version = newer[-1].originator_version
        if scheme not in self._amended:
            try:
                log: Publications = self.repository.get(PUBLICATIONS_ID)
            except AggregateNotFoundError:
                self._amended[scheme] = self.base(scheme)
            else:
                self._amended[scheme] = log.apply_to(self.base(scheme))
                self._publications_version = max(self._publications_version, log.version)
        return self._amended[scheme]

    def scheme_of(self, region_code: str, scheme: str | None = None, *, day: dt.date | None = None,
                  starting: bool = False) -> str:
        """The scheme of the grant a command or question is about: the one named; for a vooraanmelding the
        scheme in force on its day; else the region's only grant, or the one in the scheme in force."""
        if scheme is not None:
            if scheme not in scheme_ids():
                raise InvalidInput(f"no scheme {scheme!r}; the engine knows {', '.join(scheme_ids())}", field="scheme",
                                   hint="`sto schemes` lists the schemes")
            return scheme
        day = day or local_date(self.clock())
        if starting:
            return scheme_in_force(day)
        existing = [s for s in scheme_ids() if self._exists(grant_id(region_code, s))]
        if len(existing) == 1:
            return existing[0]
        current = scheme_in_force(day)
        if not existing or current in existing:
            return current
        return existing[-1]

    def _exists(self, aggregate_id: Any) -> bool:
        return next(iter(self.events.get(aggregate_id, limit=1)), None) is not None

    def published_amendments(self) -> list[Amendment]:
        """Every amendment published in this store, in the order of publication."""
        try:
            log: Publications = self.repository.get(PUBLICATIONS_ID)
        except AggregateNotFoundError:
            return []
        return [Amendment.model_validate(a) for a in log.amendments]

    def publish_amendment(self, amendment: Amendment, actor: str, reason: str) -> bool:
        """Publish an amendment for every process that reads this store; False if it was already published."""
        for _ in range(self.pool_retries):
            try:
                log: Publications = self.repository.get(PUBLICATIONS_ID)
            except AggregateNotFoundError:
                log = Publications.start()
            self.base(amendment.scheme).with_amendment(amendment)  # validates that it fits its scheme
            changed = log.publish(amendment, actor, reason)
            if not changed:
                return False
            try:
                self.save(log)
            except IntegrityError:
                continue
            return True
        raise ConcurrencyConflict("regulation", None, None)

    # --- queries -----------------------------------------------------------------------

    def _find(self, region_code: str, scheme: str | None = None) -> Grant | None:
        try:
            return self.repository.get(grant_id(region_code, scheme))
        except AggregateNotFoundError:
            return None

    def grant(self, region_code: str, version: int | None = None, *, scheme: str | None = None) -> Grant:
        """The region's grant in `scheme` (default: its only grant, or the one in the scheme in force)."""
        scheme = self.scheme_of(region_code, scheme)
        try:
            return self.repository.get(grant_id(region_code, scheme), version=version)
        except AggregateNotFoundError:
            raise GrantNotFound(region_code) from None

    def state(self, region_code: str, version: int | None = None, *, scheme: str | None = None) -> GrantState:
        return self.grant(region_code, version, scheme=scheme).state

    def history(self, region_code: str, *, scheme: str | None = None) -> list[GrantEvent]:
        events = list(self.events.get(grant_id(region_code, self.scheme_of(region_code, scheme))))
        if not events:
            raise GrantNotFound(region_code)
        return events  # type: ignore[return-value]

    def state_as_of(self, region_code: str, moment: dt.datetime, *, scheme: str | None = None) -> GrantState | None:
        """The grant as it stood at business time `moment` (None if it did not exist yet)."""
        scheme = self.scheme_of(region_code, scheme)
        version = 0
        for event in self.history(region_code, scheme=scheme):
            if event.effective_at <= moment:
                version = event.originator_version
            else:
                break
        return self.state(region_code, version, scheme=scheme) if version else None

    def pool_totals(self, key: str) -> dict[int, int]:
        try:
            pool: BudgetPool = self.repository.get(pool_id(key))
        except AggregateNotFoundError:
            return {}
        return pool.totals()

    def region_codes(self, scheme: str | None = None) -> Iterable[str]:
        """Every region with a grant (in `scheme`, or in any), in the order they pre-registered."""
        seen: set[str] = set()
        for grant_scheme, code in self.grant_keys():
            if (scheme is None or grant_scheme == scheme) and code not in seen:
                seen.add(code)
                yield code

    def grant_keys(self) -> Iterable[tuple[str, str]]:
        """Every grant as (scheme, region code), in the order they pre-registered."""
        from domain.events import VooraanmeldingReceived

        legacy = legacy_scheme_id()
        start = 1
        while True:
            notifications = self.recorder.select_notifications(start, 500, topics=[_topic(VooraanmeldingReceived)])
            if not notifications:
                return
            for n in notifications:
                event = self.mapper.to_domain_event(n)
                yield event.scheme or legacy, event.region_code
            start = notifications[-1].id + 1


def _topic(cls: type) -> str:
    from eventsourcing.utils import get_topic

    return get_topic(cls)


def _snapshot_usable(snapshot: Any) -> bool:
    """A snapshot of a grant whose state holds what only a replay can give (domain/state.py REPLAYED_NOT_UPCAST);
    a snapshot of anything else (a budget pool) as it is."""
    state = snapshot.state.get("state") if isinstance(snapshot.state, dict) else None
    return not isinstance(state, GrantState) or snapshot_is_complete(state)
