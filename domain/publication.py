"""Published amendments: the regulation changes while grants run, and the store remembers how.

Each scheme shipped as data (`regulation/data/schemes/*.toml`) is a base; every amendment published
later is an event here, so that every process (CLI, workers, API) reads the same regulation.
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate

from domain.regulation import Amendment, Regulation
from domain.regulation.schemes import scoped

PUBLICATIONS_ID = uuid.UUID("7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f")


class Publications(Aggregate):
    """The log of amendments published on top of the shipped regulation."""

    class Started(Aggregate.Created):
        pass

    class AmendmentPublished(Aggregate.Event):
        amendment: dict[str, Any]
        actor: str
        reason: str

        def apply(self, log: "Publications") -> None:
            log.amendments.append(self.amendment)

    def __init__(self) -> None:
        self.amendments: list[dict[str, Any]] = []

    @classmethod
    def start(cls) -> "Publications":
        return cls._create(cls.Started, id=PUBLICATIONS_ID)

    def publish(self, amendment: Amendment, actor: str, reason: str) -> bool:
        """Record the amendment; publishing the same version again changes nothing."""
        for known in self.amendments:
            if known["version"]["id"] == amendment.version.id:
                if Amendment.model_validate(known) != amendment:
                    raise ValueError(f"version {amendment.version.id!r} was already published with other content")
                return False
        self.trigger_event(self.AmendmentPublished, amendment=amendment.model_dump(mode="json"), actor=actor, reason=reason)
        return True

    def apply_to(self, base: Regulation) -> Regulation:
        """The scheme `base` with every amendment published for it (in the order of publication)."""
        return amended(base, [Amendment.model_validate(raw) for raw in self.amendments])


def amended(base: Regulation, amendments: list[Amendment]) -> Regulation:
    """`base` with those of `amendments` that amend its scheme."""
    regulation = base
    for amendment in amendments:
        if scoped(amendment.scheme) == scoped(base.data.scheme_id if base.data.scheme else None):
            regulation = regulation.with_amendment(amendment)
    return regulation
