"""The operator and auditor commands through the `sto` entry point: tables for people, --json for programs,
exit codes that say what happened."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.context import STATE
from adapters.cli.main import app
from adapters.logging import configure_logging
from tests.support.scenarios import scripted_regions
from adapters.event_store.store import open_service, store_env


def _fresh_state() -> None:
    """Each invocation is its own process in real life: forget the service and read models of the last one."""
    STATE.__dict__.pop("service", None)
    STATE.extra.clear()
    STATE.database_url = None


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """STO-R001..R006, one region in each life, written once and copied for every test."""
    path = tmp_path_factory.mktemp("template") / "sto.sqlite"
    service = open_service(f"sqlite:///{path}")
    scripted_regions(service, 6)
    service.close()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def store(template, tmp_path):
    # Logging binds its stream once per process: bind it here, not to a CliRunner stream that closes after the call.
    configure_logging("WARNING")
    path = tmp_path / "sto.sqlite"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    yield url, open_service(url)
    _fresh_state()


@pytest.fixture
def sto(store):
    url, _ = store

    def run(*args: str):
        _fresh_state()
        return CliRunner().invoke(app, ["--database-url", url, *args])

    return run


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_regions_lists_every_region_with_counts_per_status(sto):
    view = as_json(sto("regions", "--json"))
    assert [r["region_code"] for r in view["regions"]] == [f"STO-R{i:03d}" for i in range(1, 7)]
    assert view["total"] == 6 and sum(view["counts"].values()) == 6
    approved = as_json(sto("regions", "--status", "approved", "--json"))
    assert {r["status"] for r in approved["regions"]} == {"approved"} and len(approved["regions"]) == view["counts"]["approved"]
    table = sto("regions")
    assert table.exit_code == 0 and "STO-R001" in table.stdout and "per status:" in table.stdout


def test_regions_refuses_an_unknown_status(sto):
    result = sto("regions", "--status", "granted")
    assert result.exit_code == 2 and "granted" in result.output


def test_deadlines_lists_what_is_due_within_the_days_asked(sto):
    everything = as_json(sto("deadlines", "--as-of", "2021-09-01", "--json"))["deadlines"]
    soon = as_json(sto("deadlines", "--as-of", "2021-09-01", "--within", "90", "--json"))
    assert soon["until"] == "2021-11-30"
    assert {d["key"] for d in soon["deadlines"]} < {d["key"] for d in everything}
    assert all(d["due"] <= "2021-11-30" for d in soon["deadlines"])
    report_1 = [d for d in soon["deadlines"] if d["key"] == "progress_report_1"]
    assert report_1 and all(d["source"] and not d["overdue"] for d in report_1)
    assert sto("deadlines", "--as-of", "2021-09-01", "--within", "90").exit_code == 0


def test_budget_shows_totals_against_the_ceilings(sto, store):
    _, service = store
    view = as_json(sto("budget", "--as-of", "2024-01-15", "--json"))
    assert view["totals"]["granted_cents"] == sum(r["granted_cents"] for r in view["regions"])
    pools = {p["pool"]: p for p in view["ceilings"]}
    assert {y["year"]: y["granted_cents"] for y in pools["techniekregio"]["years"] if y["granted_cents"]} == \
        service.pool_totals("ceiling:techniekregio")
    assert "against the ceilings" in sto("budget", "--as-of", "2024-01-15").stdout


def test_projections_rebuild_and_catch_up(sto, store):
    _, service = store
    rebuilt = sto("projections", "rebuild")
    assert rebuilt.exit_code == 0 and "rebuild:" in rebuilt.stdout and "events/s" in rebuilt.stdout
    in_one = as_json(sto("projections", "rebuild", "--processes", "1", "--json"))
    assert in_one["processes"] == 1 and in_one["position"] == service.recorder.max_notification_id()
    too_many = sto("projections", "rebuild", "--processes", "9")
    assert too_many.exit_code == 2 and "--processes" in too_many.output  # refused before anything is forgotten
    scripted_regions(service, 1, first=7)
    caught_up = as_json(sto("projections", "catch-up", "--json"))
    assert caught_up["started_at"] < caught_up["position"] == service.recorder.max_notification_id()
    assert caught_up["newly_chained"] == caught_up["notifications"]


def test_audit_history_as_json_and_csv(sto):
    view = as_json(sto("audit", "history", "sto-r001", "--json"))
    events = view["events"]
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["event"] == "VooraanmeldingReceived" and events[0]["facts"]["region_code"] == "STO-R001"
    assert all(e["actor"] and e["role"] and e["legal_basis"] and e["rule"] for e in events)
    rows = list(csv.DictReader(io.StringIO(sto("audit", "history", "STO-R001", "--csv").stdout)))
    assert [r["event"] for r in rows] == [e["event"] for e in events]
    assert rows[-1]["recorded_at"] == events[-1]["recorded_at"]


def test_audit_history_of_an_unknown_region_says_what_to_do(sto):
    result = sto("audit", "history", "STO-R999", "--json")
    assert result.exit_code == 5
    body = json.loads(result.stdout)
    assert body["error"] == "grant_not_found" and "sto regions" in body["hint"]
    assert sto("audit", "history", "STO-R001", "--json", "--csv").exit_code == 2


def test_audit_as_of(sto):
    view = as_json(sto("audit", "as-of", "STO-R001", "2019-06-19", "--json"))
    # what comes next is the verlening's draft: it is taken once its stages are passed, by others, that day
    assert view["grant"]["status"] == "advised" and view["next_event"]["event"] == "BesluitDrafted"
    taken = as_json(sto("audit", "as-of", "STO-R001", "2019-06-20", "--json"))["grant"]
    verlening = taken["besluiten"][-1]
    assert taken["status"] == "approved" and verlening["kind"] == "approval"
    assert [(s["stage"], s["person"], s["outcome"]) for s in verlening["stages"]] == [
        ("eerste_beoordeling", "op.jansen", "drafted"), ("interne_controle", "ic.smit", "passed"),
        ("ondertekening", "co.de-vries", "signed"),
    ]
    assert (verlening["taken_by"], verlening["signature"]["mandate"]) == ("co.de-vries", "afdelingshoofd")
    assert sto("audit", "as-of", "STO-R001", "2019-06-20").exit_code == 0
    before = sto("audit", "as-of", "STO-R001", "2018-10-01", "--json")
    assert before.exit_code == 5 and "2018-10-15" in json.loads(before.stdout)["hint"]


def test_audit_verify_passes_then_names_an_edited_record_and_exits_1(sto, store):
    url, _ = store
    first = as_json(sto("audit", "verify", "--json"))
    assert first["ok"] and first["newly_chained"] == first["records"] and first["head"]["hash"]
    connection = sqlite3.connect(store_env(url)["SQLITE_DBNAME"])
    with connection:
        connection.execute("UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), 'op.jansen', 'op.x') AS BLOB) WHERE rowid = 4")
    result = sto("audit", "verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["problem"]["kind"] == "edited" and report["problem"]["notification_id"] == 4
    human = sto("audit", "verify")
    assert human.exit_code == 1 and "record 4" in human.stderr


def test_an_auditor_verifies_a_store_with_the_standalone_checker(store):
    """`python -m adapters.audit.chain URL`: standard library and sqlite3 only, no `sto`, no domain classes."""
    url, _ = store
    command = [sys.executable, "-X", "importtime", "-m", "adapters.audit.chain", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["newly_chained"] == report["records"] > 0
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert not {m for m in imported if m.startswith(("domain", "projections", "eventsourcing", "typer"))}


def test_stored_control_characters_reach_the_terminal_as_visible_escapes_not_as_codes(store, sto):
    """Records written before texts were checked may hold ESC, NUL or a bidi override: `sto audit history`
    shows them as \\x1b, \\x00, \\u202e (table and CSV), and rich markup in them is printed as it is."""
    from domain import commands as c
    from domain.values import Role

    url, service = store
    hostile = "\x1b[2J\x00wis\u202eenpmo [bold red]rood[/]"
    withdraw = c.WithdrawGrant.model_construct(  # as an older engine stored it: no check of the text
        command_id=__import__("uuid").uuid4(), region_code="STO-R001", actor=c.Actor(name="op.oud", role=Role.OPERATOR),
        reason=hostile, effective_at=None, expected_version=None, type="WithdrawGrant", sent_on=None,
    )
    service.execute(withdraw)
    for args in (["audit", "history", "STO-R001"], ["audit", "history", "STO-R001", "--csv"]):
        result = sto(*args)
        assert result.exit_code == 0, result.stdout
        assert "\x1b" not in result.stdout and "\x00" not in result.stdout and "\u202e" not in result.stdout
    csv_lines = sto("audit", "history", "STO-R001", "--csv").stdout
    assert "\\x1b[2J\\x00wis\\u202eenpmo [bold red]rood[/]" in csv_lines
    table = sto("audit", "history", "STO-R001").stdout
    assert "[bold" in table, "rich markup in a stored text is printed as text, not applied"


def test_a_store_that_cannot_be_reached_is_said_plainly_with_exit_6_not_a_traceback():
    command = [sys.executable, "-m", "adapters.cli.main", "--database-url", "postgresql://nobody@127.0.0.1:1/none",
               "regions", "--json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert result.returncode == 6, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["error"] == "store_unavailable"
