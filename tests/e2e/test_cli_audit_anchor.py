"""`sto audit anchor` and `sto audit verify --anchors FILE` through the `sto` entry point: the head published
outside the store, checked later against the store; a tampered store is named by the first published head that
no longer matches (exit 1, its position and both hashes), an intact one passes (exit 0, a count)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.audit import chain as audit_chain
from adapters.audit.anchor import ANCHORS_SETTING, AUDITORS_SETTING
from adapters.cli.context import STATE
from adapters.cli.main import app
from adapters.logging import configure_logging
from tests.support.scenarios import scripted_regions
from adapters.event_store.store import open_service

REPO = Path(__file__).resolve().parents[2]


def _fresh_state() -> None:
    """Each invocation is its own process in real life: forget the service and read models of the last one."""
    STATE.__dict__.pop("service", None)
    STATE.extra.clear()
    STATE.database_url = None


@pytest.fixture
def store(tmp_path, monkeypatch):
    configure_logging("WARNING")
    monkeypatch.delenv(ANCHORS_SETTING, raising=False)
    monkeypatch.delenv(AUDITORS_SETTING, raising=False)
    monkeypatch.setenv("STO_NOTIFIER_URL", f"file://{tmp_path / 'outbox'}")  # the anchor mail, as an .eml file
    path = tmp_path / "store" / "sto.sqlite"
    path.parent.mkdir()
    url = f"sqlite:///{path}"
    scripted_regions(open_service(url), 3)
    yield url, path
    _fresh_state()


@pytest.fixture
def sto(store):
    url, _ = store

    def run(*args: str):
        _fresh_state()
        return CliRunner().invoke(app, ["--database-url", url, *args])

    return run


@pytest.fixture
def published(tmp_path) -> Path:
    return tmp_path / "published" / "audit-anchors.jsonl"


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def edit(path: Path, position: int) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE stored_events SET state = state || X'20' WHERE rowid = ?", (position,))


def test_anchor_then_verify_with_the_anchors_file_passes_and_counts_the_heads(sto, published, tmp_path):
    head = as_json(sto("audit", "anchor", "--to", str(published), "--json"))["head"]
    assert json.loads(published.read_text())["hash"] == head["hash"]
    assert [p.suffix for p in (tmp_path / "outbox").iterdir()] == [".eml"]  # the mail to the auditors
    again = sto("audit", "anchor", "--to", str(published))
    assert again.exit_code == 0 and "already published" in again.stdout and "sent before" in again.stdout
    report = as_json(sto("audit", "verify", "--anchors", str(published), "--json"))
    assert report["ok"] and report["anchors"]["heads"] == report["anchors"]["matched"] == 1
    human = sto("audit", "verify", "--anchors", str(published))
    assert human.exit_code == 0 and "1 published head(s)" in human.stdout and "intact" in human.stdout


def test_verify_with_anchors_names_the_first_published_head_that_no_longer_matches(sto, store, published):
    url, path = store
    early = as_json(sto("audit", "anchor", "--to", str(published), "--json"))["head"]
    scripted_regions(open_service(url), 1, first=10)
    late = as_json(sto("audit", "anchor", "--to", str(published), "--json"))["head"]
    edit(path, early["notification_id"] + 3)
    result = sto("audit", "verify", "--anchors", str(published), "--json")
    assert result.exit_code == 1
    mismatch = json.loads(result.stdout)["anchors"]["first_mismatch"]
    assert (mismatch["notification_id"], mismatch["seq"], mismatch["published_hash"]) == (late["notification_id"], late["seq"], late["hash"])
    assert mismatch["store_hash"] and mismatch["store_hash"] != late["hash"]
    human = sto("audit", "verify", "--anchors", str(published))
    assert human.exit_code == 1
    assert f"record {late['notification_id']}" in human.stderr and late["hash"] in human.stderr
    assert mismatch["store_hash"] in human.stderr and "still matches" in human.stderr  # the early head does


def test_an_intruder_who_recomputes_the_whole_chain_passes_verify_but_not_verify_with_anchors(sto, store, published):
    url, path = store
    head = as_json(sto("audit", "anchor", "--to", str(published), "--json"))["head"]
    with sqlite3.connect(path) as connection:  # edit record 2, its seal, and the whole chain, consistently
        connection.execute("DROP TRIGGER audit_sealed_no_update")
        connection.execute("UPDATE stored_events SET state = state || X'20' WHERE rowid = 2")
        row = connection.execute("SELECT originator_id, originator_version, topic, state FROM stored_events WHERE rowid = 2").fetchone()
        connection.execute("UPDATE audit_sealed SET content_hash = ? WHERE notification_id = 2", (audit_chain.content_hash(*row),))
        connection.execute("DROP TABLE audit_chain")
    db = audit_chain.open_sqlite(str(path))
    try:
        audit_chain.extend(db)
    finally:
        db.close()
    assert as_json(sto("audit", "verify", "--json"))["ok"]  # nothing inside the store can tell
    result = sto("audit", "verify", "--anchors", str(published), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["problem"]["kind"] == "anchor_mismatch" and report["problem"]["notification_id"] == head["notification_id"]
    assert report["anchors"]["first_mismatch"]["published_hash"] == head["hash"]
    standalone = subprocess.run(
        [sys.executable, "-m", "adapters.audit.chain", url, "--anchors", str(published)],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert standalone.returncode == 1 and json.loads(standalone.stdout)["problem"]["kind"] == "anchor_mismatch"


def test_anchor_refuses_a_file_inside_the_store_directory_and_publishes_nothing(sto, store, tmp_path, monkeypatch):
    _, path = store
    inside = path.parent / "audit-anchors.jsonl"
    result = sto("audit", "anchor", "--to", str(inside))
    assert result.exit_code == 2 and "inside the store's own directory" in result.stderr and "--to FILE" in result.stderr
    monkeypatch.setenv(ANCHORS_SETTING, str(path.parent / "deeper" / "anchors.jsonl"))
    assert sto("audit", "anchor", "--json").exit_code == 2
    assert not inside.exists() and not (path.parent / "deeper").exists() and not (tmp_path / "outbox").exists()


def test_anchor_publishes_to_the_file_named_by_the_setting_and_mails_the_auditors_address(sto, tmp_path, monkeypatch):
    target = tmp_path / "from-setting.jsonl"
    monkeypatch.setenv(ANCHORS_SETTING, str(target))
    monkeypatch.setenv(AUDITORS_SETTING, "controle@accountant.example")
    result = as_json(sto("audit", "anchor", "--json"))
    assert result["file"] == str(target) and result["to"] == "controle@accountant.example" and result["mailed"]
    mail = next((tmp_path / "outbox").iterdir()).read_text()
    assert "To: controle@accountant.example" in mail and result["head"]["hash"] in mail


def test_verify_with_an_anchors_file_that_is_not_there_is_invalid_input(sto, published):
    result = sto("audit", "verify", "--anchors", str(published))
    assert result.exit_code == 2 and "no anchors file" in result.stderr
