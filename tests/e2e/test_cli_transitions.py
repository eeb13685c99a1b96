"""The operator CLI against a running engine (`sto serve`): `sto grant NAME REGION ...` sends each transition
through the grant's workflow, prints the new state or the refusal with rule and source, and exits with the
README's codes (0 done, 2 invalid input, 3 refused, 4 conflict, 5 unknown grant, 6 engine unavailable)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from adapters.engine.temporal import free_port
from tests.e2e.conftest import EPOCH, FUTURE_MARGIN_DAYS, sto_cli
from tests.e2e.grant_bodies import body

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

CODE = "STO-E2E-CLI"
INDEX = 41
ACCEPT_ID = "0b7d4f9e-27c1-4a53-9a5e-5d1e1c3f0a41"


@pytest.fixture
def sto(served, monkeypatch):
    with sto_cli(served, monkeypatch, actor="op.terminal") as run:
        yield run


def fields_file(tmp_path, step: str) -> str:
    """A --file with the step's own fields (reason and effective time go as options)."""
    own = {k: v for k, v in body(step, INDEX).items() if k not in ("reason", "effective_at")}
    path = tmp_path / f"{step}.json"
    path.write_text(json.dumps(own))
    return str(path)


def test_an_operator_drives_a_grant_from_the_terminal(served, sto, tmp_path):
    env = {**os.environ, "STO_DATABASE_URL": served.database_url, "STO_TEMPORAL_ADDRESS": served.temporal_address,
           "STO_ACTOR": "op.terminal", "STO_BUSINESS_EPOCH": EPOCH,
           "STO_FUTURE_MARGIN_DAYS": FUTURE_MARGIN_DAYS}
    created = subprocess.run(
        [sys.executable, "-m", "adapters.cli.main", "grant", "pre-register", CODE, "--file", fields_file(tmp_path, "pre-register"),
         "--reason", "vooraanmelding ontvangen", "--effective-at", "2018-10-20T10:00", "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["allowed_transitions"] == ["apply", "withdraw"]

    applied = sto("grant", "apply", CODE, "--period", "1", "--file", fields_file(tmp_path, "apply"),
                  "--reason", "aanvraag ontvangen", "--effective-at", "2019-03-15T10:00:00+01:00")
    assert applied.exit_code == 0, applied.output
    assert "SubmitApplication recorded ApplicationSubmitted" in applied.stdout
    assert "possible now: request-repair, accept, reject, withdraw" in applied.stdout

    refused = sto("grant", "advise", CODE, "--positive", "--criterion", "regiovisie=sufficient", "--reason", "te vroeg",
                  "--effective-at", "2019-03-16T10:00")
    assert refused.exit_code == 3
    assert "lifecycle.transition" in refused.stderr and "source:" in refused.stderr

    stale = sto("grant", "accept", CODE, "--reason", "compleet", "--expected-version", "1", "--json")
    assert stale.exit_code == 4 and json.loads(stale.stdout)["actual_version"] == 2

    accept = ["grant", "accept", CODE, "--reason", "compleet", "--effective-at", "2019-04-01T10:00",
              "--command-id", ACCEPT_ID, "--expected-version", "2", "--json"]
    first, again = sto(*accept), sto(*accept)
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert (json.loads(first.stdout)["version"], json.loads(first.stdout)["duplicate"]) == (3, False)
    assert (json.loads(again.stdout)["version"], json.loads(again.stdout)["command_id"]) == (3, ACCEPT_ID)

    shown = sto("grant", "show", CODE, "--as-of", "2019-04-02")
    assert "possible now: sto grant advise, sto grant reject, sto grant withdraw" in shown.stdout
    history = json.loads(sto("grant", "history", CODE, "--json").stdout)
    assert [(e["event"], e["actor"], e["role"]) for e in history] == [
        ("VooraanmeldingReceived", "op.terminal", "operator"),
        ("ApplicationSubmitted", "op.terminal", "operator"),
        ("ApplicationAccepted", "op.terminal", "operator"),
    ]


def test_the_cli_names_wrong_input_unknown_grants_and_an_unreachable_engine(served, sto, tmp_path, monkeypatch):
    unknown = sto("grant", "withdraw", "STO-E2E-NOBODY", "--reason", "weg", "--json")
    assert unknown.exit_code == 5 and json.loads(unknown.stdout)["error"] == "grant_not_found"

    bad_years = sto("grant", "approve", CODE, "--year", "2020:100", "--reason", "x")
    assert bad_years.exit_code == 2 and "YEAR=CENTS" in bad_years.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert sto("grant", "apply", CODE, "--file", str(broken), "--reason", "x").exit_code == 2
    invalid = sto("grant", "apply", CODE, "--period", "1", "--reason", "x", "--json")
    assert invalid.exit_code == 2 and json.loads(invalid.stdout)["details"][0]["field"] == "documents"

    monkeypatch.setenv("STO_TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")
    down = sto("grant", "withdraw", CODE, "--reason", "weg", "--json")
    assert down.exit_code == 6 and json.loads(down.stdout)["error"] == "engine_unavailable"
