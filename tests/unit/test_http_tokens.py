"""API tokens: issued with one role (and a region for region tokens), kept only as a hash, revocable; and the
`sto token` commands that operators use for them."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from typer.testing import CliRunner

from adapters.cli.context import STATE
from adapters.cli.main import app
from adapters.logging import configure_logging
from adapters.operators.tokens import TokenStore, UnknownToken
from domain.values import Role


@pytest.fixture
def tokens(sqlite_url):
    store = TokenStore(sqlite_url)
    yield store
    store.close()


def test_a_token_is_stored_only_as_its_sha256(tokens, tmp_path):
    issued = tokens.issue("op.jansen", "operator", created_by="beheer")
    rows = sqlite3.connect(tmp_path / "sto.sqlite").execute("SELECT * FROM api_tokens").fetchall()
    stored = " ".join(str(v) for v in rows[0])
    assert issued.token.startswith(f"sto_{issued.info.token_id}_")
    assert issued.token not in stored and issued.token.split("_")[-1] not in stored
    assert hashlib.sha256(issued.token.encode()).hexdigest() in stored


def test_a_token_names_its_holder_until_it_is_revoked(tokens):
    issued = tokens.issue("penvoerder Gooi", "region", "sto-r001", created_by="beheer")
    holder = tokens.verify(issued.token)
    assert (holder.name, holder.role, holder.region_code) == ("penvoerder Gooi", Role.REGION, "STO-R001")
    revoked = tokens.revoke(issued.info.token_id, revoked_by="beheer")
    assert revoked.revoked_by == "beheer" and not revoked.active
    assert tokens.verify(issued.token) is None
    assert tokens.revoke(issued.info.token_id, revoked_by="someone else").revoked_by == "beheer"  # the first revocation stays
    assert tokens.list() == [] and [t.token_id for t in tokens.list(include_revoked=True)] == [issued.info.token_id]


@pytest.mark.parametrize("text", ["", "Bearer", "sto_00000000_" + "A" * 43, "sto_zz_x", "x" * 500])
def test_malformed_or_unknown_tokens_name_nobody(tokens, text):
    assert tokens.verify(text) is None


@pytest.mark.parametrize(
    ("name", "role", "region", "problem"),
    [
        ("", "operator", None, "name of 1-100 characters"),
        ("x", "system", None, "the system role is the engine's own"),
        ("x", "boss", None, "role must be one of operator, auditor, region"),
        ("x", "region", None, "a region token needs --region"),
        ("x", "region", "no way!", "a region code is 2-32 characters"),
        ("x", "auditor", "STO-R001", "only region tokens are bound to a region"),
    ],
)
def test_a_token_is_refused_for_a_missing_name_a_wrong_role_or_a_misplaced_region(tokens, name, role, region, problem):
    with pytest.raises(ValueError, match=problem):
        tokens.issue(name, role, region, created_by="beheer")
    assert tokens.list(include_revoked=True) == []


def test_revoking_an_unknown_token_says_so(tokens):
    with pytest.raises(UnknownToken, match="no token with id 00000000"):
        tokens.revoke("00000000", revoked_by="beheer")


@pytest.fixture
def sto(sqlite_url, monkeypatch):
    configure_logging("WARNING")
    monkeypatch.setenv("STO_ACTOR", "beheerder.smit")

    def run(*args: str):
        STATE.__dict__.pop("service", None)
        return CliRunner().invoke(app, ["--database-url", sqlite_url, "token", *args])

    yield run
    STATE.database_url = None


def test_sto_token_create_list_and_revoke(sto, sqlite_url):
    created = sto("create", "--role", "region", "--region", "STO-R007", "--name", "penvoerder Zwolle", "--json")
    assert created.exit_code == 0, created.output
    issued = json.loads(created.stdout)
    assert (issued["role"], issued["region_code"], issued["created_by"]) == ("region", "STO-R007", "beheerder.smit")
    assert TokenStore(sqlite_url).verify(issued["token"]).name == "penvoerder Zwolle"

    printed = sto("create", "--role", "operator", "--name", "op.visser")
    assert printed.exit_code == 0 and printed.stdout.strip().startswith("sto_")
    assert "shown only now" in printed.stderr

    listed = json.loads(sto("list", "--json").stdout)
    assert [t["name"] for t in listed] == ["penvoerder Zwolle", "op.visser"] and "token" not in listed[0]
    revoked = sto("revoke", issued["token_id"], "--json")
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["revoked_by"] == "beheerder.smit"
    assert [t["name"] for t in json.loads(sto("list", "--json").stdout)] == ["op.visser"]
    assert "STO-R007" in sto("list", "--all").stdout and "STO-R007" not in sto("list").stdout


def test_sto_token_create_refuses_a_region_token_without_its_region(sto):
    refused = sto("create", "--role", "region", "--name", "penvoerder", "--json")
    assert refused.exit_code == 2 and "needs --region" in json.loads(refused.stdout)["message"]
