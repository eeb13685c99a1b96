"""A bad record in a real store (SQLite file and PostgreSQL) no longer stops the read models: it is quarantined,
every other grant reads fine, operators see it (`ReadModels.quarantine()`, `sto projections status`), and a
fix of the record or of the code plus `sto projections rebuild` clears it.

The bad records are stored around the command validation, through the store's own recorder, as a buggy writer
could have stored them (tests/unit/test_projection_quarantine.py: `append_record`)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

import orjson
import pytest
from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from adapters.cli.context import STATE
from adapters.cli.main import app
from adapters.read_side.follower import ProjectionFollower
from adapters.logging import configure_logging
from adapters.read_side.read_models import ReadModels
from tests.support.scenarios import scripted_regions
from adapters.event_store.store import open_service, postgres_conninfo, store_env
from adapters.read_side.database import open_view_database
from adapters.read_side.tables import SCHEMA_VERSION, TRACKING, ViewStore
from domain import events as e
from adapters.event_store.service import GrantService
from projections.grant_rows import HANDLERS
from projections.projector import FOLLOWS, QUARANTINE_HINT
from tests.unit.test_projection_quarantine import TOO_BIG, append_record

DAY = dt.date(2024, 1, 15)


def edit_record(service: GrantService, url: str, position: int, **changes: Any) -> None:
    """Change fields of a stored record in place, in the store itself (an operator's repair of the record)."""
    env = store_env(url)
    table = service.recorder.events_table_name
    if "SQLITE_DBNAME" in env:
        connection = sqlite3.connect(env["SQLITE_DBNAME"])
        with connection:
            (state,) = connection.execute(f"SELECT state FROM {table} WHERE rowid = ?", (position,)).fetchone()
            connection.execute(f"UPDATE {table} SET state = ? WHERE rowid = ?",
                               (orjson.dumps({**orjson.loads(state), **changes}), position))
        connection.close()
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(postgres_conninfo(env), autocommit=True) as connection:
        connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(env["POSTGRES_SCHEMA"])))
        (state,) = connection.execute(f"SELECT state FROM {table} WHERE notification_id = %s", (position,)).fetchone()
        connection.execute(f"UPDATE {table} SET state = %s WHERE notification_id = %s",
                           (orjson.dumps({**orjson.loads(bytes(state)), **changes}), position))


def regions_by_code(models: ReadModels) -> dict[str, dict]:
    return {r["region_code"]: r for r in models.regions()["regions"]}


def test_a_stored_amount_of_2_63_is_quarantined_the_others_read_fine_and_a_fixed_record_and_a_rebuild_clear_it(store_url):
    service = open_service(store_url)
    scripted_regions(service, 6)  # STO-R001 is approved and reporting
    good_version = service.state("STO-R001").version
    too_big = append_record(service, "STO-R001", e.ProgressReportSubmitted, spent_cents=TOO_BIG)
    after = append_record(service, "STO-R001", e.ProgressReportSubmitted, spent_cents=20_000)
    scripted_regions(service, 2, first=7)
    models = ReadModels(service, store_url, batch_size=10)  # many batches: the pipelined follower

    report = models.refresh().views  # this raised OverflowError (SQLite) / NumericValueOutOfRange (PostgreSQL)

    assert report.position == service.recorder.max_notification_id() and report.quarantined == 2
    regions = regions_by_code(models)
    assert sorted(regions) == [f"STO-R{i:03d}" for i in range(1, 9)]
    assert regions["STO-R001"]["quarantined"] is True and regions["STO-R001"]["quarantined_from"] == too_big
    assert regions["STO-R001"]["version"] == good_version  # its last good row
    assert not any(r["quarantined"] for code, r in regions.items() if code != "STO-R001")
    assert models.regions()["quarantined_records"] == 2
    assert models.budget(DAY)["totals"]["regions"] == 8 and models.deadlines(DAY)["deadlines"]
    assert [h["version"] for h in models.history("STO-R001")] == list(range(1, good_version + 1))
    assert models.history("STO-R007")

    entries = models.quarantine()
    assert [(q["position"], q["region_code"], q["error_type"], q["first_position"]) for q in entries] == [
        (too_big, "STO-R001", "UnstorableValue", too_big),
        (after, "STO-R001", FOLLOWS, too_big),
    ]
    assert "spent_cents" in entries[0]["error"] and "64-bit" in entries[0]["error"]
    assert entries[0]["event"] == "ProgressReportSubmitted" and entries[0]["quarantined_at"]
    assert all(q["hint"] == QUARANTINE_HINT for q in entries)
    status = models.status()
    assert status["ok"] is False and status["lag"] == 0 and status["failed_records"] == 1
    assert models.refresh().views.notifications == 0  # nothing to go over again: the position moved past them

    edit_record(service, store_url, too_big, spent_cents=12_345)  # the repair of the record...
    models.rebuild()  # ...and the rebuild that evaluates every record again
    assert models.quarantine() == [] and models.status()["ok"] is True
    repaired = regions_by_code(models)["STO-R001"]
    assert repaired["quarantined"] is False and repaired["version"] == good_version + 2


def test_a_record_the_views_database_refuses_is_found_by_offering_each_record_to_it(store_url):
    """A value no intake check looks at (the reason of a timeline line, here an object): both databases
    refuse to bind it, the batch is projected again record by record with each offered to the database."""
    service = open_service(store_url)
    scripted_regions(service, 6)
    refused = append_record(service, "STO-R004", reason={"an": "object"})
    scripted_regions(service, 1, first=7)
    models = ReadModels(service, store_url, batch_size=5)  # the refused batch is one of many, written in step

    assert models.refresh().views.quarantined == 1
    (entry,) = models.quarantine()
    assert entry["position"] == refused and entry["region_code"] == "STO-R004"
    assert entry["error_type"] == "RefusedByViewsDatabase" and entry["error"].startswith("timeline line (reason)")
    assert len(models.regions()["regions"]) == 7 and regions_by_code(models)["STO-R004"]["quarantined"]

    edit_record(service, store_url, refused, reason="aanvulling")
    models.rebuild()
    assert models.quarantine() == []


def test_a_catch_up_gets_through_any_number_of_refused_batches(store_url):
    service = open_service(store_url)
    grants = scripted_regions(service, 12)
    refused = []
    for grant in grants:  # one refused record after each grant's life: each in a batch of its own below
        refused.append(append_record(service, grant.code, actor={"not": "a name"}))
        scripted_regions(service, 1, first=100 + len(refused))
    models = ReadModels(service, store_url, batch_size=4)

    report = models.refresh().views

    assert report.position == service.recorder.max_notification_id()
    assert [q["position"] for q in models.quarantine()] == refused
    assert len(models.regions()["regions"]) == 24


def test_a_nul_in_a_text_is_refused_by_postgresql_and_stored_by_sqlite(store_url):
    """What a database refuses is that database's to say: PostgreSQL text holds no NUL, SQLite's does."""
    service = open_service(store_url)
    scripted_regions(service, 2)
    position = append_record(service, "STO-R001", reason="bezwaar\x00ontvangen")
    models = ReadModels(service, store_url)
    models.refresh()
    if store_url.startswith("sqlite"):
        assert models.quarantine() == []
        assert models.history("STO-R001")[-1]["reason"] == "bezwaar\x00ontvangen"
    else:
        assert [(q["position"], q["error_type"]) for q in models.quarantine()] == [(position, "RefusedByViewsDatabase")]
        assert "NUL" in models.quarantine()[0]["error"]
    assert len(models.regions()["regions"]) == 2


def test_a_handler_bug_is_quarantined_and_the_fixed_code_clears_it_on_rebuild(store_url):
    service = open_service(store_url)
    scripted_regions(service, 6)
    topic = get_topic(e.ProgressReportSubmitted)

    def buggy(row, payload):
        raise ZeroDivisionError("a bug in the handler")

    views = ViewStore(open_view_database(store_url))
    report = ProjectionFollower(service, views, handlers={**HANDLERS, topic: buggy}).catch_up()
    log = service.recorder.select_notifications(1, 10_000)
    reports = [n for n in log if n.topic == topic]
    first_reports = {min(n.id for n in reports if n.originator_id == grant) for grant in {n.originator_id for n in reports}}
    quarantined = views.quarantine()
    assert {q["position"] for q in quarantined if q["error_type"] == "ZeroDivisionError"} == first_reports
    assert {n.id for n in reports} <= {q["position"] for q in quarantined}  # the later ones follow the first
    assert report.quarantined == len(quarantined) and report.position == service.recorder.max_notification_id()

    models = ReadModels(service, store_url)  # the fixed code: the real handlers
    models.rebuild()
    assert models.quarantine() == [] and not any(r["quarantined"] for r in models.regions()["regions"])


def test_views_of_the_schema_before_the_quarantine_rebuild_themselves(store_url):
    service = open_service(store_url)
    scripted_regions(service, 3)
    models = ReadModels(service, store_url)
    models.refresh()
    db = models.db
    with db.transaction():  # views as the previous code left them
        db.execute("DROP TABLE view_quarantine")
        db.execute("ALTER TABLE view_grants DROP COLUMN quarantined_from")
        db.execute(f"UPDATE {TRACKING} SET schema_version = ?", (SCHEMA_VERSION - 1,))
    models.close()

    again = ReadModels(service, store_url)
    assert again.store.position() == 0  # dropped, to be built again
    assert [r["quarantined"] for r in again.regions()["regions"]] == [False] * 3
    assert again.quarantine() == [] and again.store.position() == service.recorder.max_notification_id()


# --- the CLI, as tests/e2e/test_cli_reads.py runs it ------------------------------------------------


@pytest.fixture
def sto(sqlite_url):
    configure_logging("WARNING")

    def run(*args: str):
        STATE.__dict__.pop("service", None)  # each invocation is its own process in real life
        STATE.extra.clear()
        STATE.database_url = None
        return CliRunner().invoke(app, ["--database-url", sqlite_url, *args])

    yield run
    STATE.extra.clear()
    STATE.database_url = None


def test_sto_projections_status_names_the_quarantined_record_and_what_to_do(sto, sqlite_url):
    service = open_service(sqlite_url)
    scripted_regions(service, 6)
    clean = sto("projections", "status", "--json")
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout)["ok"] is True and json.loads(clean.stdout)["quarantined"] == []

    too_big = append_record(service, "STO-R001", e.ProgressReportSubmitted, spent_cents=TOO_BIG)
    result = sto("projections", "status", "--json")
    assert result.exit_code == 0, result.output  # a status that could be read: see its help
    status = json.loads(result.stdout)
    assert status["ok"] is False and status["position"] == status["store_position"] == too_big
    (entry,) = status["quarantined"]
    assert entry["position"] == too_big and entry["region_code"] == "STO-R001"
    assert entry["event"] == "ProgressReportSubmitted" and "spent_cents" in entry["error"]
    assert "sto projections rebuild" in status["hint"]

    human = sto("projections", "status")
    words = " ".join(human.stdout.split())  # rich wraps at the terminal's width
    assert human.exit_code == 0 and "STO-R001" in words and "then `sto projections rebuild`" in words
    regions = sto("regions", "--json")
    assert regions.exit_code == 0 and len(json.loads(regions.stdout)["regions"]) == 6
    assert "quarantined" in sto("regions").stderr
