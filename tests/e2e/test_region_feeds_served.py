"""What `sto serve` gives a region's systems, end to end: the grant's events POSTed to a subscribed receiver by
the serve process's own delivery loop as they happen, signed, in order; and the region's calendar feed."""

from __future__ import annotations

import time

import httpx
import pytest
from icalendar import Calendar

from adapters.operators.calendar_secrets import CalendarSecrets
from tests.e2e.grant_bodies import take
from tests.e2e.test_backoffice_page import browser, chromium  # noqa: F401 - the page test's fixtures
from tests.support.webhook_receiver import Receiver

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

CODE, INDEX = "STO-E2E-HOOKS", 41


def test_a_subscribed_receiver_gets_the_grants_events_from_sto_serve_and_the_region_reads_its_calendar(served):
    operator = served.token("operator", "op.hooks")
    with Receiver() as receiver, served.client(operator) as op:
        added = op.post("/v1/subscriptions", json={"callback_url": receiver.url, "region_code": CODE})
        assert added.status_code == 201, added.text
        receiver.secret, ident = added.json()["secret"], added.json()["subscription_id"]
        take(op, CODE, INDEX, "pre-register", "apply")
        deadline = time.monotonic() + 120  # only a hang takes that long
        while receiver.versions(CODE) != [1, 2] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert receiver.versions(CODE) == [1, 2], served.log_tail()
        assert receiver.bad_signatures == 0
        assert [e["type"].rpartition(".")[2] for e in receiver.accepted] == ["vooraanmelding-received", "application-submitted"]
        # the receiver keeps an event before it answers: the engine records the delivery once the answer is in.
        # Read this subscription's own deliveries: other tests of the session (the money test) add theirs, and
        # the list of subscriptions is in the order they were added.
        states = _states(op, ident)
        while states != ["delivered", "delivered"] and time.monotonic() < deadline:
            time.sleep(0.1)
            states = _states(op, ident)
        assert states == ["delivered", "delivered"], op.get(f"/v1/subscriptions/{ident}/deliveries").json()

    secrets = CalendarSecrets(served.database_url)
    _, secret = secrets.issue(CODE, created_by="tests")
    secrets.close()
    feed = httpx.get(f"{served.base_url}/v1/calendar-feeds/{secret}", timeout=30)
    assert feed.status_code == 200
    keys = [str(e["X-STO-DEADLINE-KEY"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert keys == ["decision_period_1"]


def _states(op, ident: str) -> list[str]:
    answer = op.get(f"/v1/subscriptions/{ident}/deliveries")
    assert answer.status_code == 200, answer.text
    return [d["state"] for d in answer.json()["deliveries"]]


def test_the_back_office_page_shows_operators_the_subscriptions_and_their_dead_letters(served, browser):
    token = served.token("operator", "op.hooks-page")
    with served.client(token) as op:
        listed = op.get("/v1/subscriptions").json()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(served.base_url + "/")
    page.fill("#token", token)
    page.click("#sign-in-form button")
    page.wait_for_selector("#webhooks:not([hidden])")
    summary = page.inner_text("#webhooks-summary")
    assert f"{len(listed['subscriptions'])} abonnement(en)" in summary and "onbestelbaar" in summary  # the page speaks Dutch
    ids = page.locator("#webhook-rows tr td:first-child").all_inner_texts()
    assert ids == [s["subscription_id"] for s in listed["subscriptions"]]
