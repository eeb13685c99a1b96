"""Input nested deeper than a parser holds is invalid input, not a bug: `sto grant ... --file` exits 2 with what to
do, as does `sto programme publish-amendment` and `sto schemes check` (TOML); the API answers 400; nothing is
written. A boolean amount in a command file is invalid input too."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.cli.context import STATE
from adapters.cli.main import app as cli
from adapters.event_store.store import open_service
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.logging import configure_logging
from adapters.operators.tokens import TokenStore
from tests.support.scripted import GrantScript

DEPTH = 100_000
DEEP = "[" * DEPTH + "]" * DEPTH


@pytest.fixture
def store(sqlite_url, tmp_path):
    """A store holding one grant (STO-R001, pre-registered), and a way to count its records."""
    service = open_service(sqlite_url)
    GrantScript(service, index=1).pre_register()
    service.close()
    path = Path(sqlite_url.removeprefix("sqlite:///"))

    def count() -> int:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]

    return count


@pytest.fixture
def sto(sqlite_url, monkeypatch):
    configure_logging("WARNING")
    monkeypatch.setenv("STO_ACTOR", "beheerder.smit")
    monkeypatch.setenv("STO_TEMPORAL_ADDRESS", "127.0.0.1:1")  # nothing may be sent: no engine needed

    def run(*args: str):
        STATE.database_url = sqlite_url
        STATE._services.clear()
        return CliRunner().invoke(cli, ["--database-url", sqlite_url, *args])

    return run


@pytest.mark.parametrize("content", [DEEP, '{"rate_cents": ' + DEEP + "}"], ids=["deep array", "deep field"])
def test_a_command_file_nested_too_deeply_is_invalid_input_with_exit_2(sto, store, tmp_path, content):
    file = tmp_path / "deep.json"
    file.write_text(content)
    before = store()
    result = sto("grant", "hourly-rate", "STO-R001", "--reason", "nieuw uurtarief", "--file", str(file))
    said = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "nested too deeply to be read as JSON" in said and "write one object of the command's fields" in said
    assert "bug" not in said
    assert store() == before


def test_a_boolean_amount_in_a_command_file_is_invalid_input_with_exit_2(sto, store, tmp_path):
    file = tmp_path / "rate.json"
    file.write_text(json.dumps({"rate_cents": True}))
    before = store()
    result = sto("grant", "hourly-rate", "STO-R001", "--reason", "nieuw uurtarief", "--file", str(file), "--json")
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["details"] == [{"field": "rate_cents", "problem": "Value error, a number, not true or false"}]
    assert store() == before


def test_an_amendment_file_nested_too_deeply_is_invalid_input_with_exit_2(sto, store, tmp_path):
    file = tmp_path / "amendment.json"
    file.write_text('{"version": ' + DEEP + "}")
    result = sto("programme", "publish-amendment", str(file))
    assert result.exit_code == 2, result.output
    assert "recursion limit exceeded" in result.output and "bug" not in result.output


def test_a_scheme_file_nested_too_deeply_is_a_finding_not_a_crash(sto, tmp_path):
    file = tmp_path / "scheme.toml"
    file.write_text("name = " + DEEP + "\n")
    result = sto("schemes", "check", str(file))
    said = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "nested too deeply" in said and "bug" not in said


def test_the_api_answers_a_body_nested_too_deeply_with_400_and_writes_nothing(store, sqlite_url):
    tokens = TokenStore(sqlite_url)
    operator = {"Authorization": f"Bearer {tokens.issue('op.devries', 'operator', created_by='tests').token}",
                "content-type": "application/json"}
    tokens.close()
    before = store()
    with TestClient(create_app(ApiSettings(database_url=sqlite_url))) as client:
        for path, content in (("/v1/grants/STO-R001/hourly-rate", '{"reason": "x", "rate_cents": ' + DEEP + "}"),
                              ("/v1/grants/STO-R001/hourly-rate", DEEP),
                              ("/v1/subscriptions", '{"callback_url": ' + DEEP + "}")):
            answer = client.post(path, headers=operator, content=content)
            assert answer.status_code == 400, (path, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["code"] == "invalid_input"
        assert client.get("/v1/subscriptions", headers=operator).json()["subscriptions"] == []
    assert store() == before
