"""The region's melding (meldingsplicht) and the besluit that lowers the verlening before the vaststelling (Awb 4:48)."""

from __future__ import annotations

import datetime as dt

from domain.events.base import GrantEvent
from domain.events.records import _record, _years
from domain.state import DecisionRecord, GrantState, MeldingRecord
from domain.values import DecisionKind


class MeldingReceived(GrantEvent):
    kind: str
    activities: str

    def evolve(self, state: GrantState) -> None:
        state.meldingen.append(_record(MeldingRecord, received_on=self.effective_on, kind=self.kind, activities=self.activities))


class GrantLowered(GrantEvent):
    """The verlening lowered to these amounts per year (Awb 4:48 lid 1); a besluit with its letter and objection term."""

    period: int
    granted_per_year: dict[str, int]
    sent_on: dt.date

    def evolve(self, state: GrantState) -> None:
        per_year = _years(self.granted_per_year)
        state.decisions.append(_record(DecisionRecord, kind=DecisionKind.LOWERING, period=self.period,
                                       decided_on=self.effective_on, sent_on=self.sent_on, granted_per_year=per_year))
        self.note_besluit(state, DecisionKind.LOWERING.value, self.period, self.effective_on, self.sent_on,
                          granted_per_year=per_year, reasons=[self.reason])
