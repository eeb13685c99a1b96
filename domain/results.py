"""What a command did: the answer every sender gets (CLI, API, workflow), first time or repeated."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.state import CommandReceipt, GrantState
from domain.values import GrantStatus


class CommandResult(BaseModel):
    """What a command did. A repeated command id returns the first result with `duplicate=True`."""

    model_config = ConfigDict(frozen=True)

    region_code: str
    scheme: str | None = None  # the grant's scheme; None: the legacy scheme
    grant_id: UUID
    command_id: UUID
    command_type: str
    status: GrantStatus
    version: int
    events: list[str]
    duplicate: bool = False
    state: GrantState | None = None

    @classmethod
    def from_receipt(cls, state: GrantState, command_id: UUID, receipt: CommandReceipt, *, duplicate: bool,
                     with_state: bool = False) -> "CommandResult":
        """The result a command had, from the receipt the grant keeps of it."""
        return cls(
            region_code=state.region_code,
            scheme=state.scheme,
            grant_id=state.grant_id,
            command_id=command_id,
            command_type=receipt.type,
            status=receipt.status,
            version=receipt.version,
            events=list(receipt.events),
            duplicate=duplicate,
            state=state.model_copy(deep=True) if with_state else None,
        )
