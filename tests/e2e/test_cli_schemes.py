"""`sto schemes`: the shipped schemes listed and shown, and scheme files checked with exit codes scripts can use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.main import app
from adapters.logging import configure_logging
from domain.regulation.schemes import _files, scheme_ids

REPO = Path(__file__).parents[2]
SHIPPED = REPO / "domain" / "regulation" / "data" / "schemes" / "sto-2020-2024.toml"


@pytest.fixture
def sto():
    configure_logging("WARNING")  # bound once per process, not to a CliRunner stream that closes after the call

    def run(*args: str):
        return CliRunner().invoke(app, list(args))

    return run


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def broken(tmp_path) -> Path:
    """A copy of the 2020-2024 file under its own id with one step naming a state that does not exist and a
    deadline naming a term that does not."""
    text = SHIPPED.read_text(encoding="utf-8").replace('id = "sto-2020-2024"', 'id = "sto-broken"', 1)
    text = text.replace('allowed_from = ["final_report_submitted"]', 'allowed_from = ["final_report_received"]', 1)
    text = text.replace('term = "final_report"\napplies_in', 'term = "final_reprot"\napplies_in', 1)
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_schemes_lists_every_shipped_scheme_and_the_one_in_force(sto):
    view = as_json(sto("schemes", "--json", "--as-of", "2020-01-01"))
    assert [s["id"] for s in view["schemes"]] == scheme_ids()
    assert view["business_day"] == "2020-01-01" and view["in_force"] == "sto-2020-2024"
    first = next(s for s in view["schemes"] if s["id"] == "sto-2020-2024")
    assert (first["in_force"], first["lapses"], first["steps"], first["deadlines"], first["region_kinds"]) == (
        "2018-09-12", "2025-01-01", 19, 5, 2)  # 19 steps: the melding and the lowering (Awb 4:48) too
    assert first["in_force_now"] is True and sum(s["in_force_now"] for s in view["schemes"]) == 1
    table = sto("schemes")
    assert table.exit_code == 0 and "sto-2020-2024" in table.stdout and "in force" in table.stdout


def test_show_gives_a_schemes_steps_rounds_deadlines_region_kinds_and_besluiten(sto):
    view = as_json(sto("schemes", "show", "sto-2020-2024", "--json"))
    steps = {s["command"]: s for s in view["steps"]}
    assert steps["SubmitVooraanmelding"]["allowed_from"] == []
    assert steps["RejectApplication"]["allowed_from"] == ["application_submitted", "under_assessment", "advised"]
    assert steps["ApproveGrant"]["title_nl"] == "Subsidie verlenen" and "verlening" in steps["ApproveGrant"]["source"]
    assert "art. 4:48" in steps["WithdrawGrant"]["source"]
    rounds = {r["number"]: r for r in view["application_rounds"]}
    assert (rounds[3]["window"]["start"], rounds[3]["window"]["due"], rounds[3]["decision"]["due"]) == ("2020-03-16", "2020-05-31", "2020-09-01")
    assert rounds[2]["after_rejection_in"] == 1 and rounds[2]["needs_addendum"] is True
    deadlines = {d["term"]: d for d in view["deadlines"]}
    assert deadlines["progress_report_1"]["due"] == "2021-11-01"  # moved by the letter of 20 May 2021
    assert (deadlines["extension_plan_2024"]["until"], deadlines["extension_plan_2024"]["consequence"]) == ("extension_plan", "extension_forfeited")
    assert {k["kind"]: k["ceiling"] for k in view["region_kinds"]} == {
        "techniekregio": "ceiling_techniekregio", "techniekarme_regio": "ceiling_techniekarme_regio"}
    assert {b["kind"] for b in view["besluiten"]} >= {"approval", "rejection", "determination", "withdrawal"}
    table = sto("schemes", "show", "sto-2020-2024")
    assert table.exit_code == 0 and "Intrekken" in table.stdout and "final_report" in table.stdout and "beroep" in table.stdout


def test_show_refuses_an_unknown_scheme_naming_the_known_ones(sto):
    result = sto("schemes", "show", "sto-1999", "--json")
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body["error"] == "invalid_input" and "sto-2020-2024" in body["message"]


@pytest.mark.parametrize("scheme_id", scheme_ids())
def test_check_passes_every_shipped_scheme_with_exit_0(sto, scheme_id):
    view = as_json(sto("schemes", "check", str(_files()[scheme_id]), "--json"))
    assert view["valid"] is True and view["errors"] == 0
    assert all(f["level"] != "error" for f in view["files"][0]["findings"])


def test_check_names_each_problem_with_its_place_and_exits_2(sto, broken):
    result = sto("schemes", "check", str(SHIPPED), str(broken), "--json")
    assert result.exit_code == 2, result.output
    view = json.loads(result.stdout)
    good, bad = view["files"]
    assert (good["valid"], bad["valid"], view["valid"], view["errors"]) == (True, False, False, 2)
    errors = {(f["place"], f["rule"]): f for f in bad["findings"] if f["level"] == "error"}
    assert set(errors) == {("steps[15].allowed_from[0]", "model.enum"), ("deadlines[4].term", "reference.term")}
    assert "'final_reprot'" in errors[("deadlines[4].term", "reference.term")]["problem"]
    assert "did you mean 'final_report'" in errors[("deadlines[4].term", "reference.term")]["hint"]
    table = sto("schemes", "check", "--level", "error", str(broken))
    assert table.exit_code == 2 and "invalid" in table.stdout and "deadlines[4].term" in table.stdout
    assert "source.unconfirmed" not in table.stdout and "unconfirmed" not in table.stdout  # notes left out at --level error


def test_check_through_the_installed_entry_point_exits_2_on_errors_and_0_without(broken):
    command = [sys.executable, "-m", "adapters.cli.main", "schemes", "check", "--json"]
    bad = subprocess.run([*command, str(broken)], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert json.loads(bad.stdout)["errors"] == 2
    good = subprocess.run([*command, str(SHIPPED)], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Traceback" not in bad.stderr + good.stderr
