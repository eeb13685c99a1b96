"""The API's composition root: its settings, and the store, tokens, read models and workflow client it opens.

The limits (adapters.http.limits) are settings too, so that a test can use small numbers: the largest request
body, and how many failed authentications one client address may have within a window.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from adapters.engine.business_clock import BusinessClock, clock_from_env
from adapters.http.limits import MIB, FailedAuthLimiter
from adapters.http.reads import ReadGateway
from adapters.engine.sender import CommandSender, open_sender
from adapters.event_store.store import open_service
from adapters.engine.temporal import TemporalSettings
from adapters.notify.addresses import AllowedNetworks
from adapters.notify.subscriptions import SubscriptionStore
from adapters.operators.calendar_secrets import CalendarSecrets
from adapters.operators.tokens import TokenStore


@dataclass(frozen=True)
class ApiSettings:
    database_url: str | None = None  # STO_DATABASE_URL when None
    temporal: TemporalSettings = field(default_factory=TemporalSettings.from_env)
    clock: BusinessClock = field(default_factory=clock_from_env)  # STO_BUSINESS_EPOCH
    host: str = "127.0.0.1"
    port: int = 8000
    command_timeout_seconds: float = 30.0
    max_body_bytes: int = MIB
    auth_failure_limit: int = 20
    auth_failure_window_seconds: float = 60.0
    # what a webhook may reach although it is not public (STO_WEBHOOK_ALLOWED_NETWORKS; by default nothing)
    webhook_allowed: AllowedNetworks = field(default_factory=AllowedNetworks.from_env)


class ApiContext:
    def __init__(self, settings: ApiSettings):
        self.settings = settings
        self.service = open_service(settings.database_url)
        self.tokens = TokenStore(settings.database_url)
        self.calendar_secrets = CalendarSecrets(settings.database_url)
        self.subscriptions = SubscriptionStore(settings.database_url, allowed=settings.webhook_allowed)
        self.reads = ReadGateway(self.service, settings.database_url)
        self.auth_failures = FailedAuthLimiter(settings.auth_failure_limit, settings.auth_failure_window_seconds)
        self._sender: CommandSender | None = None
        self._connecting: asyncio.Lock | None = None

    @property
    def clock(self) -> BusinessClock:
        return self.settings.clock

    async def sender(self) -> CommandSender:
        """The workflow client, connected on first use (reads work while Temporal is down)."""
        if self._sender is None:
            self._connecting = self._connecting or asyncio.Lock()
            async with self._connecting:
                if self._sender is None:
                    self._sender = await open_sender(
                        self.settings.temporal, self.service, self.clock,
                        timeout_seconds=self.settings.command_timeout_seconds,
                        database_url=self.settings.database_url,
                    )
        return self._sender

    def close(self) -> None:
        self.reads.close()
        self.tokens.close()
        self.calendar_secrets.close()
        self.subscriptions.close()
        self.service.close()
