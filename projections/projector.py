"""One batch of notifications -> the grant rows it touched, its timeline lines and its quarantine. Pure, no I/O.

The follower (adapters/read_side/follower.py) loads the rows and the quarantined grants, calls `project`, and writes the
result together with the new position in one transaction; if anything raises, nothing of the batch is written.

A record that cannot be projected does not stop the read models. Either its handler raised (any Exception,
decoding included; the handlers' intake checks raise UnstorableValue for a value no grant row can hold, such as
an amount outside the signed 64-bit range: projections/grant_rows.py), or the views database refused what it
gave (the follower then projects that batch again with a `probe` that offers each record's row and line to the
database: adapters/read_side/follower.py). Such a record is quarantined: an entry names it (position, grant, region,
topic, error), its grant's row stays at its last good state with `quarantined_from` set to that position, the
grant's later records are quarantined after it (they cannot be applied on top of a missing one), every other
grant goes on, and the position moves past it. A rebuild from zero, after the code or the record is fixed,
evaluates everything again.

The everyday batch pays almost nothing for this: the first pass applies it to the rows in place and keeps a
shallow copy of a row the first time the batch touches it (handlers replace nested values, never change them in
place). Only a batch in which a record raised is undone with those copies and applied again record by record,
each record on a copy of its row that replaces the row only when the record projected well. A grant event type
without a handler still stops the projection (MissingHandler): that is missing code, not one bad record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from eventsourcing.utils import resolve_topic

from domain.events import GrantEvent
from projections.grant_rows import CREATED, HANDLERS, Handler, Row, new_row
from projections.payloads import Decode
from projections.timeline import event_name, timeline_row


# One stored record, as read from the notification log: (position, originator id, version, topic, state).
# A plain tuple, not eventsourcing's Notification: cheaper by a few microseconds per event.
RawNotification = tuple[int, Any, int, str, bytes]

# grant id -> (position of its first quarantined record, its region code if known): the grants whose later
# records are quarantined after that one. Loaded by the follower from the views, extended by `project`.
Quarantined = dict[str, tuple[int, "str | None"]]

QUARANTINE_FIELDS: tuple[str, ...] = (
    "position", "grant_id", "region_code", "version", "topic", "event", "error_type", "error", "first_position",
)
QUARANTINE_HINT = "fix the code (projections/) or the record, then `sto projections rebuild`"
FOLLOWS = "FollowsQuarantinedRecord"  # error_type of a grant's records after its first quarantined one

# Offers a record's row and timeline line to the views database: None if it would store them, else why not.
Probe = Callable[[Row, tuple], "str | None"]


class ProjectionError(RuntimeError):
    """The log holds something the read models cannot follow; the message says what to do."""


class MissingHandler(ProjectionError):
    """A grant event type without a read-model handler: the code, not one record, is missing something.
    Every record of that type would be lost, so the projection stops (and says so) instead of quarantining."""


@dataclass
class BatchResult:
    last_position: int
    rows: dict[str, Row] = field(default_factory=dict)  # the rows this batch changed, by grant id
    timeline: list[tuple] = field(default_factory=list)
    notifications: int = 0  # every notification read, grant event or not
    quarantine: list[dict[str, Any]] = field(default_factory=list)  # QUARANTINE_FIELDS, in log order


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
    quarantined: Quarantined | None = None,
    probe: Probe | None = None,
) -> BatchResult:
    """Apply a batch to `rows` and `quarantined` (in place; the caller drops both if this raises) and collect
    what to write. Raises only MissingHandler; a record that cannot be projected is quarantined instead.
    With `probe`, the batch goes record by record at once and each record must also pass the probe."""
    if quarantined is None:
        quarantined = {}
    if probe is None:
        before: dict[str, Row | None] = {}  # each row as the batch found it (None: the batch created it)
        try:
            return _apply(notifications, rows, decode, handlers, quarantined, before)
        except MissingHandler:
            raise
        except Exception:  # noqa: BLE001 - a record of this batch cannot be projected: find it, record by record
            pass
        for grant_id, row in before.items():
            if row is None:
                rows.pop(grant_id, None)
            else:
                rows[grant_id] = row
    return _apply_carefully(notifications, rows, decode, handlers, quarantined, probe)


def _apply(notifications, rows, decode, handlers, quarantined, before) -> BatchResult:
    """The first pass, the hot loop of every rebuild: grant events carry `effective_at` and `command_id`
    transcoded (datetime, UUID), so they are read as `["_data_"]` directly. Raises on the first record that
    cannot be projected (the caller then undoes the batch with `before` and goes record by record)."""
    result = BatchResult(last_position=notifications[-1][0] if notifications else 0, notifications=len(notifications))
    touched = result.rows
    append = result.timeline.append
    names = _names
    for position, originator_id, version, topic, state in notifications:
        handler = handlers.get(topic)
        if handler is None:
            if is_grant_event(topic):
                raise MissingHandler(_missing(position, topic))
            continue  # budget pools, published amendments, the outbox: not part of these read models
        grant_id = originator_id if type(originator_id) is str else originator_id.hex
        if quarantined and grant_id in quarantined:
            result.quarantine.append(_follows(position, grant_id, version, topic, quarantined[grant_id]))
            continue
        payload = decode(state)
        if topic == CREATED:
            if grant_id not in before:
                before[grant_id] = rows.get(grant_id)  # replaced below, not changed
            row = rows[grant_id] = new_row(grant_id)
        else:
            row = rows.get(grant_id)
            if row is None:
                raise ProjectionError(_orphan(position, topic, grant_id))
            if grant_id not in before:
                before[grant_id] = row.copy()  # handlers replace nested values, so a shallow copy keeps it
        status = row["status"]
        handler(row, payload)
        effective_at = payload["effective_at"]["_data_"]
        if row["status"] != status:
            row["status_since"] = effective_at  # when a besluit due became due (projections/work_items.py)
        row["version"] = version
        row["position"] = position
        row["last_effective_at"] = effective_at
        touched[grant_id] = row
        append(timeline_row(position, grant_id, row["region_code"], version, names.get(topic) or _name(topic),
                            effective_at, payload))
    return result


def _apply_carefully(notifications, rows, decode, handlers, quarantined, probe) -> BatchResult:
    """The second pass, for a batch that holds a record that cannot be projected: each record on a copy of its
    grant's row; a record that raises (or fails the probe) is quarantined, and so is its grant."""
    result = BatchResult(last_position=notifications[-1][0] if notifications else 0, notifications=len(notifications))
    touched = result.rows
    for position, originator_id, version, topic, state in notifications:
        handler = handlers.get(topic)
        if handler is None:
            if is_grant_event(topic):
                raise MissingHandler(_missing(position, topic))
            continue
        grant_id = originator_id if type(originator_id) is str else originator_id.hex
        first = quarantined.get(grant_id)
        if first is not None:
            result.quarantine.append(_follows(position, grant_id, version, topic, first))
            continue
        row = rows.get(grant_id)
        payload: Any = None
        try:
            payload = decode(state)
            if topic == CREATED:
                work = new_row(grant_id)
            elif row is None:
                raise ProjectionError(_orphan(position, topic, grant_id))
            else:
                work = row.copy()
            status = work["status"]
            handler(work, payload)
            effective_at = payload["effective_at"]["_data_"]
            if work["status"] != status:
                work["status_since"] = effective_at
            work["version"] = version
            work["position"] = position
            work["last_effective_at"] = effective_at
            line = timeline_row(position, grant_id, work["region_code"], version, _name(topic), effective_at, payload)
        except Exception as error:  # noqa: BLE001 - whatever a record does, it stops only its own grant
            problem: tuple[str, str] | None = (type(error).__name__, str(error) or repr(error))
        else:
            # outside the `try`: a probe that cannot reach the database raises, and that is no record's fault
            refused = probe(work, line) if probe is not None else None
            problem = None if refused is None else ("RefusedByViewsDatabase", refused)
        if problem is None:
            rows[grant_id] = touched[grant_id] = work
            result.timeline.append(line)
            continue
        region_code = row["region_code"] if row is not None else _region_of(payload)
        quarantined[grant_id] = (position, region_code)
        if row is not None:
            row["quarantined_from"] = position  # its last good state, marked
            touched[grant_id] = row
        result.quarantine.append(_entry(position, grant_id, region_code, version, topic, *problem, position))
    return result


# --- quarantine entries ------------------------------------------------------------------------------


def clean(text: Any, limit: int) -> str | None:
    """Text safe for any views database: no NUL, no lone surrogate, at most `limit` characters."""
    if text is None:
        return None
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _entry(position, grant_id, region_code, version, topic, error_type, error, first_position) -> dict[str, Any]:
    return {
        "position": position,
        "grant_id": grant_id,
        "region_code": region_code,
        "version": version,
        "topic": clean(topic, 300),
        "event": clean(_name(topic), 100),
        "error_type": clean(error_type, 100),
        "error": clean(error, 1000),
        "first_position": first_position,
    }


def _follows(position: int, grant_id: str, version: int, topic: str, first: tuple[int, str | None]) -> dict[str, Any]:
    return _entry(
        position, grant_id, first[1], version, topic, FOLLOWS,
        f"grant {grant_id} is quarantined from record {first[0]} on: this later record cannot be applied on top "
        "of a missing one",
        first[0],
    )


def _region_of(payload: Any) -> str | None:
    """The region code of a record whose grant has no row yet (its vooraanmelding failed), if it says one."""
    code = payload.get("region_code") if type(payload) is dict else None
    return clean(code, 40) if type(code) is str else None


def _orphan(position: int, topic: str, grant_id: str) -> str:
    return (f"notification {position} ({topic}) belongs to grant {grant_id}, whose vooraanmelding the read "
            "models never saw: if the views were built from another store, run `sto projections rebuild`")


def _missing(position: int, topic: str) -> str:
    return (f"notification {position} is a grant event ({topic}) without a read-model handler: add one "
            "in projections/grant_rows.py, then run `sto projections rebuild`")


_names: dict[str, str] = {}


def _name(topic: str) -> str:
    name = _names.get(topic)
    if name is None:
        name = _names[topic] = event_name(topic)
    return name
