"""/v1/subscriptions: operators subscribe systems, see deliveries and dead letters, and send dead letters again."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from adapters.event_store.store import open_service
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.notify.webhooks import WebhookDispatcher, WebhookSettings
from adapters.operators.tokens import TokenStore
from tests.support.scripted import GrantScript
from tests.support.webhook_receiver import RECEIVERS, Receiver


@pytest.fixture
def api(sqlite_url):
    tokens = TokenStore(sqlite_url)
    operator = tokens.issue("op.devries", "operator", created_by="tests").token
    region = tokens.issue("penvoerder", "region", "STO-R001", created_by="tests").token
    tokens.close()
    with TestClient(create_app(ApiSettings(database_url=sqlite_url, webhook_allowed=RECEIVERS))) as client:
        yield client, {"Authorization": f"Bearer {operator}"}, {"Authorization": f"Bearer {region}"}


def test_operators_subscribe_see_dead_letters_and_redeliver_them(api, sqlite_url):
    client, operator, region = api
    service = open_service(sqlite_url)
    GrantScript(service, index=1).pre_register()
    with Receiver() as receiver:
        added = client.post("/v1/subscriptions", headers=operator,
                            json={"callback_url": receiver.url, "region_code": "STO-R001", "from_start": True})
        assert added.status_code == 201 and added.json()["created_by"] == "op.devries"
        subscription_id, receiver.secret = added.json()["subscription_id"], added.json()["secret"]
        receiver.failing = True
        now = [dt.datetime.now(dt.timezone.utc)]
        dispatcher = WebhookDispatcher(service, client.app.state.api.subscriptions,
                                       WebhookSettings(max_attempts=2, backoff_seconds=1, allowed=RECEIVERS), clock=lambda: now[0])
        dispatcher.tick()
        now[0] += dt.timedelta(seconds=5)
        dispatcher.tick()
        listed = client.get("/v1/subscriptions", headers=operator).json()
        assert listed["dead_letters"] == 1 and "secret" not in listed["subscriptions"][0]
        dead = client.get(f"/v1/subscriptions/{subscription_id}/deliveries?state=dead", headers=operator).json()
        assert [d["last_error"] for d in dead["deliveries"]] == ["HTTP 500 Internal Server Error"]
        receiver.failing = False
        again = client.post(f"/v1/subscriptions/{subscription_id}/redeliveries", headers=operator, json={})
        assert again.json()["requeued"] == 1
        now[0] += dt.timedelta(seconds=5)
        assert dispatcher.tick()["delivered"] == 1
        dispatcher.close()
    assert len(receiver.accepted) == 1
    assert client.get("/v1/subscriptions", headers=region).status_code == 403
    assert client.delete(f"/v1/subscriptions/{subscription_id}", headers=operator).json()["active"] is False
    assert client.delete(f"/v1/subscriptions/{subscription_id}", headers=operator).status_code == 404
    service.close()


def test_a_wrong_subscription_is_400_and_stores_nothing(api):
    client, operator, _ = api
    wrong = client.post("/v1/subscriptions", headers=operator, json={"callback_url": "javascript:alert(1)", "region_code": "*"})
    assert wrong.status_code == 400 and "http(s) URL" in wrong.json()["detail"]
    assert client.get("/v1/subscriptions", headers=operator).json()["subscriptions"] == []



def test_a_subscriptions_deliveries_are_read_page_by_page_each_once_in_log_order_past_the_first_thousand(api):
    client, operator, _ = api
    added = client.post("/v1/subscriptions", headers=operator,
                        json={"callback_url": "http://127.0.0.1:9/hook", "region_code": "*"}).json()
    store, subscription_id = client.app.state.api.subscriptions, added["subscription_id"]
    queued = 1_005  # more than a store read of the first 1,000 would hold
    store.queue({subscription_id: queued}, [
        (subscription_id, position, f"event-{position}", "grant", "STO-R001", "VooraanmeldingReceived", "{}")
        for position in range(1, queued + 1)])
    seen, url = [], f"/v1/subscriptions/{subscription_id}/deliveries?pageSize=500"
    while url:
        page = client.get(url, headers=operator)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["deliveries"]) <= 500
        seen += [d["position"] for d in body["deliveries"]]
        url = body["_links"]["next"]["href"] if body.get("next_cursor") else None
    assert seen == list(range(1, queued + 1))
