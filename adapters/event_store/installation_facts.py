"""The installation's facts as its store records them (domain/installation.py): recorded by the code that needs them,
the first time it runs against the store; read by every other process, which never writes them.

Decision letters: the engine owes a letter for every besluit recorded since the moment its store says. A worker
(`build_worker`: the process that makes letters) records that moment when it first starts on the store:
- a store without events: now, before its first event: every besluit it will hold gets its letter;
- a store that already holds letters: it was run by a release that owed them from its first release's moment
  (domain/regulation/data/engine_releases.toml), and keeps that moment;
- any other store (written by code of before letters): now, so that no besluit of before the upgrade is mailed.
A store no worker of this code has started on owes no letter yet (its besluiten get theirs by hand, as before).
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.errors import DomainError
from domain.installation import DECISION_LETTERS, FIRST_LETTERS_RELEASE, INSTALLATION_ID, MONEY_LEDGER, STAGES, Installation

ATTEMPTS = 20


class InstallationFactUnrecorded(DomainError):
    """The moment from which the installation makes letters could not be recorded: writers kept racing for it."""

    code = "installation_fact_unrecorded"


class InstallationFacts:
    """One store's facts, as one process sees them: read when first asked (a moment once recorded never changes)."""

    def __init__(self, service: Application):
        self.service = service
        self._letters: dt.datetime | None = None

    @property
    def letters_owed_from(self) -> dt.datetime | None:
        """Since when this installation makes decision letters (recording time); None: no worker has started yet."""
        if self._letters is None:
            self._letters = recorded_since(self.service, DECISION_LETTERS)
        return self._letters

    def switch_on_letters(self) -> dt.datetime:
        """Record from when letters are owed, if no process did: a worker, when it starts on the store. The same worker
        records from when besluiten go through stages under mandate, and from when grants hold a money ledger: the
        moments an auditor reads the record by (a besluit of before was taken by one person, as the engine then
        allowed; a verlening of before has its money outside the engine)."""
        fresh = not self.service.recorder.max_notification_id()
        self._letters = switch_on_letters(self.service)
        for capability in (STAGES, MONEY_LEDGER):
            switch_on_now(self.service, capability, fresh=fresh)
        return self._letters

    def since(self, capability: str) -> dt.datetime | None:
        return recorded_since(self.service, capability)


def recorded_since(service: Application, capability: str) -> dt.datetime | None:
    """When the capability was switched on in this store, or None (a read: nothing is written)."""
    try:
        log: Installation = service.repository.get(INSTALLATION_ID)
    except AggregateNotFoundError:
        return None
    return log.since(capability)


def switch_on_letters(service: Application) -> dt.datetime:
    """The moment from which this installation owes decision letters; recorded in its store when missing."""
    return _record_once(service, DECISION_LETTERS, lambda: _letters_moment(service))


def switch_on_now(service: Application, capability: str, *, fresh: bool) -> dt.datetime:
    """Record that `capability` is on from now (before the first event, in a new store), unless it is recorded."""
    how = ("a new store: from its first event" if fresh else
           "the store was first started on by a worker of the code that has it; what it recorded before had not")
    return _record_once(service, capability, lambda: (dt.datetime.now(dt.timezone.utc), how))


def _record_once(service: Application, capability: str, moment: Callable[[], tuple[dt.datetime, str]]) -> dt.datetime:
    """The capability's moment as the store records it; recorded (with `moment()`) when missing. Writers that race
    for it read the first one's."""
    for _ in range(ATTEMPTS):
        try:
            log: Installation = service.repository.get(INSTALLATION_ID)
        except AggregateNotFoundError:
            log = Installation.start()
        since = log.since(capability)
        if since is not None:
            return since
        since, how = moment()
        log.switch_on(capability, since, how)
        try:
            service.save(log)
        except IntegrityError:  # another process recorded it first: read theirs
            continue
        return since
    raise InstallationFactUnrecorded(
        f"could not record from when this store's engine has {capability} (domain/installation.py): {ATTEMPTS} attempts "
        "met another writer", hint="start the worker again; if it happens again, check which processes write the Installation log")


def _letters_moment(service: Application) -> tuple[dt.datetime, str]:
    from domain.events import DecisionLetterIssued

    now = dt.datetime.now(dt.timezone.utc)
    if not service.recorder.max_notification_id():
        return now, "a new store: every besluit gets its letter, from its first event"
    if service.recorder.select_notifications(1, 1, topics=[get_topic(DecisionLetterIssued)]):
        return FIRST_LETTERS_RELEASE, ("the store holds letters of the first release that made them, which owed "
                                       "them from this moment")
    return now, ("the store was first started on by a worker that makes letters; its besluiten of before had their "
                 "letters outside the engine")
