"""The API's composition root: its settings, and the store, tokens, read models and workflow client it opens."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from adapters.business_clock import BusinessClock
from adapters.http.reads import ReadGateway
from adapters.operator_commands import CommandSender, open_sender
from adapters.store import open_service
from adapters.temporal import TemporalSettings
from adapters.tokens import TokenStore


@dataclass(frozen=True)
class ApiSettings:
    database_url: str | None = None  # STO_DATABASE_URL when None
    temporal: TemporalSettings = field(default_factory=TemporalSettings.from_env)
    clock: BusinessClock = field(default_factory=BusinessClock.from_env)  # STO_BUSINESS_EPOCH
    host: str = "127.0.0.1"
    port: int = 8000
    command_timeout_seconds: float = 30.0


class ApiContext:
    def __init__(self, settings: ApiSettings):
        self.settings = settings
        self.service = open_service(settings.database_url)
        self.tokens = TokenStore(settings.database_url)
        self.reads = ReadGateway(self.service, settings.database_url)
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
                    )
        return self._sender

    def close(self) -> None:
        self.reads.close()
        self.tokens.close()
        self.service.close()
