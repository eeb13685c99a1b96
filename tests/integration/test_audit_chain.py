"""The audit hash chain on the real stores: each kind of tampering with the raw event table is detected
and the first bad record named; the chain only ever grows; an auditor can recompute it with hashlib alone."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from adapters.audit import chain as audit_chain
from adapters.read_side.read_models import ReadModels
from tests.support.scenarios import scripted_regions
from adapters.event_store.store import open_service, postgres_conninfo, store_env


# What scripted_regions(service, 3) stores: an approved grant reporting, a rejected one and one waiting for a repair.
# Grant events: 3 vooraanmeldingen, 3 applications, 2 acceptances, 2 advices; the approval and the rejection each
# drafted, passed by the interne controle and signed (6); the verlening with its advance schedule (2), the
# afwijzing (1), the repair asked (1), the verlening become final and a progress report (2). Beside them the budget
# pool opened and claimed (2), and the grant's ledger: opened, its commitment and 8 instalments (10).
RECORDS = 34


class RawStore:
    """The event table as an intruder (or an auditor) sees it: plain SQL, no application."""

    def __init__(self, url: str):
        env = store_env(url)
        if env["PERSISTENCE_MODULE"].endswith("sqlite"):
            self.connection = sqlite3.connect(env["SQLITE_DBNAME"], isolation_level=None)
            self.position, self.table, self.mark = "rowid", "stored_events", "?"
        else:
            import psycopg

            self.connection = psycopg.connect(postgres_conninfo(env), autocommit=True)
            self.connection.execute(f'SET search_path TO "{env["POSTGRES_SCHEMA"]}"')
            self.position, self.table, self.mark = "notification_id", "sto_events", "%s"

    def run(self, statement: str, params: tuple = ()) -> list[tuple]:
        statement = statement.format(pos=self.position, table=self.table).replace("?", self.mark)
        cursor = self.connection.execute(statement, params)
        return cursor.fetchall() if cursor.description else []

    def state(self, position: int) -> bytes:
        return bytes(self.run("SELECT state FROM {table} WHERE {pos} = ?", (position,))[0][0])


@pytest.fixture
def store(store_url):
    service = open_service(store_url)
    scripted_regions(service, 3)  # RECORDS stored records: grant events, budget pool and ledger events
    models = ReadModels(service, store_url)
    return service, models, RawStore(store_url)


def verify(models: ReadModels, **kw) -> audit_chain.ChainReport:
    db = models.chain()
    try:
        return audit_chain.verify(db, **kw)
    finally:
        db.close()


def chain_rows(raw: RawStore) -> list[tuple]:
    return raw.run("SELECT seq, notification_id, content_hash, chain_hash FROM audit_chain ORDER BY seq")


def test_an_untouched_store_verifies_and_everything_gets_chained(store):
    service, models, _ = store
    first = verify(models)
    assert first.ok and first.checked == 0 and first.newly_chained == service.recorder.max_notification_id()
    again = verify(models)
    assert again.ok and again.checked == first.newly_chained and again.newly_chained == 0
    assert again.head == first.head and again.head["notification_id"] == service.recorder.max_notification_id()


def test_an_edited_record_is_detected_and_named(store):
    _, models, raw = store
    verify(models)
    raw.run("UPDATE {table} SET state = ? WHERE {pos} = 3", (raw.state(3).replace(b"op.jansen", b"op.pieters"),))
    report = verify(models)
    assert not report.ok
    assert (report.problem.kind, report.problem.notification_id) == ("edited", 3)


def test_a_deleted_record_is_detected_and_named(store):
    _, models, raw = store
    verify(models)
    raw.run("DELETE FROM {table} WHERE {pos} = 5")
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "deleted", 5)


def test_an_inserted_record_is_detected_and_named(store):
    _, models, raw = store
    verify(models)
    raw.run(
        "INSERT INTO {table} ({pos}, originator_id, originator_version, topic, state) "
        "SELECT 0, originator_id, 99, topic, state FROM {table} WHERE {pos} = 2"
    )
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "inserted", 0)


def test_reordered_records_are_detected_and_named(store):
    _, models, raw = store
    verify(models)
    raw.run("UPDATE {table} SET {pos} = -1 WHERE {pos} = 6")
    raw.run("UPDATE {table} SET {pos} = 6 WHERE {pos} = 7")
    raw.run("UPDATE {table} SET {pos} = 7 WHERE {pos} = -1")
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "reordered", 6)
    assert "chained as record 7" in report.problem.message


def test_the_chain_grows_only_after_its_head_and_never_re_blesses_a_chained_record(store):
    service, models, raw = store
    verify(models)
    before = chain_rows(raw)
    scripted_regions(service, 2, first=10)
    added = service.recorder.max_notification_id() - before[-1][1]
    models.refresh()  # a catch-up chains the new records too
    after = chain_rows(raw)
    assert after[: len(before)] == before and len(after) == len(before) + added

    raw.run("UPDATE {table} SET state = ? WHERE {pos} = 2", (raw.state(2) + b" ",))
    scripted_regions(service, 1, first=20)
    report = verify(models)
    assert not report.ok and report.problem.notification_id == 2
    assert report.newly_chained == 0 and chain_rows(raw) == after  # a broken chain is not extended
    with pytest.raises(Exception, match="append-only"):
        raw.run("DELETE FROM audit_chain WHERE seq = 1")


def test_an_auditor_recomputes_the_chain_head_with_hashlib_alone(store):
    _, models, raw = store
    head = verify(models).head

    def field(h, part: bytes) -> None:
        h.update(len(part).to_bytes(8, "big") + part)

    link = "0" * 64
    for position, originator_id, version, topic, state in raw.run(
        "SELECT {pos}, originator_id, originator_version, topic, state FROM {table} ORDER BY {pos}"
    ):
        content = hashlib.sha256()
        for part in (str(originator_id).replace("-", "").lower().encode(), str(version).encode(), topic.encode(), bytes(state)):
            field(content, part)
        chain = hashlib.sha256()
        for part in (bytes.fromhex(link), str(position).encode(), content.digest()):
            field(chain, part)
        link = chain.hexdigest()
    assert link == head["hash"]


def test_an_anchored_head_must_still_be_in_the_chain(store):
    _, models, _ = store
    head = verify(models).head["hash"]
    assert verify(models, anchor=head).ok
    report = verify(models, anchor="ab" * 32)
    assert (report.ok, report.problem.kind) == (False, "anchor_missing")


def test_an_altered_chain_row_is_detected(sqlite_url):
    service = open_service(sqlite_url)
    scripted_regions(service, 2)
    models = ReadModels(service, sqlite_url)
    verify(models)
    raw = RawStore(sqlite_url)
    raw.run("DROP TRIGGER audit_chain_no_update")
    raw.run("UPDATE audit_chain SET content_hash = ? WHERE seq = 4", ("00" * 32,))
    report = verify(models)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "chain_altered", 4)
