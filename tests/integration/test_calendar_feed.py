"""The calendar feeds: a region's deadlines and DUS-I's decision terms as RFC 5545, behind a secret per feed that
is stored only as its hash (SQLite and PostgreSQL stores), with stable UIDs so that a moved deadline updates the same calendar entry."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from typer.testing import CliRunner

from adapters.cli.context import STATE
from adapters.cli.main import app as cli
from adapters.engine.business_clock import clock_from_env
from adapters.event_store.store import open_service
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.logging import configure_logging
from adapters.operators.calendar_secrets import CalendarSecrets
from domain import commands as c
from tests.support.scripted import GrantScript, at


@pytest.fixture
def grants(store_url):
    service = open_service(store_url)
    first, second = GrantScript(service, index=1), GrantScript(service, index=2)
    first.pre_register()
    first.apply()  # waits for DUS-I's decision: decision term 1 runs
    second.pre_register()  # must still apply: application period 1 runs
    yield service, first, second
    service.close()


@pytest.fixture
def api(store_url, grants):
    settings = ApiSettings(database_url=store_url, clock=clock_from_env("2019-03-10T12:00:00+01:00"))
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def secrets(store_url):
    store = CalendarSecrets(store_url)
    yield store
    store.close()


def events(body: bytes) -> dict[str, dict]:
    calendar = Calendar.from_ical(body)
    return {str(e["X-STO-DEADLINE-KEY"]): e for e in calendar.walk("VEVENT")}


def test_a_regions_feed_parses_and_names_each_deadline_with_its_legal_source(api, secrets, grants):
    _, first, _ = grants
    _, secret = secrets.issue(first.code, created_by="beheer")
    answer = api.get(f"/v1/calendar-feeds/{secret}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT1H" and str(calendar["X-PUBLISHED-TTL"]) == "PT1H"
    assert f"termijnen van {first.code}" in str(calendar["NAME"])
    found = events(answer.content)
    assert "decision_period_1" in found
    decision = found["decision_period_1"]
    assert "Bron:" in str(decision["DESCRIPTION"]) and str(decision["X-STO-LEGAL-SOURCE"])
    assert int(decision["SEQUENCE"]) == 0 and decision["LAST-MODIFIED"] and decision["DTSTAMP"]


def test_a_moved_deadline_keeps_its_uid_with_a_higher_sequence_and_says_why(api, secrets, grants):
    _, first, _ = grants
    _, secret = secrets.issue(first.code, created_by="beheer")
    before = events(api.get(f"/v1/calendar-feeds/{secret}").content)["decision_period_1"]
    first.send(c.RequestRepair, at(2019, 3, 20), missing=["begroting"])
    first.send(c.SubmitRepair, at(2019, 3, 28), documents=first.documents())
    after = events(api.get(f"/v1/calendar-feeds/{secret}").content)["decision_period_1"]
    assert str(after["UID"]) == str(before["UID"])
    assert after["DTSTART"].dt > before["DTSTART"].dt
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after["LAST-MODIFIED"].dt >= before["LAST-MODIFIED"].dt
    text = str(after["DESCRIPTION"])
    assert f"stond eerder op {before['DTSTART'].dt.isoformat()}" in text and "4:15" in text
    again = events(api.get(f"/v1/calendar-feeds/{secret}").content)["decision_period_1"]
    assert int(again["SEQUENCE"]) == int(after["SEQUENCE"])  # served again unchanged: no new sequence


def test_a_revoked_or_replaced_secret_gets_404(api, secrets, grants):
    _, first, _ = grants
    _, old = secrets.issue(first.code, created_by="beheer")
    _, new = secrets.issue(first.code, created_by="beheer")  # a new one replaces the one before
    assert api.get(f"/v1/calendar-feeds/{old}").status_code == 404
    assert api.get(f"/v1/calendar-feeds/{new}").status_code == 200
    secrets.revoke(first.code, revoked_by="beheer")
    gone = api.get(f"/v1/calendar-feeds/{new}")
    assert gone.status_code == 404 and "revoked" in gone.json()["hint"]
    assert api.get("/v1/calendar-feeds/cal_00000000_" + "A" * 43 + ".ics").status_code == 404


def test_one_regions_secret_never_shows_another_region_nor_amounts_or_people(api, secrets, grants):
    service, first, second = grants
    _, secret = secrets.issue(second.code, created_by="beheer")
    body = api.get(f"/v1/calendar-feeds/{secret}").content.decode()
    found = events(body.encode())
    assert set(found) == {"application_period_1"}
    assert first.code not in body and str(first.region.name) not in body
    penvoerder = service.state(second.code).penvoerder
    assert penvoerder.email not in body and penvoerder.name not in body
    assert "€" not in body and "EUR" not in body and "cents" not in body


def test_the_back_office_feed_holds_dus_is_decision_terms_of_every_region(api, secrets, grants):
    _, first, second = grants
    _, secret = secrets.issue("back-office", created_by="beheer")
    found = events(api.get(f"/v1/calendar-feeds/{secret}").content)
    assert set(found) == {"decision_period_1"}
    assert str(found["decision_period_1"]["SUMMARY"]).startswith(f"{first.code}: ")


def test_sto_token_calendar_issues_lists_and_revokes_and_stores_only_the_hash(sqlite_url, tmp_path, monkeypatch):
    configure_logging("WARNING")
    monkeypatch.setenv("STO_ACTOR", "beheerder.smit")
    runner = CliRunner()

    def sto(*args: str):
        STATE.database_url = sqlite_url
        return runner.invoke(cli, ["--database-url", sqlite_url, *args])

    issued = sto("token", "calendar", "sto-r001", "--json", "--base-url", "https://sto.example/")
    assert issued.exit_code == 0, issued.output
    body = json.loads(issued.stdout)
    assert body["scope"] == "STO-R001" and body["url"] == f"https://sto.example/v1/calendar-feeds/{body['secret']}"
    stored = " ".join(str(v) for row in sqlite3.connect(tmp_path / "sto.sqlite").execute("SELECT * FROM calendar_secrets") for v in row)
    assert body["secret"] not in stored and hashlib.sha256(body["secret"].encode()).hexdigest() in stored
    listed = json.loads(sto("token", "calendar", "--list", "--json").stdout)
    assert [(s["scope"], s["created_by"]) for s in listed] == [("STO-R001", "beheerder.smit")]
    revoked = sto("token", "calendar", "STO-R001", "--revoke", "--json")
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["revoked_by"] == "beheerder.smit"
    again = sto("token", "calendar", "STO-R001", "--revoke", "--json")
    assert again.exit_code == 5 and json.loads(again.stdout)["error"] == "no_calendar_secret"
    wrong = sto("token", "calendar", "no way!", "--json")
    assert wrong.exit_code == 2 and "back-office" in json.loads(wrong.stdout)["message"]
