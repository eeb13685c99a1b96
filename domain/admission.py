"""Whether a grant takes a command now, as its workflow asks before anything enters history: the right grant,
created, not a repeat with other fields (domain/idempotency.py), not stale, and allowed by `decide`. Pure."""

from __future__ import annotations

import datetime as dt

from domain import commands as c
from domain.decide import Context, decide
from domain.errors import GrantNotReady, InvalidInput, StaleVersion
from domain.idempotency import check_retry
from domain.regulation import Regulation
from domain.state import CommandReceipt, GrantState


def admit(state: GrantState | None, region_code: str, command: c.Command, sent_fingerprint: str,
          regulation: Regulation, now: dt.datetime) -> CommandReceipt | None:
    """None: the command may run. A receipt: it repeats a command already executed (answer from it). Raises
    InvalidInput, GrantNotReady, CommandIdReused, StaleVersion or TransitionRefused: it may not."""
    if command.region_code != region_code:
        raise InvalidInput(f"this workflow runs grant {region_code}, not {command.region_code}",
                           field="region_code", hint=f"send it to the workflow of {command.region_code}")
    if isinstance(command, c.SubmitVooraanmelding):
        raise InvalidInput("the vooraanmelding starts the workflow; it is not an update", field="type",
                           hint="send it with `sto grant pre-register`")
    if state is None:
        raise GrantNotReady(f"the grant of {command.region_code} is not created yet",
                            hint="wait until its vooraanmelding is recorded, then send the command again")
    receipt = state.commands.get(command.command_id.hex)
    if receipt is not None:
        check_retry(receipt, command, sent_fingerprint)
        return receipt
    if command.expected_version is not None and command.expected_version != state.version:
        raise StaleVersion(command.region_code, command.expected_version, state.version)
    decide(state, command, Context(regulation, command.effective_at or now))
    return None
