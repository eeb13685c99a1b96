"""What every grant event is: who, when, why, under which rule and legal basis, caused by which command; how it
applies to the grant (`evolve`, over what all events do), and how it records a besluit.

Its subclasses, in the modules beside this one, are stored under the topic `domain.events:<ClassName>`, the
module they all lived in before the package was split: `GrantEvent.__init_subclass__` gives every event class of
this package that module name, so that stores written before and after the split read each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, OriginatorIDError, OriginatorVersionError

from domain.events.records import _receipt, _record
from domain.state import BesluitRecord, DecisionRecord, GrantState
from domain.timekeeping import local_date
from domain.values import DecisionKind

STORED_MODULE = "domain.events"  # the module named in the topic of every stored grant event: never change it


class GrantEvent(Aggregate.Event):
    """Version 2 (2026-12) added `command_fingerprint` (domain/idempotency.py); version 1 events read as None."""

    class_version = 2

    actor: str
    role: str
    reason: str
    rule: str
    legal_basis: str
    effective_at: dt.datetime
    command_id: UUID
    command_type: str
    command_fingerprint: str | None

    __module__ = STORED_MODULE

    def __init_subclass__(cls) -> None:
        """An event class of this package is stored as `domain.events:<ClassName>`, whichever module of the
        package defines it (the package re-exports it under that name, so the topic resolves)."""
        super().__init_subclass__()
        if cls.__module__.startswith(STORED_MODULE + "."):
            cls.__module__ = STORED_MODULE

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["command_fingerprint"] = None  # written before fingerprints: the command type alone identifies it

    @property
    def effective_on(self) -> dt.date:
        return local_date(self.effective_at)

    def mutate(self, aggregate: Any) -> Any:
        """The library's `mutate`: the event must be the aggregate's and the next in its sequence; then it applies
        and sets the aggregate's version and modification time. Here those two are written into the aggregate's
        fields rather than through its properties (every load replays every event)."""
        if aggregate is None:
            raise OriginatorVersionError(self.originator_version, None)
        fields = aggregate.__dict__
        if self.originator_id != fields["_id"]:
            raise OriginatorIDError(self.originator_id, fields["_id"])
        if self.originator_version != fields["_version"] + 1:
            raise OriginatorVersionError(self.originator_version, fields["_version"] + 1)
        self.apply(aggregate)
        fields["_version"] = self.originator_version
        fields["_modified_on"] = self.timestamp
        return aggregate

    def apply(self, aggregate: Aggregate) -> None:  # a domain.grant.Grant
        state = aggregate.state
        self.evolve(state)
        # every event sets these: written straight into the record's fields (as pydantic's own assignment
        # does, without its per-call checks), and marked set once, when the record is made
        fields = state.__dict__
        fields["version"] = self.originator_version
        fields["last_effective_at"] = self.effective_at
        key = self.command_id.hex
        receipt = fields["commands"].get(key)
        if receipt is None:
            fields["commands"][key] = _receipt(
                self.command_type, self.originator_version, fields["status"], [type(self).__name__], self.command_fingerprint
            )
        else:
            receipt_fields = receipt.__dict__
            receipt_fields["version"] = self.originator_version
            receipt_fields["status"] = fields["status"]
            receipt_fields["events"].append(type(self).__name__)

    def evolve(self, state: GrantState) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def note_besluit(self, state: GrantState, kind: str, period: int, decided_on: dt.date, sent_on: dt.date, *,
                     granted_per_year: dict[int, int] | None = None, reasons: list[str] | None = None,
                     outcome: str | None = None, against: str | None = None) -> None:
        """Number the besluit this event records, for its decision letter (state.besluiten)."""
        state.besluiten.append(
            _record(
                BesluitRecord, number=len(state.besluiten) + 1, kind=kind, event=type(self).__name__,
                version=self.originator_version, period=period, decided_on=decided_on, sent_on=sent_on,
                granted_per_year=dict(granted_per_year or {}), reasons=list(reasons or []), outcome=outcome,
                against=against, rule=self.rule, legal_basis=self.legal_basis, recorded_at=self.timestamp,
                taken_by=self.actor, signature=None, stages=[],
            )
        )
        case = state.case
        if case is not None:  # the besluit ends the case: its own (signed), or one another besluit overtook
            record = state.besluiten[-1].__dict__
            if case.signature is not None:
                record["signature"] = dict(case.signature)
                record["stages"] = list(case.stages)
            state.case = None
        state.claim = None  # and any claim on the work: on its case, or on the draft of a besluit that was due


def _besluit(state: GrantState, kind: DecisionKind, decided_on: dt.date, sent_on: dt.date | None,
             granted_per_year: dict[int, int] | None = None, event: GrantEvent | None = None) -> None:
    """Record a besluit, so that its objection term runs (from the day after `sent_on`). Events written before
    such besluiten got an objection term (class version 2) carry no `sent_on`: they record none, as then."""
    if sent_on is None:
        state.case = None  # an application withdrawn before any grant ends a besluit in its stages too
        state.claim = None
        return
    period = state.decision.period if state.decision is not None else 0
    state.decisions.append(
        _record(DecisionRecord, kind=kind, period=period, decided_on=decided_on, sent_on=sent_on,
                granted_per_year=dict(granted_per_year or {}))
    )
    if event is not None:
        event.note_besluit(state, kind.value, period, decided_on, sent_on, granted_per_year=granted_per_year,
                           reasons=[event.reason])
