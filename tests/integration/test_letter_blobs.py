"""The letters' PDFs in the store's own database (adapters/letters/blobs.py), on SQLite and on the real PostgreSQL:
the table lives beside the events (in the PostgreSQL schema of the store), the bytes come back exactly and are
checked against their hash, the same bytes are one row however often and by however many writers they are put,
and a letter issued on the store is read back by another connection (as the API and `sto grant letters` do)."""

from __future__ import annotations

import hashlib
import threading

import pytest

from adapters.event_store.store import open_service, postgres_conninfo, store_env
from adapters.letters.blobs import LetterBlobs, LetterCorrupted, blobs_for, url_of
from adapters.letters.issue import issue_letters, reprint
from tests.support.scripted import GrantScript

ALL_BYTES = bytes(range(256)) * 8 + b"%PDF-1.4\x00\xff\x00"  # every byte value, NULs included


@pytest.fixture
def blobs(store_url):
    store = LetterBlobs(store_url)
    yield store
    store.close()


def test_the_bytes_come_back_exactly_and_the_same_bytes_are_one_row(blobs, store_url):
    digest = blobs.put(ALL_BYTES)
    assert digest == hashlib.sha256(ALL_BYTES).hexdigest()
    assert blobs.put(ALL_BYTES) == digest  # again: no error, no second row
    assert blobs.get(digest) == ALL_BYTES
    assert blobs.get("0" * 64) is None
    rows = blobs.tables.rows("SELECT sha256, size FROM letter_pdfs")
    assert [(r["sha256"], r["size"]) for r in rows] == [(digest, len(ALL_BYTES))]
    other = LetterBlobs(store_url)  # another connection (another process would do the same)
    try:
        assert other.get(digest) == ALL_BYTES
    finally:
        other.close()


def test_a_changed_row_is_refused_by_its_hash(blobs):
    digest = blobs.put(b"%PDF-1.4 original")
    blobs.tables.run("UPDATE letter_pdfs SET content = ? WHERE sha256 = ?", (b"%PDF-1.4 altered", digest))
    with pytest.raises(LetterCorrupted):
        blobs.get(digest)


def test_writers_putting_the_same_letter_at_once_leave_one_row(store_url):
    data = b"%PDF-1.4 " + bytes(range(256)) * 40
    stores = [LetterBlobs(store_url) for _ in range(4)]
    digests, failures = [], []
    start = threading.Barrier(len(stores))

    def put(store: LetterBlobs) -> None:
        start.wait()
        try:
            digests.append(store.put(data))
        except Exception as error:  # noqa: BLE001 - any error is a failure of the test
            failures.append(error)

    threads = [threading.Thread(target=put, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert failures == [] and len(set(digests)) == 1 and len(digests) == len(stores)
        assert stores[0].tables.rows("SELECT COUNT(*) AS n FROM letter_pdfs")[0]["n"] == 1
    finally:
        for store in stores:
            store.close()


@pytest.mark.postgres
def test_on_postgresql_the_table_is_in_the_stores_schema_and_holds_bytea(postgres_url):
    import psycopg

    service = open_service(postgres_url)
    assert url_of(service) == postgres_url  # the letters go where the events are
    digest = blobs_for(service).put(ALL_BYTES)
    schema = store_env(postgres_url)["POSTGRES_SCHEMA"]
    with psycopg.connect(postgres_conninfo(store_env(postgres_url))) as conn:
        columns = dict(conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s AND table_name = 'letter_pdfs'",
            (schema,)).fetchall())
        assert columns == {"sha256": "text", "size": "bigint", "content": "bytea", "stored_at": "text"}
        stored = conn.execute(f'SELECT content FROM "{schema}".letter_pdfs WHERE sha256 = %s', (digest,)).fetchone()[0]
        assert bytes(stored) == ALL_BYTES


def test_a_letter_issued_on_the_store_is_read_back_by_another_connection_and_reprints_the_same(store_url):
    service = open_service(store_url)
    service.installation.switch_on_letters()  # as a worker does when it starts on a new store
    script = GrantScript(service, index=21)
    script.to_approved()
    state = issue_letters(service, None, script.code, None)
    (record,) = state.letters
    reader = LetterBlobs(store_url)  # as the API and `sto grant letters` open it
    try:
        data = reader.get(record.sha256)
    finally:
        reader.close()
    assert data is not None and data.startswith(b"%PDF-") and len(data) == record.size
    assert hashlib.sha256(data).hexdigest() == record.sha256
    assert reprint(service, state, record.besluit) == data
    again = issue_letters(open_service(store_url), None, script.code, None)  # a retried activity: nothing new
    assert again.letters == state.letters and again.version == state.version
