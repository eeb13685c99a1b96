"""The outbox: every reminder is stored before it is sent, and marked sent once delivered.

One aggregate per reminder key (deterministic id), so queueing twice is a version conflict and
delivering is recorded once. Together with the stable Message-ID this makes each reminder sent once
in effect, even when an activity is retried or the mail server was down for a while.
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate

from domain.notifications import Notification

OUTBOX_NAMESPACE = uuid.UUID("9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4")


def outbox_id(key: str) -> uuid.UUID:
    return uuid.uuid5(OUTBOX_NAMESPACE, key)


class OutboxMessage(Aggregate):
    class Queued(Aggregate.Created):
        notification: dict[str, Any]

    class Delivered(Aggregate.Event):
        reference: str
        attempts: int

        def apply(self, message: "OutboxMessage") -> None:
            message.delivered = True
            message.reference = self.reference

    class DeliveryFailed(Aggregate.Event):
        error: str

        def apply(self, message: "OutboxMessage") -> None:
            message.failures += 1

    def __init__(self, notification: dict[str, Any]):
        self.notification = notification
        self.delivered = False
        self.reference: str | None = None
        self.failures = 0

    @classmethod
    def queue(cls, notification: Notification) -> "OutboxMessage":
        return cls._create(cls.Queued, id=outbox_id(notification.key), notification=notification.model_dump(mode="json"))

    def mark_delivered(self, reference: str) -> None:
        if not self.delivered:
            self.trigger_event(self.Delivered, reference=reference, attempts=self.failures + 1)

    def mark_failed(self, error: str) -> None:
        self.trigger_event(self.DeliveryFailed, error=error[:500])

    def message(self) -> Notification:
        return Notification.model_validate(self.notification)
