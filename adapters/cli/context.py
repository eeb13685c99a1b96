"""The CLI's composition root: options shared by every command, and the services they open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from adapters.event_store.store import database_url, open_service
from adapters.event_store.service import GrantService


@dataclass
class CliContext:
    database_url: str | None = None
    extra: dict = field(default_factory=dict)
    _services: dict[str, GrantService] = field(default_factory=dict)

    @property
    def service(self) -> GrantService:
        """The grants service on the current store (one per store URL, opened on first use)."""
        url = self.url
        if url not in self._services:
            self._services[url] = open_service(self.database_url)
        return self._services[url]

    @property
    def url(self) -> str:
        return database_url(self.database_url)

    def today(self) -> dt.date:
        """The business day (STO_BUSINESS_EPOCH moves it), as `sto grant show` and the API have it."""
        from adapters.engine.business_clock import clock_from_env

        return clock_from_env().today()


STATE = CliContext()
