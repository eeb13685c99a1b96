"""Facts of an installation: the moments at which this store's engine switched a capability on.

A capability that changes what the engine owes for past events (decision letters: a letter for every besluit
recorded since) must not take its moment from the code, which cannot know when a given installation upgraded: the
store records it, once, when it is first opened by code that has the capability (adapters/event_store/service.py),
and every process that reads the store reads the same moment.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import uuid
from importlib import resources

from eventsourcing.domain import Aggregate

INSTALLATION_ID = uuid.UUID("3b0f6c1e-5d2a-4e8f-9a17-6c4d2e8b1f05")
DECISION_LETTERS = "decision_letters"  # a letter for every besluit recorded since the moment
STAGES = "stages_and_mandates"  # every besluit recorded since went through its stages, under a mandate (four eyes)
MONEY_LEDGER = "money_ledger"  # every verlening recorded since has its money ledger (commitments, advances, claims)


class Installation(Aggregate):
    """The log of the capabilities this installation switched on, each with its moment."""

    class Started(Aggregate.Created):
        pass

    class CapabilitySwitchedOn(Aggregate.Event):
        capability: str
        since: dt.datetime  # recording time: the capability covers what was recorded from then on
        how: str  # in words: why this moment (a new store, the first opening by this code, ...)

        def apply(self, log: "Installation") -> None:
            log.capabilities[self.capability] = self.since

    def __init__(self) -> None:
        self.capabilities: dict[str, dt.datetime] = {}

    @classmethod
    def start(cls) -> "Installation":
        return cls._create(cls.Started, id=INSTALLATION_ID)

    def since(self, capability: str) -> dt.datetime | None:
        return self.capabilities.get(capability)

    def switch_on(self, capability: str, since: dt.datetime, how: str) -> bool:
        """Record the moment; a capability already on keeps the moment it has (False)."""
        if capability in self.capabilities:
            return False
        self.trigger_event(self.CapabilitySwitchedOn, capability=capability, since=since, how=how)
        return True


def _first_letters_release() -> dt.datetime:
    text = resources.files("domain.regulation").joinpath("data/engine_releases.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["decision_letters"]["first_release_owed_from"]


# From when the first release that made letters owed them (data: regulation/data/engine_releases.toml): read when
# a state carries no moment of its store (one recorded in a workflow history by that release). Read at import, so
# that workflow code never reads a file.
FIRST_LETTERS_RELEASE = _first_letters_release()
