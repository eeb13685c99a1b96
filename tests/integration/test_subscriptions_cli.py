"""`sto subscriptions`: operators add, list, remove and redeliver webhook subscriptions, for people and with --json."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from adapters.cli.context import STATE
from adapters.cli.main import app as cli
from adapters.event_store.store import open_service
from adapters.logging import configure_logging
from adapters.notify.subscriptions import SubscriptionStore
from tests.support.scripted import GrantScript
from tests.support.webhook_receiver import RECEIVERS_SETTING, Receiver


@pytest.fixture
def sto(sqlite_url, monkeypatch):
    configure_logging("WARNING")
    monkeypatch.setenv("STO_ACTOR", "beheerder.smit")
    monkeypatch.setenv("STO_WEBHOOK_ALLOWED_NETWORKS", RECEIVERS_SETTING)  # the receivers of these tests
    runner = CliRunner()

    def run(*args: str):
        STATE.database_url = sqlite_url
        STATE._services.clear()
        result = runner.invoke(cli, ["--database-url", sqlite_url, *args])
        return result, (json.loads(result.stdout) if "--json" in args and result.stdout.strip() else None)

    return run


def test_an_operator_subscribes_a_system_that_then_receives_the_history_and_lists_it(sto, sqlite_url):
    service = open_service(sqlite_url)
    GrantScript(service, index=1).pre_register()
    service.close()
    with Receiver() as receiver:
        result, added = sto("subscriptions", "add", receiver.url, "--region", "*", "--from-start", "--json")
        assert result.exit_code == 0, result.output
        assert added["created_by"] == "beheerder.smit" and added["secret"].startswith("whsec_")
        receiver.secret = added["secret"]
        result, counts = sto("subscriptions", "deliver", "--json")
        assert counts == {"queued": 1, "delivered": 1, "failed": 0, "dead": 0, "busy": 0}
    assert [e["type"] for e in receiver.accepted] == ["nl.sterktechniekonderwijs.grant.vooraanmelding-received"]
    _, listed = sto("subscriptions", "list", "--json")
    assert [(s["subscription_id"], s["deliveries"]["delivered"]) for s in listed] == [(added["subscription_id"], 1)]
    assert "secret" not in listed[0]
    people, _ = sto("subscriptions", "list")
    assert added["subscription_id"] in people.stdout
    _, rows = sto("subscriptions", "deliveries", added["subscription_id"], "--json")
    assert [(r["state"], r["attempts"]) for r in rows] == [("delivered", 1)]
    result, again = sto("subscriptions", "redeliver", added["subscription_id"], "--event", rows[0]["event_id"], "--json")
    assert result.exit_code == 0 and again["requeued"] == 1
    result, removed = sto("subscriptions", "remove", added["subscription_id"], "--json")
    assert result.exit_code == 0 and removed["removed_by"] == "beheerder.smit" and not removed["active"]
    store = SubscriptionStore(sqlite_url)
    assert store.list() == [] and [d["state"] for d in store.deliveries()] == ["cancelled"]
    store.close()


def test_a_new_subscription_without_from_start_gets_only_what_happens_next(sto, sqlite_url):
    service = open_service(sqlite_url)
    GrantScript(service, index=1).pre_register()
    with Receiver() as receiver:
        _, added = sto("subscriptions", "add", receiver.url, "--region", "STO-R001", "--json")
        receiver.secret = added["secret"]
        assert sto("subscriptions", "deliver", "--json")[1]["queued"] == 0
        GrantScript(service, index=1).apply()
        assert sto("subscriptions", "deliver", "--json")[1]["delivered"] == 1
    service.close()
    assert [e["sequence"] for e in receiver.accepted] == ["2"]


def test_wrong_input_and_unknown_ids_are_refused_with_what_to_do(sto):
    result, body = sto("subscriptions", "add", "not a url", "--region", "*", "--json")
    assert result.exit_code == 2 and "http(s) URL" in body["message"]
    result, body = sto("subscriptions", "remove", "deadbeef", "--json")
    assert result.exit_code == 5 and body["error"] == "unknown_subscription" and "sto subscriptions list" in body["hint"]
    result, body = sto("subscriptions", "redeliver", "deadbeef", "--json")
    assert result.exit_code == 5
    result, body = sto("subscriptions", "deliveries", "--state", "lost", "--json")
    assert result.exit_code == 2 and "state must be one of" in body["message"]
