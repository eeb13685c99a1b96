"""The CLI's composition root: options shared by every command, and the services they open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from adapters.store import database_url, open_service
from domain.service import GrantService
from domain.timekeeping import AMSTERDAM


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
        return dt.datetime.now(AMSTERDAM).date()


STATE = CliContext()
