"""How both lean recorders read an aggregate's events: one statement of three columns with the library's filters,
and `select_events` made of the rows it returns.

Every row it returns is the asked aggregate's, so the recorders reuse the id they were given instead of reading
it back. `aggregate_events_select` is pure: the text and its parameters (after the originator id), for a
placeholder of the driver's style.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent


class SelectsEventRows:
    """A recorder's `select_events` made of its `select_event_rows` (version, topic, state), for the ids it reads
    that way (`reads_rows`); others take the library's way. The repository reads the rows themselves
    (codec.LeanRepository), without a StoredEvent for each."""

    def reads_rows(self, originator_id: Any) -> bool:
        return isinstance(originator_id, UUID)

    def select_event_rows(self, originator_id: UUID, *, gt: int | None = None, lte: int | None = None,
                          desc: bool = False, limit: int | None = None) -> list[tuple[int, str, bytes]]:
        raise NotImplementedError

    def select_events(self, originator_id: Any, *, gt: int | None = None, lte: int | None = None, desc: bool = False,
                      limit: int | None = None) -> Sequence[StoredEvent]:
        if not self.reads_rows(originator_id):
            return super().select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)  # type: ignore[misc]
        rows = self.select_event_rows(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        return [StoredEvent(originator_id, version, topic, state) for version, topic, state in rows]


def aggregate_events_select(table: str, mark: str, *, gt: int | None, lte: int | None, desc: bool,
                            limit: int | None) -> tuple[str, list[int]]:
    text = f"SELECT originator_version, topic, state FROM {table} WHERE originator_id = {mark}"
    params: list[int] = []
    if gt is not None:
        text += f" AND originator_version > {mark}"
        params.append(gt)
    if lte is not None:
        text += f" AND originator_version <= {mark}"
        params.append(lte)
    text += " ORDER BY originator_version " + ("DESC" if desc else "ASC")
    if limit is not None:
        text += f" LIMIT {mark}"
        params.append(limit)
    return text, params
