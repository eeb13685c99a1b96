"""The CLI's composition root: options shared by every command, and the services they open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from adapters.store import database_url, open_service
from domain.service import GrantService
from domain.timekeeping import AMSTERDAM


@dataclass
class CliContext:
    database_url: str | None = None
    extra: dict = field(default_factory=dict)

    @cached_property
    def service(self) -> GrantService:
        return open_service(self.database_url)

    @property
    def url(self) -> str:
        return database_url(self.database_url)

    def today(self) -> dt.date:
        return dt.datetime.now(AMSTERDAM).date()


STATE = CliContext()
