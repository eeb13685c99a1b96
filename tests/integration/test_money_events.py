"""The money of a region's grant for its systems and its calendar, on SQLite and PostgreSQL: the ledger's events that
concern the region are delivered as signed CloudEvents (in the order of the ledger, never another region's, never
the releases or the bank data, no amounts), a claim's among them; the region's calendar feed holds the payment days
and the claim's last day, without amounts."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from adapters.engine.business_clock import clock_from_env
from adapters.event_store.store import open_service
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.notify.subscriptions import SubscriptionStore
from adapters.notify.webhooks import WebhookDispatcher, WebhookSettings
from adapters.operators.calendar_secrets import CalendarSecrets
from tests.support.money_lives import NO_AMOUNTS, approved, claimed
from tests.support.webhook_receiver import RECEIVERS, Receiver

PREFIX = "nl.sterktechniekonderwijs.grant."


@pytest.fixture
def world(store_url):
    service = open_service(store_url)
    store = SubscriptionStore(store_url, allowed=RECEIVERS)
    dispatcher = WebhookDispatcher(service, store, WebhookSettings(public_url="https://sto.example", allowed=RECEIVERS))
    yield service, store, dispatcher
    dispatcher.close()
    store.close()
    service.close()


def test_a_regions_system_gets_the_ledgers_events_of_its_grant_a_claim_among_them_without_amounts(world):
    service, store, dispatcher = world
    with Receiver() as receiver:
        subscription, receiver.secret = store.add(receiver.url, "STO-R002", [], created_by="beheer", from_position=0)
        approved(service, 1)  # another region's money: never sent to this subscription
        claimed(service, 2)
        while dispatcher.tick()["delivered"]:
            pass
    assert receiver.bad_signatures == 0 and {e["subject"] for e in receiver.accepted} == {"STO-R002"}
    money = [e for e in receiver.accepted if "ledger_id" in e["data"]]
    kinds = [e["type"].removeprefix(PREFIX) for e in money]
    assert kinds.count("instalment-scheduled") == 8 and kinds.count("instalment-instructed") == 8
    assert "claim-established" in kinds and "settlement-determined" in kinds
    assert not {"instalment-released", "payment-account-recorded", "commitment-recorded"} & set(kinds)
    assert [int(e["sequence"]) for e in money] == sorted(int(e["sequence"]) for e in money)  # in the ledger's order
    claim = next(e for e in money if e["type"] == PREFIX + "claim-established")
    assert claim["data"]["term_ends"] == "2025-04-14" and claim["data"]["grant_id"] == str(service.state("STO-R002").grant_id)
    text = str(money)
    assert not any(word in text for word in NO_AMOUNTS) and "amount" not in text and "fi.de-boer" not in text


def test_the_regions_calendar_holds_its_payment_days_and_the_claims_last_day_without_amounts(store_url):
    service = open_service(store_url)
    claimed(service, 2)
    service.close()
    secrets = CalendarSecrets(store_url)
    _, secret = secrets.issue("STO-R002", created_by="beheer")
    secrets.close()
    settings = ApiSettings(database_url=store_url, clock=clock_from_env("2025-05-01T12:00:00+02:00"))
    with TestClient(create_app(settings)) as api:
        feed = api.get(f"/v1/calendar-feeds/{secret}")
    assert feed.status_code == 200
    days = {str(e["X-STO-DEADLINE-KEY"]): e.decoded("DTSTART") for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert [days[f"payment_T{n:03d}"] for n in (1, 8)] == [dt.date(2020, 1, 15), dt.date(2023, 7, 15)]
    assert days["claim_VORD-STO-R002-2020-02"] == dt.date(2025, 4, 14)
    assert not any(word in feed.text for word in NO_AMOUNTS)
