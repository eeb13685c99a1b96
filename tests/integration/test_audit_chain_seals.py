"""Seals on the real stores: each record's content hash is fixed in the transaction that stores it, so a
record edited (deleted, reordered, slipped in) after it was stored and before any catch-up chained it is
named by `verify`, and a later catch-up does not bless the edit; stores written before seals still verify."""

from __future__ import annotations

import json
import uuid

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from adapters.audit import chain as audit_chain
from adapters.read_side.read_models import ReadModels
from tests.support.scenarios import scripted_regions
from tests.support.scripted import GrantScript
from adapters.event_store.store import ensure_postgres_schema, open_service, store_env
from domain.errors import ConcurrencyConflict, GrantNotFound
from adapters.event_store.service import GrantService
from tests.integration.test_audit_chain import RECORDS, RawStore, chain_rows, verify


@pytest.fixture
def store(store_url):
    service = open_service(store_url)
    scripted_regions(service, 3)  # RECORDS stored records, none chained yet
    return service, ReadModels(service, store_url), RawStore(store_url), store_url


def seals(raw: RawStore) -> dict[int, str]:
    return dict(raw.run("SELECT notification_id, content_hash FROM audit_sealed ORDER BY notification_id"))


def records(raw: RawStore) -> dict[int, str]:
    rows = raw.run("SELECT {pos}, originator_id, originator_version, topic, state FROM {table} ORDER BY {pos}")
    return {row[0]: audit_chain.content_hash(*row[1:]) for row in rows}


def edit(raw: RawStore, position: int) -> None:
    raw.run("UPDATE {table} SET state = ? WHERE {pos} = ?", (raw.state(position) + b" ", position))


def drop_seal_guards(raw: RawStore) -> None:
    if raw.mark == "?":
        raw.run("DROP TRIGGER audit_sealed_no_delete")
    else:
        raw.run("DROP TRIGGER audit_sealed_append_only ON audit_sealed")


def standalone(url: str, capsys, *args: str) -> tuple[int, dict]:
    """`python -m adapters.audit.chain URL ...`, in this process: its exit code and its report."""
    capsys.readouterr()  # what the application logged before
    code = audit_chain.main([url, *args])
    return code, json.loads(capsys.readouterr().out)


def test_every_stored_record_is_sealed_with_its_content_hash_and_an_untouched_store_verifies(store):
    service, models, raw, _ = store
    assert seals(raw) == records(raw) and len(seals(raw)) == service.recorder.max_notification_id() == RECORDS
    report = verify(models)
    assert report.ok and report.sealed == report.records == report.newly_chained == RECORDS
    scripted_regions(service, 2, first=10)
    assert seals(raw) == records(raw)
    again = verify(models)
    assert again.ok and again.checked == RECORDS and again.sealed == again.records == service.recorder.max_notification_id()
    assert [row[2] for row in chain_rows(raw)] == list(seals(raw).values())  # the chain is built from the seals


def test_a_record_edited_right_after_it_was_stored_is_named_before_anything_chained_it(store, capsys):
    _, models, raw, url = store
    edit(raw, 3)
    checked = verify(models, extend_chain=False)
    assert (checked.ok, checked.problem.kind, checked.problem.notification_id) == (False, "edited", 3)
    assert "sealed when it was stored" in checked.problem.message
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "edited", 3)
    assert report.newly_chained == 0 and chain_rows(raw) == []  # nothing chained over the edit
    code, printed = standalone(url, capsys, "--no-extend")
    assert code == 1 and printed["problem"]["kind"] == "edited" and printed["problem"]["notification_id"] == 3


def test_a_catch_up_after_the_edit_chains_what_was_stored_so_verify_still_names_the_edit(store, capsys):
    service, models, raw, url = store
    verify(models)
    scripted_regions(service, 1, first=10)
    newest = service.recorder.max_notification_id()
    genuine = records(raw)[newest]
    edit(raw, newest)  # 10:01, before the next read chains it
    models.refresh()  # a read catches up and chains the new records
    assert chain_rows(raw)[-1][1:3] == (newest, genuine)  # chained as it was stored, not as edited
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "edited", newest)
    code, printed = standalone(url, capsys)
    assert code == 1 and printed["problem"]["notification_id"] == newest


def test_a_sealed_record_deleted_before_it_was_chained_is_named(store):
    service, models, raw, _ = store
    last = service.recorder.max_notification_id()
    raw.run("DELETE FROM {table} WHERE {pos} = ?", (last,))  # the end of the log: only its seal remembers it
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "deleted", last)
    raw.run("DELETE FROM {table} WHERE {pos} = 5")
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "deleted", 5)


def test_records_reordered_before_they_were_chained_are_named(store):
    _, models, raw, _ = store
    raw.run("UPDATE {table} SET {pos} = -1 WHERE {pos} = 6")
    raw.run("UPDATE {table} SET {pos} = 6 WHERE {pos} = 7")
    raw.run("UPDATE {table} SET {pos} = 7 WHERE {pos} = -1")
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "reordered", 6)
    assert "sealed as record 7" in report.problem.message


def test_a_record_slipped_in_around_the_store_after_sealing_began_is_named_chained_or_not(store):
    _, models, raw, _ = store
    verify(models)
    raw.run(
        "INSERT INTO {table} (originator_id, originator_version, topic, state) "
        "SELECT originator_id, 99, topic, state FROM {table} WHERE {pos} = 2"
    )
    slipped = raw.run("SELECT MAX({pos}) FROM {table}")[0][0]
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "unsealed", slipped)
    models.refresh()  # a catch-up chains it all the same (it cannot tell), but verify keeps naming it
    assert chain_rows(raw)[-1][1] == slipped
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "unsealed", slipped)


def test_a_deleted_seal_is_named(store):
    _, models, raw, _ = store
    drop_seal_guards(raw)
    raw.run("DELETE FROM audit_sealed WHERE notification_id = 9")
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "unsealed", 9)


def test_a_store_written_before_seals_still_verifies_and_seals_what_is_stored_from_then_on(store_url, capsys):
    service = open_service(store_url)
    scripted_regions(service, 3)
    raw = RawStore(store_url)
    raw.run("DROP TABLE audit_sealed")  # as the code before seals left its stores: no seal table at all
    models = ReadModels(service, store_url)
    first = verify(models)
    assert first.ok and first.sealed == 0 and first.newly_chained == first.records == RECORDS
    assert verify(models).ok
    code, printed = standalone(store_url, capsys)
    assert code == 0 and printed["checked"] == RECORDS

    upgraded = open_service(store_url)  # the new code opens the old store: the seal table is created
    scripted_regions(upgraded, 1, first=10)
    newest = upgraded.recorder.max_notification_id()
    assert seals(raw) == {position: content for position, content in records(raw).items() if position > RECORDS}
    upgraded_report = verify(models)
    assert upgraded_report.ok and upgraded_report.checked == RECORDS and upgraded_report.sealed == newest - RECORDS

    raw.run("UPDATE {table} SET state = ? WHERE {pos} = 2", (raw.state(2) + b" ",))  # an old record: chain-checked
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "edited", 2)


def test_a_store_whose_seal_rows_are_missing_still_verifies(store):
    _, models, raw, _ = store
    drop_seal_guards(raw)
    raw.run("DELETE FROM audit_sealed")
    report = verify(models)
    assert report.ok and report.sealed == 0 and report.newly_chained == RECORDS


def test_a_seal_that_cannot_be_written_fails_the_append_and_stores_no_record(store):
    service, _, raw, _ = store
    before = records(raw)
    last = max(before)
    for position in range(last + 1, last + 200):  # the next positions are taken in the seal table
        raw.run("INSERT INTO audit_sealed (notification_id, content_hash) VALUES (?, ?)", (position, "00" * 32))
    grant = GrantScript(service, index=50)
    with pytest.raises(ConcurrencyConflict):
        grant.pre_register()
    assert records(raw) == before
    with pytest.raises(GrantNotFound):
        service.state(grant.code)


def test_a_failed_append_leaves_no_seal(store):
    service, _, raw, _ = store
    assert seals(raw) == records(raw)
    existing = raw.run("SELECT originator_id, originator_version FROM {table} WHERE {pos} = 4")[0]
    new = StoredEvent(uuid.uuid4(), 1, "tests:New", b"{}")
    stale = StoredEvent(uuid.UUID(str(existing[0])), existing[1], "tests:Stale", b"{}")
    with pytest.raises(IntegrityError):
        service.recorder.insert_events([new, stale])
    assert seals(raw) == records(raw) and len(seals(raw)) == RECORDS
    assert service.recorder.select_events(new.originator_id) == []


@pytest.mark.postgres
def test_the_librarys_pipelined_append_seals_too_on_postgres(postgres_url):
    env = {**store_env(postgres_url), "POSTGRES_ENABLE_DB_FUNCTIONS": "no"}
    ensure_postgres_schema(env)
    service = GrantService(env)
    scripted_regions(service, 2)
    raw = RawStore(postgres_url)
    assert seals(raw) == records(raw) and len(seals(raw)) == service.recorder.max_notification_id()
    edit(raw, 3)
    report = verify(ReadModels(service, postgres_url))
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "edited", 3)
