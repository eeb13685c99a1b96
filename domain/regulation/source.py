"""Where a rule comes from: the legal source every value of a scheme carries."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class LegalSource(_Frozen):
    """Where a rule comes from. `confirmed=False` marks facts the sources could not pin down."""

    instrument: str
    provision: str | None = None
    date: dt.date | None = None
    citation: str | None = None
    confirmed: bool = True

    def label(self) -> str:
        parts = [self.instrument]
        if self.date:
            parts.append(f"({self.date.isoformat()})")
        if self.provision:
            parts.append(self.provision)
        if self.citation:
            parts.append(f"[{self.citation}]")
        text = " ".join(parts)
        return text if self.confirmed else f"{text} (unconfirmed)"
