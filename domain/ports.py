"""Ports: what the domain needs from the outside world, as protocols. Adapters implement them."""

from __future__ import annotations

from typing import Protocol

from domain.notifications import Notification


class Notifier(Protocol):
    """Delivers a notification; returns a delivery reference. Must raise when it could not deliver."""

    def send(self, notification: Notification) -> str: ...
