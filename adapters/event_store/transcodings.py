"""Transcodings of the store's own value types: dates as ISO text, snapshots' grant state as its JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from eventsourcing.persistence import Transcoding

from domain.state import GrantState


class DateAsISO(Transcoding):
    type = dt.date
    name = "date_iso"

    def encode(self, obj: dt.date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> dt.date:
        return dt.date.fromisoformat(data)


class GrantStateAsJSON(Transcoding):
    """Snapshots hold the aggregate's state model."""

    type = GrantState
    name = "grant_state"

    def encode(self, obj: GrantState) -> Any:
        return orjson.loads(obj.model_dump_json())

    def decode(self, data: Any) -> GrantState:
        return GrantState.model_validate(data)
