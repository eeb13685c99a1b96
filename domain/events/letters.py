"""The decision letter of a besluit, made and queued for the penvoerder."""

from __future__ import annotations

import datetime as dt

from domain.events.base import GrantEvent
from domain.events.records import _record
from domain.state import GrantState, LetterRecord


class DecisionLetterIssued(GrantEvent):
    """The decision letter (beschikking) of a besluit was made and queued for the penvoerder (new 2026-12).

    The PDF itself is kept content-addressed outside the events (adapters/letters); its sha256 and length
    here put it under the audit chain: a reprint from the same template gives the same bytes, so the same
    hash. `besluit` is the besluit's number in state.besluiten."""

    besluit: int
    besluit_kind: str
    template: str
    template_version: int
    sha256: str
    size: int
    filename: str
    objection_deadline: dt.date | None
    sent_to: str

    def evolve(self, state: GrantState) -> None:
        state.letters.append(
            _record(
                LetterRecord, besluit=self.besluit, kind=self.besluit_kind, template=self.template,
                template_version=self.template_version, sha256=self.sha256, size=self.size, filename=self.filename,
                issued_on=self.effective_on, objection_deadline=self.objection_deadline, sent_to=self.sent_to,
            )
        )
