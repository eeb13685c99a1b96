"""A record the read models cannot project is quarantined, with its grant; every other grant goes on.

The records are real: scripted grant lives in the in-memory store, plus records appended as a buggy writer
could have stored them (`append_record`: a copy of one of the grant's stored records with some fields
changed, written through the store's recorder, around the command validation and the aggregate)."""

from __future__ import annotations

import uuid
from types import MappingProxyType
from typing import Any

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from adapters.read_side.notification_sources import RecorderSource
from tests.support.scenarios import exceptional_regions, scripted_regions
from domain import events as e
from adapters.event_store.service import GrantService
from domain.values import grant_id_for
from projections.grant_rows import HANDLERS, INTEGER_COLUMNS, MAX_INTEGER, OPTIONAL_INTEGER_COLUMNS, new_row
from projections.payloads import COMMON_FIELDS, decode_json
from projections.projector import FOLLOWS, project

TOO_BIG = 2**63  # one more than a BIGINT holds; orjson still writes it (up to 2**64 - 1)


def append_record(service: GrantService, code: str, topic: type | None = None, **changes: Any) -> int:
    """Store, as the grant's next version, a copy of its last stored record (of `topic`, if given) with
    `changes` applied to the payload; returns the new record's position in the notification log."""
    grant_id = grant_id_for(code)
    stored = list(service.recorder.select_events(grant_id))
    template = next(s for s in reversed(stored) if topic is None or s.topic == get_topic(topic))
    payload = orjson.loads(template.state)
    version = stored[-1].originator_version + 1
    payload.update(changes, originator_version=version, command_id={"_type_": "uuid_hex", "_data_": uuid.uuid4().hex})
    (position,) = service.recorder.insert_events([StoredEvent(grant_id, version, template.topic, orjson.dumps(payload))])
    return position


def log_of(service: GrantService) -> list[tuple]:
    return RecorderSource(service.recorder).after(0, 100_000)


def grant_of(code: str) -> str:
    return grant_id_for(code).hex


def project_in_batches(notifications: list[tuple], size: int):
    """The whole log through `project`, `size` records at a time, as the follower does (rows and the
    quarantined grants carried from batch to batch); returns (rows, timeline, quarantine, last position)."""
    rows: dict = {}
    quarantined: dict = {}
    timeline, quarantine, last = [], [], 0
    for start in range(0, len(notifications), size):
        result = project(notifications[start:start + size], rows, decode_json, HANDLERS, quarantined)
        timeline += result.timeline
        quarantine += result.quarantine
        last = result.last_position
    return rows, timeline, quarantine, last


@pytest.fixture
def service(memory_service: GrantService) -> GrantService:
    scripted_regions(memory_service, 6)  # STO-R001 approved and reporting, STO-R004 an approved techniekarme regio
    return memory_service


def test_a_record_whose_handler_raises_and_one_with_an_amount_of_2_63_are_quarantined_and_the_others_go_on(service):
    good_r001 = max(n[0] for n in log_of(service) if n[1] == grant_id_for("STO-R001"))  # its last good record
    too_big = append_record(service, "STO-R001", e.ProgressReportSubmitted, spent_cents=TOO_BIG)
    after_too_big = append_record(service, "STO-R001", e.ProgressReportSubmitted)  # a good record, but after it
    raises = append_record(service, "STO-R004", e.GrantApproved, granted_per_year={"2020": "veel"})  # int("veel")
    scripted_regions(service, 2, first=7)  # other grants, after the bad records
    notifications = log_of(service)
    bad = {too_big, after_too_big, raises}

    result = project(notifications, {}, decode_json)

    assert result.last_position == notifications[-1][0]  # the position moves past them
    assert [(q["position"], q["region_code"], q["error_type"]) for q in result.quarantine] == [
        (too_big, "STO-R001", "UnstorableValue"),
        (after_too_big, "STO-R001", FOLLOWS),
        (raises, "STO-R004", "ValueError"),
    ]
    first, follows, failed = result.quarantine
    assert "spent_cents" in first["error"] and "64-bit" in first["error"] and first["first_position"] == too_big
    assert follows["first_position"] == too_big and str(too_big) in follows["error"]
    assert "veel" in failed["error"] and failed["event"] == "GrantApproved"
    assert {q["grant_id"] for q in result.quarantine} == {grant_of("STO-R001"), grant_of("STO-R004")}

    # every grant has the row it has without the bad records; the two quarantined ones are marked
    expected = project([n for n in notifications if n[0] not in bad], {}, decode_json)
    assert result.rows.keys() == expected.rows.keys() and len(result.rows) == 8
    for grant_id, row in result.rows.items():
        marked = {grant_of("STO-R001"): too_big, grant_of("STO-R004"): raises}.get(grant_id)
        assert row == {**expected.rows[grant_id], "quarantined_from": marked}
    assert result.rows[grant_of("STO-R001")]["position"] == good_r001
    assert result.rows[grant_of("STO-R001")]["spent_cents"] < MAX_INTEGER
    assert result.timeline == expected.timeline  # no line for a quarantined record


def test_a_quarantined_grants_later_records_are_quarantined_in_later_batches_too(service):
    too_big = append_record(service, "STO-R001", e.ProgressReportSubmitted, cofinancing_realised_cents=2**64 - 1)
    first_batch = log_of(service)
    rows: dict = {}
    quarantined: dict = {}
    project(first_batch, rows, decode_json, HANDLERS, quarantined)
    assert quarantined == {grant_of("STO-R001"): (too_big, "STO-R001")}

    later = append_record(service, "STO-R001", e.ProgressReportSubmitted)
    scripted_regions(service, 1, first=7)
    second_batch = log_of(service)[len(first_batch):]
    result = project(second_batch, rows, decode_json, HANDLERS, quarantined)

    assert [(q["position"], q["error_type"], q["first_position"]) for q in result.quarantine] == [
        (later, FOLLOWS, too_big)
    ]
    assert grant_of("STO-R001") not in result.rows  # its row stays as it was, marked, in an earlier batch
    assert rows[grant_of("STO-R001")]["quarantined_from"] == too_big
    assert grant_of("STO-R007") in result.rows and result.last_position == second_batch[-1][0]


def test_a_vooraanmelding_that_cannot_be_projected_quarantines_a_grant_that_has_no_row(service):
    fresh = scripted_regions(service, 1, first=7)[0]
    notifications = log_of(service)
    vooraanmelding = next(n for n in notifications if n[1] == grant_id_for(fresh.code) and n[2] == 1)
    payload = orjson.loads(vooraanmelding[4])
    del payload["penvoerder"]  # a handler that raises KeyError
    broken = [(*n[:4], orjson.dumps(payload)) if n is vooraanmelding else n for n in notifications]

    rows, timeline, quarantine, _ = project_in_batches(broken, 1000)

    assert grant_of(fresh.code) not in rows
    assert [(q["region_code"], q["error_type"]) for q in quarantine] == \
        [(fresh.code, "KeyError")] + [(fresh.code, FOLLOWS)] * (fresh.results[-1].version - 1)
    assert all(line[1] != grant_of(fresh.code) for line in timeline)
    assert len(rows) == 6


def test_whether_a_record_is_quarantined_does_not_depend_on_how_the_log_is_cut_into_batches(service):
    # a bad amount that the next record of the grant would overwrite: a check of the batch's last rows alone
    # would let it through when both records fall in one batch, and quarantine it when they do not
    append_record(service, "STO-R001", e.ProgressReportSubmitted, spent_cents=TOO_BIG)
    append_record(service, "STO-R001", e.ProgressReportSubmitted, spent_cents=5)
    append_record(service, "STO-R004", e.GrantApproved, granted_per_year={"2020": None})
    exceptional_regions(service)
    notifications = log_of(service)

    whole = project_in_batches(notifications, len(notifications))
    assert len(whole[2]) == 3
    for size in (1, 2, 5, 7, 50):
        assert project_in_batches(notifications, size) == whole, size


def _integer_leaves(value: Any, path: tuple = ()):
    if type(value) is dict:
        if "_type_" in value:
            return
        for key, item in value.items():
            if not path and key in COMMON_FIELDS:
                continue
            yield from _integer_leaves(item, (*path, key))
    elif type(value) is list:
        for i, item in enumerate(value):
            yield from _integer_leaves(item, (*path, i))
    elif type(value) is int:
        yield path


def _replaced(payload: Any, path: tuple, new: Any) -> Any:
    payload = orjson.loads(orjson.dumps(payload))
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return payload


def test_no_integer_from_a_payload_reaches_a_row_outside_the_range_the_views_store(memory_service):
    """Each integer field of every kind of grant event in turn set to 2**63 (and to 2**64 - 1): the record is
    quarantined, or the number does not reach the row; a row never holds what a BIGINT cannot."""
    scripted_regions(memory_service, 6)
    exceptional_regions(memory_service)
    notifications = [n for n in log_of(memory_service) if n[3] in HANDLERS]
    by_grant: dict = {}
    for n in notifications:
        by_grant.setdefault(n[1], []).append(n)
    integer_columns = INTEGER_COLUMNS | OPTIONAL_INTEGER_COLUMNS
    tried = quarantined = 0
    for records in by_grant.values():
        for i, record in enumerate(records):
            payload = decode_json(record[4])
            for path in _integer_leaves(payload):
                for value in (TOO_BIG, 2**64 - 1):
                    changed = [*records[:i], (*record[:4], orjson.dumps(_replaced(payload, path, value))), *records[i + 1:]]
                    result = project(changed, {}, decode_json)
                    tried += 1
                    quarantined += bool(result.quarantine)
                    for row in result.rows.values():
                        numbers = [row[c] for c in integer_columns if row[c] is not None]
                        numbers += list(row["granted_per_year"].values())
                        assert all(-TOO_BIG <= n <= MAX_INTEGER for n in numbers), (record[3], path, value)
    assert tried > 100 and quarantined > 20  # the amounts, periods and counts of every kind of event


def test_handlers_replace_nested_values_and_never_change_them_in_place(memory_service):
    """The projector keeps a grant's last good row as a shallow copy: that holds only if no handler changes
    a nested value (granted_per_year) in place. Here every row's nested value is read-only before each record."""
    scripted_regions(memory_service, 6)
    exceptional_regions(memory_service)
    rows: dict = {}
    for n in log_of(memory_service):
        handler = HANDLERS.get(n[3])
        if handler is None:
            continue
        row = rows.setdefault(n[1], new_row(n[1]))
        row["granted_per_year"] = MappingProxyType(dict(row["granted_per_year"]))
        handler(row, decode_json(n[4]))  # TypeError if a handler assigns into it
    assert any(row["granted_per_year"] for row in rows.values())
