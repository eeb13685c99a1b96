"""An auditor reads in words what waited in a stage on a day, and which role took each stage."""

from __future__ import annotations

from typer.testing import CliRunner

from adapters.cli.main import app
from adapters.event_store.store import open_service
from tests.support.scripted import GrantScript


def test_as_of_says_which_besluit_waited_in_which_stage_and_history_names_the_stage_roles(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    grant = GrantScript(open_service(url), stages=False)
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise()
    grant.approve()  # drafted only
    waiting = CliRunner().invoke(app, ["--database-url", url, "audit", "as-of", grant.code, "2019-06-21"], env={"COLUMNS": "300"})
    assert waiting.exit_code == 0, waiting.output
    text = " ".join(waiting.output.split())
    assert "besluit in its stages: approval of EUR 3.800.000,00" in text and "waits in interne_controle" in text
    history = CliRunner().invoke(app, ["--database-url", url, "audit", "history", grant.code], env={"COLUMNS": "300"})
    assert history.exit_code == 0 and "op.jansen (beoordelaar)" in history.output
