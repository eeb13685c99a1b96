"""The installation's facts as its store records them (domain/installation.py): read once per process, recorded
the first time a store is opened by code that needs them.

Decision letters: the engine owes a letter for every besluit recorded since the moment its store says. That
moment is recorded once, the first time the store is asked by code that makes letters:
- a store without events: now, before its first event: every besluit it will hold gets its letter;
- a store that already holds letters: it was run by a release that owed them from its first release's moment
  (domain/regulation/data/engine_releases.toml), and keeps that moment;
- any other store (written by code of before letters): now, so that no besluit of before the upgrade is mailed.
"""

from __future__ import annotations

import datetime as dt
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.errors import ConcurrencyConflict
from domain.installation import DECISION_LETTERS, FIRST_LETTERS_RELEASE, INSTALLATION_ID, Installation

ATTEMPTS = 20


def letters_owed_from(service: Application) -> dt.datetime:
    """The moment from which this installation owes decision letters; recorded in its store when missing."""
    for _ in range(ATTEMPTS):
        try:
            log: Installation = service.repository.get(INSTALLATION_ID)
        except AggregateNotFoundError:
            log = Installation.start()
        since = log.since(DECISION_LETTERS)
        if since is not None:
            return since
        since, how = _letters_moment(service)
        log.switch_on(DECISION_LETTERS, since, how)
        try:
            service.save(log)
        except IntegrityError:  # another process recorded it first: read theirs
            continue
        return since
    raise ConcurrencyConflict("installation", None, None)


def _letters_moment(service: Application) -> tuple[dt.datetime, str]:
    from domain.events import DecisionLetterIssued

    now = dt.datetime.now(dt.timezone.utc)
    if not service.recorder.max_notification_id():
        return now, "een nieuwe opslag: elk besluit krijgt zijn brief, vanaf de eerste gebeurtenis"
    if service.recorder.select_notifications(1, 1, topics=[get_topic(DecisionLetterIssued)]):
        return FIRST_LETTERS_RELEASE, ("de opslag bevat al brieven van de eerste versie die brieven maakte; "
                                       "die was ze verschuldigd vanaf dit moment")
    return now, ("de opslag is voor het eerst geopend door een versie die brieven maakt; besluiten van daarvoor "
                 "hadden hun brief al buiten de engine")
