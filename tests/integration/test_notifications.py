"""Reminders reach a real SMTP server exactly once each, also across an outage of that server."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.notify.notifiers import SmtpNotifier
from tests.support.scripted import GrantScript
from domain.deadlines import pending_deadlines
from domain.notifications import reminder_message
from domain.outbox import outbox_id
from tests.integration.workflow_steps import at, vooraanmelding

pytestmark = pytest.mark.temporal


async def test_reminders_are_sent_once_each_even_when_the_mail_server_was_down(engine, smtp):
    script = GrantScript(engine.service, index=51)
    await engine.client.pre_register(vooraanmelding(script))
    smtp.stop()  # the mail server goes down before the first reminder (3 March 2019, 09:00)
    await engine.advance_to(at(2019, 3, 3, 11))
    key28 = f"{script.code}|application_period_1|2019-03-31|28"
    outbox = engine.service.outbox(key28)
    assert outbox is not None and not outbox.delivered and outbox.failures >= 2  # queued and retried
    assert smtp.mailbox.keys() == []
    smtp.start()  # back up: the next retry delivers
    await engine.advance_to(at(2019, 3, 3, 12))
    assert smtp.mailbox.keys() == [key28]
    await engine.advance_to(at(2019, 3, 30, 12))
    keys = smtp.mailbox.keys()
    assert sorted(keys) == sorted(f"{script.code}|application_period_1|2019-03-31|{o}" for o in (28, 14, 7, 1))
    message_ids = [m["Message-ID"] for m in smtp.mailbox.messages]
    assert len(set(message_ids)) == 4
    first = smtp.mailbox.messages[0]
    assert first["To"] == script.region.penvoerder.email and "Aanvraagtijdvak 1" in first["Subject"]


def test_delivering_a_queued_reminder_again_sends_nothing(memory_service, smtp):
    script = GrantScript(memory_service, index=52)
    script.pre_register()
    state = memory_service.state(script.code)
    deadline = pending_deadlines(state, memory_service.regulation(), dt.date(2019, 3, 1))[0]
    note = reminder_message(state, deadline, 28, "dus-i@sto.example", dt.date(2019, 3, 3))
    notifier = SmtpNotifier("127.0.0.1", smtp.port)
    assert memory_service.deliver_notification(note, notifier)[1] is True
    assert memory_service.deliver_notification(note, notifier)[1] is False  # a retried activity
    assert len(smtp.mailbox.messages) == 1
    assert memory_service.outbox(note.key).id == outbox_id(note.key)
