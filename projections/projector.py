"""One batch of notifications -> the grant rows it touched and its timeline lines. Pure, no I/O.

The follower (adapters/follower.py) loads the rows, calls `project`, and writes the result together with
the new position in one transaction; if anything raises, nothing of the batch is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from eventsourcing.utils import resolve_topic

from domain.events import GrantEvent
from projections.grant_rows import CREATED, HANDLERS, Handler, Row, new_row
from projections.payloads import Decode
from projections.timeline import event_name, timeline_row


# One stored record, as read from the notification log: (position, originator id, version, topic, state).
# A plain tuple, not eventsourcing's Notification: cheaper by a few microseconds per event.
RawNotification = tuple[int, Any, int, str, bytes]


class ProjectionError(RuntimeError):
    """The log holds something the read models cannot follow; the message says what to do."""


@dataclass
class BatchResult:
    last_position: int
    rows: dict[str, Row] = field(default_factory=dict)  # the rows this batch changed, by grant id
    timeline: list[tuple] = field(default_factory=list)
    notifications: int = 0  # every notification read, grant event or not


_grant_topics: dict[str, bool] = {}


def is_grant_event(topic: str) -> bool:
    known = _grant_topics.get(topic)
    if known is None:
        try:
            cls = resolve_topic(topic)
        except Exception:  # noqa: BLE001 - a topic this code base does not know is not a grant event of ours
            known = False
        else:
            known = isinstance(cls, type) and issubclass(cls, GrantEvent)
        _grant_topics[topic] = known
    return known


def project(
    notifications: Sequence[RawNotification],
    rows: dict[str, Row],
    decode: Decode,
    handlers: Mapping[str, Handler] = HANDLERS,
) -> BatchResult:
    """Apply a batch to `rows` (in place; the caller drops them if this raises) and collect what to write.

    Hot loop of every rebuild: grant events carry `effective_at` and `command_id` transcoded (datetime, UUID),
    so they are read as `["_data_"]` directly."""
    result = BatchResult(last_position=notifications[-1][0] if notifications else 0, notifications=len(notifications))
    touched = result.rows
    append = result.timeline.append
    for position, originator_id, version, topic, state in notifications:
        handler = handlers.get(topic)
        if handler is None:
            if is_grant_event(topic):
                raise ProjectionError(
                    f"notification {position} is a grant event ({topic}) without a read-model handler: add one "
                    "in projections/grant_rows.py, then run `sto projections rebuild`"
                )
            continue  # budget pools, published amendments, the outbox: not part of these read models
        payload = decode(state)
        grant_id = originator_id if type(originator_id) is str else originator_id.hex
        if topic == CREATED:
            row = rows[grant_id] = new_row(grant_id)
        else:
            row = rows.get(grant_id)
            if row is None:
                raise ProjectionError(
                    f"notification {position} ({topic}) belongs to grant {grant_id}, whose vooraanmelding the read "
                    "models never saw: run `sto projections rebuild`"
                )
        handler(row, payload)
        effective_at = payload["effective_at"]["_data_"]
        row["version"] = version
        row["position"] = position
        row["last_effective_at"] = effective_at
        touched[grant_id] = row
        append(timeline_row(position, grant_id, row["region_code"], version, _name(topic), effective_at, payload))
    return result


_names: dict[str, str] = {}


def _name(topic: str) -> str:
    name = _names.get(topic)
    if name is None:
        name = _names[topic] = event_name(topic)
    return name
