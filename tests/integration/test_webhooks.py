"""Grant events to subscribers' systems (SQLite and PostgreSQL stores): signed CloudEvents (NL GOV profile) posted to a real HTTP receiver on
localhost, in order per grant, nothing lost while the receiver is down and nothing twice, and a dead letter (with
an alert) when the retries run out, delivered after all by `redeliver` once the receiver is fixed."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from adapters.event_store.store import open_service
from adapters.notify.cloudevents import event_id
from adapters.notify.notifiers import FileNotifier
from adapters.notify.subscriptions import SubscriptionStore
from adapters.notify.webhooks import WebhookDispatcher, WebhookSettings, mail_alert
from domain.values import grant_id_for
from tests.support.scripted import GrantScript, at
from tests.support.webhook_receiver import RECEIVERS, Receiver, free_port

class Clock:
    """The dispatcher's time, moved on by the test (no sleeping); it starts at the real time, as redelivery does."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def later(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def world(store_url, tmp_path):
    service = open_service(store_url)
    store = SubscriptionStore(store_url, allowed=RECEIVERS)
    clock = Clock()
    outbox = tmp_path / "outbox"
    settings = WebhookSettings(max_attempts=4, backoff_seconds=10, timeout_seconds=5, public_url="https://sto.example",
                               allowed=RECEIVERS)
    dispatcher = WebhookDispatcher(service, store, settings, clock=clock,
                                   alert=mail_alert(FileNotifier(outbox), "dus-i@sto.example", lambda: clock().date()))
    yield service, store, dispatcher, clock, outbox
    dispatcher.close()
    store.close()
    service.close()


def subscribe(store, receiver, region="*", types=(), from_position=0):
    subscription, secret = store.add(receiver.url, region, types, created_by="beheer", from_position=from_position)
    receiver.secret = secret
    return subscription


def two_grants(service):
    first, second = GrantScript(service, index=1), GrantScript(service, index=2)
    for grant in (first, second):
        grant.pre_register()
        grant.apply()
    return first, second


def test_each_event_arrives_signed_as_a_cloud_event_of_the_nl_gov_profile_without_persons_or_amounts(world):
    service, store, dispatcher, _, _ = world
    first, second = two_grants(service)
    with Receiver() as receiver:
        subscribe(store, receiver, region=first.code)
        assert dispatcher.tick()["delivered"] == 2
    assert receiver.bad_signatures == 0
    assert [e["subject"] for e in receiver.accepted] == [first.code, first.code]  # never the other region
    event = receiver.accepted[1]
    assert event["specversion"] == "1.0" and event["source"].startswith("urn:nld:oin:")
    assert event["type"] == "nl.sterktechniekonderwijs.grant.application-submitted"
    assert uuid.UUID(event["id"]) and event["sequence"] == "2" and event["sequencetype"] == "Integer"
    assert event["dataref"] == f"https://sto.example/v1/grants/{first.code}/history"
    assert event["data"]["rule"] and event["data"]["legal_basis"] and event["data"]["period"] == 1
    text = str(receiver.accepted)
    state = service.state(first.code)
    for private in (state.penvoerder.email, state.penvoerder.name, "op.", "cents", "actor", "reason"):
        assert private not in text, private


def test_a_receiver_that_checks_signatures_refuses_a_wrong_secret(world):
    service, store, dispatcher, _, _ = world
    two_grants(service)
    with Receiver() as receiver:
        subscribe(store, receiver)
        receiver.secret = "whsec_" + "A" * 44  # the receiver holds another secret
        assert dispatcher.tick()["delivered"] == 0
    assert receiver.bad_signatures == 2 and receiver.accepted == []


def test_a_grants_later_event_waits_while_an_earlier_one_is_pending_and_other_grants_go_on(world):
    service, store, dispatcher, clock, _ = world
    first, second = two_grants(service)
    with Receiver() as receiver:
        subscribe(store, receiver)
        stuck = event_id(grant_id_for(first.code), 1)  # the first grant's first event
        receiver.fail_once.add(stuck)
        dispatcher.tick()
        assert receiver.versions(first.code) == [] and receiver.versions(second.code) == [1, 2]
        first.accept()
        clock.later(seconds=10)
        dispatcher.tick()
    assert receiver.versions(first.code) == [1, 2, 3]
    assert receiver.refused == [stuck] and len(receiver.ids()) == len(set(receiver.ids())) == 5


def test_a_receiver_down_for_a_while_gets_everything_after_it_comes_back_and_nothing_twice(world):
    service, store, dispatcher, clock, _ = world
    first, second = two_grants(service)
    port = free_port()  # nothing listens there yet: every connection is refused
    subscription, secret = store.add(f"http://127.0.0.1:{port}/sto-events", "*", (), created_by="beheer", from_position=0)
    for _ in range(3):  # three attempts refused, the fourth would be the last
        assert dispatcher.tick()["delivered"] == 0
        clock.later(minutes=5)
    first.accept()
    second.accept()
    assert store.deliveries(subscription.subscription_id, "pending")[0]["attempts"] == 3
    assert "ConnectionRefusedError" in store.deliveries(subscription.subscription_id, "pending")[0]["last_error"]
    with Receiver(port) as receiver:
        receiver.secret = secret
        dispatcher.tick()
        clock.later(minutes=5)
        dispatcher.tick()  # nothing left to do
    assert receiver.versions(first.code) == [1, 2, 3] and receiver.versions(second.code) == [1, 2, 3]
    assert len(receiver.ids()) == len(set(receiver.ids())) == 6
    assert {d["state"] for d in store.deliveries()} == {"delivered"}


def test_a_receiver_that_fails_forever_ends_in_a_dead_letter_with_an_alert_then_redelivery_delivers(world):
    service, store, dispatcher, clock, outbox = world
    first, _ = two_grants(service)
    with Receiver() as receiver:
        subscription = subscribe(store, receiver, region=first.code)
        receiver.failing = True
        with capture_logs() as logs:
            for _ in range(4):
                dispatcher.tick()
                clock.later(hours=1)
        dead = store.deliveries(subscription.subscription_id, "dead")
        assert [(d["attempts"], d["last_error"]) for d in dead] == [(4, "HTTP 500 Internal Server Error")]
        assert [d["state"] for d in store.deliveries(subscription.subscription_id)] == ["dead", "pending"]  # waits behind it
        assert store.counts()[subscription.subscription_id]["dead"] == 1
        errors = [entry for entry in logs if entry["log_level"] == "error"]
        assert [e["event"] for e in errors] == ["webhooks.dead_letter"] and "redeliver" in errors[0]["action"]
        mail = next(Path(outbox).glob("*.eml")).read_text()
        assert "niet afgeleverd" in mail and f"sto subscriptions redeliver {subscription.subscription_id}" in mail
        clock.later(days=1)
        assert dispatcher.tick()["delivered"] == 0  # a dead letter stays dead until it is redelivered
        receiver.failing = False
        assert store.redeliver(subscription.subscription_id) == 1
        dispatcher.tick()
    assert receiver.versions(first.code) == [1, 2] and len(receiver.accepted) == 2
    assert {d["state"] for d in store.deliveries()} == {"delivered"}


def test_a_new_subscription_starts_at_the_end_of_the_log_and_a_removed_one_gets_nothing_more(world):
    service, store, dispatcher, _, _ = world
    first, _ = two_grants(service)
    with Receiver() as receiver:
        subscription = subscribe(store, receiver, types=["nl.sterktechniekonderwijs.grant.application-accepted"],
                                 from_position=dispatcher.last_position())
        dispatcher.tick()
        assert receiver.accepted == []
        first.accept()
        dispatcher.tick()
        assert [e["type"] for e in receiver.accepted] == ["nl.sterktechniekonderwijs.grant.application-accepted"]
        store.remove(subscription.subscription_id, removed_by="beheer")
        GrantScript(service, index=2).accept()
        dispatcher.tick()
    assert len(receiver.accepted) == 1


@pytest.mark.parametrize(("url", "region", "types", "problem"), [
    ("ftp://x/y", "*", (), r"absolute http\(s\) URL"),
    ("http://127.0.0.1:9/x", "no way!", (), r"or `\*` for every region"),
    ("http://127.0.0.1:9/x", "*", ("grant-approved",), "is not one of ours"),
])
def test_a_wrong_subscription_is_refused_and_nothing_is_stored(world, url, region, types, problem):
    _, store, _, _, _ = world
    with pytest.raises(ValueError, match=problem):
        store.add(url, region, types, created_by="beheer", from_position=0)
    assert store.list(include_removed=True) == []


def test_one_deliverer_per_store_another_waits_until_the_first_is_gone(world):
    service, store, dispatcher, clock, _ = world
    first, _ = two_grants(service)
    other = WebhookDispatcher(service, store, dispatcher.settings, clock=clock)
    with Receiver() as receiver:
        subscribe(store, receiver)
        assert dispatcher.tick()["busy"] == 0
        first.accept()
        assert other.tick() == {"queued": 0, "delivered": 0, "failed": 0, "dead": 0, "busy": 1}
        dispatcher.close()  # released: the other takes over at once
        assert other.tick()["delivered"] == 1
        assert dispatcher.tick()["busy"] == 1
        other.close()
    assert len(receiver.ids()) == len(set(receiver.ids())) == 5
